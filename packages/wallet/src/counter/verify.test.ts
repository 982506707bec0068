// The offline counter's in-browser verifier (docs/credentials.md §4.1), run in Node on WebCrypto:
// credentials issued here as the platform issues them (ES256 issuer key, every claim its own
// disclosure, cnf.jwk, status_list reference) and presented as the wallet presents them (only
// over_20, a KB-JWT over the counter's nonce and audience). Also the QR figures: the size of a
// presentation, the QR version at L and M, and jsQR reading it from a camera-sized frame.
import { beforeAll, describe, expect, it } from 'vitest';
import jsQR from 'jsqr';
import { encode } from 'uqr';
import { SDJwtInstance } from '@sd-jwt/core';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { createHeaderAndPayload, StatusList } from '@owf/token-status-list';
import { readPresentationRequest } from '../lib/credentials.ts';
import { qrPath, QR_BORDER, QR_ECC } from '../lib/qr.ts';
import {
  KEPT_MAX_AGE_SECONDS,
  offlineRequest,
  offlineUrls,
  OfflineCounter,
  verifyOffline,
  type IssuerJwk,
  type KeptMaterial,
} from './verify.ts';

const ISSUER = 'https://id.watashi.example.jp';
const urls = offlineUrls(ISSUER);
const NOW = new Date('2026-12-07T05:05:00Z');
const nowS = Math.floor(NOW.getTime() / 1000);
const enc = new TextEncoder();
const b64u = (b: Uint8Array | ArrayBuffer): string => Buffer.from(new Uint8Array(b)).toString('base64url');
const sha256 = async (data: string | ArrayBuffer): Promise<Uint8Array> =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? enc.encode(data) : data));
const P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signer = (key: CryptoKey) => async (data: string) =>
  b64u(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, enc.encode(data)));
const publicJwk = async (k: CryptoKeyPair) => {
  const j = await crypto.subtle.exportKey('jwk', k.publicKey);
  return { kty: 'EC', crv: 'P-256', x: j.x!, y: j.y! };
};

/** The claims of a credential, as the platform's issuer computes them (values only fill disclosures). */
const CLAIMS = {
  name: '山田　花子',
  family_name: '山田',
  given_name: '花子',
  birthdate: '1988-04-12',
  gender: 'female',
  address: { country: 'JP', region: '東京都', locality: '千代田区' },
  over_18: true,
  over_20: true,
  age_bracket: '30-39',
  resident_of: 'JP-13',
};

let issuerKey: CryptoKeyPair;
let holderKey: CryptoKeyPair;
let otherKey: CryptoKeyPair;
let keys: IssuerJwk[];
let credential: string;
let revokedCredential: string;

async function issue(holder: CryptoKeyPair, idx: number, claims: Record<string, unknown> = CLAIMS) {
  const sd = new SDJwtVcInstance({
    signer: signer(issuerKey.privateKey),
    signAlg: 'ES256',
    hasher: sha256,
    hashAlg: 'sha-256',
    saltGenerator: (n: number) => b64u(crypto.getRandomValues(new Uint8Array(n))),
  });
  return sd.issue(
    {
      iss: ISSUER,
      iat: nowS - 86_400,
      exp: nowS + 29 * 86_400,
      vct: urls.vct,
      cnf: { jwk: await publicJwk(holder) },
      status: { status_list: { idx, uri: urls.statusList } },
      ...claims,
    },
    { _sd: Object.keys(claims) } as never,
    { header: { kid: 'issuer-1' } },
  );
}

async function statusList(revoked: number[], iat = nowS - 600): Promise<string> {
  const list = new StatusList(new Array<number>(1 << 16).fill(0), 2);
  for (const i of revoked) list.setStatus(i, 1);
  const { header, payload } = createHeaderAndPayload(
    list,
    { sub: urls.statusList, iat, exp: iat + 86_400, ttl: 60 },
    { alg: 'ES256', kid: 'issuer-1', typ: 'statuslist+jwt' },
  );
  const input = `${b64u(enc.encode(JSON.stringify(header)))}.${b64u(enc.encode(JSON.stringify(payload)))}`;
  return `${input}.${await signer(issuerKey.privateKey)(input)}`;
}

/** The wallet's presentation: only `frame`'s claims, a KB-JWT signed by `kbKey`. */
async function present(
  sdJwt: string,
  opts: { nonce: string; aud?: string; kbKey?: CryptoKeyPair; frame?: Record<string, boolean>; iat?: number },
) {
  const sd = new SDJwtInstance({
    hasher: sha256,
    kbSignAlg: 'ES256',
    kbSigner: signer((opts.kbKey ?? holderKey).privateKey),
  });
  return sd.present(sdJwt, opts.frame ?? { over_20: true }, {
    kb: { payload: { iat: opts.iat ?? nowS, aud: opts.aud ?? urls.clientId, nonce: opts.nonce } },
  });
}

let kept: KeptMaterial;

beforeAll(async () => {
  const gen = () => crypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  [issuerKey, holderKey, otherKey] = [await gen(), await gen(), await gen()];
  keys = [{ ...(await publicJwk(issuerKey)), kid: 'issuer-1', alg: 'ES256' }];
  credential = await issue(holderKey, 4321);
  revokedCredential = await issue(holderKey, 777);
  kept = { issuer: ISSUER, keys, statusList: await statusList([777]), fetchedAt: NOW.getTime() - 3_600_000 };
});

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e as { code?: string }).code,
  );

describe('verifyOffline', () => {
  it('accepts a valid presentation and learns over_20 only', async () => {
    const p = await present(credential, { nonce: 'n-valid-0001' });
    const r = await verifyOffline(p, { kept, nonce: 'n-valid-0001', now: NOW });
    expect(r).toMatchObject({ over20: true, issuer: ISSUER });
    // Undisclosed claims are absent: nothing but the requested one was disclosed.
    expect(r.disclosed).toEqual(['over_20']);
    expect(p.split('~').filter((s) => s !== '').length).toBe(3); // issuer JWT, one disclosure, KB-JWT
    expect(Buffer.from(p, 'utf8').toString()).not.toMatch(/花子|1988|千代田/);
  });

  it('refuses a presentation that does not disclose over_20', async () => {
    const p = await present(credential, { nonce: 'n-1', frame: { over_18: true } });
    expect(await refusal(verifyOffline(p, { kept, nonce: 'n-1', now: NOW }))).toBe(
      'presentation_claims_missing',
    );
  });

  it('refuses a key binding over another nonce or for another audience', async () => {
    const p = await present(credential, { nonce: 'n-other' });
    expect(await refusal(verifyOffline(p, { kept, nonce: 'n-mine', now: NOW }))).toBe('presentation_invalid');
    const q = await present(credential, { nonce: 'n-mine', aud: `redirect_uri:${ISSUER}/counter/response` });
    expect(await refusal(verifyOffline(q, { kept, nonce: 'n-mine', now: NOW }))).toBe('presentation_invalid');
  });

  it('refuses a key binding signed by another holder key', async () => {
    const p = await present(credential, { nonce: 'n-2', kbKey: otherKey });
    expect(await refusal(verifyOffline(p, { kept, nonce: 'n-2', now: NOW }))).toBe('presentation_invalid');
  });

  it('refuses a tampered disclosure', async () => {
    const p = await present(credential, { nonce: 'n-3' });
    const parts = p.split('~');
    const forged = b64u(enc.encode(JSON.stringify([parts[1]!.slice(0, 8), 'over_20', true])));
    // A fresh key binding over the tampered string, so that only the disclosure digest can fail.
    const prefix = `${parts[0]}~${forged}~`;
    const kbHeader = b64u(enc.encode(JSON.stringify({ alg: 'ES256', typ: 'kb+jwt' })));
    const kbPayload = b64u(
      enc.encode(
        JSON.stringify({ iat: nowS, aud: urls.clientId, nonce: 'n-3', sd_hash: b64u(await sha256(prefix)) }),
      ),
    );
    const kbInput = `${kbHeader}.${kbPayload}`;
    const tampered = `${prefix}${kbInput}.${await signer(holderKey.privateKey)(kbInput)}`;
    expect(await refusal(verifyOffline(tampered, { kept, nonce: 'n-3', now: NOW }))).toBe(
      'presentation_invalid',
    );
  });

  it('refuses a credential the kept status list says is revoked', async () => {
    const p = await present(revokedCredential, { nonce: 'n-4' });
    expect(await refusal(verifyOffline(p, { kept, nonce: 'n-4', now: NOW }))).toBe(
      'presentation_credential_revoked',
    );
  });

  it('refuses with stale keys, no kept material, or an issuer key it does not keep', async () => {
    const p = await present(credential, { nonce: 'n-5' });
    const stale = { ...kept, fetchedAt: NOW.getTime() - (KEPT_MAX_AGE_SECONDS + 60) * 1000 };
    expect(await refusal(verifyOffline(p, { kept: stale, nonce: 'n-5', now: NOW }))).toBe(
      'counter_offline_stale',
    );
    expect(await refusal(verifyOffline(p, { kept: undefined, nonce: 'n-5', now: NOW }))).toBe(
      'counter_offline_not_ready',
    );
    const rotated = { ...kept, keys: [{ ...(await publicJwk(otherKey)), kid: 'issuer-1' }] };
    expect(await refusal(verifyOffline(p, { kept: rotated, nonce: 'n-5', now: NOW }))).toBe(
      'presentation_invalid',
    );
  });

  it('refuses an old key binding', async () => {
    const p = await present(credential, { nonce: 'n-6', iat: nowS - 900 });
    expect(await refusal(verifyOffline(p, { kept, nonce: 'n-6', now: NOW }))).toBe('presentation_invalid');
  });
});

describe('OfflineCounter', () => {
  it('answers each request once: the same presentation again is a replay', async () => {
    const counter = new OfflineCounter();
    const nonce = counter.next();
    const p = await present(credential, { nonce });
    expect((await counter.check(p, kept, NOW)).over20).toBe(true);
    expect(await refusal(counter.check(p, kept, NOW))).toBe('presentation_replayed');
    counter.next();
    expect(await refusal(counter.check(p, kept, NOW))).toBe('presentation_replayed');
  });

  it('puts the request in a compact QR', () => {
    const uri = offlineRequest(ISSUER, 'AAAAAAAAAAAAAAAAAAAAAA');
    const q = new URL(uri).searchParams;
    expect(q.get('client_id')).toBe(urls.clientId);
    expect(JSON.parse(q.get('dcql_query') ?? '')).toMatchObject({
      credentials: [{ claims: [{ path: ['over_20'] }] }],
    });
    expect(uri.length).toBeLessThan(700);
  });

  it('is read by the wallet as a QR answer to the counter page, over_20 only', () => {
    const r = readPresentationRequest(offlineRequest(ISSUER, 'n-wallet'));
    expect(r).toMatchObject({
      mode: 'qr',
      verifierHost: 'id.watashi.example.jp',
      clientId: urls.clientId,
      nonce: 'n-wallet',
      claims: ['over_20'],
    });
    // A QR answer names no response URI (nothing is posted), and its verifier is a web URL.
    const posted = `${offlineRequest(ISSUER, 'n')}&response_uri=${encodeURIComponent(`${ISSUER}/x`)}`;
    expect(() => readPresentationRequest(posted)).toThrow(/no response URI/);
    const odd = offlineRequest(ISSUER, 'n').replace(
      /client_id=[^&]*/,
      'client_id=redirect_uri%3Afile%3A%2F%2Fx',
    );
    expect(() => readPresentationRequest(odd)).toThrow(/identified/);
  });
});

/** A camera frame (RGBA, white) with the QR of `text` drawn at `px` pixels per module, centred. */
function frameOf(text: string, px: number, w: number, h: number): Uint8ClampedArray {
  const qr = encode(text, { ecc: QR_ECC, border: QR_BORDER });
  const rgba = new Uint8ClampedArray(w * h * 4).fill(255);
  const ox = Math.floor((w - qr.size * px) / 2);
  const oy = Math.floor((h - qr.size * px) / 2);
  for (let y = 0; y < qr.size * px; y++)
    for (let x = 0; x < qr.size * px; x++)
      if (qr.data[Math.floor(y / px)]![Math.floor(x / px)] === true) {
        const i = ((oy + y) * w + ox + x) * 4;
        rgba[i] = rgba[i + 1] = rgba[i + 2] = 30;
      }
  return rgba;
}

describe('the presentation as a QR', () => {
  it('fits one QR that jsQR reads from a 640×480 camera frame', async () => {
    const nonce = 'AAAAAAAAAAAAAAAAAAAAAA';
    const p = await present(credential, { nonce });
    const atL = qrPath(p);
    const atM = encode(p, { ecc: 'M', border: QR_BORDER });
    // The figures docs/credentials.md §4.1 quotes (printed for the record).
    console.info(
      `presentation ${p.length} bytes; QR at L: version ${atL.version}, ${atL.size - 2 * QR_BORDER} modules; ` +
        `at M: version ${atM.version}, ${atM.size - 2 * QR_BORDER} modules`,
    );
    expect(p.length).toBeLessThan(2000);
    expect(atL.version).toBeLessThan(atM.version);
    const px = Math.floor(480 / atL.size);
    expect(px).toBeGreaterThanOrEqual(3);
    const code = jsQR(frameOf(p, px, 640, 480), 640, 480);
    expect(code?.data).toBe(p);
  });

  it('is read at most camera scales, at level L at least as often as at M', async () => {
    const p = await present(credential, { nonce: 'AAAAAAAAAAAAAAAAAAAAAA' });
    // Module sizes a camera gives: rarely a whole number of pixels (3 to 6 px, every 0.25 px).
    const scales = Array.from({ length: 13 }, (_, i) => 3 + i * 0.25);
    const readAt = (ecc: 'L' | 'M') =>
      scales.filter((s) => {
        const qr = encode(p, { ecc, border: QR_BORDER });
        const n = Math.ceil(qr.size * s);
        const rgba = new Uint8ClampedArray(n * n * 4).fill(255);
        for (let y = 0; y < n; y++)
          for (let x = 0; x < n; x++)
            if (qr.data[Math.floor(y / s)]?.[Math.floor(x / s)] === true) {
              const i = (y * n + x) * 4;
              rgba[i] = rgba[i + 1] = rgba[i + 2] = 0;
            }
        return jsQR(rgba, n, n, { inversionAttempts: 'dontInvert' })?.data === p;
      }).length;
    const [l, m] = [readAt('L'), readAt('M')];
    console.info(
      `jsQR read the presentation at ${l}/${scales.length} scales at L, ${m}/${scales.length} at M`,
    );
    expect(l).toBeGreaterThanOrEqual(m);
    expect(l).toBeGreaterThan(scales.length / 2);
  });
});
