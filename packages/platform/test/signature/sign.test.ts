// Signing from the wallet with the My Number card, over the platform's real HTTP API (issue 20):
// the platform prepares what the card signs, the hosted card signs the DigestInfo, the platform
// time-stamps it with its own TSA and embeds the chain and a J-LIS OCSP answer (billed in the fee
// ledger). The results are checked by poppler's pdfsig and `openssl cms -verify`, and offline by
// the validator; a bad card signature is refused before anything is billed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildCertificationRequest } from '@watashi/ca';
import { JpkiCardClient, type JpkiTrustStore } from '@watashi/jpki';
import {
  ecdsaRawToDer,
  fromBase64,
  generateKeyPair,
  parseCertificate,
  toBase64,
  webCryptoSigner,
} from '@watashi/pki';
import { validateCades, validatePdf } from '@watashi/signature';
import { platformCa } from '../../src/devices/ca.ts';
import { platformTsa } from '../../src/tsa/index.ts';
import { forEachEngine } from '../db/harness.ts';
import {
  Client,
  enrolResident,
  sessionCookie,
  startPlatform,
  type Resident,
  type TestPlatform,
} from '../authn/support.ts';
import { insertAccount } from '../db/rows.ts';
import { MAX_PENDING, PENDING_TTL_MS } from '../../src/signature/sign.ts';
import { runHousekeeping } from '../../src/store/housekeeping.ts';
import { hostedCard, simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import { minimalPdf } from '../../../signature/test/fixtures.ts';

let sim: TestSim;
let trust: JpkiTrustStore;
let dir: string;

beforeAll(async () => {
  sim = await startSim('card-signing', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
  dir = mkdtempSync(join(tmpdir(), 'watashi-sign-'));
});
afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The card in the resident's hand: reads the signing certificate and signs a DigestInfo. */
async function card(r: Resident) {
  await fetch(`${sim.url}/cards/${r.card.tokenId}/session`, { method: 'POST' });
  const c = new JpkiCardClient(hostedCard(sim.url, r.card.tokenId));
  await c.verifyPin('sign', r.card.signPin);
  return {
    certificate: await c.readCertificate('sign'),
    ca: await c.readCertificate('sign-ca'),
    sign: (digestInfo: Uint8Array) => c.signDigestInfo('sign', digestInfo),
  };
}

forEachEngine((t) => {
  describe('POST /api/signatures/sign → card → complete', () => {
    let p: TestPlatform;
    let r: Resident;
    beforeAll(async () => {
      p = await startPlatform(t, sim, trust);
      r = await enrolResident(p, sim);
    });
    afterAll(async () => {
      await p?.close();
    });
    beforeEach(async () => {
      await t.db.deleteFrom('fee_ledger').execute();
    });

    async function prepare(document: Uint8Array, fileName: string, client = r.client) {
      const c = await card(r);
      const res = await client.post('/api/signatures/sign', {
        fileName,
        document: toBase64(document),
        certificate: toBase64(c.certificate),
        chain: [toBase64(c.ca)],
      });
      return { c, res };
    }

    it('ok-a-pdf-signed-with-the-card-is-b-lt-billed-once-and-passes-pdfsig', async () => {
      const pdf = minimalPdf();
      const { c, res } = await prepare(pdf, '契約書.pdf');
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({
        format: 'pades',
        document: {
          fileName: '契約書.pdf',
          size: pdf.length,
          sha256: Buffer.from(await crypto.subtle.digest('SHA-256', new Uint8Array(pdf))).toString('hex'),
        },
      });
      const signer = res.body['signer'] as { name: string; address: string };
      expect(signer.name).toMatch(/\u3000/);
      expect(signer.address.length).toBeGreaterThan(0);
      // Nothing is billed before the card has signed.
      expect(await t.db.selectFrom('fee_ledger').selectAll().execute()).toEqual([]);
      const signature = await c.sign(fromBase64(res.body['digestInfo'] as string));
      const done = await r.client.post(`/api/signatures/sign/${res.body['id'] as string}/complete`, {
        signature: toBase64(signature),
      });
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body).toMatchObject({
        fileName: '契約書.pdf',
        mediaType: 'application/pdf',
        level: 'B-LT',
      });
      const rows = await t.db.selectFrom('fee_ledger').selectAll().execute();
      expect(rows.map((x) => [x.method, x.purpose, x.certificate, x.account_id])).toEqual([
        ['ocsp', 'signature_verification', 'sign', r.accountId],
      ]);
      const signed = fromBase64(done.body['file'] as string);
      // Kept for the archive job: the handed-out file's hash (not the file) and a first token.
      const records = await t.db
        .selectFrom('signature_records')
        .select(['file_sha256', 'stamps', 'format'])
        .where('account_id', '=', r.accountId)
        .where(
          'file_sha256',
          '=',
          new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(signed))),
        )
        .execute();
      expect(records.map((x) => [x.format, x.stamps])).toEqual([['pades', 1]]);
      // … and in the resident's data export.
      const exported = await r.client.req('GET', '/api/me/export');
      expect(exported.body['signatures']).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            format: 'pades',
            fileSha256: Buffer.from(records[0]!.file_sha256).toString('hex'),
            archiveTimeStamps: 1,
          }),
        ]),
      );
      // Offline, years later, on the embedded evidence and the platform's TSA.
      const report = await validatePdf({
        pdf: signed,
        anchors: trust.anchors('sign'),
        tsaAnchors: [parseCertificate((await platformTsa(p.deps)()).certificate)],
        now: new Date(sim.clock.now().getTime() + 6 * 365 * 86_400_000),
      });
      expect(report.signatures).toHaveLength(1);
      expect(report.signatures[0]).toMatchObject({
        indication: 'TOTAL-PASSED',
        level: 'B-LT',
        networkUsed: false,
        signer: { name: signer.name },
      });
      // poppler checks the signature independently.
      const file = join(dir, `signed-${t.engine}.pdf`);
      writeFileSync(file, signed);
      const out = execFileSync('pdfsig', [file], { encoding: 'utf8' });
      expect(out).toContain('Signature Validation: Signature is Valid.');
      // The same preparation cannot be completed twice.
      const again = await r.client.post(`/api/signatures/sign/${res.body['id'] as string}/complete`, {
        signature: toBase64(signature),
      });
      expect([again.status, again.body['code']]).toEqual([409, 'signature_sign_used']);
    });

    it('ok-any-other-file-gets-a-detached-p7s-that-openssl-verifies', async () => {
      const content = new TextEncoder().encode('申請書: 駐車場の利用\n');
      const { c, res } = await prepare(content, '申請書.txt');
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body['format']).toBe('cades');
      const signature = await c.sign(fromBase64(res.body['digestInfo'] as string));
      const done = await r.client.post(`/api/signatures/sign/${res.body['id'] as string}/complete`, {
        signature: toBase64(signature),
      });
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body).toMatchObject({
        fileName: '申請書.txt.p7s',
        mediaType: 'application/pkcs7-signature',
      });
      const p7s = fromBase64(done.body['file'] as string);
      const report = await validateCades({
        cms: p7s,
        content,
        anchors: trust.anchors('sign'),
        tsaAnchors: [parseCertificate((await platformTsa(p.deps)()).certificate)],
        now: sim.clock.now(),
      });
      expect(report).toMatchObject({ indication: 'TOTAL-PASSED', level: 'B-LT' });
      const f = join(dir, `a-${t.engine}`);
      writeFileSync(`${f}.txt`, content);
      writeFileSync(`${f}.p7s`, p7s);
      writeFileSync(`${f}-ca.pem`, pem(trust.anchors('sign')));
      execFileSync(
        'openssl',
        [
          'cms',
          '-verify',
          '-binary',
          '-inform',
          'DER',
          '-in',
          `${f}.p7s`,
          '-content',
          `${f}.txt`,
          '-CAfile',
          `${f}-ca.pem`,
          '-purpose',
          'any',
          '-out',
          '/dev/null',
        ],
        { stdio: 'pipe' },
      );
    });

    it('ok-a-device-signing-certificate-signs-a-pdf-and-a-p7s-with-watashi-evidence-nothing-billed', async () => {
      // The wallet's device key: a non-extractable WebCrypto P-256 key, its PKCS#10 request for
      // the signing profile, the certificate issued on hold and activated by proof of possession.
      const pair = await generateKeyPair('ECDSA-SHA256');
      const raw = async (data: Uint8Array) =>
        new Uint8Array(
          await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, new Uint8Array(data)),
        );
      const csr = await buildCertificationRequest(await webCryptoSigner(pair, 'ECDSA-SHA256'));
      const issued = await r.client.post('/api/devices/certificates', {
        csr: toBase64(csr),
        profile: 'watashi-device-sign',
        slot: 'signing-phone',
        keyStorage: 'webcrypto',
      });
      expect(issued.status, JSON.stringify(issued.body)).toBe(201);
      const device = issued.body['device'] as { serial: string; certificate: string };
      const activation = issued.body['activation'] as { challenge: string; message: string };
      // Before activation the certificate signs nothing.
      const early = await r.client.post('/api/signatures/sign', {
        fileName: 'x.txt',
        document: toBase64(new Uint8Array([1])),
        certificate: device.certificate,
      });
      expect([early.status, early.body['code']]).toEqual([422, 'signature_certificate_unacceptable']);
      const act = await r.client.post(`/api/devices/certificates/${device.serial}/activate`, {
        challenge: activation.challenge,
        signature: toBase64(await raw(fromBase64(activation.message))),
      });
      expect(act.status, JSON.stringify(act.body)).toBe(200);

      const ca = await platformCa(p.deps);
      const tsaAnchors = [parseCertificate((await platformTsa(p.deps)()).certificate)];
      async function sign(document: Uint8Array, fileName: string, der: boolean) {
        const res = await r.client.post('/api/signatures/sign', {
          fileName,
          document: toBase64(document),
          certificate: device.certificate,
        });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body['algorithm']).toBe('ECDSA-SHA256');
        // WebCrypto answers raw r ‖ s: the wallet converts it to DER; the platform accepts either.
        const s = await raw(fromBase64(res.body['toBeSigned'] as string));
        const done = await r.client.post(`/api/signatures/sign/${res.body['id'] as string}/complete`, {
          signature: toBase64(der ? ecdsaRawToDer(s) : s),
        });
        expect(done.status, JSON.stringify(done.body)).toBe(200);
        return { prepared: res.body, done: done.body, file: fromBase64(done.body['file'] as string) };
      }

      const pdf = await sign(minimalPdf(), '委任状.pdf', true);
      const signer = pdf.prepared['signer'] as { name: string };
      expect(signer.name).toMatch(/\u3000/);
      // Evidence from Watashi's own responder: nothing went to J-LIS, nothing is billed.
      expect(await t.db.selectFrom('fee_ledger').selectAll().execute()).toEqual([]);
      const report = await validatePdf({
        pdf: pdf.file,
        anchors: [ca.root],
        tsaAnchors,
        now: sim.clock.now(),
      });
      expect(report.signatures[0]).toMatchObject({
        indication: 'TOTAL-PASSED',
        level: 'B-LT',
        networkUsed: false,
        signer: { name: signer.name },
      });
      const file = join(dir, `device-${t.engine}.pdf`);
      writeFileSync(file, pdf.file);
      expect(execFileSync('pdfsig', [file], { encoding: 'utf8' })).toContain(
        'Signature Validation: Signature is Valid.',
      );
      // The public verification page knows the Watashi root.
      const page = await fetch(`${p.url}/api/signatures/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/pdf' },
        body: new Uint8Array(pdf.file),
      });
      expect(page.status).toBe(200);
      const shown = (await page.json()) as { signatures: Array<Record<string, unknown>> };
      expect(shown.signatures[0]).toMatchObject({
        indication: 'TOTAL-PASSED',
        signer: { name: signer.name },
      });

      const content = new TextEncoder().encode('同意書\n');
      const p7s = await sign(content, '同意書.txt', false);
      const f = join(dir, `device-${t.engine}`);
      writeFileSync(`${f}.txt`, content);
      writeFileSync(`${f}.p7s`, p7s.file);
      writeFileSync(`${f}-ca.pem`, pem([ca.root]));
      const args = ['-binary', '-inform', 'DER', '-in', `${f}.p7s`];
      execFileSync(
        'openssl',
        ['cms', '-verify', ...args, '-content', `${f}.txt`, '-CAfile', `${f}-ca.pem`, '-purpose', 'any'],
        { stdio: 'pipe' },
      );
      // The SignerInfo names ecdsa-with-SHA256 (RFC 5753 §2.1.1).
      expect(execFileSync('openssl', ['cms', '-cmsout', '-print', ...args], { encoding: 'utf8' })).toMatch(
        /signatureAlgorithm:\s*\n?\s*algorithm: ecdsa-with-SHA256/,
      );
      const cms = await r.client.post('/api/signatures/verify/cms', {
        signature: toBase64(p7s.file),
        content: toBase64(content),
      });
      expect(cms.status).toBe(200);
      expect((cms.body['signatures'] as unknown[])[0]).toMatchObject({ indication: 'TOTAL-PASSED' });
      expect(await t.db.selectFrom('fee_ledger').selectAll().execute()).toEqual([]);

      // A signature by another key is refused; a stopped certificate signs nothing more.
      const again = await r.client.post('/api/signatures/sign', {
        fileName: 'x.txt',
        document: toBase64(content),
        certificate: device.certificate,
      });
      expect(again.status).toBe(200);
      const other = await generateKeyPair('ECDSA-SHA256');
      const forged = new Uint8Array(
        await crypto.subtle.sign(
          { name: 'ECDSA', hash: 'SHA-256' },
          other.privateKey,
          new Uint8Array(fromBase64(again.body['toBeSigned'] as string)),
        ),
      );
      const refused = await r.client.post(`/api/signatures/sign/${again.body['id'] as string}/complete`, {
        signature: toBase64(forged),
      });
      expect([refused.status, refused.body['code']]).toEqual([422, 'signature_card_signature_invalid']);
      const revoked = await r.client.post(`/api/devices/certificates/${device.serial}/revoke`, {
        lost: true,
      });
      expect(revoked.status).toBe(200);
      const late = await r.client.post('/api/signatures/sign', {
        fileName: 'x.txt',
        document: toBase64(content),
        certificate: device.certificate,
      });
      expect([late.status, late.body['code'], late.body['reason']]).toEqual([
        422,
        'signature_certificate_unacceptable',
        'device_certificate_revoked',
      ]);
    });

    it('ok-a-preparation-is-completed-on-another-instance-or-after-a-restart-once-by-its-session', async () => {
      // A second instance of the same deployment: the same database and key directory
      // (docs/scaling.md); the resident's session cookie works on both.
      let b = await startPlatform(t, sim, trust, { keys: p.deps.keys });
      const on = (url: string, cookie = r.client.cookie) => Object.assign(new Client(url), { cookie });
      try {
        const pdf = minimalPdf();
        const { c, res } = await prepare(pdf, '契約書.pdf');
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        const id = res.body['id'] as string;
        const complete = (client: Client, signature: string) =>
          client.post(`/api/signatures/sign/${id}/complete`, { signature });
        // What waits in the database: the digest and the signed attributes in clear; the file
        // name, the certificates and the document only sealed.
        const row = await t.db
          .selectFrom('signing_preparations')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        expect(row).toMatchObject({ account_id: r.accountId, format: 'pades', consumed_at: null });
        expect(toBase64(row.to_be_signed)).toBe(res.body['toBeSigned']);
        expect(Buffer.from(row.document_sha256).toString('hex')).toBe(
          (res.body['document'] as { sha256: string }).sha256,
        );
        const sealed = Buffer.from(row.sealed!);
        for (const clear of [Buffer.from('%PDF-'), Buffer.from('契約書'), Buffer.from(c.certificate)])
          expect(sealed.includes(clear)).toBe(false);
        // The document, its certificates and a small header: the size the row grows by.
        const overhead = sealed.length - pdf.length;
        expect(overhead).toBeGreaterThan(c.certificate.length + c.ca.length);
        expect(overhead).toBeLessThan(2 * (c.certificate.length + c.ca.length) + 1024);
        console.log(
          `[signprep] ${t.engine}: sealed ${sealed.length} B for a ${pdf.length} B document (+${overhead} B: certificates, header, tag); to_be_signed ${row.to_be_signed.length} B`,
        );

        const signature = toBase64(await c.sign(fromBase64(res.body['digestInfo'] as string)));
        // Another account's session, or another session of the same account, finds nothing — and
        // does not use the preparation up.
        for (const cookie of [
          await sessionCookie(p.deps, await insertAccount(t.db)),
          await sessionCookie(p.deps, r.accountId),
        ]) {
          const other = await complete(on(b.url, cookie), signature);
          expect([other.status, other.body['code']]).toEqual([404, 'signature_sign_unknown']);
        }
        // Prepared on A, completed on B.
        const done = await complete(on(b.url), signature);
        expect(done.status, JSON.stringify(done.body)).toBe(200);
        const report = await validatePdf({
          pdf: fromBase64(done.body['file'] as string),
          anchors: trust.anchors('sign'),
          tsaAnchors: [parseCertificate((await platformTsa(b.deps)()).certificate)],
          now: sim.clock.now(),
        });
        expect(report.signatures[0]).toMatchObject({ indication: 'TOTAL-PASSED', level: 'B-LT' });
        // Consumed once, whichever instance is asked again; the sealed part is gone at once.
        for (const client of [r.client, on(b.url)]) {
          const again = await complete(client, signature);
          expect([again.status, again.body['code']]).toEqual([409, 'signature_sign_used']);
        }
        const used = await t.db
          .selectFrom('signing_preparations')
          .select(['sealed', 'consumed_at'])
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        expect(used.sealed).toBeNull();
        expect(used.consumed_at).not.toBeNull();

        // A restart between the two requests: prepared on B, B stops, a new instance completes.
        // Any file but a PDF gets a detached .p7s, finished from the stored digest: nothing of the
        // file is kept, whatever its size.
        const content = new TextEncoder().encode(`申請書: 駐車場の利用\n${'添付資料 '.repeat(8192)}`);
        const second = await prepare(content, '申請書.txt', on(b.url));
        expect(second.res.status, JSON.stringify(second.res.body)).toBe(200);
        const kept = await t.db
          .selectFrom('signing_preparations')
          .select(['sealed', 'format'])
          .where('id', '=', second.res.body['id'] as string)
          .executeTakeFirstOrThrow();
        expect(kept.format).toBe('cades');
        expect(kept.sealed!.length).toBeLessThan(2 * (c.certificate.length + c.ca.length) + 1024);
        console.log(
          `[signprep] ${t.engine}: sealed ${kept.sealed!.length} B for a ${content.length} B non-PDF file (its digest stands in)`,
        );
        await b.close();
        b = await startPlatform(t, sim, trust, { keys: p.deps.keys });
        // … raced by a completion on A: exactly one of the two gets the preparation.
        const body = {
          signature: toBase64(await second.c.sign(fromBase64(second.res.body['digestInfo'] as string))),
        };
        const raced = await Promise.all(
          [on(b.url), r.client].map((client) =>
            client.post(`/api/signatures/sign/${second.res.body['id'] as string}/complete`, body),
          ),
        );
        expect(raced.map((x) => x.status).sort()).toEqual([200, 409]);
        const restarted = raced.find((x) => x.status === 200)!;
        expect(raced.find((x) => x.status === 409)!.body['code']).toBe('signature_sign_used');
        expect(
          await validateCades({
            cms: fromBase64(restarted.body['file'] as string),
            content,
            anchors: trust.anchors('sign'),
            tsaAnchors: [parseCertificate((await platformTsa(b.deps)()).certificate)],
            now: sim.clock.now(),
          }),
        ).toMatchObject({ indication: 'TOTAL-PASSED', level: 'B-LT' });

        // Five minutes later a preparation is expired; housekeeping then deletes it (the only row
        // left: a new preparation replaces the account's earlier ones).
        const third = await prepare(pdf, 'x.pdf');
        expect(third.res.status).toBe(200);
        const late = new Date(sim.clock.now().getTime() + PENDING_TTL_MS);
        b.setNow(late);
        const lateSignature = toBase64(
          await third.c.sign(fromBase64(third.res.body['digestInfo'] as string)),
        );
        const path = `/api/signatures/sign/${third.res.body['id'] as string}/complete`;
        const expired = await on(b.url).post(path, { signature: lateSignature });
        expect([expired.status, expired.body['code']]).toEqual([410, 'signature_sign_expired']);
        expect((await runHousekeeping(t.db, new Date(late.getTime() + 1))).signingPreparations).toBe(1);
        const purged = await on(b.url).post(path, { signature: lateSignature });
        expect([purged.status, purged.body['code']]).toEqual([404, 'signature_sign_unknown']);
        // Only the completed signatures were billed (one J-LIS OCSP answer each).
        expect(await t.db.selectFrom('fee_ledger').selectAll().execute()).toHaveLength(2);
      } finally {
        await b.close();
      }
    });

    it('err-a-signature-that-does-not-verify-is-refused-before-anything-is-billed', async () => {
      const { c, res } = await prepare(minimalPdf(), 'x.pdf');
      expect(res.status).toBe(200);
      const wrong = await c.sign(
        new Uint8Array(fromBase64(res.body['digestInfo'] as string)).map((b, i, a) =>
          i === a.length - 1 ? b ^ 1 : b,
        ),
      );
      const done = await r.client.post(`/api/signatures/sign/${res.body['id'] as string}/complete`, {
        signature: toBase64(wrong),
      });
      expect([done.status, done.body['code']]).toEqual([422, 'signature_card_signature_invalid']);
      expect(await t.db.selectFrom('fee_ledger').selectAll().execute()).toEqual([]);
    });

    it('err-too-many-preparations-waiting-in-the-deployment-is-signature-busy', async () => {
      // MAX_PENDING preparations of other residents wait, unconsumed and unexpired, on any instance.
      const other = await insertAccount(t.db);
      const session = await t.db
        .insertInto('sessions')
        .values({
          token_hash: new Uint8Array(32).fill(7),
          account_id: other,
          auth_time: sim.clock.now(),
          expires_at: new Date(sim.clock.now().getTime() + 3600_000),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const waiting = (i: number) => ({
        id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        account_id: other,
        session_id: session.id,
        format: 'cades' as const,
        algorithm: 'RSA-SHA256' as const,
        signing_time: sim.clock.now(),
        document_sha256: new Uint8Array(32),
        to_be_signed: new Uint8Array([0x31, 0]),
        key_id: 'k',
        nonce: new Uint8Array(12),
        sealed: new Uint8Array(16),
        created_at: sim.clock.now(),
        expires_at: new Date(sim.clock.now().getTime() + PENDING_TTL_MS),
      });
      await t.db
        .insertInto('signing_preparations')
        .values(Array.from({ length: MAX_PENDING }, (_, i) => waiting(i)))
        .execute();
      try {
        const { res } = await prepare(new Uint8Array([1, 2, 3]), 'x.txt');
        expect([res.status, res.body['code']]).toEqual([503, 'signature_busy']);
        // One completed (consumed) no longer counts.
        await t.db
          .updateTable('signing_preparations')
          .set({ consumed_at: sim.clock.now(), sealed: null })
          .where('id', '=', waiting(0).id)
          .execute();
        expect((await prepare(new Uint8Array([1, 2, 3]), 'x.txt')).res.status).toBe(200);
      } finally {
        await t.db.deleteFrom('signing_preparations').execute();
      }
    });

    it('err-not-a-jpki-signing-certificate-and-bad-input-get-stable-codes', async () => {
      await fetch(`${sim.url}/cards/${r.card.tokenId}/session`, { method: 'POST' });
      const c = new JpkiCardClient(hostedCard(sim.url, r.card.tokenId));
      const auth = await c.readCertificate('auth');
      const res = await r.client.post('/api/signatures/sign', {
        fileName: 'x.txt',
        document: toBase64(new Uint8Array([1, 2, 3])),
        certificate: toBase64(auth),
      });
      expect([res.status, res.body['code']]).toEqual([422, 'signature_certificate_unacceptable']);
      const bad = await r.client.post('/api/signatures/sign', { fileName: 'x', document: '***' });
      expect([bad.status, bad.body['code']]).toEqual([400, 'signature_request_invalid']);
      const none = await r.client.post('/api/signatures/sign/00000000-0000-4000-8000-000000000000/complete', {
        signature: 'AAAA',
      });
      expect([none.status, none.body['code']]).toEqual([404, 'signature_sign_unknown']);
      const anonymous = await fetch(`${p.url}/api/signatures/sign`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(anonymous.status).toBe(401);
    });
  });
});

function pem(certs: ReadonlyArray<{ der: Uint8Array }>): string {
  return certs
    .map(
      (c) =>
        `-----BEGIN CERTIFICATE-----\n${Buffer.from(c.der)
          .toString('base64')
          .replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`,
    )
    .join('');
}
