// verifyEnrolmentSignature on its own (no database): the documented order of checks is the order
// failures are reported in, and later steps — the J-LIS query, the nonce — are not reached when an
// earlier one fails.
import { createPrivateKey, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCertificate, isWatashiError, parseCertificate, type Certificate } from '@watashi/pki';
import { nodeSigner, nodeVerifier } from '@watashi/pki/node';
import type { JpkiTrustStore } from '@watashi/jpki';
import { createJpkiBackend } from '../../src/jlis/index.ts';
import type { JpkiBackend, StatusEvidence } from '../../src/jlis/backend.ts';
import type { NonceOutcome } from '../../src/store/nonces.ts';
import { buildEnrolmentDocument } from '../../src/enrolment/document.ts';
import {
  MAX_SIGNATURE_INPUT_BYTES,
  verifyEnrolmentSignature,
  type EnrolmentSignature,
  type VerifyEnrolmentContext,
} from '../../src/enrolment/verify-enrolment-signature.ts';
import { newResident, simTrust, startSim, type CardHolder, type TestSim } from './support.ts';

let sim: TestSim;
let other: TestSim;
let trust: JpkiTrustStore;
let holder: CardHolder;
let stranger: CardHolder;

beforeAll(async () => {
  const at = new Date(Math.floor(Date.now() / 1000) * 1000);
  sim = await startSim('verify-order', at);
  other = await startSim('verify-order-other', at);
  trust = await simTrust(sim);
  holder = await newResident(sim);
  stranger = await newResident(other);
});

afterAll(async () => {
  await sim?.close();
  await other?.close();
});

const doc = (n: number): Uint8Array =>
  buildEnrolmentDocument({
    purpose: 'enrolment',
    operator: { id: 'watashi', url: 'https://watashi.example' },
    nonce: new Uint8Array(32).fill(n),
    issuedAt: sim.clock.now(),
    expiresAt: new Date(sim.clock.now().getTime() + 600_000),
  }).bytes;

/** A context counting J-LIS queries and nonce checks. */
function context(
  over: { now?: Date; nonce?: NonceOutcome; backend?: JpkiBackend; policy?: 'hard-fail' | 'soft-fail' } = {},
): VerifyEnrolmentContext & { counts: { ocsp: number; nonce: number } } {
  const counts = { ocsp: 0, nonce: 0 };
  const real =
    over.backend ??
    createJpkiBackend(
      { kind: 'simulator', url: sim.url, operatorId: 'watashi' },
      { now: () => sim.clock.now() },
    );
  return {
    counts,
    trust,
    now: over.now ?? sim.clock.now(),
    ...(over.policy ? { revocationPolicy: over.policy } : {}),
    backend: {
      ocspStatus(cert: Certificate, issuer: Certificate): Promise<StatusEvidence> {
        counts.ocsp++;
        return real.ocspStatus(cert, issuer);
      },
    },
    checkNonce() {
      counts.nonce++;
      return Promise.resolve(over.nonce ?? 'ok');
    },
  };
}

async function code(
  document: Uint8Array,
  signature: EnrolmentSignature,
  ctx: VerifyEnrolmentContext,
): Promise<string> {
  try {
    await verifyEnrolmentSignature({ document, signature }, ctx);
    return 'ok';
  } catch (e) {
    if (isWatashiError(e)) return e.code;
    throw e;
  }
}

describe('verifyEnrolmentSignature', () => {
  it('ok-cms-and-raw-verify-with-evidence', async () => {
    const d = doc(1);
    const ctx = context();
    const v = await verifyEnrolmentSignature({ document: d, signature: { cms: await holder.cms(d) } }, ctx);
    expect(v).toMatchObject({ format: 'cms', variant: 'card', status: { status: 'good', source: 'ocsp' } });
    expect(v.status.ocspResponse?.length).toBeGreaterThan(0);
    const raw = await holder.raw(d);
    expect((await verifyEnrolmentSignature({ document: d, signature: raw }, ctx)).format).toBe('pkcs1');
    expect(ctx.counts).toEqual({ ocsp: 2, nonce: 2 });
  });

  it('fail-oversized-before-anything-else', async () => {
    const ctx = context();
    expect(await code(doc(2), { cms: new Uint8Array(MAX_SIGNATURE_INPUT_BYTES + 1) }, ctx)).toBe(
      'enrolment_body_too_large',
    );
    expect(ctx.counts).toEqual({ ocsp: 0, nonce: 0 });
  });

  it('fail-wrong-chain-is-reported-before-expiry-and-before-jlis', async () => {
    const d = doc(3);
    const raw = await stranger.raw(d);
    const cert = parseCertificate(raw.certificate);
    const ctx = context({ now: new Date(cert.notAfter.getTime() + 86_400_000) });
    expect(await code(d, raw, ctx)).toBe('enrolment_certificate_chain');
    expect(ctx.counts).toEqual({ ocsp: 0, nonce: 0 });
  });

  it('fail-expiry-is-reported-before-jlis', async () => {
    const d = doc(4);
    const raw = await holder.raw(d);
    const cert = parseCertificate(raw.certificate);
    const ctx = context({ now: new Date(cert.notAfter.getTime() + 1000) });
    expect(await code(d, raw, ctx)).toBe('enrolment_certificate_expired');
    const early = context({ now: new Date(cert.notBefore.getTime() - 1000) });
    expect(await code(d, raw, early)).toBe('enrolment_certificate_not_yet_valid');
    expect([ctx.counts.ocsp, early.counts.ocsp]).toEqual([0, 0]);
  });

  it('fail-copied-certificate-with-a-bad-signature-never-reaches-jlis', async () => {
    // The resident's real certificate with a signature over another document (what anyone holding
    // a copy of the certificate but not the card can send): refused before the billed query.
    const d = doc(5);
    const ctx = context();
    expect(await code(d, await holder.raw(doc(6)), ctx)).toBe('enrolment_signature_mismatch');
    const copied = await holder.raw(d);
    expect(
      await code(d, { certificate: copied.certificate, signature: new Uint8Array(256).fill(7) }, ctx),
    ).toBe('enrolment_signature_mismatch');
    expect(ctx.counts).toEqual({ ocsp: 0, nonce: 0 });
  });

  it('fail-jlis-unavailable-is-reported-after-the-signature-and-nonce', async () => {
    const down = createJpkiBackend(
      { kind: 'simulator', url: 'http://127.0.0.1:9', operatorId: 'watashi' },
      { timeoutMs: 2000 },
    );
    const d = doc(5);
    const ctx = context({ backend: down });
    expect(await code(d, await holder.raw(d), ctx)).toBe('enrolment_revocation_unavailable');
    expect(ctx.counts).toEqual({ ocsp: 1, nonce: 1 });
    // Under soft-fail the same status is `unknown` and the enrolment verifies.
    const soft = context({ backend: down, policy: 'soft-fail' });
    expect(await code(d, await holder.raw(d), soft)).toBe('ok');
  });

  it('fail-signature-is-reported-before-the-nonce', async () => {
    const d = doc(7);
    const ctx = context({ nonce: 'used' });
    expect(await code(d, { cms: await holder.cms(doc(8), true) }, ctx)).toBe('enrolment_signature_mismatch');
    expect(ctx.counts).toEqual({ ocsp: 0, nonce: 0 });
    expect(await code(d, { cms: await holder.cms(d, true) }, ctx)).toBe('enrolment_nonce_replayed');
    // A replayed document is refused before J-LIS too.
    expect(ctx.counts).toEqual({ ocsp: 0, nonce: 1 });
    expect(await code(d, { cms: await holder.cms(d) }, context({ nonce: 'expired' }))).toBe(
      'enrolment_nonce_expired',
    );
    expect(await code(d, { cms: await holder.cms(d) }, context({ nonce: 'unknown' }))).toBe(
      'enrolment_nonce_invalid',
    );
  });

  it('fail-profile-is-reported-before-the-chain', async () => {
    const d = doc(9);
    // The other simulator's user-auth certificate: wrong profile and wrong chain; profile first.
    const ctx = context();
    expect(await code(d, await stranger.rawAuth(d), ctx)).toBe('enrolment_certificate_profile');
    expect(ctx.counts).toEqual({ ocsp: 0, nonce: 0 });
  });

  describe('key strength (docs/jpki.md §0, 施行規則 §2)', () => {
    /**
     * The holder's real certificate re-issued for a weak key and signed with the simulator CA's
     * own key: the chain is right, only the key is wrong. Returns it with a signature over `d`.
     */
    async function forged(
      d: Uint8Array,
      options: { modulusLength: number; publicExponent: number },
    ): Promise<{ certificate: Uint8Array; signature: Uint8Array }> {
      const real = parseCertificate((await holder.raw(d)).certificate);
      const verifier = nodeVerifier();
      let caKey;
      for (const c of sim.s.sim.info().caCertificates.filter((x) => x.purpose === 'sign')) {
        const ca = parseCertificate(sim.s.sim.caCertificate('sign', c.generation));
        if (await verifier.verify(ca.spki, 'RSA-SHA256', real.tbs, real.signature))
          caKey = createPrivateKey(readFileSync(join(sim.dir, 'keys', `sign-${c.generation}.key.pem`)));
      }
      if (caKey === undefined) throw new Error('no simulator CA issued the holder certificate');
      const weak = generateKeyPairSync('rsa', options);
      const spki = new Uint8Array(weak.publicKey.export({ type: 'spki', format: 'der' }));
      const certificate = await buildCertificate(
        {
          serial: real.serial,
          issuer: real.issuer.der,
          subject: real.subject.der,
          notBefore: real.notBefore,
          notAfter: real.notAfter,
          spki,
          extensions: real.extensions.map((e) => ({ oid: e.oid, critical: e.critical, value: e.value })),
        },
        nodeSigner(caKey, 'RSA-SHA256'),
      );
      const signature = new Uint8Array(nodeSign('sha256', d, weak.privateKey));
      return { certificate, signature };
    }

    it.each([
      ['RSA-1024', { modulusLength: 1024, publicExponent: 65537 }],
      ['RSA-2048 with e = 3', { modulusLength: 2048, publicExponent: 3 }],
    ])('fail-%s-key-is-enrolment_certificate_profile-before-jlis', async (_, options) => {
      const d = doc(20);
      const ctx = context();
      try {
        await verifyEnrolmentSignature({ document: d, signature: await forged(d, options) }, ctx);
        expect.unreachable('a weak key enrolled');
      } catch (e) {
        if (!isWatashiError(e)) throw e;
        expect(e.code).toBe('enrolment_certificate_profile');
        expect(e.detail?.['check']).toBe('key');
      }
      expect(ctx.counts).toEqual({ ocsp: 0, nonce: 0 });
    });
  });
});
