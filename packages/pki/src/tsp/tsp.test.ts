// RFC 3161 client against openssl as the TSA (openssl ts -reply behind node:http), with openssl as
// the independent check of our request (ts -query -text) and of the token (ts -verify).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate } from '../cert/parse.ts';
import { fromPem } from '../der/hex.ts';
import { OID } from '../der/oid.ts';
import { generalizedTime, int, octets, oid, seq } from '../der/writer.ts';
import { nodeVerifier } from '../node/crypto.ts';
import { buildTimeStampRequest, requestTimeStamp } from './request.ts';
import { parseTimeStampResponse } from './response.ts';
import { verifyTimeStampResponse, verifyTimeStampToken } from './verify.ts';
import { startOpensslTsa, type OpensslTsa } from './test/openssl-tsa.ts';

const run = promisify(execFile);
const sha256 = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest());
const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e as { code?: unknown }).code,
  );

describe('RFC 3161 time-stamps with openssl as the TSA', () => {
  let tsa: OpensslTsa;
  const verifier = nodeVerifier();
  let anchors: ReturnType<typeof parseCertificate>[];

  beforeAll(async () => {
    tsa = await startOpensslTsa();
    anchors = [parseCertificate(fromPem(tsa.caPem))];
  });
  afterAll(async () => tsa?.close());

  it('builds a request openssl reads as version 1, SHA-256, our nonce, certReq', async () => {
    const imprint = sha256('checkpoint');
    const req = buildTimeStampRequest({ imprint, nonce: 0x0123456789abcdefn });
    await writeFile(join(tsa.dir, 'ours.tsq'), req.der);
    const { stdout } = await run('openssl', ['ts', '-query', '-in', join(tsa.dir, 'ours.tsq'), '-text']);
    expect(stdout).toMatch(/Version: 1/);
    expect(stdout).toMatch(/Hash Algorithm: sha256/);
    // The hex dump of "Message data": 16 bytes a line, `0000 - 47 32 … 95-67 …  ascii`.
    const dumped = [...stdout.matchAll(/^\s*[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -]){1,16})/gm)]
      .map((m) => m[1]!.replace(/[ -]/g, ''))
      .join('');
    expect(dumped).toBe(Buffer.from(imprint).toString('hex'));
    expect(stdout).toMatch(/Nonce: 0x0123456789ABCDEF/i);
    expect(stdout).toMatch(/Certificate required: yes/);
    // A random nonce differs from one request to the next.
    expect(buildTimeStampRequest({ imprint }).nonce).not.toBe(buildTimeStampRequest({ imprint }).nonce);
  });

  it('gets a token openssl verifies, and verifies it itself (genTime, nonce, signer)', async () => {
    const imprint = sha256('checkpoint 1');
    const req = buildTimeStampRequest({ imprint });
    const before = Date.now();
    const response = await requestTimeStamp({ url: tsa.url, request: req });
    const ok = await verifyTimeStampResponse({ response, imprint, nonce: req.nonce, anchors, verifier });
    expect(ok.nonce).toBe(req.nonce);
    expect(ok.policy).toBe('1.3.6.1.4.1.99999.1');
    expect(ok.genTime.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
    expect(ok.signerCertificate.subject.der).toBeDefined();
    // The stored token alone (no nonce at hand later) verifies too.
    await expect(
      verifyTimeStampToken({ token: ok.token, imprint, nonce: 'not-checked', anchors, verifier }),
    ).resolves.toMatchObject({ serial: ok.serial });
    // openssl's own verification of the same answer against our request.
    await writeFile(join(tsa.dir, 'ok.tsq'), req.der);
    await writeFile(join(tsa.dir, 'ok.tsr'), response);
    const { stdout, stderr } = await run('openssl', [
      'ts', '-verify', '-in', join(tsa.dir, 'ok.tsr'), '-queryfile', join(tsa.dir, 'ok.tsq'),
      '-CAfile', join(tsa.dir, 'ca.pem'),
    ]); // prettier-ignore
    expect(`${stdout}${stderr}`).toMatch(/Verification: OK/);
  });

  it('accepts a token naming its signer with ESSCertID v1 (SHA-1, openssl’s default)', async () => {
    const imprint = sha256('checkpoint ess1');
    const req = buildTimeStampRequest({ imprint });
    try {
      tsa.mode = 'grant-ess1';
      const response = await requestTimeStamp({ url: tsa.url, request: req });
      await expect(
        verifyTimeStampResponse({ response, imprint, nonce: req.nonce, anchors, verifier }),
      ).resolves.toMatchObject({ nonce: req.nonce });
    } finally {
      tsa.mode = 'grant';
    }
  });

  it('refuses a token over another imprint, with another nonce, or from an untrusted TSA', async () => {
    const imprint = sha256('checkpoint 2');
    const req = buildTimeStampRequest({ imprint });
    const response = await requestTimeStamp({ url: tsa.url, request: req });
    const base = { response, imprint, nonce: req.nonce, anchors, verifier };
    await expect(verifyTimeStampResponse(base)).resolves.toBeDefined();
    expect(await failure(verifyTimeStampResponse({ ...base, imprint: sha256('other') }))).toBe(
      'tsp_imprint_mismatch',
    );
    expect(await failure(verifyTimeStampResponse({ ...base, nonce: req.nonce + 1n }))).toBe(
      'tsp_nonce_mismatch',
    );
    const other = [parseCertificate(fromPem(tsa.otherCaPem))];
    expect(await failure(verifyTimeStampResponse({ ...base, anchors: other }))).toBe('tsp_untrusted');
    expect(await failure(verifyTimeStampResponse({ ...base, anchors: [] }))).toBe('tsp_untrusted');
    // The TSA's own certificate as the anchor is enough.
    await expect(
      verifyTimeStampResponse({ ...base, anchors: [parseCertificate(fromPem(tsa.tsaPem))] }),
    ).resolves.toBeDefined();
    // A flipped byte in the token's signature.
    const tampered = response.slice();
    tampered[tampered.length - 5]! ^= 0x01;
    expect(await failure(verifyTimeStampResponse({ ...base, response: tampered }))).toMatch(
      /^tsp_(signature_invalid|malformed)$/,
    );
  });

  it('reports a rejection, an HTTP error and an unreachable TSA as tsp_rejected', async () => {
    const imprint = sha256('checkpoint 3');
    const req = buildTimeStampRequest({ imprint });
    try {
      tsa.mode = 'reject';
      const response = await requestTimeStamp({ url: tsa.url, request: req });
      const parsed = parseTimeStampResponse(response);
      expect(parsed.status).toBe(2);
      expect(parsed.token).toBeUndefined();
      expect(
        await failure(verifyTimeStampResponse({ response, imprint, nonce: req.nonce, anchors, verifier })),
      ).toBe('tsp_rejected');
      tsa.mode = 'http-error';
      expect(await failure(requestTimeStamp({ url: tsa.url, request: req }))).toBe('tsp_rejected');
    } finally {
      tsa.mode = 'grant';
    }
    // An answer larger than allowed is not read.
    expect(await failure(requestTimeStamp({ url: tsa.url, request: req, maxSize: 100 }))).toBe(
      'tsp_rejected',
    );
    expect(await failure(requestTimeStamp({ url: 'http://127.0.0.1:1/tsa', request: req }))).toBe(
      'tsp_rejected',
    );
  });

  it('refuses a token whose signer is not a TSA certificate (EKU timeStamping not critical)', async () => {
    // openssl ts -reply will not sign with such a certificate (RFC 3161 §2.3), so the token is made
    // with openssl cms over a TSTInfo written here: first with the real TSA certificate (the
    // control: it passes the signer checks), then with one whose extendedKeyUsage is not
    // critical, then with none, then with another purpose too.
    const imprint = sha256('checkpoint 4');
    const nonce = 77n;
    const tstInfo = seq(
      int(1),
      oid('1.3.6.1.4.1.99999.1'),
      seq(seq(oid(OID.sha256)), octets(imprint)),
      int(9),
      generalizedTime(new Date(Math.floor(Date.now() / 1000) * 1000)),
      int(nonce),
    );
    await writeFile(join(tsa.dir, 'tstinfo.der'), tstInfo);
    const d = (f: string) => join(tsa.dir, f);
    const issue = async (name: string, ext: string) => {
      await writeFile(
        d(`${name}.ext`),
        `basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\n${ext}`,
      );
      await run('openssl', [
        'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', d(`${name}.key`), '-out', d(`${name}.csr`), '-subj', `/CN=${name}`,
      ]); // prettier-ignore
      await run('openssl', [
        'x509', '-req', '-in', d(`${name}.csr`), '-CA', d('ca.pem'), '-CAkey', d('ca.key'),
        '-set_serial', String(name.length + 10), '-days', '30', '-extfile', d(`${name}.ext`), '-out', d(`${name}.pem`),
      ]); // prettier-ignore
    };
    const token = async (name: string): Promise<Uint8Array> => {
      await run('openssl', [
        'cms', '-sign', '-binary', '-nodetach', '-econtent_type', 'id-smime-ct-TSTInfo', '-md', 'sha256',
        '-in', d('tstinfo.der'), '-signer', d(`${name}.pem`), '-inkey', d(`${name}.key`),
        '-outform', 'DER', '-out', d(`${name}.tst`),
      ]); // prettier-ignore
      return new Uint8Array(await readFile(d(`${name}.tst`)));
    };
    const check = async (name: string) =>
      failure(verifyTimeStampToken({ token: await token(name), imprint, nonce, anchors, verifier }));
    // openssl cms writes no ESS signing-certificate attribute (RFC 3161 §2.4.1): refused after the
    // signer checks that the other cases fail.
    expect(await check('tsa')).toBe('tsp_malformed');
    await issue('noncritical', 'extendedKeyUsage=timeStamping\n');
    expect(await check('noncritical')).toBe('tsp_unauthorized_signer');
    await issue('noeku', '');
    expect(await check('noeku')).toBe('tsp_unauthorized_signer');
    await issue('extra', 'extendedKeyUsage=critical,timeStamping,codeSigning\n');
    expect(await check('extra')).toBe('tsp_unauthorized_signer');
  });

  it('refuses malformed answers with tsp_malformed', () => {
    expect(() => parseTimeStampResponse(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00))).toThrow(
      expect.objectContaining({ code: 'tsp_malformed' }),
    );
    expect(() => parseTimeStampResponse(Uint8Array.of(0x04, 0x00))).toThrow(
      expect.objectContaining({ code: 'tsp_malformed' }),
    );
  });
});
