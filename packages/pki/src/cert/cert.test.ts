import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCertificate } from './build.ts';
import { parseCertificate } from './parse.ts';
import { ext } from './extensions.ts';
import { encodeName, nameFrom, nameToString } from './name.ts';
import { keyIdentifierOf } from './spki.ts';
import { otherNameString } from './general-name.ts';
import { ia5, oid, seq, utf8 } from '../der/writer.ts';
import { toPem, toHex } from '../der/hex.ts';
import { OID } from '../der/oid.ts';
import { nodeGenerateKey, nodeSigner, nodeVerifier } from '../node/crypto.ts';
import { generateKeyPair, webCryptoSigner, webCryptoVerifier, type Signer } from '../crypto/provider.ts';
import { opensslWorkspace } from '../../test/openssl.ts';
import { isWatashiError } from '../errors.ts';

describe('certificates', () => {
  const ws = opensslWorkspace();
  let ca: Signer;
  let leafKey: Signer;
  let caDer: Uint8Array;
  let leafDer: Uint8Array;
  const caName = encodeName(
    nameFrom([
      ['C', 'JP'],
      ['O', 'JPKI-SIM'],
      ['OU', 'JPKI for digital signature'],
      ['OU', 'Japan Agency for Local Authority Information Systems'],
    ]),
  );

  beforeAll(async () => {
    ca = nodeSigner(nodeGenerateKey('RSA-SHA256'), 'RSA-SHA256');
    leafKey = await webCryptoSigner(await generateKeyPair('ECDSA-SHA256'), 'ECDSA-SHA256');
    const caKeyId = await keyIdentifierOf(ca.spki);
    caDer = await buildCertificate(
      {
        serial: 1n,
        issuer: caName,
        subject: caName,
        notBefore: new Date('2023-07-16T00:50:27Z'),
        notAfter: new Date('2033-07-15T14:59:59Z'),
        spki: ca.spki,
        extensions: [
          ext.keyUsage(['keyCertSign', 'cRLSign']),
          ext.basicConstraints(true),
          ext.subjectKeyIdentifier(caKeyId),
        ],
      },
      ca,
    );
    leafDer = await buildCertificate(
      {
        serial: 0x0705d990n,
        issuer: caName,
        subject: encodeName(
          nameFrom([
            ['C', 'JP'],
            ['L', 'Tokyo-to'],
            ['CN', '20250101000000000011234567890'],
          ]),
        ),
        notBefore: new Date('2025-01-01T00:00:00Z'),
        notAfter: new Date('2030-02-17T14:59:59Z'),
        spki: leafKey.spki,
        extensions: [
          ext.keyUsage(['digitalSignature', 'nonRepudiation']),
          ext.subjectAltName([{ type: 'otherName', oid: OID.jpkiName, value: utf8('山田\u3000太郎') }]),
          ext.certificatePolicies([OID.jpkiPolicySign]),
          ext.crlDistributionPoints([[{ type: 'directoryName', name: caName }]]),
          ext.authorityKeyIdentifier(caKeyId),
        ],
      },
      ca,
    );
    ws.write('ca.pem', toPem(caDer, 'CERTIFICATE'));
    ws.write('leaf.pem', toPem(leafDer, 'CERTIFICATE'));
  });
  afterAll(() => ws.cleanup());

  it('ok-openssl verifies the chain', () => {
    expect(ws.ok(['verify', '-CAfile', 'ca.pem', 'leaf.pem'])).toContain('leaf.pem: OK');
  });

  it('ok-openssl shows exact extension bytes', () => {
    const text = ws.ok(['x509', '-in', 'leaf.pem', '-noout', '-text']);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation/);
    expect(text).toContain('1.2.392.200149.8.5.1.1.20');
    expect(text).toContain('Serial Number: 117823888 (0x705d990)');
    // The key usage extension is exactly 03 02 06 C0 under a critical flag (docs/jpki.md §1.2).
    const asn1 = ws.ok(['asn1parse', '-in', 'leaf.pem', '-dump']);
    expect(asn1).toMatch(
      /X509v3 Key Usage\s*\n.*BOOLEAN\s*:255\s*\n.*OCTET STRING\s*\n\s*0000 - 03 02 06 c0/,
    );
  });

  it('ok-parses back what was built', () => {
    const c = parseCertificate(leafDer);
    expect(c.version).toBe(3);
    expect(c.serial).toBe(0x0705d990n);
    expect(toHex(c.serialBytes)).toBe('0705d990');
    expect(nameToString(c.subject)).toBe('C=JP, L=Tokyo-to, CN=20250101000000000011234567890');
    expect(c.keyUsage?.critical).toBe(true);
    expect([...(c.keyUsage?.usages ?? [])]).toEqual(['digitalSignature', 'nonRepudiation']);
    expect(c.policies).toEqual([OID.jpkiPolicySign]);
    const san = c.subjectAltName?.[0];
    expect(san?.type === 'otherName' && otherNameString(san.value)).toBe('山田\u3000太郎');
    expect(toHex(c.issuer.der)).toBe(toHex(caName));
    const dp = c.crlDistributionPoints?.[0]?.[0];
    expect(dp?.type === 'directoryName' && toHex(dp.name)).toBe(toHex(caName));
    expect(parseCertificate(caDer).basicConstraints).toEqual({ ca: true, critical: true });
  });

  it('ok-signatures verify with both verifiers; tampered TBS does not', async () => {
    const c = parseCertificate(leafDer);
    const issuer = parseCertificate(caDer);
    expect(await nodeVerifier().verify(issuer.spki, c.signatureAlgorithm, c.tbs, c.signature)).toBe(true);
    expect(await webCryptoVerifier().verify(issuer.spki, c.signatureAlgorithm, c.tbs, c.signature)).toBe(
      true,
    );
    const bad = c.tbs.slice();
    bad[bad.length - 1]! ^= 1;
    expect(await nodeVerifier().verify(issuer.spki, c.signatureAlgorithm, bad, c.signature)).toBe(false);
    expect(await webCryptoVerifier().verify(issuer.spki, c.signatureAlgorithm, bad, c.signature)).toBe(false);
  });

  it('ok-key identifier matches openssl', () => {
    const text = ws.ok(['x509', '-in', 'ca.pem', '-noout', '-ext', 'subjectKeyIdentifier']);
    const c = parseCertificate(caDer);
    expect(text.replace(/[\s:]/g, '').toLowerCase()).toContain(toHex(c.subjectKeyId!));
  });

  it.each([
    ['fail-truncated', (d: Uint8Array) => d.subarray(0, d.length - 10)],
    ['fail-trailing', (d: Uint8Array) => Uint8Array.from([...d, 0])],
    ['fail-not-a-sequence', (d: Uint8Array) => Uint8Array.from([0x04, ...d.subarray(1)])],
    ['fail-garbage', () => Uint8Array.from([1, 2, 3])],
  ])('%s → certificate_malformed', (_n, mutate) => {
    let err: unknown;
    try {
      parseCertificate(mutate(leafDer));
    } catch (e) {
      err = e;
    }
    expect(isWatashiError(err, 'certificate_malformed')).toBe(true);
  });

  it('fail-oversized input → certificate_malformed with der_too_large cause', () => {
    expect(() => parseCertificate(new Uint8Array(70_000))).toThrow(/malformed certificate/);
  });
});

describe('certificatePolicies with CPS qualifiers (RFC 5280 §4.2.1.4)', () => {
  const ws = opensslWorkspace();
  let ca: Signer;
  const name = encodeName(nameFrom([['CN', 'policy test']]));
  const cps = 'https://www.jpki.go.jp/ca/ca_rules3.html';
  const build = async (policies: ReturnType<typeof ext.certificatePolicies>): Promise<Uint8Array> =>
    buildCertificate(
      {
        serial: 7n,
        issuer: name,
        subject: name,
        notBefore: new Date('2025-01-01T00:00:00Z'),
        notAfter: new Date('2030-01-01T14:59:59Z'),
        spki: ca.spki,
        extensions: [policies],
      },
      ca,
    );
  const raw = (value: Uint8Array): ReturnType<typeof ext.certificatePolicies> => ({
    oid: OID.certificatePolicies,
    critical: true,
    value,
  });

  beforeAll(() => {
    ca = nodeSigner(nodeGenerateKey('RSA-SHA256'), 'RSA-SHA256');
  });
  afterAll(() => ws.cleanup());

  it('ok-encodes a critical policy with an id-qt-cps qualifier, byte for byte, and openssl reads it', async () => {
    const e = ext.certificatePolicies(
      [{ oid: OID.jpkiPolicySign, cpsUris: [cps] }, OID.jpkiPolicyAuth],
      true,
    );
    expect(e.critical).toBe(true);
    expect(toHex(e.value)).toBe(
      '3056' +
        '3045060b2a83088c9b550805010114' +
        '30363034' +
        '06082b06010505070201' +
        `1628${Buffer.from(cps).toString('hex')}` +
        '300d060b2a83088c9b55080501031e',
    );
    const der = await build(e);
    ws.write('cp.pem', toPem(der, 'CERTIFICATE'));
    const text = ws.ok(['x509', '-in', 'cp.pem', '-noout', '-text']);
    expect(text).toMatch(
      /X509v3 Certificate Policies: critical\s+Policy: 1\.2\.392\.200149\.8\.5\.1\.1\.20\s+CPS: https:\/\/www\.jpki\.go\.jp\/ca\/ca_rules3\.html\s+Policy: 1\.2\.392\.200149\.8\.5\.1\.3\.30/,
    );
    const c = parseCertificate(der);
    expect(c.policies).toEqual([OID.jpkiPolicySign, OID.jpkiPolicyAuth]);
    expect(c.policyInformation).toEqual([
      { oid: OID.jpkiPolicySign, cpsUris: [cps] },
      { oid: OID.jpkiPolicyAuth, cpsUris: [] },
    ]);
    expect(c.unknownCriticalExtensions).toEqual([]);
  });

  it('ok-a userNotice qualifier is skipped, the CPS beside it kept', async () => {
    const notice = seq(oid('1.3.6.1.5.5.7.2.2'), seq(utf8('for tests')));
    const value = seq(seq(oid(OID.jpkiPolicySign), seq(notice, seq(oid(OID.idQtCps), ia5(cps)))));
    const c = parseCertificate(await build(raw(value)));
    expect(c.policyInformation).toEqual([{ oid: OID.jpkiPolicySign, cpsUris: [cps] }]);
  });

  it.each<[string, Uint8Array]>([
    ['an empty policyQualifiers', seq(seq(oid(OID.jpkiPolicySign), seq()))],
    ['a CPS URI as UTF8String', seq(seq(oid(OID.jpkiPolicySign), seq(seq(oid(OID.idQtCps), utf8(cps)))))],
    [
      'trailing data after the qualifiers',
      seq(seq(oid(OID.jpkiPolicySign), seq(seq(oid(OID.idQtCps), ia5(cps))), utf8('x'))),
    ],
    ['a qualifier that is not a SEQUENCE', seq(seq(oid(OID.jpkiPolicySign), seq(ia5(cps))))],
  ])('fail-%s → certificate_malformed', async (_label, value) => {
    const der = await build(raw(value));
    let err: unknown;
    try {
      parseCertificate(der);
    } catch (e) {
      err = e;
    }
    expect(isWatashiError(err, 'certificate_malformed')).toBe(true);
  });
});
