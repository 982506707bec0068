import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { toHex, fromHex } from '../der/hex.ts';
import { explicit, int, octets, oid, seq, tlv } from '../der/writer.ts';
import { OID } from '../der/oid.ts';
import { isWatashiError } from '../errors.ts';
import { nodeDigest } from '../node/crypto.ts';
import {
  certIdFor,
  certIdIssuerHashes,
  certIdIssuedBy,
  certIdMatches,
  encodeCertId,
  type CertId,
} from './cert-id.ts';
import { buildOcspRequest, parseOcspRequest } from './request.ts';
import { makeOcspFixtures, type OcspFixtures } from './test/fixtures.ts';

function code(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (isWatashiError(e)) return e.code;
    throw e;
  }
}

describe('OCSP CertID and requests', () => {
  let f: OcspFixtures;
  beforeAll(async () => {
    f = await makeOcspFixtures();
  });
  afterAll(() => f.ws.cleanup());

  const sha = (alg: string, b: Uint8Array): string => createHash(alg).update(b).digest('hex');

  it('ok-certid-sha256-default: hashes the issuer DN DER and the issuer key bits', async () => {
    const id = await certIdFor(f.leaf, f.ca);
    expect(id.hashAlgorithm).toBe('SHA-256');
    expect(toHex(id.issuerNameHash)).toBe(sha('sha256', f.leaf.issuer.der));
    // The key bits: the SPKI's BIT STRING value without the unused-bits octet, as openssl computes it.
    const keyBits = f.ca.spki.subarray(f.ca.spki.length - 270); // RSA-2048 RSAPublicKey is 270 bytes
    expect(keyBits[0]).toBe(0x30);
    expect(toHex(id.issuerKeyHash)).toBe(sha('sha256', keyBits));
    expect(id.serial).toBe(0x0705d990n);
    const sha1 = await certIdFor(f.leaf, f.ca, 'SHA-1', nodeDigest);
    expect(sha1.issuerKeyHash.length).toBe(20);
    expect(certIdMatches(id, sha1)).toBe(false);
    expect(certIdMatches(id, await certIdFor(f.leaf, f.ca, 'SHA-256', nodeDigest))).toBe(true);
    expect(certIdMatches(id, await certIdFor(f.revoked, f.ca))).toBe(false);
    expect(certIdIssuedBy(id, await certIdIssuerHashes(f.ca))).toBe(true);
    expect(certIdIssuedBy(id, await certIdIssuerHashes(f.leaf))).toBe(false);
  });

  it('ok-build-openssl-text: openssl parses our request, CertID and nonce as we meant them', async () => {
    const nonce = fromHex('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff');
    const req = await buildOcspRequest({ items: [{ cert: f.leaf, issuer: f.ca }], nonce });
    f.ws.write('ours.req', req);
    const out = f.ws.ok(['ocsp', '-reqin', 'ours.req', '-req_text']);
    const id = await certIdFor(f.leaf, f.ca);
    expect(out).toContain('Hash Algorithm: sha256');
    expect(out).toContain(`Issuer Name Hash: ${toHex(id.issuerNameHash).toUpperCase()}`);
    expect(out).toContain(`Issuer Key Hash: ${toHex(id.issuerKeyHash).toUpperCase()}`);
    expect(out).toContain('Serial Number: 0705D990');
    expect(out).toContain('OCSP Nonce');
    // openssl prints the extnValue: our OCTET STRING wrapper (04 20) then the 32 nonce octets.
    expect(out.replace(/\s+/g, '')).toContain(`0420${toHex(nonce).toUpperCase()}`);
    const back = parseOcspRequest(req);
    expect(back.nonce && toHex(back.nonce)).toBe(toHex(nonce));
    expect(certIdMatches(back.items[0]!.certId, id)).toBe(true);

    const sha1Req = await buildOcspRequest({
      items: [{ cert: f.leaf, issuer: f.ca }, { certId: await certIdFor(f.revoked, f.ca, 'SHA-1') }],
      hash: 'SHA-1',
    });
    f.ws.write('ours-sha1.req', sha1Req);
    const out1 = f.ws.ok(['ocsp', '-reqin', 'ours-sha1.req', '-req_text']);
    expect(out1.match(/Hash Algorithm: sha1/g)?.length).toBe(2);
    expect(out1).toContain('Serial Number: 0705D991');
    expect(out1).not.toContain('Nonce');
  });

  for (const [label, digestArgs, args, hash, withNonce] of [
    ['sha1-nonce', [], [], 'SHA-1', true],
    ['sha1-no-nonce', [], ['-no_nonce'], 'SHA-1', false],
    ['sha256-nonce', ['-sha256'], [], 'SHA-256', true],
    ['sha256-no-nonce', ['-sha256'], ['-no_nonce'], 'SHA-256', false],
  ] as const) {
    it(`ok-parse-openssl-${label}: parses a request made by openssl ocsp`, async () => {
      const name = `openssl-${label}.req`;
      // openssl wants the CertID digest before the -cert options it applies to.
      f.ws.ok([
        'ocsp',
        '-issuer',
        'ca.pem',
        ...digestArgs,
        '-cert',
        'leaf.pem',
        '-cert',
        'revoked.pem',
        ...args,
        '-reqout',
        name,
      ]);
      const der = f.read(name);
      const req = parseOcspRequest(der);
      expect(req.items.length).toBe(2);
      const [a, b] = req.items;
      expect(a!.certId.hashAlgorithm).toBe(hash);
      expect(certIdMatches(a!.certId, await certIdFor(f.leaf, f.ca, hash))).toBe(true);
      expect(certIdMatches(b!.certId, await certIdFor(f.revoked, f.ca, hash))).toBe(true);
      // The parsed CertID keeps its exact encoding so a responder can echo it.
      expect(encodeCertId(a!.certId)).toEqual(a!.certId.der);
      expect(req.signature).toBeUndefined();
      if (withNonce) {
        expect(req.nonce?.length).toBe(16); // openssl's default nonce length
        expect(f.ws.ok(['ocsp', '-reqin', name, '-req_text']).replace(/[\s:]+/g, '')).toContain(
          toHex(req.nonce!).toUpperCase(),
        );
      } else {
        expect(req.nonce).toBeUndefined();
      }
    });
  }

  it('ok-parse-signed: a signed request parses; the signature is reported, not required', () => {
    f.ws.ok([
      'ocsp',
      '-issuer',
      'ca.pem',
      '-cert',
      'leaf.pem',
      '-signer',
      'responder.pem',
      '-signkey',
      'responder.key',
      '-reqout',
      'signed.req',
    ]);
    const req = parseOcspRequest(f.read('signed.req'));
    expect(req.signature?.algorithmOid).toBe(OID.ecdsaWithSHA256);
    expect(req.signature?.certificates.length).toBe(1);
    expect(toHex(req.signature!.certificates[0]!)).toBe(toHex(f.responder.der));
    expect(req.requestorName).toBeDefined(); // openssl names the signer as requestorName
    expect(req.items.length).toBe(1);
  });

  describe('fail-: strict parsing', () => {
    let id: CertId;
    beforeAll(async () => {
      id = await certIdFor(f.leaf, f.ca);
    });
    const reqOf = (tbsParts: Uint8Array[], ...rest: Uint8Array[]): Uint8Array =>
      seq(seq(...tbsParts), ...rest);
    const list = (n: number): Uint8Array => seq(...Array.from({ length: n }, () => seq(encodeCertId(id))));
    const nonceExt = (value: Uint8Array): Uint8Array =>
      explicit(2, seq(seq(oid(OID.ocspNonce), octets(value))));

    it('fail-truncated: every truncation is ocsp_malformed', async () => {
      const der = await buildOcspRequest({
        items: [{ cert: f.leaf, issuer: f.ca }],
        nonce: new Uint8Array(32),
      });
      for (let n = 0; n < der.length; n++)
        expect(code(() => parseOcspRequest(der.subarray(0, n)))).toBe('ocsp_malformed');
    });
    it('fail-trailing-data', async () => {
      const der = await buildOcspRequest({ items: [{ certId: id }] });
      const padded = new Uint8Array(der.length + 1);
      padded.set(der);
      expect(code(() => parseOcspRequest(padded))).toBe('ocsp_malformed');
    });
    it('fail-too-many-items: more than 32 (or maxItems) CertIDs', () => {
      expect(parseOcspRequest(reqOf([list(32)])).items.length).toBe(32);
      expect(code(() => parseOcspRequest(reqOf([list(33)])))).toBe('ocsp_malformed');
      expect(code(() => parseOcspRequest(reqOf([list(2)]), { maxItems: 1 }))).toBe('ocsp_malformed');
    });
    it('fail-no-items', () => {
      expect(code(() => parseOcspRequest(reqOf([seq()])))).toBe('ocsp_malformed');
    });
    it('fail-nonce-length: 0 and 129 octets are refused; 1 and 128 accepted', () => {
      expect(parseOcspRequest(reqOf([list(1), nonceExt(octets(new Uint8Array(1)))])).nonce?.length).toBe(1);
      expect(parseOcspRequest(reqOf([list(1), nonceExt(octets(new Uint8Array(128)))])).nonce?.length).toBe(
        128,
      );
      expect(code(() => parseOcspRequest(reqOf([list(1), nonceExt(octets(new Uint8Array(0)))])))).toBe(
        'ocsp_malformed',
      );
      expect(code(() => parseOcspRequest(reqOf([list(1), nonceExt(octets(new Uint8Array(129)))])))).toBe(
        'ocsp_malformed',
      );
    });
    it('fail-nonce-unwrapped: a nonce not wrapped in an OCTET STRING', () => {
      expect(code(() => parseOcspRequest(reqOf([list(1), nonceExt(fromHex('0102030405060708'))])))).toBe(
        'ocsp_malformed',
      );
    });
    it('fail-version-2', () => {
      expect(parseOcspRequest(reqOf([explicit(0, int(0)), list(1)])).items.length).toBe(1);
      expect(code(() => parseOcspRequest(reqOf([explicit(0, int(1)), list(1)])))).toBe('ocsp_malformed');
    });
    it('fail-bad-certid: wrong hash length, unknown hash algorithm', () => {
      const shortHash = seq(
        seq(seq(oid(OID.sha256)), octets(new Uint8Array(20)), octets(new Uint8Array(32)), int(5)),
      );
      expect(code(() => parseOcspRequest(reqOf([seq(shortHash)])))).toBe('ocsp_malformed');
      const md5 = seq(
        seq(seq(oid('1.2.840.113549.2.5')), octets(new Uint8Array(16)), octets(new Uint8Array(16)), int(5)),
      );
      expect(code(() => parseOcspRequest(reqOf([seq(md5)])))).toBe('ocsp_malformed');
    });
    it('fail-not-a-request: a certificate, garbage, an oversized blob', () => {
      expect(code(() => parseOcspRequest(f.leaf.der))).toBe('ocsp_malformed');
      expect(code(() => parseOcspRequest(fromHex('deadbeef')))).toBe('ocsp_malformed');
      expect(code(() => parseOcspRequest(tlv(0x30, new Uint8Array(20_000))))).toBe('ocsp_malformed');
    });
    it('ok-critical-unknown-extension is reported, not silently accepted', () => {
      const x = explicit(
        2,
        seq(seq(oid('1.2.3.4'), Uint8Array.of(0x01, 0x01, 0xff), octets(Uint8Array.of(5, 0)))),
      );
      expect(parseOcspRequest(reqOf([list(1), x])).unsupportedCriticalExtensions).toEqual(['1.2.3.4']);
    });
    it('fail-build-caller-bugs: empty items and a 33-octet nonce are RangeErrors', async () => {
      await expect(buildOcspRequest({ items: [] })).rejects.toThrow(RangeError);
      await expect(buildOcspRequest({ items: [{ certId: id }], nonce: new Uint8Array(33) })).rejects.toThrow(
        RangeError,
      );
    });
  });
});
