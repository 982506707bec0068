/**
 * `npm run bench:signature` — PAdES on a 1 MB PDF (issue 20): B-T → B-LT upgrades per second (a
 * DSS with the chain and a J-LIS OCSP answer, in an incremental update) and verifications per
 * second (ByteRange digest, CMS signature, signature time-stamp, path at the proven time, embedded
 * OCSP answer), beside openssl doing the same cryptographic work on the same bytes in the same run
 * (`openssl cms -verify` of the same CMS over the same 1 MB ByteRange content, one process per
 * verification, and — without process start-up — `openssl speed`-style loops are not comparable,
 * so the openssl figure includes its start-up; both are printed).
 *
 * In process, one core: the J-LIS simulator (no HTTP) signs with a virtual card and answers OCSP;
 * Watashi's TSA signs in process. BENCH_SECONDS (default 5) per phase.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSimulator } from '@watashi/jlis-sim';
import { JpkiCardClient } from '@watashi/jpki';
import { buildOcspRequest, parseCertificate, toPem } from '@watashi/pki';
import { nodeVerifier } from '@watashi/pki/node';
import {
  addDss,
  cardSigner,
  localTimeStamper,
  signPdf,
  validatePdf,
  type EvidenceSource,
} from '@watashi/signature';
import { testTsa } from '../packages/signature/test/fixtures.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);

/** A one-page PDF of about `size` bytes (the bulk in an unreferenced-by-page stream object). */
function pdfOfSize(size: number): Uint8Array {
  const filler = 'q 0 0 m Q\n'.repeat(Math.ceil(size / 10));
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>',
    `<< /Length ${filler.length} >>\nstream\n${filler}\nendstream`,
  ];
  let out = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(out, 'latin1'));
}

async function rate(what: string, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    await fn();
    n++;
  }
  const perSecond = n / ((performance.now() - t0) / 1000);
  console.log(`${what.padEnd(52)} ${perSecond.toFixed(1).padStart(8)}/s  (${n} in ${SECONDS}s)`);
  return perSecond;
}

const work = mkdtempSync(join(tmpdir(), 'watashi-bench-sig-'));
const s = await createSimulator({
  dataDir: join(work, 'sim'),
  port: 0,
  seed: 'bench-signature',
  schedule: false,
  logLevel: 'silent',
});
try {
  const r = await s.sim.addResident({ birthDate: '1985-05-05' });
  const { card } = await s.sim.issueCard(r.id, { signPin: 'BENCH1', authPin: '1234' });
  s.sim.cards.beginSession(card.tokenId);
  const client = new JpkiCardClient({ transmit: (apdu) => s.sim.cards.apdu(card.tokenId, apdu) });
  const signer = await cardSigner(client, 'BENCH1');
  const tsa = await testTsa('Bench', () => new Date());
  const evidence: EvidenceSource = async (cert, issuer) => {
    const der = await buildOcspRequest({ items: [{ cert, issuer }], hash: 'SHA-1' });
    return { ocsp: (await s.sim.ocspRespond(der, 'bench', 'signature_verification')).der };
  };
  const pdf = pdfOfSize(1024 * 1024);
  console.log(
    `PDF ${(pdf.length / 1024 / 1024).toFixed(2)} MiB; ${SECONDS}s per phase; node ${process.version}`,
  );
  const bt = await signPdf({
    pdf,
    signer,
    now: new Date(),
    level: 'B-T',
    timeStamper: localTimeStamper(tsa.authority),
  });
  const text = Buffer.from(bt).toString('latin1');
  const m = /\/ByteRange \[0 (\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(text)!;
  const [b, c, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const hex = text.slice(b + 1, c - 1);
  const all = Buffer.from(hex, 'hex');
  const n = all[1]! & 0x7f;
  const cms = new Uint8Array(
    all.subarray(0, all.subarray(2, 2 + n).reduce((x, y) => x * 256 + y, 0) + 2 + n),
  );
  const lt = await addDss(bt, [cms], evidence);
  const anchors = ['2019', '2023'].map((g) => parseCertificate(s.sim.caCertificate('sign', g)));
  const verifier = nodeVerifier();
  const check = await validatePdf({ pdf: lt, anchors, tsaAnchors: [tsa.root], now: new Date(), verifier });
  if (check.signatures[0]?.indication !== 'TOTAL-PASSED')
    throw new Error(`not passed: ${JSON.stringify(check)}`);

  const up = await rate('Watashi: B-T → B-LT upgrades (addDss)', () => addDss(bt, [cms], evidence));
  const ver = await rate('Watashi: verifications (validatePdf, B-LT)', () =>
    validatePdf({ pdf: lt, anchors, tsaAnchors: [tsa.root], now: new Date(), verifier }),
  );
  writeFileSync(join(work, 'content.bin'), Buffer.concat([bt.subarray(0, b), bt.subarray(c, c + d)]));
  writeFileSync(join(work, 'sig.p7s'), cms);
  writeFileSync(join(work, 'ca.pem'), anchors.map((a) => toPem(a.der, 'CERTIFICATE')).join(''));
  const ossl = await rate('openssl cms -verify, same CMS and 1 MB content', () =>
    Promise.resolve(
      execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(work, 'sig.p7s'), '-content', join(work, 'content.bin'), '-CAfile', join(work, 'ca.pem'), '-purpose', 'any', '-out', '/dev/null'], { stdio: 'ignore' }), // prettier-ignore
    ),
  );
  console.log(
    `verifications: Watashi / openssl = ${(ver / ossl).toFixed(2)}× (openssl's figure includes process start-up)`,
  );
  console.log(`upgrades: ${up.toFixed(1)}/s`);
} finally {
  await s.close();
  rmSync(work, { recursive: true, force: true });
}
