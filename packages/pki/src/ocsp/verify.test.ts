import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCertificate } from '../cert/build.ts';
import { ext } from '../cert/extensions.ts';
import { encodeName, nameFrom } from '../cert/name.ts';
import { parseCertificate } from '../cert/parse.ts';
import { fromHex, toHex } from '../der/hex.ts';
import { OID } from '../der/oid.ts';
import { DerReader, encodingOf, readTlv } from '../der/reader.ts';
import { bool, explicit, nul, octets, oid, seq, utcTime } from '../der/writer.ts';
import { webCryptoDigest, webCryptoVerifier } from '../crypto/provider.ts';
import { isWatashiError } from '../errors.ts';
import { nodeDigest, nodeVerifier } from '../node/crypto.ts';
import { certIdFor, type CertId } from './cert-id.ts';
import { buildOcspRequest } from './request.ts';
import {
  buildOcspResponse,
  encodeResponseData,
  ocspErrorResponse,
  ocspResponderId,
  signResponseData,
  type BuildOcspResponseOptions,
  type OcspSingleResponseInput,
} from './respond.ts';
import type { OcspErrorStatus } from './status.ts';
import { verifyOcspResponse, type OcspVerification, type VerifyOcspResponseOptions } from './verify.ts';
import { HOUR, NOW, makeOcspFixtures, type OcspFixtures } from './test/fixtures.ts';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (isWatashiError(e)) return e.code;
    throw e;
  }
}

/** Rebuilds a SEQUENCE from its children after `edit` (for hand-made defects). */
function editSeq(der: Uint8Array, edit: (children: Uint8Array[]) => Uint8Array[]): Uint8Array {
  const r = DerReader.of(der, readTlv(der, 0));
  const kids: Uint8Array[] = [];
  while (!r.done) kids.push(encodingOf(der, r.next()));
  return seq(...edit(kids));
}

describe('verifyOcspResponse', () => {
  let f: OcspFixtures;
  let leafId: CertId, revokedId: CertId, strangerId: CertId;
  const verifier = nodeVerifier();
  const thisUpdate = new Date(NOW.getTime() - 60_000);
  const nextUpdate = new Date(NOW.getTime() + HOUR);

  beforeAll(async () => {
    f = await makeOcspFixtures();
    leafId = await certIdFor(f.leaf, f.ca);
    revokedId = await certIdFor(f.revoked, f.ca);
    strangerId = await certIdFor(f.stranger, f.ca);
  });
  afterAll(() => f.ws.cleanup());

  const single = (
    certId: CertId,
    status: OcspSingleResponseInput['status'] = { type: 'good' },
    times: { thisUpdate: Date; nextUpdate?: Date } = { thisUpdate, nextUpdate },
  ): OcspSingleResponseInput => ({ certId, status, ...times });
  const respond = (extra: Partial<BuildOcspResponseOptions> = {}): Promise<Uint8Array> =>
    buildOcspResponse({
      signer: f.caSigner,
      producedAt: NOW,
      responses: [single(leafId)],
      digest: nodeDigest,
      ...extra,
    });
  const verify = (
    der: Uint8Array,
    extra: Partial<VerifyOcspResponseOptions> = {},
  ): Promise<OcspVerification> =>
    verifyOcspResponse({ der, cert: f.leaf, issuer: f.ca, now: NOW, verifier, digest: nodeDigest, ...extra });

  describe('ok-', () => {
    it('ok-good-issuer-signed: every field reported', async () => {
      const v = await verify(await respond());
      expect(v.status).toBe('good');
      expect(v.thisUpdate).toEqual(thisUpdate);
      expect(v.nextUpdate).toEqual(nextUpdate);
      expect(v.producedAt).toEqual(NOW);
      expect(v.responder.type).toBe('issuer');
      expect(v.revocationTime).toBeUndefined();
      expect(v.certId.serial).toBe(0x0705d990n);
    });

    it('ok-revoked-and-unknown among several SingleResponses', async () => {
      const revocationTime = new Date('2025-01-02T03:04:05Z');
      const der = await respond({
        responses: [
          single(leafId),
          single(revokedId, { type: 'revoked', revocationTime, reason: 'certificateHold' }),
          single(strangerId, { type: 'unknown' }),
        ],
      });
      const r = await verify(der, { cert: f.revoked });
      expect(r.status).toBe('revoked');
      expect(r.reason).toBe('certificateHold');
      expect(r.revocationTime).toEqual(revocationTime);
      expect((await verify(der, { cert: f.stranger })).status).toBe('unknown');
      expect((await verify(der)).status).toBe('good');
    });

    it('ok-webcrypto: the isomorphic verifier and digest give the same answer', async () => {
      const der = await respond({ signer: f.responderSigner, responderCertificate: f.responder.der });
      const v = await verify(der, { verifier: webCryptoVerifier(), digest: webCryptoDigest() });
      expect(v.status).toBe('good');
      expect(v.responder.type).toBe('delegated');
    });

    it('ok-delegated-ours: responder certificate with EKU and nocheck', async () => {
      const v = await verify(
        await respond({ signer: f.responderSigner, responderCertificate: f.responder.der }),
      );
      expect(v.responder.type).toBe('delegated');
      if (v.responder.type === 'delegated') {
        expect(v.responder.noCheck).toBe(true);
        expect(v.responder.certificate.serial).toBe(0x7001n);
      }
      const byName = await respond({
        signer: f.responderSigner,
        responderCertificate: f.responder.der,
        responderId: 'name',
      });
      expect((await verify(byName)).responder.type).toBe('delegated');
    });

    it('ok-nonce: our nonce echoed', async () => {
      const nonce = fromHex('5a'.repeat(32));
      const v = await verify(await respond({ nonce }), { nonce });
      expect(v.status).toBe('good');
    });

    it('ok-sha1-certid: a response in SHA-1 CertIDs is matched with SHA-1', async () => {
      const der = await respond({ responses: [single(await certIdFor(f.leaf, f.ca, 'SHA-1', nodeDigest))] });
      expect((await verify(der)).certId.hashAlgorithm).toBe('SHA-1');
    });

    it('ok-clock-skew: thisUpdate slightly ahead and nextUpdate slightly past are tolerated', async () => {
      const ahead = await respond({
        responses: [
          single(leafId, { type: 'good' }, { thisUpdate: new Date(NOW.getTime() + 60_000), nextUpdate }),
        ],
      });
      const behind = await respond({
        responses: [
          single(leafId, { type: 'good' }, { thisUpdate, nextUpdate: new Date(NOW.getTime() - 30_000) }),
        ],
      });
      for (const der of [ahead, behind]) {
        expect((await verify(der)).status).toBe('good');
        expect(await codeOf(verify(der, { clockSkewSeconds: 0 }))).toBe('ocsp_stale');
      }
    });
  });

  describe('openssl as the responder', () => {
    const serve = (args: string[], req: Uint8Array): Uint8Array => {
      f.ws.write('oq.der', req);
      f.ws.ok([
        'ocsp',
        '-index',
        'index.txt',
        '-CA',
        'ca.pem',
        '-reqin',
        'oq.der',
        '-respout',
        'or.der',
        '-nmin',
        '60',
        ...args,
      ]);
      return f.read('or.der');
    };
    const caSigned = ['-rsigner', 'ca.pem', '-rkey', 'ca.key'];

    it('ok-openssl-good-revoked-unknown: CA-signed byName responses, SHA-1 CertIDs, nonce', async () => {
      const nonce = fromHex('0f'.repeat(16));
      const req = await buildOcspRequest({
        items: [
          { cert: f.leaf, issuer: f.ca },
          { cert: f.revoked, issuer: f.ca },
          { cert: f.stranger, issuer: f.ca },
        ],
        hash: 'SHA-1',
        nonce,
      });
      const der = serve(caSigned, req);
      const good = await verify(der, { nonce });
      expect(good.status).toBe('good');
      expect(good.responder.type).toBe('issuer');
      expect(good.responder.responderId.type).toBe('name');
      const rev = await verify(der, { cert: f.revoked, nonce });
      expect(rev.status).toBe('revoked');
      expect(rev.reason).toBe('keyCompromise');
      expect(rev.revocationTime).toEqual(new Date('2025-01-02T03:04:05Z'));
      expect((await verify(der, { cert: f.stranger, nonce })).status).toBe('unknown');
      expect(await codeOf(verify(der, { nonce: fromHex('0e'.repeat(16)) }))).toBe('ocsp_nonce_mismatch');
    });

    it('ok-openssl-delegated-by-key: SHA-256 CertID, -resp_key_id', async () => {
      const req = await buildOcspRequest({ items: [{ cert: f.leaf, issuer: f.ca }] });
      const der = serve(['-rsigner', 'responder.pem', '-rkey', 'responder.key', '-resp_key_id'], req);
      const v = await verify(der);
      expect(v.status).toBe('good');
      expect(v.responder.type).toBe('delegated');
      expect(v.responder.responderId.type).toBe('key');
      expect(v.certId.hashAlgorithm).toBe('SHA-256');
    });

    it('fail-openssl-no-eku: openssl will sign with a non-responder certificate; we refuse it', async () => {
      const req = await buildOcspRequest({ items: [{ cert: f.leaf, issuer: f.ca }] });
      const der = serve(['-rsigner', 'noeku.pem', '-rkey', 'noeku.key'], req);
      expect(await codeOf(verify(der))).toBe('ocsp_unauthorized_responder');
    });
  });

  describe('fail-', () => {
    it('fail-unrelated-key-claiming-the-issuer: ocsp_signature_invalid', async () => {
      const responderId = await ocspResponderId({ spki: f.caSigner.spki, digest: nodeDigest });
      const tbs = encodeResponseData({ responderId, producedAt: NOW, responses: [single(leafId)] });
      const der = await signResponseData(tbs, f.otherSigner);
      expect(await codeOf(verify(der))).toBe('ocsp_signature_invalid');
    });

    it('fail-same-dn-other-key: remembered issuer hashes belong to one certificate, not to its DN', async () => {
      const twin = parseCertificate(
        await buildCertificate(
          {
            serial: 0x7777n,
            issuer: f.ca.subject.der,
            subject: f.ca.subject.der,
            notBefore: f.ca.notBefore,
            notAfter: f.ca.notAfter,
            spki: f.otherSigner.spki,
            extensions: [ext.basicConstraints(true), ext.keyUsage(['keyCertSign', 'cRLSign'])],
          },
          f.otherSigner,
        ),
      );
      const byKey = await respond();
      const byName = await respond({ responderId: 'name', responderName: f.ca.subject.der });
      expect((await verify(byKey)).status).toBe('good'); // the CA's hashes are now remembered
      expect(await codeOf(verify(byKey, { issuer: twin }))).toBe('ocsp_unauthorized_responder');
      expect(await codeOf(verify(byName, { issuer: twin }))).toBe('ocsp_signature_invalid');
      const mine = await certIdFor(f.leaf, f.ca, 'SHA-256', nodeDigest);
      const twins = await certIdFor(f.leaf, twin, 'SHA-256', nodeDigest);
      expect(toHex(twins.issuerNameHash)).toBe(toHex(mine.issuerNameHash));
      expect(toHex(twins.issuerKeyHash)).not.toBe(toHex(mine.issuerKeyHash));
      // Twice, so the second answer comes from the memo, and a caller's edit does not reach it.
      mine.issuerKeyHash.fill(0);
      expect(toHex((await certIdFor(f.leaf, f.ca, 'SHA-256', nodeDigest)).issuerKeyHash)).toBe(
        toHex((await certIdFor(f.leaf, f.ca, 'SHA-256', webCryptoDigest())).issuerKeyHash),
      );
      expect((await verify(byKey)).status).toBe('good');
    });

    it('fail-tampered: one flipped bit in the signed data is ocsp_signature_invalid', async () => {
      const der = (await respond()).slice();
      const i = toHex(der).indexOf(toHex(Uint8Array.of(0x80, 0x00))) / 2; // CertStatus good
      der[i] = 0x82; // → unknown
      expect(await codeOf(verify(der))).toBe('ocsp_signature_invalid');
    });

    it('fail-unrelated-key-as-itself: a responder nobody authorised', async () => {
      expect(await codeOf(verify(await respond({ signer: f.otherSigner })))).toBe(
        'ocsp_unauthorized_responder',
      );
    });

    it('fail-delegated-without-eku', async () => {
      const der = await respond({ signer: f.noEkuSigner, responderCertificate: f.noEku.der });
      expect(await codeOf(verify(der))).toBe('ocsp_unauthorized_responder');
    });

    it('fail-delegated-forged: a responder certificate naming the CA but signed by another key', async () => {
      const forged = await buildCertificate(
        {
          serial: 0x7003n,
          issuer: f.ca.subject.der,
          subject: encodeName(nameFrom([['CN', 'forged responder']])),
          notBefore: f.responder.notBefore,
          notAfter: f.responder.notAfter,
          spki: f.otherSigner.spki,
          extensions: [ext.extKeyUsage([OID.kpOcspSigning])],
        },
        f.otherSigner,
      );
      const der = await respond({ signer: f.otherSigner, responderCertificate: forged });
      expect(await codeOf(verify(der))).toBe('ocsp_unauthorized_responder');
    });

    it('fail-delegated-expired: a responder certificate outside its validity at now', async () => {
      const expired = parseCertificate(
        await buildCertificate(
          {
            serial: 0x7004n,
            issuer: f.ca.subject.der,
            subject: encodeName(nameFrom([['CN', 'old responder']])),
            notBefore: new Date(NOW.getTime() - 48 * HOUR),
            notAfter: new Date(NOW.getTime() - 24 * HOUR),
            spki: f.responderSigner.spki,
            extensions: [ext.extKeyUsage([OID.kpOcspSigning])],
          },
          f.caSigner,
        ),
      );
      const der = await respond({ signer: f.responderSigner, responderCertificate: expired.der });
      expect(await codeOf(verify(der))).toBe('ocsp_unauthorized_responder');
    });

    it('fail-delegated-right-cert-wrong-key: authorised certificate, signature by another key', async () => {
      const responderId = await ocspResponderId({ spki: f.responderSigner.spki, digest: nodeDigest });
      const tbs = encodeResponseData({ responderId, producedAt: NOW, responses: [single(leafId)] });
      const der = await signResponseData(tbs, f.otherSigner, [f.responder.der]);
      expect(await codeOf(verify(der))).toBe('ocsp_signature_invalid');
    });

    it('fail-nonce: missing echo and wrong echo', async () => {
      const nonce = fromHex('11'.repeat(32));
      expect(await codeOf(verify(await respond(), { nonce }))).toBe('ocsp_nonce_mismatch');
      expect(await codeOf(verify(await respond({ nonce: fromHex('12'.repeat(32)) }), { nonce }))).toBe(
        'ocsp_nonce_mismatch',
      );
    });

    it('fail-stale: nextUpdate past, thisUpdate future, producedAt future, maxAge, no nextUpdate', async () => {
      const past = await respond({
        responses: [
          single(
            leafId,
            { type: 'good' },
            { thisUpdate: new Date(NOW.getTime() - 3 * HOUR), nextUpdate: new Date(NOW.getTime() - HOUR) },
          ),
        ],
      });
      expect(await codeOf(verify(past))).toBe('ocsp_stale');
      const future = await respond({
        responses: [
          single(
            leafId,
            { type: 'good' },
            { thisUpdate: new Date(NOW.getTime() + HOUR), nextUpdate: new Date(NOW.getTime() + 2 * HOUR) },
          ),
        ],
      });
      expect(await codeOf(verify(future))).toBe('ocsp_stale');
      expect(await codeOf(verify(await respond({ producedAt: new Date(NOW.getTime() + HOUR) })))).toBe(
        'ocsp_stale',
      );
      const old = await respond({
        responses: [
          single(leafId, { type: 'good' }, { thisUpdate: new Date(NOW.getTime() - 2 * HOUR), nextUpdate }),
        ],
      });
      expect((await verify(old)).status).toBe('good');
      expect(await codeOf(verify(old, { maxAgeSeconds: 3600 }))).toBe('ocsp_stale');
      const noNext = await respond({
        responses: [single(leafId, { type: 'good' }, { thisUpdate: new Date(NOW.getTime() - 30 * 60_000) })],
      });
      expect(await codeOf(verify(noNext))).toBe('ocsp_stale');
      expect((await verify(noNext, { maxAgeSeconds: 3600 })).status).toBe('good');
    });

    it('fail-cert-not-in-response', async () => {
      expect(await codeOf(verify(await respond(), { cert: f.revoked }))).toBe('ocsp_cert_not_in_response');
    });

    it('fail-error-status: each error status, with detail.status', async () => {
      for (const s of [
        'malformedRequest',
        'internalError',
        'tryLater',
        'sigRequired',
        'unauthorized',
      ] as OcspErrorStatus[]) {
        try {
          await verify(ocspErrorResponse(s));
          expect.unreachable();
        } catch (e) {
          expect(isWatashiError(e, 'ocsp_error_status')).toBe(true);
          if (isWatashiError(e)) expect(e.detail?.status).toBe(s);
        }
      }
    });

    it('fail-truncated: every prefix of a response is ocsp_malformed', async () => {
      const der = await respond({
        signer: f.responderSigner,
        responderCertificate: f.responder.der,
        nonce: new Uint8Array(32),
      });
      for (let n = 0; n < der.length; n++)
        expect(await codeOf(verify(der.subarray(0, n)))).toBe('ocsp_malformed');
    });

    it('fail-malformed-shapes: undefined status 4, non-basic type, UTCTime, bytes on an error status, garbage', async () => {
      expect(await codeOf(verify(fromHex('30030a0104')))).toBe('ocsp_malformed');
      expect(
        await codeOf(verify(seq(fromHex('0a0101'), explicit(0, seq(oid(OID.ocspBasic), octets(seq())))))),
      ).toBe('ocsp_malformed');
      const good = await respond();
      // Swap the responseType for id-pkix-ocsp-nonce: an unknown response type.
      const typed = good.slice();
      const at = toHex(typed).indexOf('2b0601050507300101') / 2;
      typed[at + 8] = 0x02;
      expect(await codeOf(verify(typed))).toBe('ocsp_malformed');
      const responderId = await ocspResponderId({ spki: f.caSigner.spki, digest: nodeDigest });
      const tbs = encodeResponseData({ responderId, producedAt: NOW, responses: [single(leafId)] });
      const utc = editSeq(tbs, ([rid, , list]) => [rid!, utcTime(NOW), list!]);
      expect(await codeOf(verify(await signResponseData(utc, f.caSigner)))).toBe('ocsp_malformed');
      expect(await codeOf(verify(f.leaf.der))).toBe('ocsp_malformed');
      expect(await codeOf(verify(fromHex('00')))).toBe('ocsp_malformed');
    });

    it('fail-unknown-critical-extension in responseExtensions', async () => {
      const responderId = await ocspResponderId({ spki: f.caSigner.spki, digest: nodeDigest });
      const tbs = encodeResponseData({ responderId, producedAt: NOW, responses: [single(leafId)] });
      const critical = editSeq(tbs, (kids) => [
        ...kids,
        explicit(1, seq(seq(oid('1.2.3.4'), bool(true), octets(nul())))),
      ]);
      expect(await codeOf(verify(await signResponseData(critical, f.caSigner)))).toBe('ocsp_malformed');
      const nonCritical = editSeq(tbs, (kids) => [
        ...kids,
        explicit(1, seq(seq(oid('1.2.3.4'), octets(nul())))),
      ]);
      expect((await verify(await signResponseData(nonCritical, f.caSigner))).status).toBe('good');
    });
  });
});
