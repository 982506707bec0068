// The public verification page and its API over real HTTP: a PDF signed with a hosted card and
// time-stamped by the platform's own POST /tsa is reported TOTAL-PASSED with the signer's name
// and the proven time; an unsigned PDF, garbage and a wrong content type get stable answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { JpkiTrustStore } from '@watashi/jpki';
import { JpkiCardClient } from '@watashi/jpki';
import { cardSigner, httpTimeStamper, ocspHttpEvidence, signPdf } from '@watashi/signature';
import { buildServer } from '../../src/server/app.ts';
import { registerSignatureRoutes } from '../../src/signature/index.ts';
import { registerTsaRoutes } from '../../src/tsa/index.ts';
import { forEachEngine } from '../db/harness.ts';
import { simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import { listen, testDeps } from '../server/support.ts';
import { minimalPdf } from '../../../signature/test/fixtures.ts';

let sim: TestSim;
let trust: JpkiTrustStore;

beforeAll(async () => {
  sim = await startSim('verify-page', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
});
afterAll(async () => {
  await sim?.close();
});

forEachEngine((t) => {
  describe('GET /verify and POST /api/signatures/verify', () => {
    let app: FastifyInstance;
    let base: string;
    beforeAll(async () => {
      const deps = { ...(await testDeps(t, {}, () => sim.clock.now())), trust };
      app = await buildServer(deps);
      await registerTsaRoutes(app, deps);
      await registerSignatureRoutes(app, deps);
      base = await listen(app);
    });
    afterAll(async () => {
      await app?.close();
    });

    const verify = (body: Uint8Array, type = 'application/pdf') =>
      fetch(`${base}/api/signatures/verify`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: new Uint8Array(body),
      });

    it('ok-a-card-signed-pdf-stamped-by-the-platform-passes-with-name-and-time', async () => {
      const r = await sim.s.sim.addResident({ name: '確認　花子', birthDate: '1992-02-02' });
      const { card } = await sim.s.sim.issueCard(r.id, { signPin: 'PAGE01', authPin: '1234' });
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
      const signed = await signPdf({
        pdf: minimalPdf('Application form'),
        signer: await cardSigner(client, 'PAGE01'),
        now: sim.clock.now(),
        level: 'B-LT',
        timeStamper: httpTimeStamper(`${base}/tsa`),
        evidence: ocspHttpEvidence({ url: `${sim.url}/ocsp` }),
      });
      const res = await verify(signed);
      expect(res.status).toBe(200);
      const report = (await res.json()) as { signatures: Array<Record<string, unknown>> };
      expect(report.signatures).toHaveLength(1);
      expect(report.signatures[0]).toMatchObject({
        indication: 'TOTAL-PASSED',
        level: 'B-LT',
        networkUsed: false,
        signer: { name: '確認　花子' },
      });
      expect(typeof report.signatures[0]!.provenAt).toBe('string');
    });

    it('ok-unsigned-garbage-and-wrong-type-have-stable-answers-and-the-page-is-served', async () => {
      expect(await (await verify(minimalPdf())).json()).toMatchObject({ code: 'signature_not_found' });
      expect(await (await verify(new TextEncoder().encode('not a pdf'))).json()).toMatchObject({
        code: 'signature_malformed',
      });
      const wrong = await verify(new TextEncoder().encode('{}'), 'application/json');
      expect(wrong.status).toBeGreaterThanOrEqual(400);
      expect(wrong.status).toBeLessThan(500);
      const page = await fetch(`${base}/verify`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('署名を確かめる');
      const js = await fetch(`${base}/verify.js`);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
    });
  });
});
