/**
 * The Watashi CA checked by openssl (docs/conventions.md §11): the root and issuing CA, both
 * resident profiles, the CRL and OCSP answers, with the issuing key in a SoftHSM2 token and a
 * device key in another token (PKCS#11 through koffi).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  isWatashiError,
  parseCertificate,
  webCryptoSigner,
  type GeneralName,
} from '@watashi/pki';
import { nodeGenerateKey, nodeSigner, nodeVerifier } from '@watashi/pki/node';
import { opensslWorkspace } from '../../pki/test/openssl.ts';
import {
  buildCertificationRequest,
  caUrls,
  createCaCertificates,
  openIssuingCa,
  parseCertificationRequest,
  randomSerial,
  rawP256Signer,
  type IssuedStatus,
  type IssuingCa,
} from '../src/index.ts';
import { openPkcs11Token, type Pkcs11Token } from '../src/pkcs11.ts';
import { softHsmToken } from './softhsm.ts';

const pem = (der: Uint8Array, label = 'CERTIFICATE') =>
  `-----BEGIN ${label}-----\n${(
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  ).join('\n')}\n-----END ${label}-----\n`;

const SAN: GeneralName[] = [
  // The JPKI otherName form of the basic 4 information (docs/jpki.md §1.4): name, as UTF8String.
  {
    type: 'otherName',
    oid: '1.2.392.200149.8.5.5.1',
    value: Uint8Array.from([0x0c, 0x06, ...Buffer.from('山田', 'utf8')]),
  },
];

describe('Watashi CA (openssl checks, CA key in SoftHSM2)', () => {
  const ws = opensslWorkspace();
  let caToken: Pkcs11Token;
  let deviceToken: Pkcs11Token;
  let ca: IssuingCa;
  const now = new Date();
  const statuses = new Map<bigint, IssuedStatus>();

  beforeAll(async () => {
    // Both tokens exist before the module is first loaded: SoftHSM2 reads its slots at C_Initialize.
    const caConfig = softHsmToken('watashi-ca');
    const deviceConfig = softHsmToken('device');
    caToken = openPkcs11Token(caConfig);
    deviceToken = openPkcs11Token(deviceConfig);
    const issuingKey = caToken.generateKey('issuing');
    const rootSigner = nodeSigner(nodeGenerateKey('ECDSA-SHA256'), 'ECDSA-SHA256');
    const issuingSigner = rawP256Signer(issuingKey.spki, (d) => issuingKey.signRaw(d));
    const urls = caUrls('https://watashi.example');
    const certs = await createCaCertificates({ rootSigner, issuingSigner, deployment: 'test', urls, now });
    ca = await openIssuingCa({ ...certs, rootSigner, issuingSigner, urls });
    ws.write('root.pem', pem(certs.root));
    ws.write('issuing.pem', pem(certs.issuing));
  });
  afterAll(() => {
    caToken.close();
    deviceToken.close();
    ws.cleanup();
  });

  it('a PKCS#10 request from a PKCS#11 device key parses and verifies; openssl agrees', async () => {
    const key = deviceToken.generateKey('device-sign');
    const csr = await buildCertificationRequest(rawP256Signer(key.spki, (d) => key.signRaw(d)));
    ws.write('req.pem', pem(csr, 'CERTIFICATE REQUEST'));
    expect(ws.run(['req', '-in', 'req.pem', '-verify', '-noout']).out).toMatch(/verify OK/i);
    const parsed = await parseCertificationRequest(csr, nodeVerifier());
    expect(Buffer.from(parsed.spki).equals(Buffer.from(key.spki))).toBe(true);
  });

  it('refuses a request whose signature is not by its own key, and garbage', async () => {
    const a = await webCryptoSigner(await generateKeyPair('ECDSA-SHA256'), 'ECDSA-SHA256');
    const b = await webCryptoSigner(await generateKeyPair('ECDSA-SHA256'), 'ECDSA-SHA256');
    const forged = await buildCertificationRequest({ ...a, spki: b.spki });
    await expect(parseCertificationRequest(forged, nodeVerifier())).rejects.toSatisfy(
      (e) => isWatashiError(e) && e.code === 'ca_csr_signature_invalid',
    );
    await expect(parseCertificationRequest(Uint8Array.of(1, 2, 3), nodeVerifier())).rejects.toSatisfy(
      (e) => isWatashiError(e) && e.code === 'ca_csr_malformed',
    );
    const rsa = await webCryptoSigner(await generateKeyPair('RSA-SHA256'), 'RSA-SHA256');
    await expect(
      parseCertificationRequest(await buildCertificationRequest(rsa), nodeVerifier()),
    ).rejects.toSatisfy((e) => isWatashiError(e) && e.code === 'ca_key_unsupported');
  });

  it('both profiles verify with openssl against the published CA and carry AIA and CRL DP', async () => {
    const device = await webCryptoSigner(await generateKeyPair('ECDSA-SHA256'), 'ECDSA-SHA256');
    const signSerial = randomSerial();
    const sign = await ca.issue({
      profile: 'watashi-device-sign',
      serial: signSerial,
      spki: device.spki,
      now,
      subjectAltName: SAN,
    });
    const auth = await ca.issue({
      profile: 'watashi-device-auth',
      serial: randomSerial(),
      spki: device.spki,
      now,
    });
    ws.write('sign.pem', pem(sign));
    ws.write('auth.pem', pem(auth));
    for (const [file, purpose] of [
      ['sign.pem', 'smimesign'],
      ['auth.pem', 'sslclient'],
    ] as const) {
      const r = ws.run([
        'verify',
        '-CAfile',
        'root.pem',
        '-untrusted',
        'issuing.pem',
        '-purpose',
        purpose,
        file,
      ]);
      expect(r.out, r.out).toMatch(new RegExp(`${file}: OK`));
    }
    const text = ws.ok(['x509', '-in', 'auth.pem', '-noout', '-text']);
    expect(text).toContain('OCSP - URI:https://watashi.example/ca/ocsp');
    expect(text).toContain('CA Issuers - URI:https://watashi.example/ca/issuing.crt');
    expect(text).toContain('URI:https://watashi.example/ca/issuing.crl');
    expect(text).not.toContain('Subject Alternative Name');
    const signText = ws.ok(['x509', '-in', 'sign.pem', '-noout', '-text']);
    expect(signText).toContain('Subject Alternative Name');
    expect(signText).toMatch(/Non Repudiation/);
    expect(parseCertificate(sign).serial).toBe(signSerial);
    const issuingText = ws.ok(['x509', '-in', 'issuing.pem', '-noout', '-text']);
    expect(issuingText).toContain('URI:https://watashi.example/ca/root.crl');
  });

  it('the CRL verifies with openssl and lists held and revoked serials with their reasons', async () => {
    const held = randomSerial();
    const revoked = randomSerial();
    const crl = await ca.crl({
      entries: [
        { serial: held, revocationDate: now, reason: 'certificateHold' },
        { serial: revoked, revocationDate: now, reason: 'affiliationChanged' },
      ],
      crlNumber: 7n,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 3600_000),
    });
    ws.write('issuing.crl', crl);
    const verified = ws.run([
      'crl',
      '-inform',
      'DER',
      '-in',
      'issuing.crl',
      '-CAfile',
      'issuing.pem',
      '-noout',
    ]);
    expect(verified.out).toContain('verify OK');
    const out = ws.ok(['crl', '-inform', 'DER', '-in', 'issuing.crl', '-noout', '-text']);
    expect(out).toContain(held.toString(16).toUpperCase());
    expect(out).toContain('Certificate Hold');
    expect(out).toContain('Affiliation Changed');
    const rootCrl = await ca.rootCrl({
      crlNumber: 1n,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 86_400_000),
    });
    ws.write('root.crl', rootCrl);
    expect(ws.run(['crl', '-inform', 'DER', '-in', 'root.crl', '-CAfile', 'root.pem', '-noout']).out).toMatch(
      /verify OK/i,
    );
  });

  it('OCSP answers verify with openssl: good, certificateHold before activation, revoked', async () => {
    const device = await webCryptoSigner(await generateKeyPair('ECDSA-SHA256'), 'ECDSA-SHA256');
    const serial = randomSerial();
    const leaf = await ca.issue({ profile: 'watashi-device-auth', serial, spki: device.spki, now });
    ws.write('leaf.pem', pem(leaf));
    ws.ok(['ocsp', '-issuer', 'issuing.pem', '-cert', 'leaf.pem', '-reqout', 'req.der']);
    const request = new Uint8Array(readFileSync(join(ws.dir, 'req.der')));
    const lookup = (s: bigint): Promise<IssuedStatus> =>
      Promise.resolve(statuses.get(s) ?? { type: 'unknown' });
    const check = async (expected: RegExp) => {
      ws.write('resp.der', await ca.ocsp(request, lookup, new Date()));
      ws.write('chain.pem', pem(ca.root.der) + pem(ca.issuing.der));
      // Two runs (docs/dependencies.md §6): with -reqin openssl checks our echo of its nonce but
      // must not be given -cert (it would build a new request); with -cert it prints the status.
      const nonce = ws.run([
        'ocsp',
        '-respin',
        'resp.der',
        '-reqin',
        'req.der',
        '-CAfile',
        'chain.pem',
        '-verify_other',
        'issuing.pem',
      ]);
      expect(nonce.out, nonce.out).toContain('Response verify OK');
      expect(nonce.out).not.toMatch(/nonce/i);
      const r = ws.run([
        'ocsp',
        '-respin',
        'resp.der',
        '-issuer',
        'issuing.pem',
        '-cert',
        'leaf.pem',
        '-CAfile',
        'chain.pem',
        '-no_nonce',
      ]);
      expect(r.out, r.out).toMatch(/Response verify OK/);
      expect(r.out, r.out).toMatch(expected);
    };
    statuses.set(serial, { type: 'hold', since: now });
    await check(/leaf.pem: revoked[\s\S]*Reason: certificateHold/);
    statuses.set(serial, { type: 'good' });
    await check(/leaf.pem: good/);
    statuses.set(serial, { type: 'revoked', at: now, reason: 'keyCompromise' });
    await check(/leaf.pem: revoked[\s\S]*Reason: keyCompromise/);
    statuses.delete(serial);
    await check(/leaf.pem: unknown/);
    // Garbage gets the unsigned malformedRequest status, never a 500 or a signed answer.
    expect(Array.from(await ca.ocsp(Uint8Array.of(0x30, 0x00), lookup, new Date()))).toEqual([
      0x30, 0x03, 0x0a, 0x01, 0x01,
    ]);
  });
});
