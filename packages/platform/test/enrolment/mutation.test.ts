// Mutation test of the enrolment verifier (issue 21, item 7): a valid completion (attached CMS
// SignedData with the signing certificate, and the raw PKCS#1 form with the certificate) is
// mutated one bit at a time and every mutation is verified directly (no HTTP, J-LIS stubbed
// "good" so that only the signature, certificate and structure checks decide).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWatashiError } from '@watashi/pki';
import type { JpkiTrustStore } from '@watashi/jpki';
import type { StatusEvidence } from '../../src/jlis/backend.ts';
import { buildEnrolmentDocument } from '../../src/enrolment/document.ts';
import {
  verifyEnrolmentSignature,
  type EnrolmentSignature,
  type VerifyEnrolmentContext,
} from '../../src/enrolment/verify-enrolment-signature.ts';
import { newResident, simTrust, startSim, type CardHolder, type TestSim } from './support.ts';

let sim: TestSim;
let trust: JpkiTrustStore;
let holder: CardHolder;

beforeAll(async () => {
  sim = await startSim('mutation', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
  holder = await newResident(sim);
});
afterAll(async () => {
  await sim?.close();
});

function context(): VerifyEnrolmentContext {
  const now = sim.clock.now();
  const good: StatusEvidence = { source: 'ocsp', status: 'good', thisUpdate: now, checkedAt: now };
  return {
    trust,
    now,
    backend: { ocspStatus: () => Promise.resolve(good) },
    checkNonce: () => Promise.resolve('ok'),
  };
}

async function outcome(document: Uint8Array, signature: EnrolmentSignature, ctx: VerifyEnrolmentContext) {
  try {
    await verifyEnrolmentSignature({ document, signature }, ctx);
    return 'ok';
  } catch (e) {
    if (isWatashiError(e)) return e.code;
    return `THROWN ${(e as Error).message}`;
  }
}

const flip = (b: Uint8Array, pos: number, bit: number): Uint8Array => {
  const c = new Uint8Array(b);
  c[pos] = c[pos]! ^ (1 << bit);
  return c;
};

/**
 * Accepted mutations that are harmless, and why (nothing else may be accepted):
 *
 * - Bits of SignedData.digestAlgorithms (the SET after the version): RFC 5652 §5.1 makes it an
 *   unsigned hint for one-pass processing that "MAY" hold any number of identifiers, zero
 *   included; the digest actually used is the SignerInfo's digestAlgorithm, which the signature
 *   binds through the signed attributes, and its mutations are refused. Refusing odd hints would
 *   refuse conforming signatures and protect nothing.
 *
 * Everything else, in the CMS and in the certificate, is refused: the certificate's bytes are all
 * under the CA's signature except its outer signatureAlgorithm and signature (both checked:
 * RFC 5280 §4.1.1.2, the outer algorithm must equal tbsCertificate.signature); the CMS's
 * encapsulated content is the document compared byte for byte, its signed attributes are under
 * the signature, and the structure (version, lengths, trailing bytes) is parsed as DER.
 */
describe('enrolment verifier mutations', () => {
  let d: Uint8Array;
  let cms: Uint8Array;
  let raw: { signature: Uint8Array; certificate: Uint8Array };
  let ctx: VerifyEnrolmentContext;
  beforeAll(async () => {
    d = buildEnrolmentDocument({
      purpose: 'enrolment',
      operator: { id: 'watashi', url: 'https://watashi.example' },
      nonce: new Uint8Array(32).fill(7),
      issuedAt: sim.clock.now(),
      expiresAt: new Date(sim.clock.now().getTime() + 600_000),
    }).bytes;
    cms = await holder.cms(d);
    raw = await holder.raw(d);
    ctx = context();
  });

  /** Where SignedData.digestAlgorithms lies in `cms`: after `02 01 01` (version 1), a SET. */
  function digestAlgorithmsRange(): [number, number] {
    for (let i = 0; i < 64; i++)
      if (cms[i] === 0x02 && cms[i + 1] === 0x01 && cms[i + 2] === 0x01 && cms[i + 3] === 0x31)
        return [i + 3, i + 3 + 2 + cms[i + 4]!];
    throw new Error('no digestAlgorithms');
  }

  it('ok-the-unmutated-completion-verifies', async () => {
    expect(await outcome(d, { cms }, ctx)).toBe('ok');
    expect(await outcome(d, raw, ctx)).toBe('ok');
  });

  it('fail-structural-mutations-corpus-is-refused', async () => {
    const withByte = (b: Uint8Array, x: number) => new Uint8Array([...b, x]);
    // The version byte of SignedData (1 → 3, which RFC 5652 §5.1 reserves for other content).
    const [setAt] = digestAlgorithmsRange();
    const version3 = new Uint8Array(cms);
    version3[setAt - 1] = 3;
    // The certificate's outer signatureAlgorithm changed from sha256WithRSAEncryption (…01 01 0b)
    // to sha384WithRSAEncryption: its last occurrence in the certificate.
    const c = new Uint8Array(raw.certificate);
    const oid = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    let last = -1;
    for (let i = 0; i + oid.length <= c.length; i++) if (oid.every((b, j) => c[i + j] === b)) last = i;
    expect(last).toBeGreaterThan(0);
    c[last + oid.length - 1] = 0x0c;
    const corpus: Array<[string, EnrolmentSignature]> = [
      ['cms with a trailing byte', { cms: withByte(cms, 0) }],
      ['SignedData version 3 with issuerAndSerialNumber and id-data', { cms: version3 }],
      ['certificate with a trailing byte', { ...raw, certificate: withByte(raw.certificate, 0) }],
      ['outer signatureAlgorithm differs from tbsCertificate.signature', { ...raw, certificate: c }],
    ];
    for (const [name, sig] of corpus) expect(await outcome(d, sig, ctx), name).not.toBe('ok');
  });

  it('fail-every-single-bit-mutation-outside-the-harmless-fields-is-refused', async () => {
    const [from, to] = digestAlgorithmsRange();
    const accepted: string[] = [];
    const crashed: string[] = [];
    for (let pos = 0; pos < cms.length; pos++) {
      const o = await outcome(d, { cms: flip(cms, pos, pos % 8) }, ctx);
      if (o === 'ok' && !(pos >= from && pos < to)) accepted.push(`cms ${pos}.${pos % 8}`);
      if (o.startsWith('THROWN')) crashed.push(`cms ${pos}: ${o}`);
    }
    for (let pos = 0; pos < raw.certificate.length; pos++) {
      const bit = (pos * 3) % 8;
      const o = await outcome(d, { ...raw, certificate: flip(raw.certificate, pos, bit) }, ctx);
      if (o === 'ok') accepted.push(`certificate ${pos}.${bit}`);
      if (o.startsWith('THROWN')) crashed.push(`certificate ${pos}: ${o}`);
    }
    // Every refusal is a stable WatashiError code, never a crash.
    expect(crashed).toEqual([]);
    expect(accepted).toEqual([]);
  }, 120_000);
});
