import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex, fromHex } from '../der/hex.ts';
import { nodeDigest } from '../node/crypto.ts';
import { readTlv } from '../der/reader.ts';
import { certIdFor, type CertId } from './cert-id.ts';
import { buildOcspRequest, parseOcspRequest } from './request.ts';
import {
  buildOcspResponse,
  encodeResponseData,
  ocspErrorResponse,
  ocspResponderId,
  signResponseData,
  type OcspSingleResponseInput,
} from './respond.ts';
import { parseOcspResponse } from './parse-response.ts';
import type { OcspErrorStatus } from './status.ts';
import { HOUR, NOW, makeOcspFixtures, type OcspFixtures } from './test/fixtures.ts';

/** openssl's ASN1_TIME_print format: `Jan  2 03:04:05 2025 GMT`. */
function opensslDate(d: Date): string {
  const mon = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()} GMT`;
}

describe('OCSP responses, checked by openssl', () => {
  let f: OcspFixtures;
  let leafId: CertId, revokedId: CertId, strangerId: CertId;
  const thisUpdate = new Date(NOW.getTime() - 60_000);
  const nextUpdate = new Date(NOW.getTime() + HOUR);
  const revocationTime = new Date('2025-01-02T03:04:05Z');

  beforeAll(async () => {
    f = await makeOcspFixtures();
    leafId = await certIdFor(f.leaf, f.ca);
    revokedId = await certIdFor(f.revoked, f.ca);
    strangerId = await certIdFor(f.stranger, f.ca);
  });
  afterAll(() => f.ws.cleanup());

  const single = (certId: CertId, status: OcspSingleResponseInput['status']): OcspSingleResponseInput => ({
    certId,
    status,
    thisUpdate,
    nextUpdate,
  });
  /** Runs `openssl ocsp -respin` with a status lookup of `cert` (SHA-256 CertID unless told). */
  const check = (
    resp: Uint8Array,
    cert: string,
    extra: string[] = [],
    digest = ['-sha256'],
  ): { code: number; out: string } => {
    f.ws.write('resp.der', resp);
    return f.ws.run([
      'ocsp',
      '-respin',
      'resp.der',
      '-CAfile',
      'ca.pem',
      '-issuer',
      'ca.pem',
      ...digest,
      '-cert',
      cert,
      '-no_nonce',
      ...extra,
    ]);
  };

  it('ok-good: CA-signed, ResponderID byKey, SHA-256 CertID', async () => {
    const der = await buildOcspResponse({
      signer: f.caSigner,
      producedAt: NOW,
      responses: [single(leafId, { type: 'good' })],
    });
    const r = check(der, 'leaf.pem');
    expect(r.out).toContain('Response verify OK');
    expect(r.out).toContain('leaf.pem: good');
    expect(r.out).toContain(`This Update: ${opensslDate(thisUpdate)}`);
    expect(r.out).toContain(`Next Update: ${opensslDate(nextUpdate)}`);
    expect(r.code).toBe(0);
    const text = f.ws.ok(['ocsp', '-respin', 'resp.der', '-resp_text', '-noverify']);
    expect(text).toContain('Response Type: Basic OCSP Response');
    expect(text).toContain(`Produced At: ${opensslDate(NOW)}`);
    // byKey is the SHA-1 of the CA key bits, which is also what the CA's subjectKeyIdentifier holds here.
    expect(text).toContain(`Responder Id: ${toHex(f.ca.subjectKeyId!).toUpperCase()}`);
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    // v1 is DEFAULT, so absent in DER: ResponseData starts with ResponderID byKey [2].
    const tbs = parseOcspResponse(der).basic!.tbsResponseData;
    expect(tbs[readTlv(tbs, 0).valueStart]).toBe(0xa2);
  });

  it('ok-revoked: reason and revocation time reach openssl', async () => {
    const der = await buildOcspResponse({
      signer: f.caSigner,
      producedAt: NOW,
      responses: [single(revokedId, { type: 'revoked', revocationTime, reason: 'affiliationChanged' })],
    });
    const r = check(der, 'revoked.pem');
    expect(r.out).toContain('Response verify OK');
    expect(r.out).toContain('revoked.pem: revoked');
    expect(r.out).toContain('Reason: affiliationChanged');
    expect(r.out).toContain(`Revocation Time: ${opensslDate(revocationTime)}`);

    const noReason = await buildOcspResponse({
      signer: f.caSigner,
      producedAt: NOW,
      responses: [single(revokedId, { type: 'revoked', revocationTime })],
    });
    const r2 = check(noReason, 'revoked.pem');
    expect(r2.out).toContain('revoked.pem: revoked');
    expect(r2.out).not.toContain('Reason:');
  });

  it('ok-unknown', async () => {
    const der = await buildOcspResponse({
      signer: f.caSigner,
      producedAt: NOW,
      responses: [single(strangerId, { type: 'unknown' })],
    });
    const r = check(der, 'stranger.pem');
    expect(r.out).toContain('Response verify OK');
    expect(r.out).toContain('stranger.pem: unknown');
  });

  it('ok-sha1-echo: answers an openssl (SHA-1 CertID) request by echoing its CertIDs', async () => {
    f.ws.ok([
      'ocsp',
      '-issuer',
      'ca.pem',
      '-cert',
      'leaf.pem',
      '-cert',
      'revoked.pem',
      '-no_nonce',
      '-reqout',
      'q1.der',
    ]);
    const req = parseOcspRequest(f.read('q1.der'));
    const der = await buildOcspResponse({
      signer: f.caSigner,
      producedAt: NOW,
      responses: [
        single(req.items[0]!.certId, { type: 'good' }),
        single(req.items[1]!.certId, { type: 'revoked', revocationTime, reason: 'keyCompromise' }),
      ],
    });
    const r = check(der, 'leaf.pem', ['-cert', 'revoked.pem'], []);
    expect(r.out).toContain('Response verify OK');
    expect(r.out).toContain('leaf.pem: good');
    expect(r.out).toContain('revoked.pem: revoked');
    expect(r.out).toContain('Reason: keyCompromise');
  });

  it('ok-delegated: a responder certificate with id-kp-OCSPSigning verifies via -VAfile and via the CA chain', async () => {
    const der = await buildOcspResponse({
      signer: f.responderSigner,
      responderCertificate: f.responder.der,
      producedAt: NOW,
      responses: [single(leafId, { type: 'good' })],
    });
    const viaChain = check(der, 'leaf.pem');
    expect(viaChain.out).toContain('Response verify OK');
    expect(viaChain.out).toContain('leaf.pem: good');
    const viaVa = check(der, 'leaf.pem', ['-VAfile', 'responder.pem']);
    expect(viaVa.out).toContain('Response verify OK');
    const text = f.ws.ok(['ocsp', '-respin', 'resp.der', '-resp_text', '-noverify']);
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA256');
    expect(text).toContain('Subject: C=JP, CN=OCSP responder'); // the certs field carries the responder certificate
    expect(parseOcspResponse(der).basic?.certificates.map(toHex)).toEqual([toHex(f.responder.der)]);
  });

  it('fail-delegated-no-eku: openssl, too, refuses a responder certificate without id-kp-OCSPSigning', async () => {
    const der = await buildOcspResponse({
      signer: f.noEkuSigner,
      responderCertificate: f.noEku.der,
      producedAt: NOW,
      responses: [single(leafId, { type: 'good' })],
    });
    const r = check(der, 'leaf.pem');
    expect(r.out).not.toContain('Response verify OK');
    expect(r.out).toMatch(/missing ocspsigning usage/i);
  });

  it('ok-by-name: ResponderID byName verifies with openssl', async () => {
    const der = await buildOcspResponse({
      signer: f.caSigner,
      responderId: 'name',
      responderName: f.ca.subject.der,
      producedAt: NOW,
      responses: [single(leafId, { type: 'good' })],
    });
    const r = check(der, 'leaf.pem');
    expect(r.out).toContain('Response verify OK');
    expect(f.ws.ok(['ocsp', '-respin', 'resp.der', '-resp_text', '-noverify'])).toContain(
      'Responder Id: C = JP, O = JPKI-TEST, OU = OCSP test CA',
    );
  });

  it('ok-nonce-echo: openssl checks our echo of its nonce and of ours (docs/dependencies.md §6: no -cert)', async () => {
    f.ws.ok(['ocsp', '-issuer', 'ca.pem', '-cert', 'leaf.pem', '-reqout', 'qn.der']);
    const req = parseOcspRequest(f.read('qn.der'));
    expect(req.nonce).toBeDefined();
    const respond = (nonce: Uint8Array): Promise<Uint8Array> =>
      buildOcspResponse({
        signer: f.caSigner,
        producedAt: NOW,
        responses: req.items.map((i) => single(i.certId, { type: 'good' })),
        nonce,
      });
    f.ws.write('rn.der', await respond(req.nonce!));
    const args = [
      'ocsp',
      '-respin',
      'rn.der',
      '-reqin',
      'qn.der',
      '-CAfile',
      'ca.pem',
      '-verify_other',
      'ca.pem',
    ];
    const ok = f.ws.run(args);
    expect(ok.out).toContain('Response verify OK');
    expect(ok.out).not.toMatch(/nonce/i);

    f.ws.write('rn.der', await respond(fromHex('00112233445566778899aabbccddeeff')));
    expect(f.ws.run(args).out).toContain('Nonce Verify error');

    // Our own request with a 32-octet nonce, answered by our responder.
    const nonce = fromHex('a5'.repeat(32));
    f.ws.write('qo.der', await buildOcspRequest({ items: [{ cert: f.leaf, issuer: f.ca }], nonce }));
    f.ws.write(
      'ro.der',
      await buildOcspResponse({
        signer: f.caSigner,
        producedAt: NOW,
        responses: [single(leafId, { type: 'good' })],
        nonce,
      }),
    );
    const ours = f.ws.run([
      'ocsp',
      '-respin',
      'ro.der',
      '-reqin',
      'qo.der',
      '-CAfile',
      'ca.pem',
      '-verify_other',
      'ca.pem',
    ]);
    expect(ours.out).toContain('Response verify OK');
    expect(ours.out).not.toMatch(/nonce/i);
  });

  it('ok-preproduced: encodeResponseData + signResponseData equal buildOcspResponse and verify with openssl', async () => {
    const responderId = await ocspResponderId({ spki: f.caSigner.spki, digest: nodeDigest });
    const tbs = encodeResponseData({
      responderId,
      producedAt: NOW,
      responses: [single(leafId, { type: 'good' })],
    });
    const cached = await signResponseData(tbs, f.caSigner);
    // RSA PKCS#1 v1.5 is deterministic, so both paths give the same bytes.
    const direct = await buildOcspResponse({
      signer: f.caSigner,
      producedAt: NOW,
      responses: [single(leafId, { type: 'good' })],
    });
    expect(toHex(cached)).toBe(toHex(direct));
    const r = check(cached, 'leaf.pem');
    expect(r.out).toContain('Response verify OK');
    expect(r.out).toContain('leaf.pem: good');
    const basic = parseOcspResponse(cached).basic!;
    expect(toHex(basic.tbsResponseData)).toBe(toHex(tbs));
    expect(basic.nonce).toBeUndefined();
    expect(basic.producedAt).toEqual(NOW);
  });

  it('ok-error-responses: every error status is a bare responseStatus openssl names', () => {
    const statuses: [OcspErrorStatus, number][] = [
      ['malformedRequest', 1],
      ['internalError', 2],
      ['tryLater', 3],
      ['sigRequired', 5],
      ['unauthorized', 6],
    ];
    for (const [s, n] of statuses) {
      const der = ocspErrorResponse(s);
      expect(toHex(der)).toBe(`30030a010${n}`);
      f.ws.write('err.der', der);
      const r = f.ws.run(['ocsp', '-respin', 'err.der', '-resp_text']);
      expect(r.out).toContain(`Responder Error: ${s.toLowerCase()} (${n})`);
      expect(parseOcspResponse(der).responseStatus).toBe(s);
    }
    expect(() => ocspErrorResponse('successful' as OcspErrorStatus)).toThrow(RangeError);
  });

  it('fail-builder-caller-bugs: mismatched responder certificate, nextUpdate before thisUpdate, empty responses', async () => {
    await expect(
      buildOcspResponse({
        signer: f.caSigner,
        responderCertificate: f.responder.der,
        producedAt: NOW,
        responses: [single(leafId, { type: 'good' })],
      }),
    ).rejects.toThrow(RangeError);
    await expect(
      buildOcspResponse({
        signer: f.caSigner,
        producedAt: NOW,
        responses: [
          { certId: leafId, status: { type: 'good' }, thisUpdate: nextUpdate, nextUpdate: thisUpdate },
        ],
      }),
    ).rejects.toThrow(RangeError);
    await expect(buildOcspResponse({ signer: f.caSigner, producedAt: NOW, responses: [] })).rejects.toThrow(
      RangeError,
    );
  });
});
