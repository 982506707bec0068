/**
 * Watashi's RFC 3161 time-stamping authority (issue 20): `POST /tsa` takes an
 * `application/timestamp-query` and answers an `application/timestamp-reply` (RFC 3161 §3.4);
 * `GET /tsa/certificate` publishes the TSA certificate a verifier trusts.
 *
 * The key is the key store's signing key of purpose `tsa` (ECDSA P-256; a PKCS#11 store serves
 * the same interface), so the private key never leaves the store. The certificate is issued by
 * that key to itself (extendedKeyUsage id-kp-timeStamping only, critical: RFC 3161 §2.3) when the
 * platform first needs it; it is issued again after a restart with the same key and name, so a
 * verifier that trusts any one of them verifies the tokens of all (the path is checked by name
 * and key). Anyone may ask: a time-stamp reveals nothing but a hash the caller chose.
 */
import type { FastifyInstance } from 'fastify';
import {
  buildCertificate,
  ecdsaRawToDer,
  encodeName,
  ext,
  nameFrom,
  OID,
  respondTimeStamp,
  TIMESTAMP_QUERY_CONTENT_TYPE,
  TIMESTAMP_REPLY_CONTENT_TYPE,
  type Signer,
  type TimeStampAuthority,
} from '@watashi/pki';
import { PLACEHOLDER_TSA_POLICY } from '../config.ts';
import type { PlatformDeps } from '../server/context.ts';
import type { SigningKey } from '../keys/index.ts';
import { problem } from '../server/problem.ts';

/**
 * The default policy of Watashi's TSA (RFC 3161 §2.4.2 TSTInfo.policy): a placeholder for
 * simulation; the operator's own is `tsa.policyOid` (production refuses the placeholder).
 */
export const WATASHI_TSA_POLICY = PLACEHOLDER_TSA_POLICY;
/** The key store purpose of the TSA key. */
export const TSA_KEY_PURPOSE = 'tsa';
/** Largest time-stamp query read (a TimeStampReq is ~60 bytes). */
const MAX_QUERY = 4096;
/** The TSA certificate's lifetime from the key's first use. */
const CERT_YEARS = 10;

/** SubjectPublicKeyInfo of a P-256 public key from its JWK (RFC 5480 §2: uncompressed point). */
function p256Spki(x: string, y: string): Uint8Array {
  const prefix = Uint8Array.from(Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'));
  const point = Buffer.concat([Buffer.of(4), Buffer.from(x, 'base64url'), Buffer.from(y, 'base64url')]);
  return Uint8Array.from(Buffer.concat([prefix, point]));
}

/** A pki `Signer` over a key store signing key (JWS R ‖ S → DER Ecdsa-Sig-Value). */
export function keyStoreSigner(key: SigningKey): Signer {
  return {
    algorithm: 'ECDSA-SHA256',
    spki: p256Spki(key.publicJwk.x, key.publicJwk.y),
    sign: async (data) => ecdsaRawToDer(await key.sign(data)),
  };
}

/** One TSA per key store, shared by every route of the process (one certificate, not several). */
const byKeyStore = new WeakMap<object, () => Promise<TimeStampAuthority>>();

/** Builds (once per process and key store) the TSA configuration over the key store's `tsa` key. */
export function platformTsa(
  deps: Pick<PlatformDeps, 'keys' | 'now' | 'config'>,
): () => Promise<TimeStampAuthority> {
  const known = byKeyStore.get(deps.keys);
  if (known) return known;
  let built: Promise<TimeStampAuthority> | undefined;
  const get = (): Promise<TimeStampAuthority> => {
    built ??= (async () => {
      if (!deps.keys.signingKeys) throw new TypeError('the key store cannot sign');
      const [key] = await deps.keys.signingKeys(TSA_KEY_PURPOSE);
      if (!key) throw new TypeError('no TSA key');
      const signer = keyStoreSigner(key);
      const name = encodeName(
        nameFrom([
          ['C', 'JP'],
          ['O', 'Watashi'],
          ['CN', `Watashi TSA ${key.keyId}`],
        ]),
      );
      // keyId is `<yyyymmddhhmmss>-<8 hex>` (keys/key-store.ts): the key's birth dates the certificate.
      const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})-([0-9a-f]{8})$/.exec(key.keyId);
      const created = m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : deps.now();
      // The platform's clock may stand before the key's creation (an injected clock): the
      // certificate then starts at the clock, or no token could be issued.
      const born = new Date(Math.min(created.getTime(), Math.floor(deps.now().getTime() / 1000) * 1000));
      const notAfter = new Date(born);
      notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CERT_YEARS);
      const certificate = await buildCertificate(
        {
          serial: BigInt(`0x${m?.[7] ?? '01'}`) + 1n,
          issuer: name,
          subject: name,
          notBefore: born,
          notAfter,
          spki: signer.spki,
          extensions: [
            ext.basicConstraints(false),
            ext.keyUsage(['digitalSignature']),
            ext.extKeyUsage([OID.kpTimeStamping], true),
          ],
        },
        signer,
      );
      return { signer, certificate, policy: deps.config.tsa.policyOid, now: deps.now };
    })();
    built.catch(() => {
      built = undefined;
    });
    return built;
  };
  byKeyStore.set(deps.keys, get);
  return get;
}

/** Registers `POST /tsa` and `GET /tsa/certificate`. */
export async function registerTsaRoutes(app: FastifyInstance, deps: PlatformDeps): Promise<void> {
  const tsa = platformTsa(deps);
  await app.register((scope, _opts, done) => {
    scope.addContentTypeParser(
      TIMESTAMP_QUERY_CONTENT_TYPE,
      { parseAs: 'buffer', bodyLimit: MAX_QUERY },
      (_req, body, next) => {
        next(null, body);
      },
    );
    scope.post('/tsa', { config: { auth: 'public', rateLimit: 'default' } }, async (req, reply) => {
      if (!Buffer.isBuffer(req.body))
        throw problem('tsa_query_invalid', 415, `send an ${TIMESTAMP_QUERY_CONTENT_TYPE} body`);
      const answer = await respondTimeStamp(new Uint8Array(req.body), await tsa());
      req.log.info(
        { status: answer.status, failure: answer.failure, serial: answer.serial?.toString(16) },
        'time-stamp',
      );
      return reply
        .type(TIMESTAMP_REPLY_CONTENT_TYPE)
        .header('cache-control', 'no-store')
        .send(Buffer.from(answer.der));
    });
    scope.get('/tsa/certificate', { config: { auth: 'public' } }, async (_req, reply) =>
      reply
        .type('application/pkix-cert')
        .header('cache-control', 'public, max-age=3600')
        .send(Buffer.from((await tsa()).certificate)),
    );
    done();
  });
}
