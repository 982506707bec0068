// The public verification page and its API over real HTTP: a PDF signed with a hosted card and
// time-stamped by the platform's own POST /tsa is reported TOTAL-PASSED with the signer's name
// and the proven time; an unsigned PDF, garbage and a wrong content type get stable answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { JpkiTrustStore } from '@watashi/jpki';
import { JpkiCardClient } from '@watashi/jpki';
import {
  addSignatureTimeStamp,
  addValidationData,
  cardSigner,
  httpTimeStamper,
  ocspHttpEvidence,
  signCades,
  signPdf,
} from '@watashi/signature';
import { prepareCmsSignature, signingCertificateV2Attribute, toBase64 } from '@watashi/pki';
import { buildServer } from '../../src/server/app.ts';
import { registerSignatureRoutes } from '../../src/signature/index.ts';
import { registerTsaRoutes } from '../../src/tsa/index.ts';
import { forEachEngine } from '../db/harness.ts';
import { hostedCard, simTrust, startSim, type TestSim } from '../enrolment/support.ts';
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

    const verifyCms = (signature: Uint8Array, content?: Uint8Array) =>
      fetch(`${base}/api/signatures/verify/cms`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          signature: toBase64(signature),
          ...(content === undefined ? {} : { content: toBase64(content) }),
        }),
      });

    it('ok-a-detached-p7s-with-its-file-and-an-attached-cms-pass-an-altered-file-fails', async () => {
      const r = await sim.s.sim.addResident({ name: '分離　次郎', birthDate: '1980-08-08' });
      const { card } = await sim.s.sim.issueCard(r.id, { signPin: 'PAGE02', authPin: '1234' });
      await fetch(`${sim.url}/cards/${card.tokenId}/session`, { method: 'POST' });
      const client = new JpkiCardClient(hostedCard(sim.url, card.tokenId));
      const signer = await cardSigner(client, 'PAGE02');
      const timeStamper = httpTimeStamper(`${base}/tsa`);
      const evidence = ocspHttpEvidence({ url: `${sim.url}/ocsp` });
      const content = new TextEncoder().encode('委任状\n');
      const p7s = await signCades({
        content,
        signer,
        signingTime: sim.clock.now(),
        level: 'B-LT',
        timeStamper,
        evidence,
      });
      const passed = (await (await verifyCms(p7s, content)).json()) as {
        format: string;
        signatures: Array<Record<string, unknown>>;
      };
      expect(passed.format).toBe('CAdES');
      expect(passed.signatures[0]).toMatchObject({
        indication: 'TOTAL-PASSED',
        level: 'B-LT',
        signer: { name: '分離　次郎' },
      });
      // Without the file it signs: not enough to decide.
      expect((await (await verifyCms(p7s)).json()) as unknown).toMatchObject({
        signatures: [{ indication: 'INDETERMINATE', subIndication: 'SIGNED_DATA_NOT_FOUND' }],
      });
      // With another file: the document was changed.
      expect(
        (await (await verifyCms(p7s, new TextEncoder().encode('委任状（改）\n'))).json()) as unknown,
      ).toMatchObject({
        signatures: [{ indication: 'TOTAL-FAILED', subIndication: 'HASH_FAILURE' }],
      });
      // A CMS that carries its content (attached), with the same attributes and evidence.
      const prepared = await prepareCmsSignature({
        content,
        detached: false,
        certificate: signer.certificate,
        extraCertificates: signer.chain,
        algorithm: signer.algorithm,
        signingTime: sim.clock.now(),
        signedAttributes: [await signingCertificateV2Attribute(signer.certificate)],
      });
      let attached = prepared.finish(await signer.sign(prepared));
      attached = await addValidationData(await addSignatureTimeStamp(attached, timeStamper), evidence);
      expect((await (await verifyCms(attached)).json()) as unknown).toMatchObject({
        signatures: [{ indication: 'TOTAL-PASSED', signer: { name: '分離　次郎' } }],
      });
      // Not base64: the request is refused with the area's code.
      const bad = await fetch(`${base}/api/signatures/verify/cms`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ signature: '***' }),
      });
      expect([bad.status, ((await bad.json()) as { code: string }).code]).toEqual([
        400,
        'signature_request_invalid',
      ]);
      // Not a signature at all.
      expect((await (await verifyCms(content)).json()) as unknown).toMatchObject({
        signatures: [{ indication: 'TOTAL-FAILED', subIndication: 'FORMAT_FAILURE' }],
      });
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
