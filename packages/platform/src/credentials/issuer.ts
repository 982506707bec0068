/**
 * The credential issuer (docs/credentials.md): the resident's verified attributes as an SD-JWT VC
 * (draft-ietf-oauth-sd-jwt-vc, `typ` `dc+sd-jwt`) signed by the platform's `credentials` key
 * from the key store, every claim selectively disclosable (RFC 9901 SD-JWT §4.2), bound to the
 * holder key in `cnf.jwk` (RFC 7800), with its place in the platform's Token Status List
 * (draft-ietf-oauth-status-list §6.1: `status.status_list`). The SD-JWT format itself is made by
 * the maintained `@sd-jwt/*` library; this module only supplies keys, hash, salt and claims.
 */
import { createHash, createPublicKey, randomBytes, randomInt, randomUUID, verify } from 'node:crypto';
import { SDJwtVcInstance, type SdJwtVcPayload } from '@sd-jwt/sd-jwt-vc';
import { createHeaderAndPayload, StatusList } from '@owf/token-status-list';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { sql } from 'kysely';
import type { KeyStore, PublicSigningJwk, SigningKey } from '../keys/key-store.ts';
import { claimsFromBasic4, type WatashiClaim } from '../oidc/claims.ts';
import { openBasic4 } from '../enrolment/seal-basic4.ts';
import type { PlatformDeps } from '../server/context.ts';
import { credentialError } from './errors.ts';

/** The key store purpose of the credential issuer's signing keys (separate from `oidc`). */
export const ISSUER_KEY_PURPOSE = 'credentials';
/** The one credential configuration the issuer offers (OpenID4VCI 1.0 §12.2.4). */
export const CONFIGURATION_ID = 'watashi_resident_attributes';
/** How long a credential is valid: short, so that a stale `over_20: false` or address ages out. */
export const CREDENTIAL_DAYS = 30;
/** Entries of the status list; indices are drawn at random (draft-ietf-oauth-status-list §13.4, herd privacy). */
export const STATUS_LIST_SIZE = 1 << 16;
/** Seconds a relying party may cache the status list (its `ttl`, draft-ietf-oauth-status-list §5.1). */
export const STATUS_LIST_TTL = 60;

/** The claims a credential carries, in the order the wallet lists them. */
export const CREDENTIAL_CLAIMS: readonly WatashiClaim[] = [
  'name',
  'family_name',
  'given_name',
  'birthdate',
  'gender',
  'address',
  'over_18',
  'over_20',
  'age_bracket',
  'resident_of',
];

/** The issuer's public URLs, from the platform's `publicUrl`. */
export function issuerUrls(publicUrl: string | undefined): {
  issuer: string;
  vct: string;
  statusList: string;
  token: string;
  nonce: string;
  credential: string;
  counterResponse: string;
} {
  if (publicUrl === undefined)
    throw new Error('credentials: the issuer needs publicUrl (docs/credentials.md)');
  const base = publicUrl.replace(/\/+$/, '');
  return {
    issuer: base,
    vct: `${base}/credentials/types/resident-attributes`,
    statusList: `${base}/credentials/status/1`,
    token: `${base}/credentials/token`,
    nonce: `${base}/credentials/nonce`,
    credential: `${base}/credentials/credential`,
    counterResponse: `${base}/counter/response`,
  };
}

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

/** The issuer's signing keys (current first), from the key store's signing capability. */
export async function issuerKeys(keys: KeyStore): Promise<readonly SigningKey[]> {
  if (keys.signingKeys === undefined)
    throw new Error('credentials: the key store has no signing capability (docs/credentials.md)');
  return keys.signingKeys(ISSUER_KEY_PURPOSE);
}

/** The public JWKS of the issuer (SD-JWT VC §5 issuer metadata `jwks`). */
export async function issuerJwks(
  keys: KeyStore,
): Promise<{ keys: Array<PublicSigningJwk & { kid: string; alg: 'ES256'; use: 'sig' }> }> {
  return {
    keys: (await issuerKeys(keys)).map((k) => ({
      ...k.publicJwk,
      kid: k.keyId,
      alg: k.alg,
      use: 'sig' as const,
    })),
  };
}

/** Signs a JWS signing input with a key store key (the `@sd-jwt` Signer shape: base64url R ‖ S). */
const signerOf = (key: SigningKey) => async (data: string) =>
  b64u(await key.sign(new TextEncoder().encode(data)));

/** Verifies an ES256 JWS signature (base64url R ‖ S) over `data` with a public JWK. */
export function verifyEs256(jwk: JWK, data: string, signature: string): boolean {
  try {
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    return verify(
      'sha256',
      Buffer.from(data),
      { key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    );
  } catch {
    return false;
  }
}

/** SHA-256 as the `@sd-jwt` Hasher (the only `_sd_alg` this issuer uses and its verifier accepts). */
export const sha256Hasher = (data: string | ArrayBuffer, alg: string): Uint8Array => {
  if (alg.toLowerCase() !== 'sha-256') throw new Error(`unsupported hash ${alg}`);
  return new Uint8Array(
    createHash('sha256')
      .update(typeof data === 'string' ? data : Buffer.from(data))
      .digest(),
  );
};

/**
 * Issues a credential to the signed-in resident's holder key: computes the claims from the sealed
 * basic 4 information now (the derived claims `over_18`, `over_20`, `age_bracket`,
 * `resident_of` by the same code the OpenID Provider uses), records the row with a fresh random
 * status index, and signs. The account must be live and hold a good signing anchor.
 */
export async function issueCredential(
  deps: Pick<PlatformDeps, 'db' | 'keys' | 'now' | 'config'>,
  input: { accountId: string; holderJwk: JWK },
): Promise<{ credential: string; id: string; statusIndex: number }> {
  const now = deps.now();
  const urls = issuerUrls(deps.config.publicUrl);
  const account = await deps.db
    .selectFrom('accounts')
    .select(['status'])
    .where('id', '=', input.accountId)
    .executeTakeFirst();
  if (account?.status !== 'live')
    throw credentialError('credential_account_unavailable', 'the account cannot receive a credential now');
  const anchor = await deps.db
    .selectFrom('anchors')
    .select(['id'])
    .where('account_id', '=', input.accountId)
    .where('purpose', '=', 'sign')
    .where('superseded_by', 'is', null)
    .where('status', '=', 'good')
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  const b4 = await openBasic4(deps, deps.db, input.accountId);
  if (anchor === undefined || b4 === undefined)
    throw credentialError('credential_identity_unavailable', 'no verified attributes to issue');
  const claims = claimsFromBasic4(b4, now);
  const holderJkt = await calculateJwkThumbprint(input.holderJwk, 'sha256');
  const id = randomUUID();
  const expires = new Date(now.getTime() + CREDENTIAL_DAYS * 86_400_000);
  // A random free index (draft-ietf-oauth-status-list §13.4): a retry on the rare collision.
  let statusIndex = -1;
  for (let attempt = 0; attempt < 16 && statusIndex < 0; attempt++) {
    const idx = randomInt(STATUS_LIST_SIZE);
    const inserted = await deps.db
      .insertInto('credentials')
      .values({
        id,
        account_id: input.accountId,
        anchor_id: anchor.id,
        status_index: idx,
        status: 'valid',
        vct: urls.vct,
        holder_jkt: holderJkt,
        issued_at: now,
        expires_at: expires,
      })
      .onConflict((oc) => oc.column('status_index').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted !== undefined) statusIndex = idx;
  }
  if (statusIndex < 0) throw new Error('credentials: the status list is full (docs/credentials.md)');

  const [key] = await issuerKeys(deps.keys);
  if (key === undefined) throw new Error('credentials: no issuer key');
  const sdjwt = new SDJwtVcInstance({
    signer: signerOf(key),
    signAlg: 'ES256',
    hasher: sha256Hasher,
    hashAlg: 'sha-256',
    saltGenerator: (n: number) => randomBytes(n).toString('base64url'),
  });
  const disclosed = CREDENTIAL_CLAIMS.filter((c) => claims[c] !== undefined);
  const payload: SdJwtVcPayload = {
    iss: urls.issuer,
    iat: Math.floor(now.getTime() / 1000),
    exp: Math.floor(expires.getTime() / 1000),
    vct: urls.vct,
    cnf: { jwk: publicPart(input.holderJwk) },
    status: { status_list: { idx: statusIndex, uri: urls.statusList } },
    ...Object.fromEntries(disclosed.map((c) => [c, claims[c]])),
  };
  const credential = await sdjwt.issue(payload, { _sd: disclosed } as never, {
    header: { kid: key.keyId },
  });
  return { credential, id, statusIndex };
}

/** Only the public members of an EC JWK (a holder must never send more, but never echo it). */
function publicPart(jwk: JWK): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as JWK;
}

/** Token Status List values (draft-ietf-oauth-status-list §7.1). */
export const STATUS = { valid: 0, invalid: 1, suspended: 2 } as const;

/**
 * Each credential's status now, following its account and anchor (docs/credentials.md, "status"):
 * revoked (0x01) when the platform revoked it, the account is closed, or its signing anchor is
 * revoked (other than on hold), superseded by a re-anchoring or erased; suspended (0x02) while the
 * account is suspended or the card on hold. Computed from the rows at each publication, so every
 * status change — sweep, single check, operator, closure — shows in the next list without a hook
 * that one path could miss; revoked is final because those anchor states are.
 */
export async function credentialStatuses(
  deps: Pick<PlatformDeps, 'db' | 'now'>,
): Promise<Array<{ index: number; status: number }>> {
  const { rows } = await sql<{ status_index: number; status: number }>`
    SELECT c.status_index,
      CASE
        WHEN c.status = 'revoked' OR a.status = 'closed' OR c.anchor_id IS NULL
          OR an.superseded_by IS NOT NULL
          OR (an.status = 'revoked' AND an.revocation_reason IS DISTINCT FROM 'certificateHold')
          THEN ${STATUS.invalid}
        WHEN a.status = 'suspended' OR an.status = 'revoked' THEN ${STATUS.suspended}
        ELSE ${STATUS.valid}
      END AS status
    FROM credentials c
    JOIN accounts a ON a.id = c.account_id
    LEFT JOIN anchors an ON an.id = c.anchor_id
    WHERE c.expires_at > ${deps.now()}`.execute(deps.db);
  return rows.map((r) => ({ index: Number(r.status_index), status: Number(r.status) }));
}

/** The last token built, per database: rebuilt only when a non-valid entry changed or it aged. */
const built = new WeakMap<object, { key: string; iat: number; token: string }>();
/** Seconds a built token is reused while no entry changed (its `iat` stays within this of now). */
const REBUILD_SECONDS = 300;

/**
 * The status list token (draft-ietf-oauth-status-list §5.1, JWT form, `typ` `statuslist+jwt`):
 * 2 bits per credential, signed with the issuer key, `sub` its own URL, `ttl` {@link STATUS_LIST_TTL}.
 * The statuses are read from the rows on every call (so a change shows at once); encoding,
 * compressing and signing the 65,536 entries (about 75 ms) happen only when a non-valid entry
 * changed or the last token is {@link REBUILD_SECONDS} old.
 */
export async function statusListToken(
  deps: Pick<PlatformDeps, 'db' | 'keys' | 'now' | 'config'>,
): Promise<string> {
  const marked = (await credentialStatuses(deps)).filter((s) => s.status !== STATUS.valid);
  marked.sort((a, b) => a.index - b.index);
  const key = marked.map((s) => `${s.index}:${s.status}`).join(',');
  const iat = Math.floor(deps.now().getTime() / 1000);
  const last = built.get(deps.db);
  if (last !== undefined && last.key === key && iat - last.iat >= 0 && iat - last.iat < REBUILD_SECONDS)
    return last.token;
  const list = new StatusList(new Array<number>(STATUS_LIST_SIZE).fill(0), 2);
  for (const s of marked) list.setStatus(s.index, s.status);
  const [signing] = await issuerKeys(deps.keys);
  if (signing === undefined) throw new Error('credentials: no issuer key');
  const { header, payload } = createHeaderAndPayload(
    list,
    { sub: issuerUrls(deps.config.publicUrl).statusList, iat, exp: iat + 24 * 3600, ttl: STATUS_LIST_TTL },
    { alg: 'ES256', kid: signing.keyId, typ: 'statuslist+jwt' },
  );
  const input = `${b64u(new TextEncoder().encode(JSON.stringify(header)))}.${b64u(new TextEncoder().encode(JSON.stringify(payload)))}`;
  const token = `${input}.${await signerOf(signing)(input)}`;
  built.set(deps.db, { key, iat, token });
  return token;
}
