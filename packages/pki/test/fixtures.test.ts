// The parsers against published bytes (fixtures/README.md): an RFC example certificate, a real
// certificate chain from a public CA, and artefacts signed with the RFC 9500 test keys — each read
// by our parser and by `openssl`, the independent implementation (docs/conventions.md §11). A
// parser bug that changes a field makes one of these comparisons fail.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCertificate,
  buildCrl,
  encodeName,
  ext,
  fromPem,
  fromPemAll,
  isWatashiError,
  keyIdentifierOf,
  nameFrom,
  nameToString,
  OID,
  parseCertificate,
  parseOcspResponse,
  parseSpki,
  parseTimeStampResponse,
  parseTstInfo,
  readCrl,
  respondTimeStamp,
  toHex,
  toPem,
  verifyCms,
  verifyCrl,
  webCryptoVerifier,
  type Certificate,
  type Signer,
} from '../src/index.ts';
import { opensslWorkspace } from './openssl.ts';
import { RFC9500_FILES, testEccP256Signer, testRsa2048Signer } from './rfc9500.ts';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const text = (f: string): string => readFileSync(join(FIXTURES, f), 'utf8');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const verifier = webCryptoVerifier();

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isWatashiError(e)) return e.code;
    throw e;
  }
  return undefined;
}
async function codeOfAsync(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    if (isWatashiError(e)) return e.code;
    throw e;
  }
  return undefined;
}
/** openssl's one-line name (`OU = x, CN = y`) in nameToString's spelling (`OU=x, CN=y`). */
const sslName = (s: string): string => s.trim().replaceAll(' = ', '=');
/** `AB:CD:…` as printed by openssl → lower-case hex. */
const sslHex = (s: string): string => s.trim().replaceAll(':', '').toLowerCase();
/** The indented lines under an extension heading in `openssl x509 -text`. */
const extBlock = (out: string, heading: string): string => {
  const m = new RegExp(`${heading}:( critical)? ?\\n((?: {16}.*\\n?)+)`).exec(out);
  if (!m) throw new Error(`openssl printed no ${heading}`);
  return `${m[1] ?? ''}|${m[2]!.trim()}`;
};

const ws = opensslWorkspace();
afterAll(() => ws.cleanup());

describe('fixtures/README.md records every file and its SHA-256', () => {
  it('ok-each fixture file is listed with the SHA-256 of its bytes, and nothing listed is missing', () => {
    const files = readdirSync(FIXTURES, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile() && d.name !== 'README.md')
      .map((d) => relative(FIXTURES, join(d.parentPath, d.name)))
      .sort();
    const listed = [...text('README.md').matchAll(/^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$/gm)].map(
      (m) => [m[1]!, m[2]!] as const,
    );
    expect(listed.map(([f]) => f).sort()).toEqual(files);
    for (const [f, hash] of listed) expect(sha256(readFileSync(join(FIXTURES, f))), f).toBe(hash);
  });
});

describe('RFC 8410 §10.2: the example X25519 certificate (signed with Ed25519)', () => {
  const der = fromPem(text('rfc8410/x25519-certificate.pem'), 'CERTIFICATE');
  const file = join(FIXTURES, 'rfc8410/x25519-certificate.pem');

  it('fail-we refuse its Ed25519 signature with unsupported_algorithm; openssl reads what the RFC prints', () => {
    // Watashi signs and verifies RSA and ECDSA P-256 only (crypto/algorithms.ts): an algorithm we
    // cannot verify is refused by name, never parsed as something else.
    expect(codeOf(() => parseCertificate(der))).toBe('unsupported_algorithm');
    const out = ws.ok(['x509', '-in', file, '-noout', '-serial', '-subject', '-issuer', '-dates']);
    expect(out).toContain('serial=5601474A2A8DC330');
    expect(out).toContain('subject=CN = IETF Test Demo');
    expect(out).toContain('notBefore=Aug  1 12:19:24 2016 GMT');
    expect(out).toContain('notAfter=Dec 31 23:59:59 2040 GMT');
    expect(ws.ok(['x509', '-in', file, '-noout', '-text'])).toContain('Signature Algorithm: ED25519');
  });

  it('fail-its X25519 subjectPublicKeyInfo is unsupported_algorithm, not a malformed key', () => {
    const spki = fromPem(ws.ok(['x509', '-in', file, '-noout', '-pubkey']), 'PUBLIC KEY');
    expect(
      ws.ok(['pkey', '-pubin', '-in', ws.write('x.pub', toPem(spki, 'PUBLIC KEY')), '-noout', '-text']),
    ).toMatch(/X25519 Public-Key/);
    expect(codeOf(() => parseSpki(spki))).toBe('unsupported_algorithm');
  });
});

describe('a public CA: www.cryptography.io issued by RapidSSL SHA256 CA - G3 (GeoTrust)', () => {
  const [leafDer, caDer] = fromPemAll(text('public-ca/cryptography-io.chain.pem'), 'CERTIFICATE') as [
    Uint8Array,
    Uint8Array,
  ];
  const leafFile = ws.write('leaf.pem', toPem(leafDer, 'CERTIFICATE'));
  const caFile = ws.write('rapidssl.pem', toPem(caDer, 'CERTIFICATE'));
  const leaf = parseCertificate(leafDer);
  const ca = parseCertificate(caDer);

  it.each([
    ['leaf', leafFile, leaf],
    ['intermediate', caFile, ca],
  ] as const)('ok-%s: serial, names, validity and key size equal what openssl prints', (_, f, c) => {
    const out = ws.ok(['x509', '-in', f, '-noout', '-serial', '-subject', '-issuer', '-dates']);
    const field = (k: string): string => new RegExp(`^${k}=(.*)$`, 'm').exec(out)![1]!;
    expect(c.serial.toString(16).toUpperCase().padStart(field('serial').length, '0')).toBe(field('serial'));
    expect(nameToString(c.subject)).toBe(sslName(field('subject')));
    expect(nameToString(c.issuer)).toBe(sslName(field('issuer')));
    expect(c.notBefore.getTime()).toBe(new Date(field('notBefore')).getTime());
    expect(c.notAfter.getTime()).toBe(new Date(field('notAfter')).getTime());
    expect(c.version).toBe(3);
    expect(c.signatureAlgorithm).toBe('RSA-SHA256');
    const bits = Number(/Public-Key: \((\d+) bit\)/.exec(ws.ok(['x509', '-in', f, '-noout', '-text']))![1]);
    expect(parseSpki(c.spki)).toMatchObject({ keyType: 'rsa', rsaBits: bits, rsaExponent: 65537n });
  });

  it('ok-leaf: every extension we decode equals openssl -text', () => {
    const out = ws.ok(['x509', '-in', leafFile, '-noout', '-text']);
    // The exact values, as openssl prints them for this certificate …
    expect(leaf.serial).toBe(0x3f20n);
    expect(nameToString(leaf.subject)).toMatch(/, CN=www\.cryptography\.io$/);
    expect(leaf.notAfter.toISOString()).toBe('2018-11-16T01:15:03.000Z');
    // … and each decoded extension against openssl's own decoding.
    expect(extBlock(out, 'X509v3 Subject Alternative Name')).toBe(
      `|${leaf.subjectAltName!.map((g) => (g.type === 'dns' ? `DNS:${g.value}` : '?')).join(', ')}`,
    );
    expect(leaf.subjectAltName!.map((g) => g.type === 'dns' && g.value)).toEqual([
      'www.cryptography.io',
      'cryptography.io',
    ]);
    expect(extBlock(out, 'X509v3 Key Usage')).toBe(' critical|Digital Signature, Key Encipherment');
    expect(leaf.keyUsage).toEqual({
      usages: new Set(['digitalSignature', 'keyEncipherment']),
      critical: true,
    });
    expect(extBlock(out, 'X509v3 Extended Key Usage')).toBe(
      '|TLS Web Server Authentication, TLS Web Client Authentication',
    );
    expect(leaf.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(extBlock(out, 'X509v3 Basic Constraints')).toBe(' critical|CA:FALSE');
    expect(leaf.basicConstraints).toEqual({ ca: false, critical: true });
    expect(toHex(leaf.authorityKeyId!)).toBe(
      sslHex(extBlock(out, 'X509v3 Authority Key Identifier').slice(1)),
    );
    expect(extBlock(out, 'X509v3 CRL Distribution Points')).toContain('URI:http://gv.symcb.com/gv.crl');
    expect(leaf.crlDistributionPoints).toEqual([[{ type: 'uri', value: 'http://gv.symcb.com/gv.crl' }]]);
    expect(extBlock(out, 'Authority Information Access')).toContain('OCSP - URI:http://gv.symcd.com');
    expect(leaf.ocspUrls).toEqual(['http://gv.symcd.com']);
    expect(extBlock(out, 'X509v3 Certificate Policies')).toContain('Policy: 2.16.840.1.113733.1.7.54');
    expect(leaf.policies).toEqual(['2.16.840.1.113733.1.7.54']);
    expect(JSON.stringify(leaf.policyInformation)).toContain('https://www.rapidssl.com/legal');
    expect(leaf.extensions.map((e) => e.oid)).toEqual([
      OID.authorityKeyIdentifier,
      OID.authorityInfoAccess,
      OID.keyUsage,
      OID.extKeyUsage,
      OID.subjectAltName,
      OID.cRLDistributionPoints,
      OID.basicConstraints,
      OID.certificatePolicies,
    ]);
    expect(leaf.unknownCriticalExtensions).toEqual([]);
  });

  it('ok-intermediate: a CA with pathLen 0 whose SKI is the leaf AKI, as openssl prints them', () => {
    const out = ws.ok(['x509', '-in', caFile, '-noout', '-text']);
    expect(extBlock(out, 'X509v3 Basic Constraints')).toBe(' critical|CA:TRUE, pathlen:0');
    expect(ca.basicConstraints).toEqual({ ca: true, pathLen: 0, critical: true });
    expect(extBlock(out, 'X509v3 Key Usage')).toBe(' critical|Certificate Sign, CRL Sign');
    expect(ca.keyUsage?.usages).toEqual(new Set(['keyCertSign', 'cRLSign']));
    expect(toHex(ca.subjectKeyId!)).toBe(sslHex(extBlock(out, 'X509v3 Subject Key Identifier').slice(1)));
    expect(toHex(ca.subjectKeyId!)).toBe(toHex(leaf.authorityKeyId!));
    expect(toHex(ca.subject.der)).toBe(toHex(leaf.issuer.der));
  });

  it('ok-the real signature verifies under the issuer key; fail-one changed bit or the wrong key does not', async () => {
    expect(await verifier.verify(ca.spki, leaf.signatureAlgorithm, leaf.tbs, leaf.signature)).toBe(true);
    expect(
      ws.ok(['verify', '-partial_chain', '-attime', '1450000000', '-CAfile', caFile, leafFile]),
    ).toContain('OK');
    const tbs = leaf.tbs.slice();
    tbs[tbs.length - 1]! ^= 0x01;
    expect(await verifier.verify(ca.spki, leaf.signatureAlgorithm, tbs, leaf.signature)).toBe(false);
    expect(await verifier.verify(leaf.spki, leaf.signatureAlgorithm, leaf.tbs, leaf.signature)).toBe(false);
  });
});

describe('RFC 9500 test keys: CRL, OCSP, CMS and TSP read by us and by openssl', () => {
  const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
  const DAY = 86_400_000;
  let rsa: Signer;
  let ec: Signer;
  let ca: Certificate;
  let caFile: string;

  beforeAll(async () => {
    rsa = testRsa2048Signer();
    ec = testEccP256Signer();
    const name = encodeName(
      nameFrom([
        ['C', 'JP'],
        ['O', 'Watashi Test'],
        ['CN', 'RFC 9500 test CA'],
      ]),
    );
    ca = parseCertificate(
      await buildCertificate(
        {
          serial: 0x9500n,
          issuer: name,
          subject: name,
          notBefore: new Date(NOW.getTime() - DAY),
          notAfter: new Date(NOW.getTime() + 365 * DAY),
          spki: rsa.spki,
          extensions: [
            ext.basicConstraints(true),
            ext.keyUsage(['keyCertSign', 'cRLSign', 'digitalSignature']),
            ext.subjectKeyIdentifier(await keyIdentifierOf(rsa.spki)),
          ],
        },
        rsa,
      ),
    );
    caFile = ws.write('rfc9500-ca.pem', toPem(ca.der, 'CERTIFICATE'));
  });

  it('ok-the published keys: our SPKI parse equals openssl on the key files', () => {
    const rsaText = ws.ok(['rsa', '-in', RFC9500_FILES.rsa2048, '-noout', '-text']);
    expect(rsaText).toContain('Private-Key: (2048 bit, 2 primes)');
    expect(rsaText).toContain('publicExponent: 65537 (0x10001)');
    expect(parseSpki(rsa.spki)).toMatchObject({ keyType: 'rsa', rsaBits: 2048, rsaExponent: 65537n });
    expect(ws.ok(['ec', '-in', RFC9500_FILES.p256, '-noout', '-text'])).toContain('ASN1 OID: prime256v1');
    expect(parseSpki(ec.spki).keyType).toBe('ec');
    // The SPKI openssl derives from each file is the one our signer carries.
    for (const [file, s] of [
      [RFC9500_FILES.rsa2048, rsa],
      [RFC9500_FILES.p256, ec],
    ] as const)
      expect(toHex(fromPem(ws.ok(['pkey', '-in', file, '-pubout']), 'PUBLIC KEY'))).toBe(toHex(s.spki));
  });

  it('ok-CRL: our reader and openssl agree on number, dates, entries and reasons; fail-a changed bit', async () => {
    const der = await buildCrl({
      issuer: ca.subject.der,
      issuerSpki: ca.spki,
      thisUpdate: NOW,
      nextUpdate: new Date(NOW.getTime() + DAY),
      crlNumber: 42n,
      entries: [
        { serial: 0x0705d991n, revocationDate: new Date('2026-01-02T03:04:05Z'), reason: 'keyCompromise' },
        { serial: 0x0705d992n, revocationDate: new Date('2026-02-03T04:05:06Z'), reason: 'superseded' },
      ],
      signer: rsa,
    });
    const f = ws.write('rfc9500.crl', toPem(der, 'X509 CRL'));
    const out = ws.ok(['crl', '-in', f, '-noout', '-text']);
    const idx = readCrl(der);
    expect(idx.crlNumber).toBe(BigInt(/X509v3 CRL Number: \n\s+(\d+)/.exec(out)![1]!));
    expect(idx.thisUpdate.getTime()).toBe(new Date(/Last Update: (.*)/.exec(out)![1]!).getTime());
    expect(idx.nextUpdate!.getTime()).toBe(new Date(/Next Update: (.*)/.exec(out)![1]!).getTime());
    const sslEntries = [
      ...out.matchAll(
        /Serial Number: ([0-9A-F]+)\n\s+Revocation Date: (.*)\n[\s\S]*?CRL Reason Code:\s*\n\s+(.*)/g,
      ),
    ].map((m) => [BigInt(`0x${m[1]!}`), new Date(m[2]!).getTime(), m[3]!.trim()] as const);
    expect(sslEntries).toEqual([
      [0x0705d991n, Date.parse('2026-01-02T03:04:05Z'), 'Key Compromise'],
      [0x0705d992n, Date.parse('2026-02-03T04:05:06Z'), 'Superseded'],
    ]);
    for (const [serial, at] of sslEntries) expect(idx.lookup(serial)?.revocationDate.getTime()).toBe(at);
    expect(idx.lookup(0x0705d991n)?.reason).toBe('keyCompromise');
    expect(idx.lookup(0x0705d992n)?.reason).toBe('superseded');
    expect(idx.has(0x0705d990n)).toBe(false);
    expect(toHex(idx.authorityKeyId!)).toBe(toHex(ca.subjectKeyId!));
    expect(ws.ok(['crl', '-in', f, '-noout', '-CAfile', caFile])).toBe('');
    await verifyCrl(idx, ca.spki, verifier, { issuerName: ca.subject.der, now: NOW });

    const bad = der.slice();
    bad[bad.length - 1]! ^= 0x01;
    const fb = ws.write('rfc9500-bad.crl', toPem(bad, 'X509 CRL'));
    expect(ws.run(['crl', '-in', fb, '-noout', '-CAfile', caFile]).out).toMatch(/verify failure/i);
    expect(
      await codeOfAsync(verifyCrl(readCrl(bad), ca.spki, verifier, { issuerName: ca.subject.der, now: NOW })),
    ).toBe('crl_signature_invalid');
  });

  it('ok-OCSP: a response openssl signs with testRSA2048 parses to the status openssl prints', () => {
    ws.write(
      'rfc9500-index.txt',
      [
        `V\t351231235959Z\t\t0705D990\tunknown\t/C=JP/CN=good`,
        `R\t351231235959Z\t260102030405Z,keyCompromise\t0705D991\tunknown\t/C=JP/CN=revoked`,
        '',
      ].join('\n'),
    );
    const answer = (serial: string): Uint8Array => {
      ws.ok([
        'ocsp',
        '-index',
        'rfc9500-index.txt',
        '-CA',
        caFile,
        '-rsigner',
        caFile,
        '-rkey',
        RFC9500_FILES.rsa2048,
        '-issuer',
        caFile,
        '-serial',
        serial,
        '-respout',
        'rfc9500-ocsp.der',
        '-nmin',
        '60',
      ]);
      return new Uint8Array(readFileSync(join(ws.dir, 'rfc9500-ocsp.der')));
    };
    const revoked = parseOcspResponse(answer('0x0705D991'));
    const text = ws.ok(['ocsp', '-respin', 'rfc9500-ocsp.der', '-resp_text', '-noverify']);
    expect(revoked.responseStatus).toBe('successful');
    expect(text).toContain('OCSP Response Status: successful (0x0)');
    const basic = revoked.basic!;
    expect(basic.signatureAlgorithm).toBe('RSA-SHA256');
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    const single = basic.responses[0]!;
    expect(basic.responses).toHaveLength(1);
    expect(single.certId.serial).toBe(BigInt(`0x${/Serial Number: ([0-9A-F]+)/.exec(text)![1]!}`));
    expect(single.status).toEqual({
      type: 'revoked',
      revocationTime: new Date('2026-01-02T03:04:05Z'),
      reason: 'keyCompromise',
    });
    expect(text).toMatch(
      /Cert Status: revoked\n\s+Revocation Time: Jan {2}2 03:04:05 2026 GMT\n\s+Revocation Reason: keyCompromise/,
    );
    expect(single.thisUpdate.getTime()).toBe(new Date(/This Update: (.*)/.exec(text)![1]!).getTime());
    expect(basic.producedAt.getTime()).toBe(new Date(/Produced At: (.*)/.exec(text)![1]!).getTime());
    expect(toHex(single.certId.issuerKeyHash)).toBe(
      /Issuer Key Hash: ([0-9A-F]+)/.exec(text)![1]!.toLowerCase(),
    );
    expect(parseOcspResponse(answer('0x0705D990')).basic!.responses[0]!.status).toEqual({ type: 'good' });
    expect(parseOcspResponse(answer('0x0705D999')).basic!.responses[0]!.status).toEqual({ type: 'unknown' });
  });

  it('ok-CMS: a SignedData openssl makes with testRSA2048 verifies with our reader; fail-other content', async () => {
    const content = ws.write('rfc9500-content.txt', '署名の対象 — RFC 9500 test content\n');
    ws.ok([
      'cms', '-sign', '-binary', '-nodetach', '-md', 'sha256', '-in', content, '-signer', caFile,
      '-inkey', RFC9500_FILES.rsa2048, '-outform', 'DER', '-out', 'rfc9500.p7s',
    ]); // prettier-ignore
    const der = new Uint8Array(readFileSync(join(ws.dir, 'rfc9500.p7s')));
    const v = await verifyCms({ der, verifier });
    expect(Buffer.from(v.content).toString('utf8')).toBe(readFileSync(content, 'utf8'));
    expect(toHex(v.signerCertificate.der)).toBe(toHex(ca.der));
    expect([v.digestAlgorithm, v.signatureAlgorithm, v.contentType]).toEqual([
      'SHA-256',
      'RSA-SHA256',
      OID.cmsData,
    ]);
    expect(v.signedAttributes).toBe(true);
    const printed = ws.ok(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'rfc9500.p7s']);
    expect(Math.abs(v.signingTime!.getTime() - new Date(/UTCTIME:(.*)/.exec(printed)![1]!).getTime())).toBe(
      0,
    );
    expect(
      await codeOfAsync(verifyCms({ der, verifier, content: new TextEncoder().encode('something else') })),
    ).toMatch(/^cms_/);
  });

  it('ok-TSP: our TSA (testECCP256 under the testRSA2048 CA) answers; openssl -text shows the TSTInfo we parse', async () => {
    const tsaCert = await buildCertificate(
      {
        serial: 0x9501n,
        issuer: ca.subject.der,
        subject: encodeName(
          nameFrom([
            ['C', 'JP'],
            ['O', 'Watashi Test'],
            ['CN', 'RFC 9500 test TSA'],
          ]),
        ),
        notBefore: ca.notBefore,
        notAfter: ca.notAfter,
        spki: ec.spki,
        extensions: [
          ext.basicConstraints(false),
          ext.keyUsage(['digitalSignature']),
          ext.extKeyUsage([OID.kpTimeStamping], true),
        ],
      },
      rsa,
    );
    const data = ws.write('rfc9500-doc.txt', 'a contract');
    ws.ok(['ts', '-query', '-data', data, '-sha256', '-cert', '-out', 'rfc9500.tsq']);
    const q = new Uint8Array(readFileSync(join(ws.dir, 'rfc9500.tsq')));
    const answer = await respondTimeStamp(q, {
      signer: ec,
      certificate: tsaCert,
      policy: '1.3.6.1.4.1.99999.2',
      now: () => NOW,
      serial: () => 0x12345n,
    });
    ws.write('rfc9500.tsr', answer.der);
    const out = ws.ok(['ts', '-reply', '-in', 'rfc9500.tsr', '-text']);
    const resp = parseTimeStampResponse(answer.der);
    expect(resp.status).toBe(0);
    expect(out).toContain('Status: Granted.');
    // The token is a CMS SignedData over the TSTInfo (RFC 3161 §2.4.2): our CMS reader opens it.
    const token = await verifyCms({ der: resp.token!, verifier });
    expect(token.contentType).toBe(OID.ctTSTInfo);
    const info = parseTstInfo(token.content);
    expect(info.serial).toBe(BigInt(/Serial number: (0x[0-9A-F]+)/.exec(out)![1]!));
    expect(info.policy).toBe(/Policy OID: (.*)/.exec(out)![1]!.trim());
    expect(info.genTime.getTime()).toBe(new Date(/Time stamp: (.*)/.exec(out)![1]!).getTime());
    expect(info.hashAlgorithm).toBe(OID.sha256);
    expect(toHex(info.hashedMessage)).toBe(createHash('sha256').update('a contract').digest('hex'));
    expect(info.nonce).toBe(BigInt(/Nonce: (0x[0-9A-F]+)/.exec(out)![1]!));
    expect(
      ws.run([
        'ts',
        '-verify',
        '-in',
        'rfc9500.tsr',
        '-data',
        data,
        '-CAfile',
        caFile,
        '-untrusted',
        ws.write('rfc9500-tsa.pem', toPem(tsaCert, 'CERTIFICATE')),
      ]).out,
    ).toMatch(/Verification: OK/);
  });
});
