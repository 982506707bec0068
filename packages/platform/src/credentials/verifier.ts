/**
 * The counter's verifier (docs/credentials.md; DESIGN counter staff): OpenID for Verifiable
 * Presentations 1.0 requests by QR and the checks on what a wallet posts back.
 *
 * A request (§5) asks, by a DCQL query (§6), for `over_20` only from a Watashi resident
 * credential, with a fresh `nonce`, `response_mode=direct_post` (§8.2) to the counter's
 * response URI, the verifier identified by the `redirect_uri:` client identifier prefix (§5.9.3)
 * and named in `client_metadata`. The counter keeps a poll id; the request's `state` is the
 * SHA-256 of it, so a photograph of the QR does not let anyone read the result.
 *
 * A response is accepted once (the request row is consumed atomically: a replay is refused) and
 * only after, in order: the issuer's signature with the platform's credential key, the type, the
 * disclosures' digests, the key-binding JWT (signed by the key in `cnf.jwk`, with this request's
 * nonce, this verifier's client id as audience and the `sd_hash` of what precedes it, recent
 * `iat`), the credential's expiry, and its entry in the published status list. What the counter
 * learns is only the requested claim.
 */
import { createHash } from 'node:crypto';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import type { JWK } from 'jose';
import {
  getListFromStatusListJWT,
  verifyStatusListJwtClaims,
  verifyStatusListJwtHeader,
  type StatusList,
} from '@owf/token-status-list';
import type { PlatformDeps } from '../server/context.ts';
import type { JsonObject } from '../store/json.ts';
import { credentialError, type CredentialErrorCode } from './errors.ts';
import { consumeExchange, createExchange, randomValue, readExchange } from './exchanges.ts';
import { issuerJwks, issuerUrls, sha256Hasher, statusListToken, STATUS, verifyEs256 } from './issuer.ts';

/** How long a counter's QR may be answered. */
export const REQUEST_SECONDS = 300;
/** How old a key-binding JWT may be (its `iat`), and the clock skew allowed. */
export const KB_MAX_AGE_SECONDS = 300;
/** The DCQL credential query id of the counter's request. */
export const QUERY_ID = 'watashi_over_20';

const stateOf = (pollId: string): string => createHash('sha256').update(pollId).digest('base64url');

/** The verifier's client identifier (OpenID4VP 1.0 §5.9.3 `redirect_uri:` prefix). */
export const counterClientId = (publicUrl: string | undefined): string =>
  `redirect_uri:${issuerUrls(publicUrl).counterResponse}`;

/** The DCQL query of the counter (OpenID4VP 1.0 §6): one SD-JWT VC of Watashi's type, `over_20` only. */
export function counterQuery(publicUrl: string | undefined): JsonObject {
  return {
    credentials: [
      {
        id: QUERY_ID,
        format: 'dc+sd-jwt',
        meta: { vct_values: [issuerUrls(publicUrl).vct] },
        claims: [{ path: ['over_20'] }],
      },
    ],
  };
}

/**
 * Starts a counter request: returns the poll id (kept by the counter page only) and the
 * `openid4vp://` URI the QR carries (the authorization request by value, §5).
 */
export async function createPresentationRequest(
  deps: Pick<PlatformDeps, 'db' | 'now' | 'config'>,
): Promise<{ pollId: string; uri: string; expiresAt: string }> {
  const now = deps.now();
  const pollId = randomValue();
  const nonce = randomValue();
  const state = stateOf(pollId);
  await createExchange(deps.db, {
    kind: 'presentation',
    accountId: null,
    now,
    ttlSeconds: REQUEST_SECONDS,
    value: state,
    request: { nonce },
  });
  const urls = issuerUrls(deps.config.publicUrl);
  const params = new URLSearchParams({
    client_id: counterClientId(deps.config.publicUrl),
    response_type: 'vp_token',
    response_mode: 'direct_post',
    response_uri: urls.counterResponse,
    nonce,
    state,
    dcql_query: JSON.stringify(counterQuery(deps.config.publicUrl)),
    client_metadata: JSON.stringify({
      client_name: 'Watashi 対面確認 (counter)',
      vp_formats_supported: {
        'dc+sd-jwt': { 'sd-jwt_alg_values': ['ES256'], 'kb-jwt_alg_values': ['ES256'] },
      },
    }),
  });
  return {
    pollId,
    uri: `openid4vp://?${params.toString()}`,
    expiresAt: new Date(now.getTime() + REQUEST_SECONDS * 1000).toISOString(),
  };
}

/** What the counter shows: only the requested claim, and what was checked. */
export interface CounterResult {
  readonly outcome: 'verified' | 'refused';
  readonly over20?: boolean;
  readonly issuer?: string;
  readonly issuedAt?: string;
  readonly checkedAt: string;
  readonly reason?: CredentialErrorCode;
}

/** Verifies one SD-JWT VC presentation for `nonce`; throws a {@link credentialError} on any failure. */
export async function verifyPresentation(
  deps: Pick<PlatformDeps, 'db' | 'keys' | 'now' | 'config'>,
  presentation: string,
  nonce: string,
  statusList?: string,
): Promise<{ over20: boolean; issuer: string; issuedAt: string }> {
  const urls = issuerUrls(deps.config.publicUrl);
  const jwks = await issuerJwks(deps.keys);
  const nowSeconds = Math.floor(deps.now().getTime() / 1000);
  const sdjwt = new SDJwtVcInstance({
    hasher: sha256Hasher,
    // The issuer's signature: only the platform's own credential keys (by kid).
    verifier: (data, sig) => {
      const kid = headerKid(data);
      const jwk = jwks.keys.find((k) => k.kid === kid);
      return jwk !== undefined && verifyEs256(jwk, data, sig);
    },
    // The key-binding JWT's signature: only the holder key the issuer bound in `cnf.jwk`.
    kbVerifier: (data, sig, payload) => {
      const jwk = (payload.cnf as { jwk?: JWK } | undefined)?.jwk;
      return jwk !== undefined && verifyEs256(jwk, data, sig);
    },
  });
  let result;
  try {
    result = await sdjwt.verify(presentation, {
      currentDate: nowSeconds,
      skewSeconds: 60,
      keyBindingNonce: nonce,
      expectedKeyBindingAudience: counterClientId(deps.config.publicUrl),
      expectedIssuer: urls.issuer,
      expectedVct: urls.vct,
      allowedIssuerAlgorithms: ['ES256'],
      allowedKeyBindingAlgorithms: ['ES256'],
      requiredClaimKeys: ['over_20'],
      // The status is checked below, with the decoded list kept while the token is the same.
      disableStatusVerification: true,
    });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/required claim/i.test(message)) throw credentialError('presentation_claims_missing', message, e);
    throw credentialError('presentation_invalid', message, e);
  }
  const { payload, kb } = result;
  const ref = payload.status?.status_list;
  if (ref === undefined || ref.uri !== urls.statusList || !Number.isInteger(ref.idx))
    throw credentialError('presentation_invalid', "the credential has no status in the issuer's list");
  const list = statusListOf(deps, statusList ?? (await statusListToken(deps)), jwks.keys, nowSeconds);
  if (Number(list.getStatus(ref.idx)) !== STATUS.valid)
    throw credentialError('presentation_credential_revoked', 'revoked or suspended');
  // The library checks iat only against the future; OpenID4VP §B.3 wants a recent key binding.
  if (kb === undefined || Math.abs(nowSeconds - kb.payload.iat) > KB_MAX_AGE_SECONDS)
    throw credentialError('presentation_invalid', 'the key binding is missing or not recent');
  if (typeof payload.over_20 !== 'boolean')
    throw credentialError('presentation_claims_missing', 'over_20 was not disclosed');
  return {
    over20: payload.over_20,
    issuer: payload.iss ?? urls.issuer,
    issuedAt: new Date((payload.iat ?? 0) * 1000).toISOString(),
  };
}

/** The last status list token verified and decoded (decoding 65,536 entries takes about 60 ms). */
let decoded: { token: string; list: StatusList } | undefined;

/**
 * Verifies a status list token (signature by an issuer key, `typ`, `sub` = the list's URI, times:
 * draft-ietf-oauth-status-list §8.3) and decodes it; the decoded list is reused while the token is
 * the same string (the issuer rebuilds it whenever an entry changes, issuer.ts).
 */
function statusListOf(
  deps: Pick<PlatformDeps, 'config'>,
  token: string,
  keys: ReadonlyArray<JWK & { kid: string }>,
  nowSeconds: number,
): StatusList {
  if (decoded?.token === token) return decoded.list;
  const [h, p, sig] = token.split('.');
  const header = JSON.parse(Buffer.from(h ?? '', 'base64url').toString()) as { kid?: string; typ?: unknown };
  const jwk = keys.find((k) => k.kid === header.kid);
  if (jwk === undefined || sig === undefined || !verifyEs256(jwk, `${h}.${p}`, sig))
    throw credentialError('presentation_invalid', 'the status list does not verify');
  verifyStatusListJwtHeader(header);
  verifyStatusListJwtClaims(JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as never, {
    uri: issuerUrls(deps.config.publicUrl).statusList,
    now: new Date(nowSeconds * 1000),
  });
  const list = getListFromStatusListJWT(token);
  decoded = { token, list };
  return list;
}

function headerKid(signingInput: string): string | undefined {
  try {
    const h = JSON.parse(Buffer.from(signingInput.split('.')[0] ?? '', 'base64url').toString()) as {
      kid?: unknown;
    };
    return typeof h.kid === 'string' ? h.kid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The wallet's direct_post (OpenID4VP 1.0 §8.2): `vp_token` is a JSON object keyed by the DCQL
 * credential query id (§8.1) with one presentation. Verifies, then consumes the request with the
 * result in one atomic step; a request already answered is a replay.
 */
export async function acceptPresentation(
  deps: Pick<PlatformDeps, 'db' | 'keys' | 'now' | 'config'>,
  input: { state: string; vpToken: string },
): Promise<CounterResult> {
  const now = deps.now();
  const row = await readExchange(deps.db, 'presentation', input.state);
  if (row === undefined || row.expires_at.getTime() <= now.getTime())
    throw credentialError('presentation_request_unknown', 'no such request, or it expired');
  if (row.used_at !== null)
    throw credentialError('presentation_replayed', 'this request was already answered');
  const nonce = row.request?.nonce;
  if (typeof nonce !== 'string') throw credentialError('presentation_request_unknown', 'no such request');
  let presentation: string | undefined;
  try {
    const token = JSON.parse(input.vpToken) as Record<string, unknown>;
    const list = token[QUERY_ID];
    if (Array.isArray(list) && list.length === 1 && typeof list[0] === 'string') presentation = list[0];
  } catch {
    presentation = undefined;
  }
  let result: CounterResult;
  let failure: Error | undefined;
  try {
    if (presentation === undefined)
      throw credentialError('presentation_invalid', `vp_token must hold one presentation for ${QUERY_ID}`);
    const ok = await verifyPresentation(deps, presentation, nonce);
    result = {
      outcome: 'verified',
      over20: ok.over20,
      issuer: ok.issuer,
      issuedAt: ok.issuedAt,
      checkedAt: now.toISOString(),
    };
  } catch (e) {
    failure = e instanceof Error ? e : new Error(String(e));
    const code = (e as { code?: CredentialErrorCode }).code ?? 'presentation_invalid';
    result = { outcome: 'refused', reason: code, checkedAt: now.toISOString() };
  }
  const won = await consumeExchange(deps.db, {
    kind: 'presentation',
    value: input.state,
    now,
    result: result as unknown as JsonObject,
  });
  if (won === undefined) throw credentialError('presentation_replayed', 'this request was already answered');
  if (failure !== undefined) throw failure;
  return result;
}

/** The counter's poll: pending, or the stored result (only the requested claim). */
export async function presentationResult(
  deps: Pick<PlatformDeps, 'db' | 'now'>,
  pollId: string,
): Promise<{ status: 'pending' | 'expired' } | ({ status: 'done' } & CounterResult)> {
  const row = await readExchange(deps.db, 'presentation', stateOf(pollId));
  if (row === undefined) throw credentialError('presentation_request_unknown', 'no such request');
  if (row.used_at === null)
    return { status: row.expires_at.getTime() <= deps.now().getTime() ? 'expired' : 'pending' };
  return { status: 'done', ...(row.result as unknown as CounterResult) };
}
