/**
 * The simulator's CAs (docs/jpki.md §6.1): per generation, two one-tier self-signed roots —
 * signing and user authentication — under `O=JPKI-SIM` with the OU strings and extension order of
 * the real roots (§1.1). All generations of a purpose share one DN, so verifiers must choose the
 * issuer by key. Production trust configuration refuses `O=JPKI-SIM` roots (@watashi/jpki trust).
 */
import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { parseCertificate, parseSpki, fromBase64, toBase64, toHex } from '@watashi/pki';
import { nodeSigner } from '@watashi/pki/node';
import { buildJpkiCaCertificate } from '@watashi/jpki';
import { caKey, nextSerial, type CaRuntime, type SimContext } from './context.ts';
import { simError } from './errors.ts';
import type { CaRecord, Purpose } from './model.ts';

/** Purposes in a fixed order. */
export const PURPOSES: ReadonlyArray<Purpose> = ['sign', 'auth'];

const hash = (alg: 'sha1' | 'sha256', data: Uint8Array): Uint8Array =>
  new Uint8Array(createHash(alg).update(data).digest());

/** Builds the in-memory view of a CA record with its key. */
function runtimeOf(record: CaRecord, key: KeyObject): CaRuntime {
  const der = fromBase64(record.certificate);
  const certificate = parseCertificate(der);
  const keyBits = parseSpki(certificate.spki).publicKey;
  // RFC 6960 §4.1.1: issuerNameHash over the issuer's DN DER, issuerKeyHash over the key bits.
  // SHA-1 is accepted only to *match* CertIDs sent by clients (openssl's default); nothing is
  // signed or trusted on the strength of it.
  const certIdKeys = {
    'SHA-1': toHex(hash('sha1', certificate.subject.der)) + toHex(hash('sha1', keyBits)),
    'SHA-256': toHex(hash('sha256', certificate.subject.der)) + toHex(hash('sha256', keyBits)),
  };
  return {
    record,
    purpose: record.purpose,
    generation: record.generation,
    der,
    certificate,
    key,
    signer: nodeSigner(key, 'RSA-SHA256'),
    sha256: toHex(hash('sha256', der)),
    certIdKeys,
  };
}

/**
 * Ensures a CA exists for every configured generation × purpose: loads those in the state and
 * creates the missing ones (key file first, then the record, so a crash never leaves a record
 * without its key).
 */
export async function loadOrCreateCas(ctx: SimContext): Promise<void> {
  for (const gen of ctx.config.generations) {
    for (const purpose of PURPOSES) {
      let record = ctx.state.cas.find((c) => c.purpose === purpose && c.generation === gen.name);
      let key: KeyObject;
      if (record) {
        key = createPrivateKey(ctx.store.readKey(record.keyFile));
      } else {
        key = ctx.keys.rsa2048();
        const keyFile = `${purpose}-${gen.name}.key.pem`;
        ctx.store.writeKey(keyFile, key.export({ type: 'pkcs8', format: 'pem' }).toString());
        const notBefore = new Date(`${gen.notBefore}T00:00:00Z`);
        // docs/jpki.md §1.1: CA notAfter is 14:59:59Z (23:59:59 JST).
        const notAfter = new Date(`${gen.notAfter}T14:59:59Z`);
        const serial = nextSerial(ctx);
        const der = await buildJpkiCaCertificate({
          purpose,
          organization: 'JPKI-SIM',
          serial,
          notBefore,
          notAfter,
          signer: nodeSigner(key, 'RSA-SHA256'),
        });
        record = {
          purpose,
          generation: gen.name,
          serial: serial.toString(),
          certificate: toBase64(der),
          notBefore: notBefore.toISOString(),
          notAfter: notAfter.toISOString(),
          keyFile,
          crlNumber: '0',
        };
        ctx.state.cas.push(record);
        ctx.log.info({ purpose, generation: gen.name }, 'created simulator CA');
      }
      ctx.cas.set(caKey(purpose, gen.name), runtimeOf(record, key));
    }
  }
  ctx.save();
}

/** The CA of `purpose`/`generation`; throws `ca_not_found`. */
export function caOf(ctx: SimContext, purpose: Purpose, generation: string): CaRuntime {
  const ca = ctx.cas.get(caKey(purpose, generation));
  if (!ca) throw simError('ca_not_found', `no ${purpose} CA of generation ${generation}`);
  return ca;
}

/** The CA new certificates of `purpose` are issued from: the newest generation valid now. */
export function issuingCa(ctx: SimContext, purpose: Purpose, at: Date = ctx.clock.now()): CaRuntime {
  const valid = [...ctx.cas.values()].filter(
    (c) =>
      c.purpose === purpose &&
      c.certificate.notBefore.getTime() <= at.getTime() &&
      at.getTime() <= c.certificate.notAfter.getTime(),
  );
  valid.sort((a, b) => b.certificate.notBefore.getTime() - a.certificate.notBefore.getTime());
  const ca = valid[0];
  if (!ca) throw simError('ca_not_found', `no ${purpose} CA is valid at ${at.toISOString()}`);
  return ca;
}

/** All CAs, sign before auth, oldest generation first. */
export function allCas(ctx: SimContext): CaRuntime[] {
  return [...ctx.cas.values()].sort(
    (a, b) =>
      PURPOSES.indexOf(a.purpose) - PURPOSES.indexOf(b.purpose) ||
      a.certificate.notBefore.getTime() - b.certificate.notBefore.getTime(),
  );
}
