/**
 * The RP registry (docs/architecture.md §3.3, issue 4 "trust framework"): which relying parties may ask
 * Watashi for what, why, and at which level. Table `relying_parties` (migration 0003). The CLI
 * (`watashi rp add|list|show|remove`) is a thin shell over these functions; oidc-provider reads
 * clients through {@link clientMetadata}.
 *
 * Every RP gets a pairwise `sub` (OIDC Core §8.1) in its sector; by default an RP is its own
 * sector (`sectorIdentifier` = its client_id), so two RPs never see the same `sub` unless the
 * operator registers them under one sector on purpose.
 *
 * Client authentication (RFC 7591 §2 `token_endpoint_auth_method`): `private_key_jwt` (RFC 7523,
 * keys given as `jwks` or `jwks_uri`; preferred) or `client_secret_basic` (a 256-bit random
 * secret generated here, shown once, stored sealed by the key store with the client_id as
 * associated data).
 *
 * Lifecycle events (migration 0006, lifecycle/events): an RP may register an `eventsEndpoint`
 * (Security Event Tokens pushed per RFC 8935) and/or a `webhookUrl` (signed JSON). A webhook gets
 * a 256-bit secret generated here, shown once, sealed by the key store (the platform computes
 * HMACs with it) with the client_id as associated data.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AdapterPayload } from 'oidc-provider';
import { z } from 'zod';
import { WatashiError } from '@watashi/pki';
import { acrRow } from '../assurance/policy.ts';
import type { KeyStore } from '../keys/key-store.ts';
import { appendAudit } from '../store/audit.ts';
import type { Database } from '../store/database.ts';
import { jsonb, type JsonObject } from '../store/json.ts';
import type { Schema } from '../store/schema.ts';
import { isWatashiClaim, type WatashiClaim } from './claims.ts';

/** Error codes of the registry. */
export type RegistryErrorCode =
  /** The registration is malformed (detail.issues lists why). */
  | 'rp_invalid'
  /** A live or removed RP already has this client_id (client_ids are never reused). */
  | 'rp_already_registered'
  /** No RP with this client_id. */
  | 'rp_not_found';

const registryError = (
  code: RegistryErrorCode,
  message: string,
  detail?: Record<string, unknown>,
): WatashiError<RegistryErrorCode> => new WatashiError(code, message, detail === undefined ? {} : { detail });

/** What the registry needs. */
export interface RegistryDeps {
  readonly database: Pick<Database, 'transaction'>;
  readonly db: Kysely<Schema>;
  readonly keys: Pick<KeyStore, 'seal' | 'open'>;
  readonly now: () => Date;
}

const isLoopback = (u: URL): boolean =>
  u.hostname === '127.0.0.1' || u.hostname === '[::1]' || u.hostname === 'localhost';

/** An absolute https URL (http only on a loopback host, for development), no fragment (RFC 6749 §3.1.2). */
const redirectUri = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.hash === '' && (u.protocol === 'https:' || (u.protocol === 'http:' && isLoopback(u)));
  } catch {
    return false;
  }
}, 'must be an absolute https URL (http only on a loopback host) without a fragment');

const jwk = z.record(z.string(), z.unknown());

/** A registration as given by the operator. */
export const relyingPartyInputSchema = z
  .strictObject({
    clientId: z
      .string()
      .regex(/^[A-Za-z0-9._~-]{1,128}$/)
      .optional()
      .describe('Default: a random id.'),
    name: z.string().trim().min(1).max(200).describe('Shown to residents on the consent screen.'),
    purpose: z.string().trim().min(1).max(2000).describe('The stated purpose (利用目的), shown on consent.'),
    redirectUris: z.array(redirectUri).min(1).max(20),
    postLogoutRedirectUris: z.array(redirectUri).max(20).default([]),
    tokenEndpointAuthMethod: z.enum(['private_key_jwt', 'client_secret_basic']).default('private_key_jwt'),
    jwks: z
      .strictObject({ keys: z.array(jwk).min(1).max(10) })
      .optional()
      .describe('Public keys for private_key_jwt.'),
    jwksUri: z.url().optional().describe('Where the RP publishes its keys (https).'),
    allowedClaims: z
      .array(z.string().refine(isWatashiClaim, 'not a claim Watashi releases'))
      .max(32)
      .default([]),
    minAcr: z
      .string()
      .refine((v) => acrRow(v) !== undefined, 'not an acr value of the assurance table')
      .optional(),
    sectorIdentifier: z
      .string()
      .regex(/^[A-Za-z0-9._:~/-]{1,255}$/)
      .optional()
      .describe('Pairwise subject sector; default: the client_id (the RP is its own sector).'),
    dpopBoundAccessTokens: z.boolean().default(false).describe('Require DPoP-bound tokens (RFC 9449 §5.2).'),
    resourceServer: z
      .boolean()
      .default(false)
      .describe(
        'The RP is also a resource server: it may introspect access tokens (RFC 7662) with its client credentials.',
      ),
    requirePar: z
      .boolean()
      .default(false)
      .describe('Accept authorization requests from this RP only through PAR (RFC 9126 §6).'),
    backchannelLogoutUri: redirectUri.optional(),
    eventsEndpoint: redirectUri
      .optional()
      .describe('Where Security Event Tokens are pushed (RFC 8935), https (http only on loopback).'),
    webhookUrl: redirectUri.optional().describe('Where signed JSON event webhooks are posted.'),
    cibaDeliveryMode: z
      .enum(['poll', 'ping'])
      .optional()
      .describe('Enable OpenID Connect CIBA (out-of-band approval) in this token delivery mode.'),
    cibaNotificationEndpoint: redirectUri
      .optional()
      .describe('CIBA ping mode: where the OP notifies the RP (backchannel_client_notification_endpoint).'),
  })
  .superRefine((v, ctx) => {
    if (v.tokenEndpointAuthMethod === 'private_key_jwt' && v.jwks === undefined && v.jwksUri === undefined)
      ctx.addIssue({ code: 'custom', message: 'private_key_jwt needs jwks or jwksUri', path: ['jwks'] });
    if (
      v.tokenEndpointAuthMethod === 'client_secret_basic' &&
      (v.jwks !== undefined || v.jwksUri !== undefined)
    )
      ctx.addIssue({ code: 'custom', message: 'client_secret_basic takes no keys', path: ['jwks'] });
    // oidc-provider (after CIBA §4 and OIDC Core §8.1) requires private_key_jwt and a jwks_uri of
    // every pairwise CIBA client.
    if (
      v.cibaDeliveryMode !== undefined &&
      (v.tokenEndpointAuthMethod !== 'private_key_jwt' || v.jwksUri === undefined)
    )
      ctx.addIssue({
        code: 'custom',
        message: 'a CIBA RP authenticates with private_key_jwt and publishes its keys at jwksUri',
        path: ['cibaDeliveryMode'],
      });
    // CIBA §4: ping mode needs a notification endpoint (https); poll mode has none.
    if ((v.cibaDeliveryMode === 'ping') !== (v.cibaNotificationEndpoint !== undefined))
      ctx.addIssue({
        code: 'custom',
        message: 'CIBA ping mode needs cibaNotificationEndpoint (and only ping mode takes one)',
        path: ['cibaNotificationEndpoint'],
      });
  });

/** Input of {@link addRelyingParty}. */
export type RelyingPartyInput = z.input<typeof relyingPartyInputSchema>;

/** A registered RP as the operator sees it (never a secret). */
export interface RelyingParty {
  readonly clientId: string;
  readonly name: string;
  readonly purpose: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly tokenEndpointAuthMethod: 'private_key_jwt' | 'client_secret_basic';
  readonly allowedClaims: readonly WatashiClaim[];
  readonly minAcr: string | null;
  readonly sectorIdentifier: string;
  readonly dpopBoundAccessTokens: boolean;
  /** May introspect access tokens (RFC 7662) issued to any RP. */
  readonly resourceServer: boolean;
  /** Authorization requests only through PAR (RFC 9126 §6 require_pushed_authorization_requests). */
  readonly requirePar: boolean;
  /** Security Event Token push endpoint (RFC 8935), or null. */
  readonly eventsEndpoint: string | null;
  /** Signed JSON webhook URL, or null (its secret is never shown again). */
  readonly webhookUrl: string | null;
  /** CIBA (out-of-band approval): the token delivery mode and, for ping, the notification endpoint. */
  readonly ciba: {
    readonly deliveryMode: 'poll' | 'ping';
    readonly notificationEndpoint: string | null;
  } | null;
  readonly createdAt: Date;
  readonly disabledAt: Date | null;
}

/** The result of {@link addRelyingParty}: the RP and, for client_secret_basic, its secret (shown once). */
export interface AddedRelyingParty {
  readonly relyingParty: RelyingParty;
  readonly clientSecret?: string;
  /** The webhook signing secret when a webhook URL was registered (shown once). */
  readonly webhookSecret?: string;
}

/**
 * A new client id: 128 random bits, base64url, never starting with `-` or `_` — an id that starts
 * with `-` cannot be typed after `watashi rp show` without `--` (it reads as an option).
 */
export function newClientId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

const aadOf = (clientId: string): Uint8Array => new TextEncoder().encode(`watashi rp secret ${clientId}`);

/** Associated data of an RP's sealed webhook secret. */
export const webhookSecretAad = (clientId: string): Uint8Array =>
  new TextEncoder().encode(`watashi rp webhook secret ${clientId}`);

function view(row: {
  client_id: string;
  name: string;
  purpose: string;
  metadata: JsonObject;
  allowed_claims: string[];
  min_acr: string | null;
  sector_identifier: string;
  created_at: Date;
  disabled_at: Date | null;
  events_endpoint: string | null;
  webhook_url: string | null;
}): RelyingParty {
  const m = row.metadata;
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);
  return {
    clientId: row.client_id,
    name: row.name,
    purpose: row.purpose,
    redirectUris: strings(m['redirect_uris']),
    postLogoutRedirectUris: strings(m['post_logout_redirect_uris']),
    tokenEndpointAuthMethod:
      m['token_endpoint_auth_method'] === 'client_secret_basic' ? 'client_secret_basic' : 'private_key_jwt',
    allowedClaims: row.allowed_claims.filter(isWatashiClaim),
    minAcr: row.min_acr,
    sectorIdentifier: row.sector_identifier,
    dpopBoundAccessTokens: m['dpop_bound_access_tokens'] === true,
    requirePar: m['require_pushed_authorization_requests'] === true,
    resourceServer: m['watashi_resource_server'] === true,
    eventsEndpoint: row.events_endpoint,
    webhookUrl: row.webhook_url,
    ciba:
      m['backchannel_token_delivery_mode'] === 'poll' || m['backchannel_token_delivery_mode'] === 'ping'
        ? {
            deliveryMode: m['backchannel_token_delivery_mode'],
            notificationEndpoint:
              typeof m['backchannel_client_notification_endpoint'] === 'string'
                ? m['backchannel_client_notification_endpoint']
                : null,
          }
        : null,
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
  };
}

/**
 * Registers an RP (audit `rp.registered` by `actor`). `rp_invalid` for a malformed registration,
 * `rp_already_registered` when the client_id is taken (also by a removed RP).
 */
export async function addRelyingParty(
  deps: RegistryDeps,
  input: RelyingPartyInput,
  actor = 'operator:cli',
): Promise<AddedRelyingParty> {
  const parsed = relyingPartyInputSchema.safeParse(input);
  if (!parsed.success)
    throw registryError('rp_invalid', `invalid registration: ${parsed.error.issues[0]?.message ?? ''}`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  const v = parsed.data;
  const clientId = v.clientId ?? newClientId();
  // RFC 7591 §2 metadata; oidc-provider validates it again when it loads the client.
  const metadata: JsonObject = {
    client_id: clientId,
    client_name: v.name,
    redirect_uris: v.redirectUris,
    post_logout_redirect_uris: v.postLogoutRedirectUris,
    response_types: ['code'],
    grant_types: [
      'authorization_code',
      'refresh_token',
      ...(v.cibaDeliveryMode === undefined ? [] : ['urn:openid:params:grant-type:ciba']),
    ],
    ...(v.cibaDeliveryMode === undefined
      ? {}
      : {
          backchannel_token_delivery_mode: v.cibaDeliveryMode,
          backchannel_user_code_parameter: false,
          // Required of a pairwise CIBA client with redirect URIs; never fetched
          // (sectorIdentifierUriValidate is off): Watashi's sector is the registry's
          // sectorIdentifier, decided by the operator.
          sector_identifier_uri: `https://sector.watashi.invalid/${encodeURIComponent(v.sectorIdentifier ?? clientId)}`,
          ...(v.cibaNotificationEndpoint === undefined
            ? {}
            : { backchannel_client_notification_endpoint: v.cibaNotificationEndpoint }),
        }),
    token_endpoint_auth_method: v.tokenEndpointAuthMethod,
    subject_type: 'pairwise',
    id_token_signed_response_alg: 'ES256',
    dpop_bound_access_tokens: v.dpopBoundAccessTokens,
    require_pushed_authorization_requests: v.requirePar,
    watashi_resource_server: v.resourceServer,
    ...(v.jwks === undefined ? {} : { jwks: v.jwks as JsonObject }),
    ...(v.jwksUri === undefined ? {} : { jwks_uri: v.jwksUri }),
    ...(v.backchannelLogoutUri === undefined
      ? {}
      : { backchannel_logout_uri: v.backchannelLogoutUri, backchannel_logout_session_required: true }),
  };
  let clientSecret: string | undefined;
  let box: { key_id: string; nonce: Uint8Array; ciphertext: Uint8Array } | undefined;
  if (v.tokenEndpointAuthMethod === 'client_secret_basic') {
    clientSecret = randomBytes(32).toString('base64url');
    const sealed = await deps.keys.seal(new TextEncoder().encode(clientSecret), aadOf(clientId));
    box = { key_id: sealed.keyId, nonce: sealed.nonce, ciphertext: sealed.ciphertext };
  }
  let webhookSecret: string | undefined;
  let hook: { key_id: string; nonce: Uint8Array; ciphertext: Uint8Array } | undefined;
  if (v.webhookUrl !== undefined) {
    webhookSecret = randomBytes(32).toString('base64url');
    const sealed = await deps.keys.seal(new TextEncoder().encode(webhookSecret), webhookSecretAad(clientId));
    hook = { key_id: sealed.keyId, nonce: sealed.nonce, ciphertext: sealed.ciphertext };
  }
  const now = deps.now();
  const row = await deps.database.transaction(async (trx) => {
    const inserted = await trx
      .insertInto('relying_parties')
      .values({
        client_id: clientId,
        name: v.name,
        purpose: v.purpose,
        metadata: jsonb(metadata),
        secret_key_id: box?.key_id ?? null,
        secret_nonce: box?.nonce ?? null,
        secret_ciphertext: box?.ciphertext ?? null,
        allowed_claims: [...new Set(v.allowedClaims)],
        min_acr: v.minAcr ?? null,
        sector_identifier: v.sectorIdentifier ?? clientId,
        events_endpoint: v.eventsEndpoint ?? null,
        webhook_url: v.webhookUrl ?? null,
        webhook_secret_key_id: hook?.key_id ?? null,
        webhook_secret_nonce: hook?.nonce ?? null,
        webhook_secret_ciphertext: hook?.ciphertext ?? null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('client_id').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted === undefined)
      throw registryError('rp_already_registered', 'an RP with this client_id exists', { clientId });
    await appendAudit(trx, {
      actor,
      type: 'rp.registered',
      at: now,
      payload: {
        clientId,
        allowedClaims: inserted.allowed_claims,
        minAcr: inserted.min_acr,
        sectorIdentifier: inserted.sector_identifier,
        tokenEndpointAuthMethod: v.tokenEndpointAuthMethod,
        eventsEndpoint: v.eventsEndpoint !== undefined,
        webhook: v.webhookUrl !== undefined,
      },
    });
    return inserted;
  });
  return {
    relyingParty: view(row),
    ...(clientSecret === undefined ? {} : { clientSecret }),
    ...(webhookSecret === undefined ? {} : { webhookSecret }),
  };
}

/** Every RP, live first then removed, by creation time. */
export async function listRelyingParties(
  deps: Pick<RegistryDeps, 'db'>,
  options: { includeRemoved?: boolean } = {},
): Promise<RelyingParty[]> {
  let q = deps.db.selectFrom('relying_parties').selectAll().orderBy('created_at').orderBy('client_id');
  if (options.includeRemoved !== true) q = q.where('disabled_at', 'is', null);
  return (await q.execute()).map(view);
}

/** One RP (live or removed), or `rp_not_found`. */
export async function getRelyingParty(
  deps: Pick<RegistryDeps, 'db'>,
  clientId: string,
): Promise<RelyingParty> {
  const row = await deps.db
    .selectFrom('relying_parties')
    .selectAll()
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  if (row === undefined) throw registryError('rp_not_found', 'no RP with this client_id', { clientId });
  return view(row);
}

/**
 * Removes an RP: disables it (the row stays, the client_id is never reused), deletes every
 * grant, code and token issued to it, and audits `rp.removed`. `rp_not_found` if unknown or
 * already removed.
 */
export async function removeRelyingParty(
  deps: RegistryDeps,
  clientId: string,
  actor = 'operator:cli',
): Promise<void> {
  const now = deps.now();
  await deps.database.transaction(async (trx) => {
    const r = await trx
      .updateTable('relying_parties')
      .set({ disabled_at: now, updated_at: now })
      .where('client_id', '=', clientId)
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
    if (r.numUpdatedRows === 0n)
      throw registryError('rp_not_found', 'no live RP with this client_id', { clientId });
    const deleted = await trx
      .deleteFrom('oidc_models')
      .where((eb) => eb(eb.ref('payload', '->>').key('clientId'), '=', clientId))
      .executeTakeFirst();
    await appendAudit(trx, {
      actor,
      type: 'rp.removed',
      at: now,
      payload: { clientId, artefactsDeleted: Number(deleted.numDeletedRows) },
    });
  });
}

/** Watashi's registry fields carried in oidc-provider client metadata (extraClientMetadata). */
export const REGISTRY_METADATA = [
  'watashi_purpose',
  'watashi_allowed_claims',
  'watashi_min_acr',
  'watashi_sector_identifier',
  'watashi_resource_server',
] as const;

/**
 * The client metadata oidc-provider loads for `clientId` (the adapter's `Client` model), with the
 * client secret opened from its sealed box; undefined for unknown and removed RPs.
 */
export async function clientMetadata(
  deps: Pick<RegistryDeps, 'db' | 'keys'>,
  clientId: string,
): Promise<AdapterPayload | undefined> {
  const row = await deps.db
    .selectFrom('relying_parties')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  let secret: string | undefined;
  if (row.secret_key_id !== null && row.secret_nonce !== null && row.secret_ciphertext !== null) {
    const plain = await deps.keys.open(
      {
        alg: 'A256GCM',
        keyId: row.secret_key_id,
        nonce: row.secret_nonce,
        ciphertext: row.secret_ciphertext,
      },
      aadOf(row.client_id),
    );
    secret = new TextDecoder().decode(plain);
  }
  const metadata = row.metadata as AdapterPayload;
  return {
    ...metadata,
    // OpenID Back-Channel Logout 1.0 §2.2/§2.4: with it, the ID token and the logout token carry
    // `sid`, which discovery advertises (backchannel_logout_session_supported). Set here too for
    // RPs registered before it was stored.
    ...(typeof metadata['backchannel_logout_uri'] === 'string'
      ? { backchannel_logout_session_required: true }
      : {}),
    ...(secret === undefined ? {} : { client_secret: secret }),
    watashi_purpose: row.purpose,
    watashi_allowed_claims: row.allowed_claims,
    watashi_min_acr: row.min_acr ?? undefined,
    watashi_sector_identifier: row.sector_identifier,
  };
}
