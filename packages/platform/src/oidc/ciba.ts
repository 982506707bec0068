/**
 * Out-of-band approval with OpenID Connect CIBA (Client-Initiated Backchannel Authentication Core
 * 1.0; issue 19, docs/approvals.md): the hooks oidc-provider's `features.ciba` calls at the
 * back-channel authentication endpoint, and the request record the wallet's approvals page shows.
 *
 * What a relying party sends and what the OP checks, in order (CIBA §7.1, §13):
 * 1. `login_hint` = the resident's pairwise `sub` at this RP, resolved through `pairwise_subjects`
 *    in the RP's sector only — a `sub` of another RP, an account id or anything else is
 *    `unknown_user_id`. `id_token_hint` carries a pairwise `sub` too and is refused the same way by
 *    `findAccount` (it takes account ids only); `login_hint_token` is not supported
 *    (`invalid_request`).
 * 2. The resident must have an active device certificate (`watashi-device-auth`) to approve with:
 *    otherwise `unknown_user_id` ("no device that can approve") — nothing is stored.
 * 3. `binding_message` (§7.1: "SHOULD be relatively short"): 1–40 characters, NFC, no control or
 *    invisible format characters — else `invalid_binding_message`.
 * 4. `authorization_details` (RFC 9396 §2): a JSON array of 1–5 objects of type
 *    `watashi_transaction` with the exact text to show — else `invalid_authorization_details`.
 * 5. At most {@link CIBA_MAX_PENDING} pending requests per resident (counted under a lock on the
 *    account row, so concurrent requests cannot overshoot): else `access_denied`.
 *
 * The request is then stored with the exact bytes the device key will sign: a JWS signing input
 * (RFC 7515 §5.1) over the transaction — RP, resident's pairwise `sub`, binding message,
 * authorization details, auth_req_id, expiry. The wallet shows the text *decoded from those
 * bytes*, so what is shown is what is signed (dynamic linking, PSD2 RTS Art. 5).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { z } from 'zod';
import type { PlatformDeps } from '../server/context.ts';
import { jsonb, type JsonValue } from '../store/json.ts';
import { pairwiseSubject } from './pairwise.ts';

/** Most pending requests one resident may have at once (more: `access_denied`). */
export const CIBA_MAX_PENDING = 5;
/** Longest `binding_message`, in characters. */
export const BINDING_MESSAGE_MAX = 40;
/** Default and longest lifetime of a request, in seconds (`requested_expiry` may shorten it). */
export const CIBA_DEFAULT_EXPIRY = 300;
/** The CIBA grant type (CIBA §10.1). */
export const CIBA_GRANT_TYPE = 'urn:openid:params:grant-type:ciba';
/** The polling interval an RP is given, in seconds (CIBA §7.3: `interval`, 5 by default). */
export const CIBA_POLL_INTERVAL = 5;
/** What each `slow_down` adds to the interval, in seconds (CIBA §11, as RFC 8628 §3.5). */
export const CIBA_SLOW_DOWN_STEP = 5;
/** The longest interval (the column's CHECK, migration 0025); more `slow_down`s keep it there. */
export const CIBA_POLL_INTERVAL_MAX = 3600;
/**
 * How much earlier than the interval a poll may arrive without `slow_down`, in milliseconds: an RP
 * that waits exactly the interval can still be seen a little early, when its previous request was
 * held up on the way (a proxy, a retransmission) and this one was not.
 */
export const CIBA_POLL_LEEWAY_MS = 1000;
/** The RFC 9396 authorization details type of a transaction to approve. */
export const WATASHI_TRANSACTION = 'watashi_transaction';
/** The JOSE `typ` of an approval (the evidence the RP receives). */
export const APPROVAL_TYP = 'watashi-approval+jwt';
/** The ID token claim carrying the approval evidence. */
export const APPROVAL_CLAIM = 'watashi_approval';

const visibleText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => s === s.normalize('NFC') && s === s.trim(), 'must be NFC without surrounding spaces')
    // Control, format (bidi overrides, zero-width) and line/paragraph separators could hide or
    // reorder what the resident reads.
    .refine((s) => !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(s), 'must not contain control characters');

/** One `watashi_transaction` authorization detail (RFC 9396 §2 with Watashi's fields). */
export const transactionDetailSchema = z.strictObject({
  type: z.literal(WATASHI_TRANSACTION),
  /** The exact sentence the resident approves (「振込 50,000円 → 山田酒店」). */
  text: visibleText(200),
  /** The amount, when there is one (a decimal string, ISO 4217 currency). */
  amount: z
    .strictObject({
      value: z.string().regex(/^\d{1,15}(\.\d{1,4})?$/),
      currency: z.string().regex(/^[A-Z]{3}$/),
    })
    .optional(),
  /** Who receives it (payee, shop), as the RP names them. */
  creditor: visibleText(100).optional(),
  /** RFC 9396 §2.2 common field: the RP's own reference for the transaction. */
  identifier: z
    .string()
    .regex(/^[\x21-\x7e]{1,64}$/)
    .optional(),
});

/** A validated `authorization_details` value. */
export type TransactionDetails = z.output<typeof transactionDetailSchema>[];

const detailsSchema = z.array(transactionDetailSchema).min(1).max(5);

/** Validates `binding_message` (CIBA §7.1); `invalid_binding_message` when malformed. */
export function checkBindingMessage(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const r = visibleText(BINDING_MESSAGE_MAX).safeParse(value);
  if (!r.success)
    throw new errors.InvalidBindingMessage(
      `binding_message must be 1-${BINDING_MESSAGE_MAX} visible characters (${r.error.issues[0]?.message ?? ''})`,
    );
  return r.data;
}

/** Parses `authorization_details` (RFC 9396 §2); `invalid_authorization_details` when malformed. */
export function parseAuthorizationDetails(raw: unknown): TransactionDetails | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string')
    throw new errors.InvalidAuthorizationDetails('authorization_details must be one JSON string');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new errors.InvalidAuthorizationDetails('authorization_details is not JSON');
  }
  const r = detailsSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new errors.InvalidAuthorizationDetails(
      `authorization_details: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim(),
    );
  }
  return r.data;
}

/** The transaction a device key signs (the JWS payload of the approval). */
export interface ApprovalPayload {
  /** The OP (issuer) that asked. */
  readonly iss: string;
  /** The RP (client_id) the approval is for. */
  readonly aud: string;
  /** The resident's pairwise `sub` at that RP. */
  readonly sub: string;
  /** The CIBA `auth_req_id` (the RP can match it to its request). */
  readonly txn: string;
  /** The platform's id of the request. */
  readonly jti: string;
  /** The RP's registered name, as shown. */
  readonly client_name: string;
  readonly binding_message?: string;
  readonly authorization_details?: TransactionDetails;
  readonly iat: number;
  readonly exp: number;
}

const b64u = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');

/** The JWS signing input (RFC 7515 §5.1) of an approval of `payload`, ES256. */
export function approvalSigningInput(payload: ApprovalPayload): string {
  return `${b64u(JSON.stringify({ alg: 'ES256', typ: APPROVAL_TYP }))}.${b64u(JSON.stringify(payload))}`;
}

/** Decodes the payload of a signing input made by {@link approvalSigningInput}. */
export function approvalPayloadOf(signingInput: string): ApprovalPayload {
  const [, payload] = signingInput.split('.');
  return JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as ApprovalPayload;
}

/** Whether the account has an active device certificate that can approve. */
export async function hasApprovingDevice(
  deps: Pick<PlatformDeps, 'db' | 'now'>,
  accountId: string,
): Promise<boolean> {
  const now = deps.now();
  const row = await deps.db
    .selectFrom('device_certificates')
    .select('serial')
    .where('account_id', '=', accountId)
    .where('profile', '=', 'watashi-device-auth')
    .where('revoked_at', 'is', null)
    .where('activated_at', 'is not', null)
    .where('not_before', '<=', now)
    .where('not_after', '>', now)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Records that `subject` names `accountId` in `sector` (idempotent; called at consent). */
export async function recordPairwiseSubject(
  deps: Pick<PlatformDeps, 'keys'>,
  db: PlatformDeps['db'],
  sector: string,
  accountId: string,
  at: Date,
): Promise<void> {
  const subject = await pairwiseSubject(deps.keys, sector, accountId);
  await db
    .insertInto('pairwise_subjects')
    .values({ sector, subject, account_id: accountId, created_at: at })
    .onConflict((oc) => oc.columns(['sector', 'subject']).doNothing())
    .execute();
}

/** How many (sector, account) pairs {@link pairwiseRecorder} remembers before it starts afresh. */
export const PAIRWISE_REMEMBERED_MAX = 100_000;

/**
 * Records the pairwise `sub` an RP is given at a token or userinfo answer (provider.ts
 * `pairwiseIdentifier`), for the residents whose consent predates migration 0018: they have no
 * `pairwise_subjects` row, so a CIBA `login_hint` naming them was `unknown_user_id` until they
 * consented again. A migration cannot fill the rows — the `sub` is an HMAC under the key store's
 * `pairwise` secret, which never leaves the key store — but the platform computes that `sub` at
 * every answer anyway, so the row is written then, through the same key store call. Each instance
 * remembers the pairs it has written (or found written), so a pair costs one idempotent INSERT per
 * process, not one per token; rows are never deleted, so what is remembered stays true.
 */
export function pairwiseRecorder(
  deps: Pick<PlatformDeps, 'db' | 'now'>,
): (sector: string, subject: string, accountId: string) => Promise<void> {
  const remembered = new Set<string>();
  return async (sector, subject, accountId) => {
    const key = `${sector}\u0000${accountId}`;
    if (remembered.has(key)) return;
    await deps.db
      .insertInto('pairwise_subjects')
      .values({ sector, subject, account_id: accountId, created_at: deps.now() })
      .onConflict((oc) => oc.columns(['sector', 'subject']).doNothing())
      .execute();
    if (remembered.size >= PAIRWISE_REMEMBERED_MAX) remembered.clear();
    remembered.add(key);
  };
}

type Client = NonNullable<KoaContextWithOIDC['oidc']['client']>;

/**
 * Records a poll of a pending request and says whether it came too soon: the interval to keep
 * from now on when it did (CIBA §11 `slow_down`: the interval grows by
 * {@link CIBA_SLOW_DOWN_STEP} "for this and all subsequent requests", RFC 8628 §3.5), `undefined`
 * when it did not (or the request is not one of this client's). The row is locked while it is
 * read and written, so concurrent polls on several instances are counted one after the other.
 */
export async function recordCibaPoll(
  deps: Pick<PlatformDeps, 'database' | 'now'>,
  authReqId: string,
  clientId: string,
): Promise<number | undefined> {
  const now = deps.now();
  return deps.database.transaction(async (trx) => {
    const row = await trx
      .selectFrom('ciba_requests')
      .select(['id', 'polled_at', 'poll_interval'])
      .where('auth_req_id', '=', authReqId)
      .where('client_id', '=', clientId)
      .forUpdate()
      .executeTakeFirst();
    if (row === undefined) return undefined;
    // The first poll may come at once (openid-client waits the interval first; others need not).
    const tooSoon =
      row.polled_at !== null &&
      now.getTime() - row.polled_at.getTime() < row.poll_interval * 1000 - CIBA_POLL_LEEWAY_MS;
    const interval = tooSoon
      ? Math.min(row.poll_interval + CIBA_SLOW_DOWN_STEP, CIBA_POLL_INTERVAL_MAX)
      : row.poll_interval;
    await trx
      .updateTable('ciba_requests')
      .set({ polled_at: now, poll_interval: interval })
      .where('id', '=', row.id)
      .execute();
    return tooSoon ? interval : undefined;
  });
}

/**
 * oidc-provider middleware (outside its routes, so it sees their answers) for what CIBA Core 1.0
 * asks and oidc-provider does not do:
 * - §7.3: the back-channel authentication response states `interval` ({@link CIBA_POLL_INTERVAL}).
 * - §11: a token request of the CIBA grant that oidc-provider answered `authorization_pending`
 *   (the client is authenticated, the request is its own and still pending) is `slow_down` when it
 *   came sooner than the interval after the previous poll ({@link recordCibaPoll}). Only pending
 *   answers are paced: tokens, a denial or an expiry are given whenever asked.
 * - §13 (and RFC 6749 §5.2 at the token endpoint): an authenticated client not registered for
 *   CIBA gets `unauthorized_client` where oidc-provider says `invalid_request` ("… is not allowed
 *   for this client").
 */
export function cibaProtocol(
  deps: Pick<PlatformDeps, 'database' | 'now'>,
): (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void> {
  return async (ctx, next) => {
    await next();
    if (ctx.method !== 'POST') return;
    const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] | undefined;
    const route = oidc?.route;
    if (route !== 'backchannel_authentication' && route !== 'token') return;
    if (route === 'token' && oidc?.params?.['grant_type'] !== CIBA_GRANT_TYPE) return;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (typeof body !== 'object' || body === null) return;
    const client = oidc?.client;
    if (
      ctx.status === 400 &&
      body['error'] === 'invalid_request' &&
      client !== undefined &&
      !client.grantTypeAllowed(CIBA_GRANT_TYPE)
    ) {
      ctx.body = {
        error: 'unauthorized_client',
        error_description: 'this client is not registered for CIBA (backchannel_token_delivery_mode)',
      };
      return;
    }
    if (route === 'backchannel_authentication') {
      if (ctx.status === 200 && typeof body['auth_req_id'] === 'string')
        ctx.body = { ...body, interval: CIBA_POLL_INTERVAL };
      return;
    }
    const authReqId = oidc?.params?.['auth_req_id'];
    if (
      ctx.status !== 400 ||
      body['error'] !== 'authorization_pending' ||
      client === undefined ||
      typeof authReqId !== 'string'
    )
      return;
    const interval = await recordCibaPoll(deps, authReqId, client.clientId);
    if (interval !== undefined)
      ctx.body = {
        error: 'slow_down',
        error_description: `polling too quickly: wait at least ${interval} seconds between requests`,
      };
  };
}

/** The oidc-provider `features.ciba` configuration (CIBA Core 1.0, poll and ping). */
export function cibaFeature(
  deps: PlatformDeps,
  options: { readonly sectorOf: (client: Client) => string; readonly issuer: string },
) {
  return {
    enabled: true as const,
    deliveryModes: ['poll', 'ping'] as ('poll' | 'ping')[],
    async processLoginHint(ctx: KoaContextWithOIDC, loginHint?: string): Promise<string | undefined> {
      const client = ctx.oidc.client;
      if (client === undefined || loginHint === undefined || !/^[A-Za-z0-9_-]{43}$/.test(loginHint))
        return undefined;
      const row = await deps.db
        .selectFrom('pairwise_subjects')
        .select('account_id')
        .where('sector', '=', options.sectorOf(client))
        .where('subject', '=', loginHint)
        .executeTakeFirst();
      if (row === undefined) return undefined;
      // No device to approve with: the request could never be approved (CIBA §13 has no closer
      // code; the RP should fall back to a front-channel login). Nothing is stored.
      if (!(await hasApprovingDevice(deps, row.account_id)))
        throw new errors.UnknownUserId('the resident has no device that can approve requests');
      return row.account_id;
    },
    processLoginHintToken(): Promise<string | undefined> {
      throw new errors.InvalidRequest(
        'login_hint_token is not supported; send login_hint (the pairwise sub)',
      );
    },
    // No user_code (backchannel_user_code_parameter is false for every RP).
    verifyUserCode(): Promise<void> {
      return Promise.resolve();
    },
    // request_context is not used.
    validateRequestContext(): Promise<void> {
      return Promise.resolve();
    },
    // Also where authorization_details is checked: oidc-provider's RAR feature is off (it would
    // touch the code flow too), so the parameter is read from the parsed form body here.
    validateBindingMessage(ctx: KoaContextWithOIDC, bindingMessage: string | undefined): Promise<void> {
      checkBindingMessage(bindingMessage);
      parseAuthorizationDetails(
        (ctx.oidc.body as Record<string, unknown> | undefined)?.['authorization_details'],
      );
      return Promise.resolve();
    },
    async triggerAuthenticationDevice(
      ctx: KoaContextWithOIDC,
      request: {
        jti: string;
        exp?: number | undefined;
        scope?: string | undefined;
        params?: Record<string, unknown> | undefined;
      },
      account: { accountId: string },
      client: Client,
    ): Promise<void> {
      const bindingMessage = checkBindingMessage(request.params?.['binding_message']);
      const details = parseAuthorizationDetails(
        (ctx.oidc.body as Record<string, unknown> | undefined)?.['authorization_details'],
      );
      const now = deps.now();
      const iat = Math.floor(now.getTime() / 1000);
      const exp = request.exp ?? iat + CIBA_DEFAULT_EXPIRY;
      const id = randomUUID();
      const clientMeta = client as unknown as Record<string, unknown>;
      const payload: ApprovalPayload = {
        iss: options.issuer,
        aud: client.clientId,
        sub: await pairwiseSubject(deps.keys, options.sectorOf(client), account.accountId),
        txn: request.jti,
        jti: id,
        client_name:
          typeof clientMeta['clientName'] === 'string' ? clientMeta['clientName'] : client.clientId,
        ...(bindingMessage === undefined ? {} : { binding_message: bindingMessage }),
        ...(details === undefined ? {} : { authorization_details: details }),
        iat,
        exp,
      };
      await deps.database.transaction(async (trx) => {
        // One resident's requests are counted under a lock on the account row: two concurrent
        // requests cannot both see room for one more.
        await trx
          .selectFrom('accounts')
          .select('id')
          .where('id', '=', account.accountId)
          .forUpdate()
          .execute();
        const { count } = await trx
          .selectFrom('ciba_requests')
          .select(sql<string>`count(*)`.as('count'))
          .where('account_id', '=', account.accountId)
          .where('state', '=', 'pending')
          .where('expires_at', '>', now)
          .executeTakeFirstOrThrow();
        if (Number(count) >= CIBA_MAX_PENDING)
          throw new errors.AccessDenied(
            `too many pending requests for this resident (at most ${CIBA_MAX_PENDING})`,
          );
        await trx
          .insertInto('ciba_requests')
          .values({
            id,
            auth_req_id: request.jti,
            client_id: client.clientId,
            account_id: account.accountId,
            scope: request.scope ?? 'openid',
            binding_message: bindingMessage ?? null,
            authorization_details: details === undefined ? null : jsonb(details as unknown as JsonValue),
            signing_input: approvalSigningInput(payload),
            created_at: now,
            expires_at: new Date(exp * 1000),
          })
          .execute();
      });
    },
  };
}
