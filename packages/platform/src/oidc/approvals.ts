/**
 * The resident's side of CIBA (issue 19, docs/approvals.md): the wallet's approvals API, the
 * verification of an approval signed by the device key, and the evidence the RP receives.
 *
 * - `GET  /api/approvals` → `{ requests: ApprovalView[] }`: the session's pending, unexpired
 *   requests, each with the RP's registered name and purpose, the binding message, the
 *   transaction text and the exact `signingInput` the device key signs.
 * - `POST /api/approvals/<id>/approve { certificate, signature }`: the device's certificate (DER,
 *   base64) and its ES256 signature (r ‖ s, base64) over `signingInput`. Checked, failing closed,
 *   before anything changes: the certificate is exactly one this platform issued to *this*
 *   account, a `watashi-device-auth` certificate, active, not revoked, valid now; the signature
 *   verifies with its key over the stored bytes. Then the request moves from `pending` to
 *   `approved` in one conditional UPDATE (a replayed or concurrent approval finds nothing pending:
 *   `approval_decided`), a grant is made and oidc-provider completes the request
 *   (`backchannelResult`; in ping mode the RP is notified).
 * - `POST /api/approvals/<id>/deny`: `denied`; the RP's token request gets `access_denied`.
 *
 * The evidence ({@link approvalClaim}): the ID token's `watashi_approval` claim is
 * `{ jws, x5c }` — the compact JWS (header `{"alg":"ES256","typ":"watashi-approval+jwt"}`, payload
 * the transaction, signature by the device key) and the device certificate with its issuing CA
 * certificate. An RP verifies it with jose and the Watashi CA root published at `/ca/root.crt`.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Selectable } from 'kysely';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { z } from 'zod';
import { parseCertificate } from '@watashi/pki';
import { loginContext } from '../authn/context.ts';
import { platformCa } from '../devices/ca.ts';
import { deviceCertificateFacts } from '../devices/facts.ts';
import type { PlatformDeps } from '../server/context.ts';
import { problem } from '../server/problem.ts';
import { emptyBody, withSchemas } from '../server/schemas.ts';
import { appendAudit } from '../store/audit.ts';
import type { DeviceCertificatesTable } from '../store/schema.ts';
import { approvalPayloadOf, type TransactionDetails } from './ciba.ts';

/** A pending request as the wallet's approvals page shows it. */
export interface ApprovalView {
  readonly id: string;
  readonly rp: { readonly name: string; readonly purpose: string };
  readonly bindingMessage: string | null;
  readonly authorizationDetails: TransactionDetails | null;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** The exact bytes (UTF-8) to sign with the device key: a JWS signing input. */
  readonly signingInput: string;
}

/** The `watashi_approval` claim of an ID token. */
export interface ApprovalClaim {
  /** Compact JWS by the device key over the transaction. */
  readonly jws: string;
  /** The device certificate and the issuing CA certificate (base64 DER, RFC 7515 §4.1.6 style). */
  readonly x5c: readonly string[];
}

/** Error codes of the approvals API. */
export type ApprovalErrorCode =
  | 'approval_not_found'
  | 'approval_decided'
  | 'approval_expired'
  | 'approval_device_unusable'
  | 'approval_signature_invalid';

const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

/** The session's pending, unexpired requests, oldest first. */
export async function listApprovals(deps: PlatformDeps, accountId: string): Promise<ApprovalView[]> {
  const rows = await deps.db
    .selectFrom('ciba_requests as c')
    .innerJoin('relying_parties as r', 'r.client_id', 'c.client_id')
    .select([
      'c.id',
      'c.binding_message',
      'c.signing_input',
      'c.created_at',
      'c.expires_at',
      'r.name',
      'r.purpose',
    ])
    .where('c.account_id', '=', accountId)
    .where('c.state', '=', 'pending')
    .where('c.expires_at', '>', deps.now())
    .where('r.disabled_at', 'is', null)
    .orderBy('c.created_at')
    .execute();
  return rows.map((r) => {
    // The text shown is decoded from the very bytes the device key will sign.
    const payload = approvalPayloadOf(r.signing_input);
    return {
      id: r.id,
      rp: { name: r.name, purpose: r.purpose },
      bindingMessage: payload.binding_message ?? null,
      authorizationDetails: payload.authorization_details ?? null,
      createdAt: r.created_at.toISOString(),
      expiresAt: r.expires_at.toISOString(),
      signingInput: r.signing_input,
    };
  });
}

async function pendingRow(deps: PlatformDeps, accountId: string, id: string) {
  const row = await deps.db
    .selectFrom('ciba_requests')
    .selectAll()
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (row === undefined) throw problem('approval_not_found', 404, 'no such request');
  if (row.state !== 'pending') throw problem('approval_decided', 409, 'this request was already answered');
  if (row.expires_at <= deps.now()) throw problem('approval_expired', 410, 'this request has expired');
  return row;
}

/** ECDSA P-256 SHA-256, signature r ‖ s (WebCrypto's form, and JWS ES256's). */
export function verifyP256(spki: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

/**
 * The device certificate `certificate` (DER) if it is exactly one this platform issued to
 * `accountId`, a `watashi-device-auth` certificate, activated, bound to an authenticator, not
 * revoked and valid now — with its public key — else undefined. The database is the authority.
 */
export async function usableDevice(
  deps: PlatformDeps,
  accountId: string,
  certificate: Uint8Array,
): Promise<
  { device: Selectable<DeviceCertificatesTable> & { authenticator_id: string }; spki: Uint8Array } | undefined
> {
  const now = deps.now();
  let spki: Uint8Array;
  try {
    spki = parseCertificate(certificate).spki;
  } catch {
    return undefined;
  }
  const device = await deps.db
    .selectFrom('device_certificates')
    .selectAll()
    .where('spki_hash', '=', new Uint8Array(sha256(spki)))
    .where('account_id', '=', accountId)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (
    device === undefined ||
    !Buffer.from(device.certificate).equals(Buffer.from(certificate)) ||
    device.profile !== 'watashi-device-auth' ||
    device.revoked_at !== null ||
    device.activated_at === null ||
    device.authenticator_id === null ||
    device.not_before > now ||
    device.not_after <= now
  )
    return undefined;
  return { device: { ...device, authenticator_id: device.authenticator_id }, spki };
}

/**
 * Approves request `id` of `accountId` with a device signature (see the module comment for the
 * order of checks); returns when oidc-provider has the result.
 */
export async function approve(
  deps: PlatformDeps,
  provider: Provider,
  input: { accountId: string; id: string; certificate: Uint8Array; signature: Uint8Array },
): Promise<void> {
  const row = await pendingRow(deps, input.accountId, input.id);
  const now = deps.now();
  const usable = await usableDevice(deps, input.accountId, input.certificate);
  if (usable === undefined)
    throw problem('approval_device_unusable', 403, 'not an active device certificate of yours');
  const { device, spki } = usable;
  if (!verifyP256(spki, new TextEncoder().encode(row.signing_input), input.signature))
    throw problem('approval_signature_invalid', 401, 'the signature is not over this transaction');
  const evidence = `${row.signing_input}.${Buffer.from(input.signature).toString('base64url')}`;
  const decided = await deps.database.transaction(async (trx) => {
    const r = await trx
      .updateTable('ciba_requests')
      .set({ state: 'approved', decided_at: now, device_serial: device.serial, evidence })
      .where('id', '=', row.id)
      .where('state', '=', 'pending')
      .where('expires_at', '>', now)
      .returning('id')
      .executeTakeFirst();
    if (r === undefined) return false;
    await appendAudit(trx, {
      actor: `account:${input.accountId}`,
      type: 'oidc.ciba.approved',
      accountId: input.accountId,
      at: now,
      payload: { clientId: row.client_id, requestId: row.id, deviceSerial: device.serial },
    });
    return true;
  });
  if (!decided) throw problem('approval_decided', 409, 'this request was already answered');
  const auth = await deps.db
    .selectFrom('authenticators')
    .select('attestation_fmt')
    .where('id', '=', device.authenticator_id)
    .executeTakeFirst();
  const context = await loginContext(
    deps,
    input.accountId,
    deviceCertificateFacts(auth?.attestation_fmt ?? null),
  );
  const grant = new provider.Grant({ accountId: input.accountId, clientId: row.client_id });
  const scopes = row.scope.split(' ').filter((s) => s === 'openid');
  grant.addOIDCScope(scopes.length === 0 ? 'openid' : scopes.join(' '));
  await grant.save();
  await provider.backchannelResult(row.auth_req_id, grant, {
    ...(context.acr === null ? {} : { acr: context.acr }),
    amr: [...context.amr],
    authTime: Math.floor(now.getTime() / 1000),
  });
}

/** Denies request `id` of `accountId`: the RP's next token request gets `access_denied`. */
export async function deny(
  deps: PlatformDeps,
  provider: Provider,
  input: { accountId: string; id: string },
): Promise<void> {
  const row = await pendingRow(deps, input.accountId, input.id);
  const now = deps.now();
  const decided = await deps.database.transaction(async (trx) => {
    const r = await trx
      .updateTable('ciba_requests')
      .set({ state: 'denied', decided_at: now })
      .where('id', '=', row.id)
      .where('state', '=', 'pending')
      .returning('id')
      .executeTakeFirst();
    if (r === undefined) return false;
    await appendAudit(trx, {
      actor: `account:${input.accountId}`,
      type: 'oidc.ciba.denied',
      accountId: input.accountId,
      at: now,
      payload: { clientId: row.client_id, requestId: row.id },
    });
    return true;
  });
  if (!decided) throw problem('approval_decided', 409, 'this request was already answered');
  await provider.backchannelResult(
    row.auth_req_id,
    new errors.AccessDenied('the resident denied the request'),
  );
}

/** The `watashi_approval` claim for the ID token of CIBA request `authReqId`, if approved. */
export async function approvalClaim(
  deps: PlatformDeps,
  authReqId: string,
  accountId: string,
  clientId: string,
): Promise<ApprovalClaim | undefined> {
  const row = await deps.db
    .selectFrom('ciba_requests as c')
    .innerJoin('device_certificates as d', 'd.serial', 'c.device_serial')
    .select(['c.evidence', 'd.certificate'])
    .where('c.auth_req_id', '=', authReqId)
    .where('c.account_id', '=', accountId)
    .where('c.client_id', '=', clientId)
    .where('c.state', '=', 'approved')
    .executeTakeFirst();
  if (row === undefined || row.evidence === null) return undefined;
  const ca = await platformCa(deps);
  return {
    jws: row.evidence,
    x5c: [Buffer.from(row.certificate).toString('base64'), Buffer.from(ca.issuing.der).toString('base64')],
  };
}

const idParams = z.strictObject({ id: z.uuid() });
const base64 = z
  .string()
  .min(1)
  .max(16_384)
  .regex(/^[A-Za-z0-9+/_-]+={0,2}$/);
const approveBody = z.strictObject({
  certificate: base64.describe('the device certificate, base64 DER'),
  signature: base64.describe('ES256 signature (r ‖ s, 64 bytes) over signingInput, base64'),
});
const detail = z.looseObject({
  type: z.string(),
  text: z.string(),
  amount: z.object({ value: z.string(), currency: z.string() }).optional(),
  creditor: z.string().optional(),
  identifier: z.string().optional(),
});
const approvalView = z.object({
  id: z.string(),
  rp: z.object({ name: z.string(), purpose: z.string() }),
  bindingMessage: z.string().nullable(),
  authorizationDetails: z.array(detail).nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
  signingInput: z.string().describe('the exact UTF-8 bytes the device key signs (a JWS signing input)'),
});
const decided = (state: 'approved' | 'denied') => z.object({ state: z.literal(state) });

function accountOf(req: FastifyRequest): string {
  if (req.session === null) throw new Error('approvals: session route without a session');
  return req.session.accountId;
}

/** Registers the wallet's approvals API. */
export function registerApprovalRoutes(
  app: FastifyInstance,
  deps: PlatformDeps,
  provider: () => Promise<Provider>,
): void {
  const session = { auth: 'session' as const, rateLimit: 'default' as const };
  const routes = withSchemas(app);
  routes.get(
    '/api/approvals',
    {
      config: session,
      schema: {
        summary: 'Out-of-band requests (CIBA) waiting for this resident',
        response: { 200: z.object({ requests: z.array(approvalView) }) },
      },
    },
    async (req) => ({ requests: await listApprovals(deps, accountOf(req)) }),
  );
  routes.post(
    '/api/approvals/:id/approve',
    {
      config: session,
      schema: {
        summary: 'Approve a request with the device key',
        params: idParams,
        body: approveBody,
        response: { 200: decided('approved') },
      },
    },
    async (req) => {
      await approve(deps, await provider(), {
        accountId: accountOf(req),
        id: req.params.id,
        certificate: new Uint8Array(Buffer.from(req.body.certificate, 'base64')),
        signature: new Uint8Array(Buffer.from(req.body.signature, 'base64')),
      });
      return { state: 'approved' as const };
    },
  );
  routes.post(
    '/api/approvals/:id/deny',
    {
      config: session,
      schema: {
        summary: 'Deny a request',
        params: idParams,
        body: emptyBody,
        response: { 200: decided('denied') },
      },
    },
    async (req) => {
      await deny(deps, await provider(), { accountId: accountOf(req), id: req.params.id });
      return { state: 'denied' as const };
    },
  );
}
