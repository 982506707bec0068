/**
 * Device certificates: issuance with activation by proof of possession, the device lifecycle, and
 * sign-in with a device certificate (issue 18, docs/trust-service.md §3–§5).
 *
 * Issuance, step by step, with the attack each step stops:
 *
 * 1. The session is fresh (signed in within `ca.freshAuthSeconds`) — a stolen or long-idle session
 *    cookie cannot mint a lasting credential; the resident has just proven a passkey, a device or
 *    the card.
 * 2. The PKCS#10 request verifies with its own key — the requester holds that private key now
 *    (no certificate for a public key copied from elsewhere).
 * 3. The slot has no live certificate of this profile, enforced by the partial unique index
 *    `device_certificates_live_slot_key` inside the issuing transaction — two concurrent requests
 *    (a double tap, a replayed request, a second attacker device) can never both succeed
 *    (二重発行の防止); the loser gets `device_slot_occupied`.
 * 4. The certificate is issued but inactive: OCSP and the CRL say certificateHold and sign-in
 *    refuses it — a certificate obtained by someone who cannot complete step 5 is worthless.
 * 5. Activation: the device signs `watashi-device-activation/v1 ‖ origin ‖ serial ‖ session binding
 *    ‖ challenge` and the platform verifies it with the key IN THE CERTIFICATE:
 *    - with the certificate's key, not the request's — public-key substitution on the device (a
 *      malicious app or library that swapped its own key into the request) is caught, since the
 *      real device key cannot sign for the substituted certificate, and the substitute holder lacks
 *      the session;
 *    - the serial in the message — a signature made for one certificate cannot activate another;
 *    - the session binding (SHA-256 of the session id) and the activation request arriving in that
 *      same session — a remote session (a phishing page relaying the challenge to a victim's
 *      device, or an attacker's device activating with a signature from the victim's) cannot use
 *      the signature;
 *    - the challenge is single-use (its hash is cleared in the same UPDATE that activates) — replay;
 *    - the challenge expires after `ca.activationSeconds` and the certificate is then revoked
 *      (privilegeWithdrawn) — a half-finished issuance (a crash, kill -9, an abandoned phone) never
 *      becomes live later and frees the slot.
 */
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { sql, type Selectable, type Transaction } from 'kysely';
import {
  parseCertificationRequest,
  PROFILES,
  randomSerial,
  type IssuingCa,
  type IssuedStatus,
} from '@watashi/ca';
import { encodeBasic4San } from '@watashi/jpki';
import { isWatashiError, parseCertificate, type CrlReason } from '@watashi/pki';
import { nodeVerifier } from '@watashi/pki/node';
import type { AuthenticatorFacts } from '../assurance/evaluate.ts';
import { consumeChallenge, issueChallenge } from '../authn/challenges.ts';
import { relyingParty } from '../authn/passkeys.ts';
import { openBasic4 } from '../enrolment/seal-basic4.ts';
import type { PlatformDeps, SessionContext } from '../server/context.ts';
import { appendAudit } from '../store/audit.ts';
import { withTransaction } from '../store/database.ts';
import type { DeviceCertificatesTable, DeviceProfile, Schema } from '../store/schema.ts';
import { platformCa } from './ca.ts';
import { deviceError } from './errors.ts';
import { deviceCertificateFacts } from './facts.ts';

type Row = Selectable<DeviceCertificatesTable>;

const sha256 = (b: Uint8Array | string): Uint8Array =>
  new Uint8Array(createHash('sha256').update(b).digest());
const hex = (n: bigint): string => n.toString(16);
let verifier: ReturnType<typeof nodeVerifier> | undefined;

/** What a device states about where its key lives. */
export type KeyStorage = 'webcrypto' | 'pkcs11';

/** A device certificate as the wallet sees it. */
export interface DeviceView {
  readonly serial: string;
  readonly slot: string;
  readonly profile: DeviceProfile;
  readonly label: string | null;
  /** `pending`: issued, waiting for activation; `active`; `revoked`. */
  readonly state: 'pending' | 'active' | 'revoked';
  readonly keyStorage: KeyStorage;
  readonly notAfter: string;
  readonly createdAt: string;
  readonly activatedAt: string | null;
  readonly revokedAt: string | null;
  /** RFC 5280 reason name when revoked. */
  readonly revocationReason: string | null;
  /** The certificate (DER, base64). */
  readonly certificate: string;
}

/** The view of a row at `now` (a pending certificate past its window counts as revoked). */
export function deviceView(r: Row): DeviceView {
  return {
    serial: r.serial,
    slot: r.device_slot,
    profile: r.profile,
    label: r.label,
    state: r.revoked_at !== null ? 'revoked' : r.activated_at === null ? 'pending' : 'active',
    keyStorage: r.key_storage,
    notAfter: r.not_after.toISOString(),
    createdAt: r.created_at.toISOString(),
    activatedAt: r.activated_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null,
    revocationReason: r.revocation_reason,
    certificate: Buffer.from(r.certificate).toString('base64'),
  };
}

/** The bytes a device signs to activate certificate `serial` in session `sessionId`. */
export function activationMessage(
  origin: string,
  serial: string,
  sessionId: string,
  challenge: string,
): Uint8Array {
  const binding = Buffer.from(sha256(`watashi-session:${sessionId}`)).toString('base64url');
  return new TextEncoder().encode(
    `watashi-device-activation/v1\n${origin}\n${serial}\n${binding}\n${challenge}`,
  );
}

/** The bytes a device signs to sign in (purpose `device_login`). */
export function deviceLoginMessage(origin: string, challenge: string): Uint8Array {
  return new TextEncoder().encode(`watashi-device-auth/v1\ndevice_login\n${origin}\n${challenge}`);
}

/** ECDSA P-256 SHA-256, signature as r ‖ s (64 bytes: WebCrypto's and PKCS#11 CKM_ECDSA's form). */
function verifyP256(spki: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

/** Revokes pending certificates whose activation window has passed (all, or one account's). */
export async function expireUnactivated(
  db: PlatformDeps['db'] | Transaction<Schema>,
  now: Date,
  accountId?: string,
): Promise<number> {
  let q = db
    .updateTable('device_certificates')
    .set({ revoked_at: now, revocation_reason: 'privilegeWithdrawn', activation_hash: null })
    .where('activated_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('activation_expires_at', '<=', now);
  if (accountId !== undefined) q = q.where('account_id', '=', accountId);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Inputs of {@link issueDeviceCertificate}. */
export interface IssueInput {
  readonly session: SessionContext;
  readonly csr: Uint8Array;
  readonly profile: DeviceProfile;
  readonly slot: string;
  readonly label?: string;
  readonly keyStorage: KeyStorage;
  readonly tokenModel?: string;
  /** Device change: revoke the slot's live certificates (superseded) in the same transaction. */
  readonly replace?: boolean;
}

/** An issued, inactive certificate and its activation challenge. */
export interface IssuedDevice {
  readonly device: DeviceView;
  readonly activation: { readonly challenge: string; readonly message: string; readonly expiresAt: string };
  /** Serials revoked by a device change. */
  readonly replaced: readonly string[];
}

/** Whether the session was started by a card proof (card sign-in, or an enrolment / re-proofing signature). */
async function cardProven(deps: PlatformDeps, session: SessionContext): Promise<boolean> {
  if (session.authenticatorId === null) return true; // enrolment/routes.ts starts these: the card signed
  const a = await deps.db
    .selectFrom('authenticators')
    .select('type')
    .where('id', '=', session.authenticatorId)
    .executeTakeFirst();
  return a?.type === 'card_auth';
}

/** Issues an inactive certificate (steps 1–4 of the module comment). */
export async function issueDeviceCertificate(deps: PlatformDeps, input: IssueInput): Promise<IssuedDevice> {
  const now = deps.now();
  const cfg = deps.config.ca;
  // 1. Fresh authentication.
  if (now.getTime() - input.session.authTime.getTime() > cfg.freshAuthSeconds * 1000)
    throw deviceError('device_fresh_authentication_required', 'sign in again to add a device');
  // Device change is allowed from the new device alone, but only with the card.
  if (input.replace === true && !(await cardProven(deps, input.session)))
    throw deviceError('device_card_proof_required', 'a device change needs the My Number card');
  // 2. Proof of possession of the requested key (before anything changes).
  verifier ??= nodeVerifier();
  let spki: Uint8Array;
  try {
    ({ spki } = await parseCertificationRequest(input.csr, verifier));
  } catch (e) {
    throw deviceError('device_csr_invalid', isWatashiError(e) ? e.message : 'invalid request', e);
  }
  const accountId = input.session.accountId;
  const account = await deps.db
    .selectFrom('accounts')
    .select('status')
    .where('id', '=', accountId)
    .executeTakeFirst();
  if (account === undefined || account.status === 'closed' || account.status === 'suspended')
    throw deviceError('device_account_unavailable', 'account not usable');
  const anchor = await deps.db
    .selectFrom('anchors')
    .select(['id', 'status', 'not_after'])
    .where('account_id', '=', accountId)
    .where('purpose', '=', 'sign')
    .where('superseded_by', 'is', null)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  // The signing profile states the verified basic 4: only on a good, unexpired signing anchor.
  let subjectAltName: ReturnType<typeof encodeBasic4San> | undefined;
  if (input.profile === 'watashi-device-sign') {
    const b4 =
      anchor !== undefined && anchor.status === 'good' && anchor.not_after > now && account.status === 'live'
        ? await openBasic4(deps, deps.db, accountId)
        : undefined;
    if (b4 === undefined || anchor === undefined)
      throw deviceError('device_identity_unavailable', 'the identity must be confirmed with the card first');
    subjectAltName = encodeBasic4San(b4);
  }
  const ca: IssuingCa = await platformCa(deps);
  const serialNumber = randomSerial();
  const serial = hex(serialNumber);
  const der = await ca.issue({
    profile: input.profile,
    serial: serialNumber,
    spki,
    now,
    ...(subjectAltName === undefined ? {} : { subjectAltName }),
    // A signing certificate never outlives the JPKI certificate that vouches for its contents.
    ...(input.profile === 'watashi-device-sign' && anchor !== undefined
      ? { notAfterCap: anchor.not_after }
      : {}),
  });
  const cert = parseCertificate(der);
  const challenge = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + cfg.activationSeconds * 1000);
  const { origin } = relyingParty(deps);
  const spkiHash = sha256(spki);

  const { row, replaced } = await withTransaction(deps.db, async (trx) => {
    await expireUnactivated(trx, now, accountId);
    const reused = await trx
      .selectFrom('device_certificates')
      .select('serial')
      .where('spki_hash', '=', spkiHash)
      .executeTakeFirst();
    if (reused !== undefined) throw deviceError('device_key_reused', 'this key already has a certificate');
    let replacedSerials: string[] = [];
    if (input.replace === true) {
      const gone = await trx
        .updateTable('device_certificates')
        .set({ revoked_at: now, revocation_reason: 'superseded', activation_hash: null })
        .where('account_id', '=', accountId)
        .where('device_slot', '=', input.slot)
        .where('revoked_at', 'is', null)
        .returning(['serial', 'authenticator_id'])
        .execute();
      replacedSerials = gone.map((g) => g.serial);
      const authIds = gone.map((g) => g.authenticator_id).filter((x): x is string => x !== null);
      if (authIds.length > 0)
        await trx
          .updateTable('authenticators')
          .set({ revoked_at: now, revocation_reason: 'superseded' })
          .where('id', 'in', authIds)
          .where('revoked_at', 'is', null)
          .execute();
      // The replaced device's sessions end too: whoever holds the old phone is signed out.
      if (authIds.length > 0)
        await trx
          .updateTable('sessions')
          .set({ revoked_at: now })
          .where('authenticator_id', 'in', authIds)
          .where('revoked_at', 'is', null)
          .execute();
    }
    // 3. One live certificate per slot and profile: the partial unique index decides (a
    // savepoint-free single INSERT; the loser's transaction fails with 23505).
    let inserted: Row;
    try {
      inserted = await trx
        .insertInto('device_certificates')
        .values({
          serial,
          account_id: accountId,
          anchor_id: anchor?.id ?? null,
          profile: input.profile,
          profile_version: PROFILES[input.profile].version,
          device_slot: input.slot,
          label: input.label ?? null,
          key_storage: input.keyStorage,
          token_model: input.tokenModel ?? null,
          spki_hash: spkiHash,
          certificate: der,
          not_before: cert.notBefore,
          not_after: cert.notAfter,
          session_id: input.session.id,
          activation_hash: sha256(challenge),
          activation_expires_at: expiresAt,
          created_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (e) {
      if ((e as { code?: unknown } | null)?.code === '23505')
        throw deviceError('device_slot_occupied', 'this device slot already has a certificate', e);
      throw e;
    }
    await appendAudit(trx, {
      actor: `account:${accountId}`,
      type: 'device.issued',
      accountId,
      at: now,
      payload: {
        serial,
        profile: input.profile,
        slot: input.slot,
        keyStorage: input.keyStorage,
        replaced: replacedSerials,
      },
    });
    return { row: inserted, replaced: replacedSerials };
  }).catch((e: unknown) => {
    // withTransaction may surface the driver's error after a rollback.
    if ((e as { code?: unknown } | null)?.code === '23505')
      throw deviceError('device_slot_occupied', 'this device slot already has a certificate', e);
    throw e;
  });
  return {
    device: deviceView(row),
    activation: {
      challenge,
      message: Buffer.from(activationMessage(origin, serial, input.session.id, challenge)).toString('base64'),
      expiresAt: expiresAt.toISOString(),
    },
    replaced,
  };
}

/** Activates certificate `serial` (step 5 of the module comment). */
export async function activateDeviceCertificate(
  deps: PlatformDeps,
  input: { session: SessionContext; serial: string; challenge: string; signature: Uint8Array },
): Promise<DeviceView> {
  const now = deps.now();
  const { origin } = relyingParty(deps);
  const row = await deps.db
    .selectFrom('device_certificates')
    .selectAll()
    .where('serial', '=', input.serial)
    .where('account_id', '=', input.session.accountId)
    .executeTakeFirst();
  if (row === undefined) throw deviceError('device_not_found', 'no such device certificate');
  if (row.session_id !== input.session.id)
    throw deviceError(
      'device_activation_session_mismatch',
      'activate from the session that asked for the certificate',
    );
  if (row.revoked_at === null && row.activated_at === null && row.activation_expires_at <= now) {
    await expireUnactivated(deps.db, now, row.account_id);
    throw deviceError(
      'device_activation_expired',
      'the activation window has passed; the certificate is revoked',
    );
  }
  if (row.activation_hash === null || row.revoked_at !== null || row.activated_at !== null)
    throw deviceError('device_activation_unavailable', 'this certificate cannot be activated');
  const challengeHash = sha256(input.challenge);
  if (!Buffer.from(challengeHash).equals(Buffer.from(row.activation_hash)))
    throw deviceError('device_activation_unavailable', 'not this certificate’s challenge');
  // Verified with the key IN THE CERTIFICATE (not the request's): public-key substitution fails here.
  const spki = parseCertificate(row.certificate).spki;
  if (
    !verifyP256(
      spki,
      activationMessage(origin, row.serial, input.session.id, input.challenge),
      input.signature,
    )
  )
    throw deviceError(
      'device_activation_signature_invalid',
      'the signature is not by this certificate’s key',
    );
  return withTransaction(deps.db, async (trx) => {
    // Single use: the hash must still be there, and is cleared by this same statement.
    let authenticatorId: string | null = null;
    if (row.profile === 'watashi-device-auth') {
      const trusted = row.token_model !== null && deps.config.ca.trustedTokenModels.includes(row.token_model);
      const a = await trx
        .insertInto('authenticators')
        .values({
          account_id: row.account_id,
          type: 'device_cert',
          credential_id: row.spki_hash,
          public_key: spki,
          certificate: row.certificate,
          device_slot: row.device_slot,
          // assurance: authenticatorFacts reads these (passkeys.ts deviceCertificateFacts).
          attestation_fmt:
            row.key_storage === 'pkcs11'
              ? trusted
                ? 'watashi-pkcs11-trusted'
                : 'watashi-pkcs11'
              : 'watashi-webcrypto',
          user_verified: row.key_storage === 'pkcs11',
          activated_at: now,
          label: row.label,
          created_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      authenticatorId = a.id;
    }
    const updated = await trx
      .updateTable('device_certificates')
      .set({ activated_at: now, activation_hash: null, authenticator_id: authenticatorId })
      .where('serial', '=', row.serial)
      .where('activation_hash', '=', challengeHash)
      .where('revoked_at', 'is', null)
      .where('activated_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (updated === undefined)
      throw deviceError('device_activation_unavailable', 'already activated or revoked');
    await appendAudit(trx, {
      actor: `account:${row.account_id}`,
      type: 'device.activated',
      accountId: row.account_id,
      at: now,
      payload: { serial: row.serial, profile: row.profile, slot: row.device_slot },
    });
    return deviceView(updated);
  });
}

/** The resident's device certificates, newest first (pending ones past their window are revoked first). */
export async function listDevices(deps: PlatformDeps, accountId: string): Promise<DeviceView[]> {
  await expireUnactivated(deps.db, deps.now(), accountId);
  const rows = await deps.db
    .selectFrom('device_certificates')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map(deviceView);
}

/**
 * Revokes one certificate of the account (a lost device: keyCompromise, since whoever holds the
 * device may hold the key; or the resident's own removal: cessationOfOperation), and the
 * authenticator made from it. Any session of the account may do it: revoking only removes power.
 */
export async function revokeDevice(
  deps: PlatformDeps,
  input: { accountId: string; serial: string; lost: boolean; actor: string },
): Promise<DeviceView> {
  const now = deps.now();
  const reason: CrlReason = input.lost ? 'keyCompromise' : 'cessationOfOperation';
  return withTransaction(deps.db, async (trx) => {
    const row = await trx
      .updateTable('device_certificates')
      .set({ revoked_at: now, revocation_reason: reason, activation_hash: null })
      .where('serial', '=', input.serial)
      .where('account_id', '=', input.accountId)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) {
      const exists = await trx
        .selectFrom('device_certificates')
        .selectAll()
        .where('serial', '=', input.serial)
        .where('account_id', '=', input.accountId)
        .executeTakeFirst();
      if (exists === undefined) throw deviceError('device_not_found', 'no such device certificate');
      return deviceView(exists); // already revoked: idempotent
    }
    if (row.authenticator_id !== null) {
      await trx
        .updateTable('authenticators')
        .set({ revoked_at: now, revocation_reason: input.lost ? 'lost' : 'removed' })
        .where('id', '=', row.authenticator_id)
        .where('revoked_at', 'is', null)
        .execute();
      // Sessions started with the lost device end now.
      await trx
        .updateTable('sessions')
        .set({ revoked_at: now })
        .where('authenticator_id', '=', row.authenticator_id)
        .where('revoked_at', 'is', null)
        .execute();
    }
    await appendAudit(trx, {
      actor: input.actor,
      type: 'device.revoked',
      accountId: input.accountId,
      at: now,
      payload: { serial: row.serial, reason },
    });
    return deviceView(row);
  });
}

/** The status the CA publishes for a serial (OCSP, the device's own check). */
export async function deviceStatus(deps: PlatformDeps, serial: bigint): Promise<IssuedStatus> {
  const row = await deps.db
    .selectFrom('device_certificates')
    .select(['created_at', 'activated_at', 'revoked_at', 'revocation_reason', 'activation_expires_at'])
    .where('serial', '=', hex(serial))
    .executeTakeFirst();
  if (row === undefined) return { type: 'unknown' };
  if (row.revoked_at !== null)
    return {
      type: 'revoked',
      at: row.revoked_at,
      reason: (row.revocation_reason ?? 'unspecified') as CrlReason,
    };
  if (row.activated_at === null)
    return row.activation_expires_at <= deps.now()
      ? { type: 'revoked', at: row.activation_expires_at, reason: 'privilegeWithdrawn' }
      : { type: 'hold', since: row.created_at };
  return { type: 'good' };
}

/** Every revoked or held serial, for the CRL. */
export async function crlEntries(
  deps: PlatformDeps,
): Promise<Array<{ serial: bigint; revocationDate: Date; reason: CrlReason }>> {
  const now = deps.now();
  const rows = await deps.db
    .selectFrom('device_certificates')
    .select(['serial', 'created_at', 'activated_at', 'revoked_at', 'revocation_reason', 'not_after'])
    .where((eb) => eb.or([eb('revoked_at', 'is not', null), eb('activated_at', 'is', null)]))
    // RFC 5280 §3.3: an expired certificate may leave the CRL.
    .where('not_after', '>', now)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({
    serial: BigInt(`0x${r.serial}`),
    revocationDate: r.revoked_at ?? r.created_at,
    reason: (r.revoked_at === null ? 'certificateHold' : (r.revocation_reason ?? 'unspecified')) as CrlReason,
  }));
}

/** Next CRL number of a CA role (monotonic, RFC 5280 §5.2.3). */
export async function nextCrlNumber(deps: PlatformDeps, role: 'root' | 'issuing'): Promise<bigint> {
  const r = await deps.db
    .updateTable('watashi_cas')
    .set({ crl_number: sql<bigint>`crl_number + 1` })
    .where('role', '=', role)
    .returning('crl_number')
    .executeTakeFirstOrThrow();
  return BigInt(r.crl_number);
}

/** A sign-in challenge for a device certificate. */
export async function deviceLoginChallenge(deps: PlatformDeps) {
  const { origin } = relyingParty(deps);
  const { challenge, expiresAt } = await issueChallenge(deps.db, {
    purpose: 'device_login',
    now: deps.now(),
  });
  return {
    challenge,
    message: Buffer.from(deviceLoginMessage(origin, challenge)).toString('base64'),
    expiresAt: expiresAt.toISOString(),
  };
}

/** Verifies a device sign-in; the caller starts the session. */
export async function verifyDeviceLogin(
  deps: PlatformDeps,
  input: { challenge: string; certificate: Uint8Array; signature: Uint8Array },
): Promise<{ accountId: string; authenticatorId: string; facts: AuthenticatorFacts }> {
  const now = deps.now();
  const { origin } = relyingParty(deps);
  // Single use first: a replayed sign-in fails even with a valid signature.
  await consumeChallenge(deps.db, { challenge: input.challenge, purpose: 'device_login', now });
  const row = await deps.db
    .selectFrom('device_certificates')
    .selectAll()
    .where(
      'spki_hash',
      '=',
      (() => {
        try {
          return sha256(parseCertificate(input.certificate).spki);
        } catch {
          return new Uint8Array(32);
        }
      })(),
    )
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  // The database is the authority: the presented certificate must be exactly the one issued.
  if (row === undefined || !Buffer.from(row.certificate).equals(Buffer.from(input.certificate)))
    throw deviceError('device_certificate_unknown', 'not a certificate issued here');
  if (row.profile !== 'watashi-device-auth')
    throw deviceError('device_certificate_unknown', 'not an authentication certificate');
  const spki = parseCertificate(row.certificate).spki;
  if (!verifyP256(spki, deviceLoginMessage(origin, input.challenge), input.signature))
    throw deviceError('device_signature_invalid', 'the signature is not over this challenge');
  if (row.revoked_at !== null)
    throw deviceError('device_certificate_revoked', 'this device certificate is revoked');
  if (row.activated_at === null || row.authenticator_id === null)
    throw deviceError('device_certificate_inactive', 'this device certificate is not activated');
  if (row.not_after <= now || row.not_before > now)
    throw deviceError('device_certificate_expired', 'this device certificate is not valid now');
  const account = await deps.db
    .selectFrom('accounts')
    .select('status')
    .where('id', '=', row.account_id)
    .executeTakeFirst();
  if (account === undefined || account.status === 'closed' || account.status === 'suspended')
    throw deviceError('device_account_unavailable', 'account not usable');
  const auth = await deps.db
    .updateTable('authenticators')
    .set({ last_used_at: now })
    .where('id', '=', row.authenticator_id)
    .where('revoked_at', 'is', null)
    .returning(['id', 'attestation_fmt'])
    .executeTakeFirst();
  if (auth === undefined) throw deviceError('device_certificate_revoked', 'this device is revoked');
  return {
    accountId: row.account_id,
    authenticatorId: auth.id,
    facts: deviceCertificateFacts(auth.attestation_fmt),
  };
}
