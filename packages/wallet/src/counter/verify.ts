/**
 * The counter with no network (docs/credentials.md §4.1): what the counter page keeps while it is
 * online (the issuer's public keys and the status list, with the time they were fetched), the
 * request it shows as a QR, and the check of the presentation a wallet shows back as a QR — done
 * here, in the browser, with the same maintained `@sd-jwt/sd-jwt-vc` library the platform's verifier
 * uses (packages/platform/src/credentials/verifier.ts) and WebCrypto for ES256.
 *
 * The checks, in order, all before anything is shown: the kept material is recent enough; the
 * issuer's signature by a kept key (by `kid`); `iss`, `vct`, `exp`/`iat`; each disclosure's digest;
 * the key-binding JWT (RFC 9901 §4.3: signed by the key in `cnf.jwk`, `typ: kb+jwt`, this page's
 * nonce, this page's client id as audience, `sd_hash`, `iat` within 5 minutes); the credential's
 * entry in the kept status list (draft-ietf-oauth-status-list, signature by a kept key); that
 * `over_20` is disclosed. Pure (no DOM): the unit tests run it in Node.
 */
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import {
  getListFromStatusListJWT,
  verifyStatusListJwtClaims,
  verifyStatusListJwtHeader,
  type StatusList,
} from '@owf/token-status-list';
import { WatashiError } from '@watashi/pki';

/** How old the kept keys and status list may be: the status list token's own `exp` is 24 h after its `iat`. */
export const KEPT_MAX_AGE_SECONDS = 24 * 3600;
/** How old a key-binding JWT may be (its `iat`), as at the online counter. */
export const KB_MAX_AGE_SECONDS = 300;
/** The DCQL credential query id, as at the online counter. */
export const QUERY_ID = 'watashi_over_20';
/**
 * The response mode of an offline request: the wallet shows the presentation as a QR on its own
 * screen. Watashi's own extension (OpenID4VP 1.0 §5 lets a verifier name other response modes);
 * a wallet that does not know it refuses the request.
 */
export const QR_RESPONSE_MODE = 'watashi_qr';

/** Why an offline check refused (a stable code; the counter page shows plain words for each). */
export type OfflineRefusal =
  | 'counter_offline_not_ready'
  | 'counter_offline_stale'
  | 'presentation_replayed'
  | 'presentation_invalid'
  | 'presentation_credential_revoked'
  | 'presentation_claims_missing';

/** An issuer public key as published at `/.well-known/jwt-vc-issuer`. */
export interface IssuerJwk {
  readonly kty: string;
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
  readonly kid: string;
  readonly alg?: string;
}

/** What the counter keeps while online. */
export interface KeptMaterial {
  /** The issuer (the platform's public URL), from its metadata. */
  readonly issuer: string;
  readonly keys: readonly IssuerJwk[];
  /** The status list token (`statuslist+jwt`) as fetched. */
  readonly statusList: string;
  /** When both were fetched (ms since the epoch). */
  readonly fetchedAt: number;
}

/** What the counter shows after a successful check: only the requested claim. */
export interface OfflineResult {
  readonly over20: boolean;
  readonly issuer: string;
  readonly issuedAt: string;
  /** The claims the presentation disclosed (for tests; the page shows `over20` only). */
  readonly disclosed: readonly string[];
}

const refuse = (code: OfflineRefusal, why: string, cause?: unknown): WatashiError<OfflineRefusal> =>
  new WatashiError(code, why, cause === undefined ? undefined : { cause });

/** The issuer's URLs an offline counter needs, from the issuer (the platform's public URL). */
export function offlineUrls(issuer: string): { vct: string; statusList: string; clientId: string } {
  const base = issuer.replace(/\/+$/, '');
  return {
    vct: `${base}/credentials/types/resident-attributes`,
    statusList: `${base}/credentials/status/1`,
    // The counter page identified by its own URL (§5.9.3 prefix); the audience of the key binding.
    clientId: `redirect_uri:${base}/counter/offline`,
  };
}

/**
 * The request an offline counter shows as a QR (OpenID4VP 1.0 §5 by value, kept compact): the
 * client id, `response_type=vp_token`, {@link QR_RESPONSE_MODE}, the nonce and a DCQL query (§6)
 * for one Watashi SD-JWT VC with `over_20` only. No `state`: nothing is posted back.
 */
export function offlineRequest(issuer: string, nonce: string): string {
  const urls = offlineUrls(issuer);
  const query = {
    credentials: [
      {
        id: QUERY_ID,
        format: 'dc+sd-jwt',
        meta: { vct_values: [urls.vct] },
        claims: [{ path: ['over_20'] }],
      },
    ],
  };
  return `openid4vp://?${new URLSearchParams({
    client_id: urls.clientId,
    response_type: 'vp_token',
    response_mode: QR_RESPONSE_MODE,
    nonce,
    dcql_query: JSON.stringify(query),
    client_metadata: JSON.stringify({ client_name: '対面確認（通信なし）' }),
  }).toString()}`;
}

/** A fresh nonce: 16 random bytes, base64url. */
export function newNonce(): string {
  return b64u(crypto.getRandomValues(new Uint8Array(16)));
}

function b64u(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromB64u(text: string): Uint8Array<ArrayBuffer> {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function jsonPart(segment: string | undefined): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(fromB64u(segment ?? '')));
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const sha256 = async (data: string | ArrayBuffer): Promise<Uint8Array> =>
  new Uint8Array(
    await crypto.subtle.digest('SHA-256', typeof data === 'string' ? new TextEncoder().encode(data) : data),
  );

/** Verifies an ES256 JWS signature (base64url R ‖ S, RFC 7518 §3.4) over `data` with a P-256 JWK. */
async function verifyEs256(
  jwk: Partial<IssuerJwk> | undefined,
  data: string,
  signature: string,
): Promise<boolean> {
  if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256' || jwk.x === undefined || jwk.y === undefined) return false;
  try {
    const key = await crypto.subtle.importKey(
      'jwk',
      { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y },
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
    return await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      key,
      fromB64u(signature),
      new TextEncoder().encode(data),
    );
  } catch {
    return false;
  }
}

/** The last status list verified and decoded (65,536 entries take tens of milliseconds). */
let decoded: { token: string; list: StatusList } | undefined;

/**
 * Verifies a status list token against the kept keys (signature by `kid`, `typ`, `sub` = the list's
 * URI, `exp`: draft-ietf-oauth-status-list §8.3) and decodes it. Called when the counter keeps a
 * list (so a bad download is never kept) and at each check.
 */
export async function verifyStatusList(
  token: string,
  keys: readonly IssuerJwk[],
  issuer: string,
  now: Date,
): Promise<StatusList> {
  if (decoded?.token === token) {
    checkStatusListTimes(token, issuer, now);
    return decoded.list;
  }
  const [h, p, sig] = token.split('.');
  const header = jsonPart(h);
  const jwk = keys.find((k) => k.kid === header.kid);
  if (sig === undefined || !(await verifyEs256(jwk, `${h}.${p}`, sig)))
    throw refuse('presentation_invalid', 'the kept status list does not verify');
  try {
    verifyStatusListJwtHeader(header);
  } catch (e) {
    throw refuse('presentation_invalid', 'the kept status list is not a status list token', e);
  }
  checkStatusListTimes(token, issuer, now);
  const list = getListFromStatusListJWT(token);
  decoded = { token, list };
  return list;
}

function checkStatusListTimes(token: string, issuer: string, now: Date): void {
  try {
    verifyStatusListJwtClaims(jsonPart(token.split('.')[1]) as never, {
      uri: offlineUrls(issuer).statusList,
      now,
    });
  } catch (e) {
    throw refuse('counter_offline_stale', 'the kept status list has expired or is not this issuer’s', e);
  }
}

/** The `nonce` a presentation's key-binding JWT claims (unverified: only to name a replay). */
export function claimedNonce(presentation: string): string | undefined {
  const kb = presentation.slice(presentation.lastIndexOf('~') + 1);
  const nonce = jsonPart(kb.split('.')[1]).nonce;
  return typeof nonce === 'string' ? nonce : undefined;
}

/**
 * Verifies one presentation (`<issuer JWT>~<disclosure>~…~<KB-JWT>`) for `nonce` with the kept
 * material only; throws a `WatashiError` with an {@link OfflineRefusal} code on any failure.
 */
export async function verifyOffline(
  presentation: string,
  input: { kept: KeptMaterial | undefined; nonce: string; now: Date },
): Promise<OfflineResult> {
  const { kept, nonce, now } = input;
  if (kept === undefined) throw refuse('counter_offline_not_ready', 'no keys or status list kept yet');
  const age = (now.getTime() - kept.fetchedAt) / 1000;
  if (age > KEPT_MAX_AGE_SECONDS || age < -300)
    throw refuse('counter_offline_stale', `the kept keys and status list are ${Math.round(age)} s old`);
  const urls = offlineUrls(kept.issuer);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const sdjwt = new SDJwtVcInstance({
    hasher: sha256,
    // The issuer's signature: only the kept issuer keys (by kid).
    verifier: async (data, sig) => {
      const kid = jsonPart(data.split('.')[0]).kid;
      return verifyEs256(
        kept.keys.find((k) => k.kid === kid),
        data,
        sig,
      );
    },
    // The key-binding JWT's signature: only the holder key the issuer bound in `cnf.jwk` (RFC 7800).
    kbVerifier: async (data, sig, payload) =>
      verifyEs256((payload.cnf as { jwk?: IssuerJwk } | undefined)?.jwk, data, sig),
  });
  let result;
  try {
    result = await sdjwt.verify(presentation, {
      currentDate: nowSeconds,
      skewSeconds: 60,
      keyBindingNonce: nonce,
      expectedKeyBindingAudience: urls.clientId,
      keyBindingMaxAgeSeconds: KB_MAX_AGE_SECONDS,
      expectedIssuer: kept.issuer,
      expectedVct: urls.vct,
      allowedIssuerAlgorithms: ['ES256'],
      allowedKeyBindingAlgorithms: ['ES256'],
      requiredClaimKeys: ['over_20'],
      // The status is read from the kept list below, never fetched.
      disableStatusVerification: true,
    });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/required claim/i.test(message)) throw refuse('presentation_claims_missing', message, e);
    throw refuse('presentation_invalid', message, e);
  }
  const { payload, kb } = result;
  // The library checks iat only against the future; OpenID4VP §B.3 wants a recent key binding.
  if (kb === undefined || Math.abs(nowSeconds - kb.payload.iat) > KB_MAX_AGE_SECONDS)
    throw refuse('presentation_invalid', 'the key binding is missing or not recent');
  const ref = payload.status?.status_list;
  if (ref === undefined || ref.uri !== urls.statusList || !Number.isInteger(ref.idx))
    throw refuse('presentation_invalid', "the credential has no status in the issuer's list");
  const list = await verifyStatusList(kept.statusList, kept.keys, kept.issuer, now);
  if (Number(list.getStatus(ref.idx)) !== 0)
    throw refuse('presentation_credential_revoked', 'revoked or suspended in the kept list');
  if (typeof payload.over_20 !== 'boolean')
    throw refuse('presentation_claims_missing', 'over_20 was not disclosed');
  const members = new Set(['iss', 'iat', 'exp', 'nbf', 'vct', 'cnf', 'status', 'sub', '_sd_alg']);
  return {
    over20: payload.over_20,
    issuer: kept.issuer,
    issuedAt: new Date((payload.iat ?? 0) * 1000).toISOString(),
    disclosed: Object.keys(payload).filter((k) => !members.has(k)),
  };
}

/**
 * One counter page's requests: a nonce at a time, each answered once. Kept in the page only — an
 * offline counter cannot share replay state with other counters (docs/credentials.md §4.1); the
 * key binding's audience and the 5-minute `iat` window bound what another counter could accept.
 */
export class OfflineCounter {
  readonly #used = new Set<string>();
  #nonce: string | undefined;

  /** Starts a request: a fresh nonce, the previous one (if unanswered) no longer accepted. */
  next(): string {
    if (this.#nonce !== undefined) this.#used.add(this.#nonce);
    this.#nonce = newNonce();
    return this.#nonce;
  }

  /** The nonce of the request now shown (undefined once answered, until {@link next}). */
  get nonce(): string | undefined {
    return this.#nonce;
  }

  /**
   * Checks a presentation against the request now shown and consumes that request, whatever the
   * outcome (as the online counter consumes its request row): scanning the same code again, here or
   * after "next customer", is refused as a replay.
   */
  async check(presentation: string, kept: KeptMaterial | undefined, now: Date): Promise<OfflineResult> {
    const claimed = claimedNonce(presentation);
    if (claimed !== undefined && this.#used.has(claimed))
      throw refuse('presentation_replayed', 'this presentation was already shown to this counter');
    const nonce = this.#nonce;
    if (nonce === undefined) throw refuse('presentation_replayed', 'this request was already answered');
    this.#nonce = undefined;
    this.#used.add(nonce);
    return verifyOffline(presentation, { kept, nonce, now });
  }
}
