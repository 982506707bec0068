// The TSA side of RFC 3161: requests made by `openssl ts -query`, answers checked by
// `openssl ts -verify` and `openssl ts -reply -text` (the independent implementation), and by our
// own client's verifier.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate } from '../cert/parse.ts';
import { toPem } from '../der/hex.ts';
import { OID } from '../der/oid.ts';
import { int, octets, oid, seq, tlv } from '../der/writer.ts';
import { nodeGenerateKey, nodeSigner, nodeVerifier } from '../node/crypto.ts';
import { buildCertificate } from '../cert/build.ts';
import { ext } from '../cert/extensions.ts';
import { encodeName, nameFrom } from '../cert/name.ts';
import { opensslWorkspace } from '../../test/openssl.ts';
import { buildTimeStampRequest } from './request.ts';
import { respondTimeStamp, TimeStampFailure } from './respond.ts';
import { parseTimeStampResponse } from './response.ts';
import { verifyTimeStampResponse } from './verify.ts';
import { localTsa, type LocalTsa } from './test/local-tsa.ts';

describe('respondTimeStamp (a TSA inside Watashi)', () => {
  const ws = opensslWorkspace();
  let tsa: LocalTsa;
  beforeAll(async () => {
    tsa = await localTsa();
    ws.write('ca.pem', toPem(tsa.root, 'CERTIFICATE'));
    ws.write('tsa.pem', toPem(tsa.certificate, 'CERTIFICATE'));
  });
  afterAll(() => ws.cleanup());

  it('answers an openssl query with a token openssl verifies (certReq, nonce, SHA-256)', async () => {
    ws.write('doc.txt', 'a contract');
    ws.ok(['ts', '-query', '-data', 'doc.txt', '-sha256', '-cert', '-out', 'q.tsq']);
    const q = new Uint8Array(readFileSync(join(ws.dir, 'q.tsq')));
    const answer = await respondTimeStamp(q, tsa.authority);
    expect(answer.status).toBe(0);
    ws.write('r.tsr', answer.der);
    const out = ws.run(['ts', '-verify', '-in', 'r.tsr', '-queryfile', 'q.tsq', '-CAfile', 'ca.pem']);
    expect(out.out).toMatch(/Verification: OK/);
    // Against the data itself, too, and with the TSA's policy shown in the text form.
    expect(ws.run(['ts', '-verify', '-in', 'r.tsr', '-data', 'doc.txt', '-CAfile', 'ca.pem']).out).toMatch(
      /Verification: OK/,
    );
    expect(ws.ok(['ts', '-reply', '-in', 'r.tsr', '-text'])).toMatch(
      /Policy OID: 1\.3\.6\.1\.4\.1\.99999\.2/,
    );
    // An altered document does not verify.
    ws.write('doc2.txt', 'a contract!');
    expect(
      ws.run(['ts', '-verify', '-in', 'r.tsr', '-data', 'doc2.txt', '-CAfile', 'ca.pem']).out,
    ).not.toMatch(/Verification: OK/);
  });

  it('answers our own client, whose verifier accepts it under the TSA root only', async () => {
    const imprint = new Uint8Array(createHash('sha256').update('x').digest());
    const req = buildTimeStampRequest({ imprint });
    const answer = await respondTimeStamp(req.der, tsa.authority);
    const verifier = nodeVerifier();
    const ok = await verifyTimeStampResponse({
      response: answer.der,
      imprint,
      nonce: req.nonce,
      anchors: [parseCertificate(tsa.root)],
      verifier,
    });
    expect(ok.serial).toBe(answer.serial);
    const other = await localTsa({ name: 'Other' });
    await expect(
      verifyTimeStampResponse({
        response: answer.der,
        imprint,
        nonce: req.nonce,
        anchors: [parseCertificate(other.root)],
        verifier,
      }),
    ).rejects.toMatchObject({ code: 'tsp_untrusted' });
  });

  it('rejects SHA-1, a wrong imprint length, extensions, another policy and garbage with the failInfo bit', async () => {
    const mi = (alg: string, n: number) => seq(seq(oid(alg)), octets(new Uint8Array(n)));
    const cases: Array<[Uint8Array, number]> = [
      [seq(int(1), mi(OID.sha1, 20)), TimeStampFailure.badAlg],
      [seq(int(1), mi(OID.sha256, 20)), TimeStampFailure.badDataFormat],
      [seq(int(1), mi(OID.sha256, 32), tlv(0xa0, seq())), TimeStampFailure.unacceptedExtension],
      [seq(int(1), mi(OID.sha256, 32), oid('1.2.3.4')), TimeStampFailure.unacceptedPolicy],
      [seq(int(2), mi(OID.sha256, 32)), TimeStampFailure.badRequest],
      [Uint8Array.of(1, 2, 3), TimeStampFailure.badDataFormat],
    ];
    for (const [der, bit] of cases) {
      const a = await respondTimeStamp(der, tsa.authority);
      expect(a.failure).toBe(bit);
      const parsed = parseTimeStampResponse(a.der);
      expect(parsed.status).toBe(2);
      expect(parsed.failInfo).toEqual([bit]);
      ws.write('bad.tsr', a.der);
      expect(ws.ok(['ts', '-reply', '-in', 'bad.tsr', '-text'])).toMatch(/Status: Rejected/);
    }
  });

  it('trusts a self-issued TSA certificate by its key and name, not by its bytes', async () => {
    const self = async (key: ReturnType<typeof nodeSigner>, serial: bigint) =>
      buildCertificate(
        {
          serial,
          issuer: selfName,
          subject: selfName,
          notBefore: new Date('2020-01-01T00:00:00Z'),
          notAfter: new Date('2040-01-01T00:00:00Z'),
          spki: key.spki,
          extensions: [ext.keyUsage(['digitalSignature']), ext.extKeyUsage([OID.kpTimeStamping], true)],
        },
        key,
      );
    const selfName = encodeName(nameFrom([['CN', 'Self-issued TSA']]));
    const key = nodeSigner(nodeGenerateKey('ECDSA-SHA256'), 'ECDSA-SHA256');
    const a = await self(key, 1n);
    const b = await self(key, 2n); // issued again (after a restart): other bytes, same key and name
    const stranger = await self(nodeSigner(nodeGenerateKey('ECDSA-SHA256'), 'ECDSA-SHA256'), 3n);
    const imprint = new Uint8Array(32).fill(7);
    const req = buildTimeStampRequest({ imprint });
    const answer = await respondTimeStamp(req.der, {
      signer: key,
      certificate: a,
      policy: '1.2.3.4',
      now: () => new Date(),
    });
    const check = (anchor: Uint8Array) =>
      verifyTimeStampResponse({
        response: answer.der,
        imprint,
        nonce: req.nonce,
        anchors: [parseCertificate(anchor)],
        verifier: nodeVerifier(),
      });
    await expect(check(b)).resolves.toMatchObject({ serial: answer.serial });
    await expect(check(stranger)).rejects.toMatchObject({ code: 'tsp_untrusted' });
  });

  it('refuses to stamp outside the TSA certificate’s validity (timeNotAvailable)', async () => {
    const late = { ...tsa.authority, now: () => new Date('2050-01-01T00:00:00Z') };
    const req = buildTimeStampRequest({ imprint: new Uint8Array(32) });
    const a = await respondTimeStamp(req.der, late);
    expect(a.failure).toBe(TimeStampFailure.timeNotAvailable);
  });
});
