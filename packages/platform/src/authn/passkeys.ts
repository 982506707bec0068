/**
 * Passkeys (WebAuthn Level 3) with `@simplewebauthn/server` (docs/architecture.md §3.2).
 *
 * RP ID and origin come from `config.publicUrl` (the RP ID is its host name, the only accepted
 * origin is its origin). Challenges are single-use and short-lived (challenges.ts).
 *
 * Verification order (each failure has its own code, errors.ts): the response parses
 * (`authn_response_malformed`); clientDataJSON.type; the challenge is ours, for this ceremony,
 * unused and unexpired (`authn_challenge_unknown` / `authn_challenge_expired`, consumed here so a
 * replay fails); origin (`authn_origin_mismatch`); rpIdHash (`authn_rp_id_mismatch`); UP and UV
 * flags (`authn_user_verification_missing`); then, for a login, the credential is registered
 * (`authn_unknown_credential`), not revoked (`authn_authenticator_revoked`), the signature
 * verifies (`authn_signature_invalid`, by simplewebauthn), and the counter increases
 * (`authn_counter_regression`: when either the stored or the new counter is non-zero, the new one
 * must be greater; an authenticator that always reports 0 does not count, WebAuthn L3 §6.1.1).
 * A registration refuses a credential ID registered before (`authn_credential_exists`).
 *
 * What decides the assurance of each authenticator is recorded at registration (authenticators
 * table): BE/BS (synced or device-bound), attestation format and AAGUID (attested or not), UV.
 * Attestation: `direct` is requested, `none` is accepted; no attestation root is trusted yet (no
 * FIDO MDS), so `attestationTrusted` is false and the key protection is 'unknown' — by the
 * assurance engine a passkey therefore reaches AAL2 at most (never typed in: evaluate.ts).
 */
import { deviceCertificateFacts } from '../devices/facts.ts';
import { createHash } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { bytesEqual, isWatashiError } from '@watashi/pki';
import type { Selectable } from 'kysely';
import type { PlatformDeps } from '../server/context.ts';
import type { AuthenticatorsTable } from '../store/schema.ts';
import { appendAudit } from '../store/audit.ts';
import { insertAuthenticator } from './register-authenticator.ts';
import { withTransaction } from '../store/database.ts';
import type { AuthenticatorFacts } from '../assurance/evaluate.ts';
import { consumeChallenge, issueChallenge } from './challenges.ts';
import { authnError } from './errors.ts';

type AuthenticatorRow = Selectable<AuthenticatorsTable>;

/** The relying party this platform is, from `config.publicUrl`. */
export function relyingParty(deps: Pick<PlatformDeps, 'config'>): {
  rpId: string;
  origin: string;
  name: string;
} {
  const url = deps.config.publicUrl;
  if (url === undefined || url === null) throw new Error('passkeys need config.publicUrl');
  const u = new URL(url);
  return { rpId: u.hostname, origin: u.origin, name: 'Watashi' };
}

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const B64U = /^[A-Za-z0-9_-]*={0,2}$/;

function fromB64u(s: unknown, what: string): Uint8Array {
  if (typeof s !== 'string' || !B64U.test(s))
    throw authnError('authn_response_malformed', `${what} is not base64url`);
  return new Uint8Array(Buffer.from(s, 'base64url'));
}

interface ClientData {
  type: string;
  challenge: string;
  origin: string;
}

function clientDataOf(response: { clientDataJSON?: unknown }): ClientData {
  const raw = fromB64u(response.clientDataJSON, 'clientDataJSON');
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (cause) {
    throw authnError('authn_response_malformed', 'clientDataJSON is not JSON', cause);
  }
  const c = v as Partial<ClientData> | null;
  if (
    c === null ||
    typeof c !== 'object' ||
    typeof c.type !== 'string' ||
    typeof c.challenge !== 'string' ||
    typeof c.origin !== 'string'
  )
    throw authnError('authn_response_malformed', 'clientDataJSON lacks type, challenge or origin');
  return { type: c.type, challenge: c.challenge, origin: c.origin };
}

interface AuthDataHead {
  rpIdHash: Uint8Array;
  up: boolean;
  uv: boolean;
  be: boolean;
  bs: boolean;
  signCount: number;
}

function authDataHead(authData: Uint8Array): AuthDataHead {
  if (authData.length < 37) throw authnError('authn_response_malformed', 'authenticatorData too short');
  const flags = authData[32]!;
  return {
    rpIdHash: authData.subarray(0, 32),
    up: (flags & 0x01) !== 0,
    uv: (flags & 0x04) !== 0,
    be: (flags & 0x08) !== 0,
    bs: (flags & 0x10) !== 0,
    signCount: Buffer.from(authData.subarray(33, 37)).readUInt32BE(0),
  };
}

/** The authData inside a CBOR attestation object: finds the `authData` byte string. */
function authDataOfAttestation(att: Uint8Array): Uint8Array {
  // The attestation object is a CBOR map {fmt, attStmt, authData}; locate the text key
  // "authData" (0x68 'authData') followed by a byte string head (major type 2).
  const key = Buffer.from([0x68, ...Buffer.from('authData')]);
  const at = Buffer.from(att).indexOf(key);
  if (at < 0) throw authnError('authn_response_malformed', 'attestation object without authData');
  let p = at + key.length;
  const h = att[p];
  if (h === undefined || h >> 5 !== 2)
    throw authnError('authn_response_malformed', 'authData is not a byte string');
  const ai = h & 0x1f;
  let len: number;
  p += 1;
  if (ai < 24) len = ai;
  else if (ai === 24) len = att[p++]!;
  else if (ai === 25) {
    len = (att[p]! << 8) | att[p + 1]!;
    p += 2;
  } else if (ai === 26) {
    len = Buffer.from(att.subarray(p, p + 4)).readUInt32BE(0);
    p += 4;
  } else throw authnError('authn_response_malformed', 'authData length');
  if (p + len > att.length) throw authnError('authn_response_malformed', 'authData truncated');
  return att.subarray(p, p + len);
}

/** Checks common to both ceremonies, in the documented order; consumes the challenge. */
async function checkCeremony(
  deps: PlatformDeps,
  input: {
    clientData: ClientData;
    authData: Uint8Array;
    type: 'webauthn.create' | 'webauthn.get';
    purpose: 'passkey_registration' | 'passkey_authentication';
    accountId?: string;
  },
): Promise<AuthDataHead> {
  const { rpId, origin } = relyingParty(deps);
  if (input.clientData.type !== input.type)
    throw authnError('authn_response_malformed', `clientDataJSON.type is not ${input.type}`);
  await consumeChallenge(deps.db, {
    challenge: input.clientData.challenge,
    purpose: input.purpose,
    ...(input.accountId === undefined ? {} : { accountId: input.accountId }),
    now: deps.now(),
  });
  if (input.clientData.origin !== origin)
    throw authnError('authn_origin_mismatch', 'origin is not the platform');
  const head = authDataHead(input.authData);
  if (!bytesEqual(head.rpIdHash, new Uint8Array(createHash('sha256').update(rpId).digest())))
    throw authnError('authn_rp_id_mismatch', 'rpIdHash is not the platform RP ID');
  if (!head.up) throw authnError('authn_user_presence_missing', 'user presence flag not set');
  if (!head.uv) throw authnError('authn_user_verification_missing', 'user verification required');
  if (head.bs && !head.be) throw authnError('authn_response_malformed', 'BS set without BE');
  return head;
}

// ---------------------------------------------------------------------------------------------
// Registration

/** Registration options for a signed-in account (`navigator.credentials.create`). */
export async function passkeyRegistrationOptions(
  deps: PlatformDeps,
  accountId: string,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { rpId, name } = relyingParty(deps);
  const existing = await deps.db
    .selectFrom('authenticators')
    .select(['credential_id', 'transports'])
    .where('account_id', '=', accountId)
    .where('type', '=', 'passkey')
    .where('revoked_at', 'is', null)
    .execute();
  const { challenge } = await issueChallenge(deps.db, {
    purpose: 'passkey_registration',
    accountId,
    now: deps.now(),
  });
  // The user handle is the account id's bytes: opaque, no personal data (WebAuthn L3 §14.6.1).
  const userID = new Uint8Array(Buffer.from(accountId.replace(/-/g, ''), 'hex'));
  return generateRegistrationOptions({
    rpName: name,
    rpID: rpId,
    userID,
    // Not personal data: the wallet may show its own label. Keep it stable per account.
    userName: `watashi-${accountId.slice(0, 8)}`,
    userDisplayName: 'Watashi',
    challenge: Buffer.from(challenge, 'base64url'),
    timeout: 300_000,
    attestationType: 'direct',
    excludeCredentials: existing.map((c) => ({
      id: b64u(c.credential_id),
      transports: c.transports as AuthenticatorTransport[],
    })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
    supportedAlgorithmIDs: [-7, -257, -8],
  });
}

/** A registered passkey, as listed to its owner. */
export interface AuthenticatorView {
  readonly id: string;
  readonly type: 'passkey' | 'device_cert' | 'card_auth';
  readonly label: string | null;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly synced: boolean;
  readonly backedUp: boolean;
  readonly attestation: string | null;
  readonly aaguid: string | null;
  readonly userVerified: boolean;
  readonly revokedAt: string | null;
}

export function authenticatorView(r: AuthenticatorRow): AuthenticatorView {
  return {
    id: r.id,
    type: r.type,
    label: r.label,
    createdAt: r.created_at.toISOString(),
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
    synced: r.backup_eligible,
    backedUp: r.backed_up,
    attestation: r.attestation_fmt,
    aaguid: r.aaguid,
    userVerified: r.user_verified,
    revokedAt: r.revoked_at?.toISOString() ?? null,
  };
}

function asRegistration(v: unknown): RegistrationResponseJSON {
  const r = v as Partial<RegistrationResponseJSON> | null;
  if (
    r === null ||
    typeof r !== 'object' ||
    typeof r.id !== 'string' ||
    typeof r.rawId !== 'string' ||
    r.type !== 'public-key' ||
    typeof r.response !== 'object' ||
    r.response === null
  )
    throw authnError('authn_response_malformed', 'not a RegistrationResponseJSON');
  return r as RegistrationResponseJSON;
}

/** Verifies a registration response and stores the passkey. */
export async function registerPasskey(
  deps: PlatformDeps,
  input: { accountId: string; response: unknown; label?: string },
): Promise<AuthenticatorView> {
  const { rpId, origin } = relyingParty(deps);
  const response = asRegistration(input.response);
  const clientData = clientDataOf(response.response);
  const attestationObject = fromB64u(response.response.attestationObject, 'attestationObject');
  const authData = authDataOfAttestation(attestationObject);
  await checkCeremony(deps, {
    clientData,
    authData,
    type: 'webauthn.create',
    purpose: 'passkey_registration',
    accountId: input.accountId,
  });
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: clientData.challenge,
      expectedOrigin: origin,
      expectedRPID: rpId,
      requireUserVerification: true,
    });
  } catch (cause) {
    throw authnError('authn_response_malformed', 'registration response does not verify', cause);
  }
  if (!verified.verified)
    throw authnError('authn_response_malformed', 'registration response does not verify');
  const info = verified.registrationInfo;
  const credentialId = new Uint8Array(Buffer.from(info.credential.id, 'base64url'));
  const now = deps.now();
  const aaguid = info.aaguid === '00000000-0000-0000-0000-000000000000' ? null : info.aaguid;
  return withTransaction(deps.db, async (trx) => {
    const dup = await trx
      .selectFrom('authenticators')
      .select('id')
      .where('credential_id', '=', credentialId)
      .executeTakeFirst();
    if (dup !== undefined) throw authnError('authn_credential_exists', 'credential already registered');
    const row = await insertAuthenticator(trx, {
      values: {
        account_id: input.accountId,
        type: 'passkey',
        credential_id: credentialId,
        public_key: info.credential.publicKey,
        sign_count: BigInt(info.credential.counter),
        transports: [...(info.credential.transports ?? [])],
        backup_eligible: info.credentialDeviceType === 'multiDevice',
        backed_up: info.credentialBackedUp,
        attestation_fmt: info.fmt,
        aaguid,
        user_verified: info.userVerified,
        label: input.label ?? null,
      },
      at: now,
      audit: (r) => ({
        attestation: info.fmt,
        aaguid: aaguid ?? 'none',
        synced: r.backup_eligible,
        backedUp: r.backed_up,
        userVerified: r.user_verified,
      }),
    });
    return authenticatorView(row);
  }).catch((e: unknown) => {
    // Two concurrent registrations of one credential: the unique constraint decides.
    if (!isWatashiError(e) && (e as { code?: unknown } | null)?.code === '23505')
      throw authnError('authn_credential_exists', 'credential already registered', e);
    throw e;
  });
}

// ---------------------------------------------------------------------------------------------
// Authentication

/**
 * Authentication options. Without an account: discoverable credentials (empty allowCredentials).
 * With an account id: that account's live passkeys (an unknown account gets an empty list too,
 * so the answer does not reveal whether it exists).
 */
export async function passkeyAuthenticationOptions(
  deps: PlatformDeps,
  input: { accountId?: string } = {},
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { rpId } = relyingParty(deps);
  const allow =
    input.accountId === undefined
      ? []
      : await deps.db
          .selectFrom('authenticators')
          .select(['credential_id', 'transports'])
          .where('account_id', '=', input.accountId)
          .where('type', '=', 'passkey')
          .where('revoked_at', 'is', null)
          .execute();
  const { challenge } = await issueChallenge(deps.db, { purpose: 'passkey_authentication', now: deps.now() });
  return generateAuthenticationOptions({
    rpID: rpId,
    challenge: Buffer.from(challenge, 'base64url'),
    timeout: 300_000,
    userVerification: 'required',
    allowCredentials: allow.map((c) => ({
      id: b64u(c.credential_id),
      transports: c.transports as AuthenticatorTransport[],
    })),
  });
}

function asAuthentication(v: unknown): AuthenticationResponseJSON {
  const r = v as Partial<AuthenticationResponseJSON> | null;
  if (
    r === null ||
    typeof r !== 'object' ||
    typeof r.id !== 'string' ||
    typeof r.rawId !== 'string' ||
    r.type !== 'public-key' ||
    typeof r.response !== 'object' ||
    r.response === null
  )
    throw authnError('authn_response_malformed', 'not an AuthenticationResponseJSON');
  return r as AuthenticationResponseJSON;
}

/** Assurance facts of a stored authenticator (assurance/evaluate.ts). */
export function authenticatorFacts(r: AuthenticatorRow, userVerified: boolean): AuthenticatorFacts {
  // Certificates of Watashi's own CA (devices/): their facts come from how the key was enrolled.
  if (r.type === 'device_cert' && r.attestation_fmt?.startsWith('watashi-') === true)
    return deviceCertificateFacts(r.attestation_fmt);
  if (r.type === 'card_auth')
    return {
      type: 'card_auth',
      synced: false,
      attested: true,
      attestationTrusted: true,
      userVerified,
      keyProtection: 'hardware',
      // Not verifier-impersonation resistant: see card.ts.
      phishingResistant: false,
      activation: 'pin',
    };
  return {
    type: r.type === 'device_cert' ? 'device_cert' : 'passkey',
    synced: r.backup_eligible || r.backed_up,
    backupEligible: r.backup_eligible,
    backedUp: r.backed_up,
    attested: r.attestation_fmt !== null && r.attestation_fmt !== 'none',
    // No attestation root (FIDO MDS) is configured yet: never trusted.
    attestationTrusted: false,
    userVerified,
    keyProtection: r.backup_eligible ? 'software' : 'unknown',
    phishingResistant: true,
    // UV by a platform authenticator: PIN or biometric, the RP cannot tell which; count it as a
    // PIN-like activation factor (the engine lets biometrics count only on device-bound keys).
    ...(userVerified ? { activation: 'pin' as const } : {}),
  };
}

/** A verified passkey login (the session is started by the caller). */
export interface PasskeyLogin {
  readonly accountId: string;
  readonly authenticator: AuthenticatorRow;
  readonly facts: AuthenticatorFacts;
}

/** Verifies an authentication response; updates the counter and last use; audits. */
export async function verifyPasskeyLogin(
  deps: PlatformDeps,
  input: { response: unknown },
): Promise<PasskeyLogin> {
  const { rpId, origin } = relyingParty(deps);
  const response = asAuthentication(input.response);
  const clientData = clientDataOf(response.response);
  const authData = fromB64u(response.response.authenticatorData, 'authenticatorData');
  fromB64u(response.response.signature, 'signature');
  const credentialId = fromB64u(response.rawId, 'rawId');
  if (credentialId.length === 0 || credentialId.length > 1023)
    throw authnError('authn_response_malformed', 'credential id length');
  const head = await checkCeremony(deps, {
    clientData,
    authData,
    type: 'webauthn.get',
    purpose: 'passkey_authentication',
  });
  const row = await deps.db
    .selectFrom('authenticators')
    .selectAll()
    .where('credential_id', '=', credentialId)
    .where('type', '=', 'passkey')
    .executeTakeFirst();
  if (row === undefined) throw authnError('authn_unknown_credential', 'unknown credential');
  if (response.response.userHandle !== undefined && response.response.userHandle !== null) {
    const handle = fromB64u(response.response.userHandle, 'userHandle');
    const expected = new Uint8Array(Buffer.from(row.account_id.replace(/-/g, ''), 'hex'));
    if (!bytesEqual(handle, expected)) throw authnError('authn_unknown_credential', 'user handle mismatch');
  }
  if (row.revoked_at !== null) throw authnError('authn_authenticator_revoked', 'authenticator revoked');
  let verified;
  try {
    verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: clientData.challenge,
      expectedOrigin: origin,
      expectedRPID: rpId,
      requireUserVerification: true,
      credential: {
        id: b64u(row.credential_id),
        publicKey: new Uint8Array(row.public_key),
        // Counter checked below with our own rule and code.
        counter: 0,
        transports: row.transports,
      },
    });
  } catch (cause) {
    throw authnError('authn_signature_invalid', 'assertion does not verify', cause);
  }
  if (!verified.verified) throw authnError('authn_signature_invalid', 'assertion does not verify');
  const stored = row.sign_count;
  const fresh = BigInt(head.signCount);
  if ((stored !== 0n || fresh !== 0n) && fresh <= stored)
    throw authnError('authn_counter_regression', 'signature counter did not increase');
  const now = deps.now();
  const account = await deps.db
    .selectFrom('accounts')
    .select('status')
    .where('id', '=', row.account_id)
    .executeTakeFirst();
  if (account === undefined || account.status === 'closed' || account.status === 'suspended')
    throw authnError('authn_account_unavailable', 'account not usable');
  const updated = await withTransaction(deps.db, async (trx) => {
    // Compare-and-set: of two concurrent logins with the same counter, one wins.
    const u = await trx
      .updateTable('authenticators')
      .set({ sign_count: fresh, last_used_at: now, backed_up: head.bs && row.backup_eligible })
      .where('id', '=', row.id)
      .where('sign_count', '=', stored)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (u === undefined) throw authnError('authn_counter_regression', 'signature counter raced');
    await appendAudit(trx, {
      actor: `account:${row.account_id}`,
      type: 'authentication.passkey',
      accountId: row.account_id,
      at: now,
      payload: { authenticatorId: row.id, userVerified: head.uv, backedUp: head.bs },
    });
    return u;
  });
  return { accountId: row.account_id, authenticator: updated, facts: authenticatorFacts(updated, head.uv) };
}
