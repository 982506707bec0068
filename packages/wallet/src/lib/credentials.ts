/**
 * The wallet's verifiable credentials (docs/credentials.md): receiving the platform's SD-JWT VC
 * through OpenID4VCI 1.0 (pre-authorized code from this signed-in session, a key proof signed by
 * the device key, lib/device-key.ts), keeping it in this browser (IndexedDB
 * `watashi-credentials`), and presenting it to a counter's OpenID4VP 1.0 request: only the claims
 * the request's DCQL query names are disclosed, with a key-binding JWT signed by the device key —
 * posted to the counter (direct_post), or, for a counter with no network, shown as a QR on this
 * screen (docs/credentials.md §4.1).
 * The SD-JWT format is handled by the maintained `@sd-jwt/core` library.
 */
import { SDJwtInstance } from '@sd-jwt/core';
import { toBase64Url, WatashiError } from '@watashi/pki';
import { api } from '../api/client.ts';
import { createDeviceKey, getDeviceKey, type DeviceKey } from './device-key.ts';

/** A credential as kept in this browser. */
export interface StoredCredential {
  readonly accountId: string;
  /** The SD-JWT as issued (issuer JWT and every disclosure). */
  readonly sdJwt: string;
  readonly receivedAt: string;
}

/** The platform's view of a credential (GET /api/credentials). */
export interface CredentialView {
  readonly id: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly status: 'valid' | 'revoked' | 'suspended';
}

/**
 * The response mode of a counter with no network: the presentation is shown as a QR on this screen
 * (Watashi's own, docs/credentials.md §4.1; packages/wallet/src/counter/verify.ts).
 */
export const QR_RESPONSE_MODE = 'watashi_qr';

/** A counter's request, read from its QR and checked. */
export interface PresentationRequest {
  /** `direct_post`: posted to the counter; `qr`: shown as a QR for the counter's camera. */
  readonly mode: 'direct_post' | 'qr';
  /** Who asks, as the resident sees it: the host of the response URI (or of the counter page). */
  readonly verifierHost: string;
  readonly verifierName: string | undefined;
  readonly clientId: string;
  /** Where the presentation is posted (`direct_post` only; empty for `qr`). */
  readonly responseUri: string;
  readonly nonce: string;
  /** The request's state (`direct_post` only; empty for `qr`). */
  readonly state: string;
  readonly queryId: string;
  /** The claims asked for (top-level claim names). */
  readonly claims: readonly string[];
}

const PRE_AUTH = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
const DB = 'watashi-credentials';
const STORE = 'credentials';

const sha256 = async (data: string | ArrayBuffer): Promise<Uint8Array> =>
  new Uint8Array(
    await crypto.subtle.digest('SHA-256', typeof data === 'string' ? new TextEncoder().encode(data) : data),
  );

function idb<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => {
      if (!open.result.objectStoreNames.contains(STORE))
        open.result.createObjectStore(STORE, { keyPath: 'accountId' });
    };
    open.onerror = () => reject(open.error ?? new Error('IndexedDB open failed'));
    open.onsuccess = () => {
      const tx = open.result.transaction(STORE, mode);
      const r = f(tx.objectStore(STORE));
      tx.oncomplete = () => {
        open.result.close();
        resolve(r.result);
      };
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB failed'));
    };
  });
}

/** The credential kept for `accountId` in this browser, if any. */
export function storedCredential(accountId: string): Promise<StoredCredential | undefined> {
  return idb('readonly', (s) => s.get(accountId) as IDBRequest<StoredCredential | undefined>);
}

/** The credentials the platform has issued to the signed-in resident, with their status. */
export async function listCredentials(): Promise<readonly CredentialView[]> {
  return (await api<{ credentials: CredentialView[] }>('GET', '/api/credentials')).credentials;
}

/** The device key of the account, made now when this browser has none (it is the holder key). */
async function holderKey(accountId: string): Promise<DeviceKey> {
  return (await getDeviceKey(accountId)) ?? createDeviceKey(accountId, 'phone');
}

async function form(url: string, fields: Record<string, string>): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(fields).toString(),
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok)
    throw new WatashiError(typeof body.code === 'string' ? body.code : `http_${res.status}`, 'refused');
  return body;
}

/**
 * Receives a fresh credential (OpenID4VCI 1.0 pre-authorized code flow) bound to the device key and
 * keeps it in this browser, replacing the one kept before.
 */
export async function receiveCredential(accountId: string): Promise<StoredCredential> {
  const { credential_offer: offer } = await api<{
    credential_offer: {
      credential_issuer: string;
      grants: Record<string, { 'pre-authorized_code': string }>;
    };
  }>('POST', '/api/credentials/offer');
  const code = offer.grants[PRE_AUTH]?.['pre-authorized_code'];
  if (code === undefined) throw new WatashiError('credential_offer_invalid', 'no pre-authorized code');
  const token = await form('/credentials/token', { grant_type: PRE_AUTH, 'pre-authorized_code': code });
  const { c_nonce: nonce } = await api<{ c_nonce: string }>('POST', '/credentials/nonce');
  const key = await holderKey(accountId);
  const proof = await key.signJws(
    { typ: 'openid4vci-proof+jwt', jwk: await key.publicJwk() },
    { aud: offer.credential_issuer, iat: Math.floor(Date.now() / 1000), nonce },
  );
  const res = await fetch('/credentials/credential', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${String(token.access_token)}`,
    },
    body: JSON.stringify({
      credential_configuration_id: 'watashi_resident_attributes',
      proofs: { jwt: [proof] },
    }),
  });
  const body = (await res.json().catch(() => ({}))) as {
    credentials?: Array<{ credential: string }>;
    code?: string;
  };
  const sdJwt = body.credentials?.[0]?.credential;
  if (!res.ok || sdJwt === undefined)
    throw new WatashiError(body.code ?? `http_${res.status}`, 'the credential was not issued');
  const stored: StoredCredential = { accountId, sdJwt, receivedAt: new Date().toISOString() };
  await idb('readwrite', (s) => s.put(stored));
  return stored;
}

/** The claims a credential holds (decoded from its disclosures), for the list in plain words. */
export async function credentialClaims(sdJwt: string): Promise<Record<string, unknown>> {
  const sd = new SDJwtInstance({ hasher: sha256 });
  return await sd.getClaims(sdJwt);
}

/**
 * Reads a counter's QR (`openid4vp://?…`, OpenID4VP 1.0 §5 by value) and checks what the wallet
 * can honour: `response_mode=direct_post` with a `redirect_uri:` client identifier equal to the
 * response URI (§5.9.3), or {@link QR_RESPONSE_MODE} with a `redirect_uri:` client identifier of
 * the counter page and no response URI; one `dc+sd-jwt` credential query for top-level claims.
 */
export function readPresentationRequest(text: string): PresentationRequest {
  const bad = (why: string) => new WatashiError('presentation_request_unreadable', why);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('not a URL');
  }
  if (url.protocol !== 'openid4vp:') throw bad('not an OpenID4VP request');
  const q = url.searchParams;
  const responseUri = q.get('response_uri') ?? '';
  const clientId = q.get('client_id') ?? '';
  const mode = q.get('response_mode') === QR_RESPONSE_MODE ? 'qr' : 'direct_post';
  if (q.get('response_type') !== 'vp_token') throw bad('unsupported response type');
  if (mode === 'direct_post' && q.get('response_mode') !== 'direct_post')
    throw bad('unsupported response mode');
  // The verifier as the resident is told it: the response URI, or for a QR response the page the
  // client identifier names (§5.9.3 `redirect_uri:`); the key binding's audience is that identifier.
  const verifierUri = mode === 'qr' ? clientId.replace(/^redirect_uri:/, '') : responseUri;
  if (clientId !== `redirect_uri:${verifierUri}` || !/^https?:\/\/[^/]/.test(verifierUri))
    throw bad('the verifier is not identified by its URI');
  if (mode === 'qr' && responseUri !== '') throw bad('a QR response has no response URI');
  const nonce = q.get('nonce') ?? '';
  const state = q.get('state') ?? '';
  if (nonce === '' || (mode === 'direct_post' && state === '')) throw bad('no nonce or state');
  let query: { credentials?: Array<{ id?: unknown; format?: unknown; claims?: Array<{ path?: unknown }> }> };
  try {
    query = JSON.parse(q.get('dcql_query') ?? '') as typeof query;
  } catch {
    throw bad('no DCQL query');
  }
  const cq = query.credentials?.[0];
  if (query.credentials?.length !== 1 || cq?.format !== 'dc+sd-jwt' || typeof cq.id !== 'string')
    throw bad('unsupported DCQL query');
  const claims = (cq.claims ?? []).map((c) =>
    Array.isArray(c.path) && c.path.length === 1 && typeof c.path[0] === 'string' ? c.path[0] : '',
  );
  if (claims.length === 0 || claims.includes('')) throw bad('unsupported claim path');
  let name: string | undefined;
  try {
    const meta = JSON.parse(q.get('client_metadata') ?? '{}') as { client_name?: unknown };
    name = typeof meta.client_name === 'string' ? meta.client_name : undefined;
  } catch {
    name = undefined;
  }
  return {
    mode,
    verifierHost: new URL(verifierUri).host,
    verifierName: name,
    clientId,
    responseUri,
    nonce,
    state,
    queryId: cq.id,
    claims,
  };
}

/**
 * The presentation of the kept credential for `request`: only the requested claims disclosed, and
 * a key-binding JWT (RFC 9901 §4.3: nonce, audience = the verifier's client id, sd_hash) signed by
 * the device key. For a {@link QR_RESPONSE_MODE} request this is what the screen shows as a QR.
 */
export async function createPresentation(accountId: string, request: PresentationRequest): Promise<string> {
  const stored = await storedCredential(accountId);
  if (stored === undefined) throw new WatashiError('credential_missing', 'no credential in this browser');
  const key = await holderKey(accountId);
  const sd = new SDJwtInstance({
    hasher: sha256,
    kbSignAlg: 'ES256',
    kbSigner: async (data: string) => toBase64Url(await key.sign(new TextEncoder().encode(data))),
  });
  const frame = Object.fromEntries(request.claims.map((c) => [c, true]));
  return sd.present(stored.sdJwt, frame, {
    kb: { payload: { iat: Math.floor(Date.now() / 1000), aud: request.clientId, nonce: request.nonce } },
  });
}

/** Presents the kept credential to a `direct_post` request (OpenID4VP 1.0 §8.2): posts it. */
export async function presentCredential(accountId: string, request: PresentationRequest): Promise<void> {
  if (request.mode !== 'direct_post')
    throw new WatashiError('presentation_request_unreadable', 'this request is answered by QR');
  const presentation = await createPresentation(accountId, request);
  await form(request.responseUri, {
    vp_token: JSON.stringify({ [request.queryId]: [presentation] }),
    state: request.state,
  });
}
