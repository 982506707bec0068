// B-LT evidence for a JPKI signing certificate through the platform's JpkiBackend, as createPlatform
// wraps it (fee ledger → HTTP to the simulator): the OCSP answer embedded in the signature is the
// one J-LIS billed, recorded in the fee ledger as a signature verification (docs/jpki.md §2.4),
// and the signature then validates offline.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JpkiCardClient, type JpkiTrustStore } from '@watashi/jpki';
import {
  cardSigner,
  jpkiBackendEvidence,
  localTimeStamper,
  signCades,
  validateCades,
} from '@watashi/signature';
import { buildCertificate, encodeName, ext, nameFrom, OID, parseCertificate } from '@watashi/pki';
import { nodeGenerateKey, nodeSigner } from '@watashi/pki/node';
import { platformConfigSchema } from '../../src/config.ts';
import { createJpkiBackend, LedgerJpkiBackend } from '../../src/jlis/index.ts';
import { forEachEngine } from '../db/harness.ts';
import { simTrust, startSim, type TestSim } from '../enrolment/support.ts';

let sim: TestSim;
let trust: JpkiTrustStore;
const FEES = platformConfigSchema.parse({}).fees;

beforeAll(async () => {
  sim = await startSim('signature-evidence', new Date('2025-02-03T01:00:00Z'));
  trust = await simTrust(sim);
});
afterAll(async () => {
  await sim?.close();
});

/** A TSA (root + certificate with the critical timeStamping EKU) on the simulator's clock. */
async function tsa() {
  const key = nodeSigner(nodeGenerateKey('ECDSA-SHA256'), 'ECDSA-SHA256');
  const name = encodeName(nameFrom([['CN', 'Evidence Test TSA']]));
  const certificate = await buildCertificate(
    {
      serial: 7n,
      issuer: name,
      subject: name,
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2040-01-01T00:00:00Z'),
      spki: key.spki,
      extensions: [ext.keyUsage(['digitalSignature']), ext.extKeyUsage([OID.kpTimeStamping], true)],
    },
    key,
  );
  return {
    root: parseCertificate(certificate),
    authority: { signer: key, certificate, policy: '1.3.6.1.4.1.99999.2', now: () => sim.clock.now() },
  };
}

forEachEngine((t) => {
  describe('B-LT evidence through the JpkiBackend', () => {
    let backend: LedgerJpkiBackend;
    beforeAll(() => {
      const config = platformConfigSchema.parse({
        mode: 'simulation',
        jlis: { kind: 'simulator', url: sim.url, operatorId: 'watashi-signature-test' },
        publicUrl: 'https://watashi.example',
      });
      const now = () => sim.clock.now();
      backend = new LedgerJpkiBackend(createJpkiBackend(config.jlis!, { now }), {
        db: t.db,
        now,
        fees: () => FEES,
        trust,
      });
    });
    beforeEach(async () => {
      await t.db.deleteFrom('fee_ledger').execute();
    });

    it('ok-the-embedded-ocsp-answer-is-billed-as-a-signature-verification', async () => {
      const r = await sim.s.sim.addResident({ name: '証拠　一郎', birthDate: '1970-07-07' });
      const { card } = await sim.s.sim.issueCard(r.id, { signPin: 'EVID01', authPin: '1234' });
      await fetch(`${sim.url}/cards/${card.tokenId}/session`, { method: 'POST' });
      const client = new JpkiCardClient({
        transmit: async (apdu) =>
          new Uint8Array(
            await (
              await fetch(`${sim.url}/cards/${card.tokenId}/apdu`, {
                method: 'POST',
                headers: { 'content-type': 'application/octet-stream' },
                body: new Uint8Array(apdu),
              })
            ).arrayBuffer(),
          ),
      });
      const { root, authority } = await tsa();
      const content = new TextEncoder().encode('申請書\n');
      const p7s = await signCades({
        content,
        signer: await cardSigner(client, 'EVID01'),
        signingTime: sim.clock.now(),
        level: 'B-LT',
        timeStamper: localTimeStamper(authority),
        evidence: jpkiBackendEvidence(backend),
      });
      const rows = await t.db.selectFrom('fee_ledger').selectAll().execute();
      expect(rows.map((x) => [x.method, x.purpose, x.certificate, x.price_yen, x.outcome])).toEqual([
        ['ocsp', 'signature_verification', 'sign', 20, 'good'],
      ]);
      const report = await validateCades({
        cms: p7s,
        content,
        anchors: trust.anchors('sign'),
        tsaAnchors: [root],
        now: new Date('2032-01-01T00:00:00Z'),
      });
      expect(report).toMatchObject({ indication: 'TOTAL-PASSED', level: 'B-LT', networkUsed: false });
    });
  });
});
