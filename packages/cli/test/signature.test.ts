// `watashi sign` / `watashi verify` in process: the hosted card of an in-process simulator signs a
// PDF and a text file, Watashi's TSA answers over HTTP (POST /tsa of a platform server), openssl
// and pdfsig check the outputs, and verify's exit codes follow the report.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '@watashi/jlis-sim';
import { respondTimeStamp } from '@watashi/pki';
import { createServer, type Server } from 'node:http';
import { minimalPdf, testTsa } from '../../signature/test/fixtures.ts';
import { cleanup, json, run, startSim, tempDir } from './helpers.ts';

let s: RunningSimulator;
let url = '';
let card = '';
let work = '';
let tsaUrl = '';
let server: Server;

beforeAll(async () => {
  ({ s, url } = await startSim('cli-signature-test'));
  const r = await s.sim.addResident({ name: '署名\u3000花子', birthDate: '1980-04-01' });
  card = (await s.sim.issueCard(r.id, { signPin: 'ABC123', authPin: '1234' })).card.tokenId;
  work = tempDir('watashi-cli-sig-');
  // An RFC 3161 TSA over HTTP, as the platform's POST /tsa serves it.
  const tsa = await testTsa('CLI', () => new Date());
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void respondTimeStamp(new Uint8Array(Buffer.concat(chunks)), tsa.authority).then((a) => {
        res.writeHead(200, { 'content-type': 'application/timestamp-reply' });
        res.end(Buffer.from(a.der));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  tsaUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/tsa`;
  writeFileSync(join(work, 'tsa-root.pem'), toPemCert(tsa.root.der));
  writeFileSync(join(work, 'sign-ca.pem'), toPemCert(s.sim.caCertificate('sign', '2023')));
  writeFileSync(join(work, 'sign-ca-2019.pem'), toPemCert(s.sim.caCertificate('sign', '2019')));
});

afterAll(async () => {
  server?.close();
  await s?.close();
  cleanup();
});

function toPemCert(der: Uint8Array): string {
  return `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
}

describe('watashi sign / verify', () => {
  it('signs a text file with the hosted card at B-LTA; openssl verifies; verify passes offline', async () => {
    const doc = join(work, 'contract.txt');
    writeFileSync(doc, '契約書\n');
    const signed = await run(
      '--sim',
      url,
      'sign',
      doc,
      '--card',
      card,
      '--pin',
      'ABC123',
      '--tsa',
      tsaUrl,
      '--tsa-trust',
      join(work, 'tsa-root.pem'),
      '--level',
      'B-LTA',
      '--json',
    );
    expect(signed.err).toBe('');
    expect(json(signed)).toMatchObject({ file: `${doc}.p7s`, format: 'CAdES', level: 'B-LTA' });
    const v = spawnSync(
      'openssl',
      [
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        `${doc}.p7s`,
        '-content',
        doc,
        '-CAfile',
        join(work, 'sign-ca.pem'),
        '-purpose',
        'any',
        '-out',
        '/dev/null',
      ],
      { encoding: 'utf8' },
    );
    expect(`${v.stdout}${v.stderr}`).toMatch(/Verification successful/);
    const ok = await run(
      '--sim',
      'http://127.0.0.1:9',
      'verify',
      `${doc}.p7s`,
      '--trust',
      join(work, 'sign-ca.pem'),
      '--tsa-trust',
      join(work, 'tsa-root.pem'),
      '--json',
    );
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(json(ok)).toMatchObject({
      indication: 'TOTAL-PASSED',
      level: 'B-LTA',
      networkUsed: false,
      signer: { name: '署名\u3000花子' },
    });
    // The document changed: exit 4 with the report's code.
    writeFileSync(doc, '契約書!\n');
    const bad = await run(
      'verify',
      `${doc}.p7s`,
      '--trust',
      join(work, 'sign-ca.pem'),
      '--tsa-trust',
      join(work, 'tsa-root.pem'),
    );
    expect(bad.code).toBe(4);
    expect(bad.out).toMatch(/TOTAL-FAILED \/ HASH_FAILURE \[signature_document_altered\]/);
  });

  it('signs a PDF with a key file; pdfsig sees it; an unsigned PDF exits 5 and garbage 3', async () => {
    const pdf = join(work, 'form.pdf');
    writeFileSync(pdf, minimalPdf('Application'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(work, 'k.pem'), '-out', join(work, 'c.pem'), '-subj', '/CN=Key File Signer', '-days', '30', '-addext', 'keyUsage=critical,digitalSignature,nonRepudiation'], { stdio: 'ignore' }); // prettier-ignore
    const r = await run(
      'sign',
      pdf,
      '--key',
      join(work, 'k.pem'),
      '--cert',
      join(work, 'c.pem'),
      '--tsa',
      tsaUrl,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const out = spawnSync('pdfsig', ['-nocert', '-no-ocsp', join(work, 'form-signed.pdf')], {
      encoding: 'utf8',
    }).stdout;
    expect(out).toMatch(/Key File Signer[\s\S]*Signature is Valid/);
    // A self-signed certificate with no revocation evidence: never TOTAL-PASSED, exit 4.
    const v = await run(
      'verify',
      join(work, 'form-signed.pdf'),
      '--trust',
      join(work, 'c.pem'),
      '--tsa-trust',
      join(work, 'tsa-root.pem'),
      '--json',
    );
    expect(v.code).toBe(4);
    const first = json<{ signatures: Array<{ indication: string; code: string }> }>(v).signatures[0];
    expect(first?.indication).toBe('INDETERMINATE');
    expect(first?.code).toMatch(/^signature_/);
    expect((await run('verify', pdf, '--trust', join(work, 'c.pem'))).code).toBe(5);
    writeFileSync(join(work, 'junk.p7s'), 'junk');
    expect(
      (await run('verify', join(work, 'junk.p7s'), '--trust', join(work, 'c.pem'), '--content', pdf)).code,
    ).toBe(3);
    expect(readFileSync(join(work, 'form-signed.pdf')).length).toBeGreaterThan(readFileSync(pdf).length);
  });
});
