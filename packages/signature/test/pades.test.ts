// PAdES baseline with poppler's pdfsig as the independent check: B-B, B-T, signing twice (both
// intact), B-LT (DSS) and B-LTA (document time-stamp) with the hosted card and the simulator's
// OCSP, an altered PDF, an unsigned one and a malformed one.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, fixedClock, type RunningSimulator } from '@watashi/jlis-sim';
import { JpkiCardClient } from '@watashi/jpki';
import { parseCertificate, toPem, type Certificate, type RevocationChecker } from '@watashi/pki';
import { cardSigner, localTimeStamper, ocspHttpEvidence, signPdf, validatePdf } from '../src/index.ts';
import { minimalPdf, softwarePki, testTsa, type SoftwarePki } from './fixtures.ts';

const good: RevocationChecker = () => Promise.resolve({ status: 'good' });

describe('PAdES with pdfsig as the independent check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'watashi-pades-'));
  const pdfsig = (name: string, bytes: Uint8Array): string => {
    writeFileSync(join(dir, name), bytes);
    const r = spawnSync('pdfsig', ['-nocert', '-no-ocsp', join(dir, name)], { encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`;
  };
  const clock = fixedClock(new Date('2024-06-03T02:00:00Z'));
  let pki: SoftwarePki;
  let tsa: Awaited<ReturnType<typeof testTsa>>;
  let s: RunningSimulator;
  let simDir: string;
  let base: string;
  let simAnchors: Certificate[];

  beforeAll(async () => {
    pki = await softwarePki('Hanako Sign');
    tsa = await testTsa('Watashi', () => clock.now());
    simDir = mkdtempSync(join(tmpdir(), 'sig-pades-sim-'));
    s = await createSimulator(
      { dataDir: simDir, port: 0, seed: 'pades', schedule: false, logLevel: 'silent' },
      { clock },
    );
    base = await s.listen();
    simAnchors = ['2019', '2023'].map((g) => parseCertificate(s.sim.caCertificate('sign', g)));
  });
  afterAll(async () => {
    await s?.close();
    rmSync(simDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('B-B and B-T: pdfsig finds the signature intact, the signer and the time', async () => {
    const signed = await signPdf({
      pdf: minimalPdf(),
      signer: pki.signer,
      now: clock.now(),
      level: 'B-T',
      timeStamper: localTimeStamper(tsa.authority),
      reason: 'approval',
    });
    const out = pdfsig('bt.pdf', signed);
    expect(out).toMatch(/Signature #1/);
    expect(out).toMatch(/Signer Certificate Common Name: Hanako Sign/);
    expect(out).toMatch(/Signature Type: ETSI\.CAdES\.detached/);
    expect(out).toMatch(/Signature Validation: Signature is Valid/);
    expect(out).toMatch(/Total document signed/);
    const r = await validatePdf({
      pdf: signed,
      anchors: [pki.rootCert],
      tsaAnchors: [tsa.root],
      now: clock.now(),
      online: good,
    });
    expect(r.signatures).toHaveLength(1);
    expect(r.signatures[0]).toMatchObject({
      indication: 'TOTAL-PASSED',
      format: 'PAdES',
      level: 'B-T',
      claimedSigningTime: clock.now().toISOString(),
    });
  });

  it('signing twice leaves the first signature valid (incremental update)', async () => {
    const once = await signPdf({ pdf: minimalPdf(), signer: pki.signer, now: clock.now() });
    const other = await softwarePki('Second Signer');
    const twice = await signPdf({ pdf: once, signer: other.signer, now: clock.now() });
    expect(twice.subarray(0, once.length)).toEqual(once);
    const out = pdfsig('twice.pdf', twice);
    expect(out).toMatch(
      /Signature #1[\s\S]*Hanako Sign[\s\S]*Signature is Valid[\s\S]*Signature #2[\s\S]*Second Signer[\s\S]*Signature is Valid/,
    );
    const r = await validatePdf({
      pdf: twice,
      anchors: [pki.rootCert, other.rootCert],
      tsaAnchors: [],
      now: clock.now(),
      online: good,
    });
    expect(r.signatures.map((x) => [x.indication, x.signer?.commonName])).toEqual([
      ['TOTAL-PASSED', 'Hanako Sign'],
      ['TOTAL-PASSED', 'Second Signer'],
    ]);
  });

  it('a PDF altered after signing fails (pdfsig and HASH_FAILURE); unsigned and malformed have codes', async () => {
    const signed = await signPdf({ pdf: minimalPdf('Pay 100 yen'), signer: pki.signer, now: clock.now() });
    const text = Buffer.from(signed).toString('latin1');
    const altered = Buffer.from(text.replace('Pay 100 yen', 'Pay 900 yen'), 'latin1');
    expect(pdfsig('altered.pdf', new Uint8Array(altered))).not.toMatch(/Signature is Valid/);
    const r = await validatePdf({
      pdf: new Uint8Array(altered),
      anchors: [pki.rootCert],
      tsaAnchors: [],
      now: clock.now(),
      online: good,
    });
    expect(r.signatures[0]).toMatchObject({
      indication: 'TOTAL-FAILED',
      subIndication: 'HASH_FAILURE',
      code: 'signature_document_altered',
    });
    expect(
      await validatePdf({ pdf: minimalPdf(), anchors: [pki.rootCert], tsaAnchors: [], now: clock.now() }),
    ).toMatchObject({ code: 'signature_not_found', signatures: [] });
    expect(
      await validatePdf({
        pdf: new TextEncoder().encode('not a pdf'),
        anchors: [pki.rootCert],
        tsaAnchors: [],
        now: clock.now(),
      }),
    ).toMatchObject({ code: 'signature_malformed' });
    await expect(
      signPdf({ pdf: new TextEncoder().encode('%PDF-1.7 broken'), signer: pki.signer, now: clock.now() }),
    ).rejects.toMatchObject({ code: 'signature_malformed' });
  });

  it('B-LTA with the hosted card: DSS and document time-stamp; passes offline after the move and expiry', async () => {
    clock.set(new Date('2024-06-03T02:00:00Z'));
    const r = await s.sim.addResident({ name: '署名　太郎', birthDate: '1985-01-01', sex: '1' });
    const { card } = await s.sim.issueCard(r.id, { signPin: 'PDF123', authPin: '1234' });
    await fetch(`${base}/cards/${card.tokenId}/session`, { method: 'POST' });
    const client = new JpkiCardClient({
      transmit: async (apdu) =>
        new Uint8Array(
          await (
            await fetch(`${base}/cards/${card.tokenId}/apdu`, {
              method: 'POST',
              headers: { 'content-type': 'application/octet-stream' },
              body: new Uint8Array(apdu),
            })
          ).arrayBuffer(),
        ),
    });
    const signer = await cardSigner(client, 'PDF123');
    const stamper = localTimeStamper(tsa.authority);
    const bt = await signPdf({
      pdf: minimalPdf('Lease'),
      signer,
      now: clock.now(),
      level: 'B-T',
      timeStamper: stamper,
    });
    clock.advance(60_000);
    s.sim.refreshOcsp();
    const { addDss, addDocumentTimeStamp } = await import('../src/index.ts');
    const cms = extractCms(bt);
    const lt = await addDss(bt, [cms], ocspHttpEvidence({ url: `${base}/ocsp` }));
    const lta = await addDocumentTimeStamp(lt, stamper);
    const out = pdfsig('lta.pdf', lta);
    expect(out).toMatch(/Signature #1[\s\S]*Signature is Valid/);
    // poppler 22 lists the document time-stamp (signer, whole document) but cannot validate
    // ETSI.RFC3161; openssl ts -verify checks its token over the ByteRange instead.
    expect(out).toMatch(/Signature #2[\s\S]*Watashi TSA[\s\S]*Total document signed/);
    const doc = lastContents(lta);
    writeFileSync(join(dir, 'doc.tst'), doc.token);
    writeFileSync(join(dir, 'tsa-root.pem'), toPem(tsa.root.der, 'CERTIFICATE'));
    const digest = createHash('sha256').update(doc.covered).digest('hex');
    const ts = spawnSync(
      'openssl',
      [
        'ts',
        '-verify',
        '-token_in',
        '-in',
        join(dir, 'doc.tst'),
        '-digest',
        digest,
        '-CAfile',
        join(dir, 'tsa-root.pem'),
      ],
      { encoding: 'utf8' },
    );
    expect(`${ts.stdout}${ts.stderr}`).toMatch(/Verification: OK/);
    clock.advance(30 * 86_400_000);
    await s.sim.lifeEvent(r.id, { type: 'move' });
    const report = await validatePdf({
      pdf: lta,
      anchors: simAnchors,
      tsaAnchors: [tsa.root],
      now: new Date('2031-06-01T00:00:00Z'),
    });
    expect(report.documentTimeStamps).toEqual([
      expect.objectContaining({ kind: 'document', status: 'valid' }),
    ]);
    expect(report.signatures[0]).toMatchObject({
      indication: 'TOTAL-PASSED',
      level: 'B-LTA',
      networkUsed: false,
      signer: { name: '署名　太郎' },
      revocation: { embedded: true, status: 'good' },
    });
  });
});

/** The CMS of the first signature of a PDF (the hex of its /Contents). */
function extractCms(pdf: Uint8Array): Uint8Array {
  const text = Buffer.from(pdf).toString('latin1');
  const m = /\/Contents <([0-9A-F]+)>/.exec(text)!;
  const all = Buffer.from(m[1]!, 'hex');
  const len =
    all[1]! & 0x80
      ? all.subarray(2, 2 + (all[1]! & 0x7f)).reduce((n, x) => n * 256 + x, 0) + 2 + (all[1]! & 0x7f)
      : all[1]! + 2;
  return new Uint8Array(all.subarray(0, len));
}

/** The last /ByteRange's covered bytes and its /Contents token (a document time-stamp). */
function lastContents(pdf: Uint8Array): { covered: Uint8Array; token: Uint8Array } {
  const text = Buffer.from(pdf).toString('latin1');
  const brs = [...text.matchAll(/\/ByteRange \[0 (\d+)\s+(\d+)\s+(\d+)\s*\]/g)];
  const m = brs.at(-1)!;
  const [b, c, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const covered = Buffer.concat([pdf.subarray(0, b), pdf.subarray(c, c + d)]);
  const hex = text.slice(b + 1, c - 1);
  const all = Buffer.from(hex, 'hex');
  const n = all[1]! & 0x7f;
  const len = all.subarray(2, 2 + n).reduce((x, y) => x * 256 + y, 0) + 2 + n;
  return { covered: new Uint8Array(covered), token: new Uint8Array(all.subarray(0, len)) };
}
