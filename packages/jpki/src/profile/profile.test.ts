import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCertificate,
  encodeName,
  ext,
  fromPem,
  isWatashiError,
  nameFrom,
  OID,
  parseCertificate,
  parseSpki,
  toHex,
  toPem,
  webCryptoSigner,
  generateKeyPair,
  type Certificate,
  type Extension,
  type Signer,
} from '@watashi/pki';
import { nodeGenerateKey, nodeSigner } from '@watashi/pki/node';
import { opensslWorkspace } from '../../../pki/test/openssl.ts';
import { basic4From } from '../basic4/basic4.ts';
import { encodeBasic4San, readBasic4 } from '../basic4/san.ts';
import { buildJpkiCaCertificate } from './ca.ts';
import { assertJpkiProfile, classifyJpkiCertificate } from './classify.ts';
import {
  buildJpkiAuthCertificate,
  buildJpkiSigningCertificate,
  type JpkiSigningCertificateOptions,
} from './end-entity.ts';
import { jpkiCaAltName, jpkiCaName } from './names.ts';
import { JPKI_CPS_URI, JPKI_POLICY, JPKI_PROFILES, SIM_SMARTPHONE_POLICY } from './profiles.ts';

const ROOTS = new URL('../../test/fixtures/trust', import.meta.url).pathname;
const realRoot = (f: string): Certificate => parseCertificate(fromPem(readFileSync(`${ROOTS}/${f}`, 'utf8')));
const h = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
const sha1KeyId = (spki: Uint8Array): string =>
  createHash('sha1').update(parseSpki(spki).publicKey).digest('hex');
const extHex = (c: Certificate): Array<[string, boolean, string]> =>
  c.extensions.map((e) => [e.oid, e.critical, toHex(e.value)]);

function expectCode(f: () => unknown, code: string, check?: string): void {
  try {
    f();
  } catch (e) {
    expect(isWatashiError(e, code), String(e)).toBe(true);
    if (check !== undefined) expect((e as { detail?: { check?: string } }).detail?.check).toBe(check);
    return;
  }
  expect.fail(`expected ${code}`);
}

// DER pieces written out by hand from docs/jpki.md §1.1 (checked against the real roots below).
const CA_NAME_SIM_SIGN =
  '308184' +
  '310b3009060355040613024a50' +
  `3111300f060355040a0c08${h('JPKI-SIM')}` +
  `31233021060355040b0c1a${h('JPKI for digital signature')}` +
  `313d303b060355040b0c34${h('Japan Agency for Local Authority Information Systems')}`;
const JA_NAME_SIGN =
  '30819d' +
  '310b3009060355040613024a50' +
  `31273025060355040a0c1e${h('公的個人認証サービス')}` +
  `3130302e060355040b0c27${h('公的個人認証サービス署名用')}` +
  `31333031060355040b0c2a${h('地方公共団体情報システム機構')}`;
const JA_NAME_AUTH =
  '3081a6' +
  '310b3009060355040613024a50' +
  `31273025060355040a0c1e${h('公的個人認証サービス')}` +
  `31393037060355040b0c30${h('公的個人認証サービス利用者証明用')}` +
  `31333031060355040b0c2a${h('地方公共団体情報システム機構')}`;

// certificatePolicies of profile version 2: critical, one PolicyInformation with one id-qt-cps
// qualifier (J-LIS profile v3.2 p. 10 as quoted by [zkm-doc]; docs/jpki.md §1.2).
const cpValue = (policyOid: string, uri: string): string => {
  const u = h(uri);
  const ia5 = `16${(u.length / 2).toString(16).padStart(2, '0')}${u}`;
  const pqi = `06082b06010505070201${ia5}`;
  const pqiSeq = `30${(pqi.length / 2).toString(16)}${pqi}`;
  const quals = `30${(pqiSeq.length / 2).toString(16)}${pqiSeq}`;
  const pi = `${policyOid}${quals}`;
  const piSeq = `30${(pi.length / 2).toString(16)}${pi}`;
  return `30${(piSeq.length / 2).toString(16)}${piSeq}`;
};
const CP_SIGN = cpValue('060b2a83088c9b550805010114', JPKI_CPS_URI.sign);
const CP_AUTH = cpValue('060b2a83088c9b55080501031e', JPKI_CPS_URI.auth);

const KOKUTO = basic4From({
  name: '黒桐\u3000幹也',
  address: '東京都清瀬市観布子南１２－７－２０２',
  birthDate: '1980-02-17',
  sex: '1',
});

describe('JPKI profiles (docs/jpki.md §1.1–§1.3)', () => {
  const ws = opensslWorkspace();
  let signCaKey: Signer;
  let authCaKey: Signer;
  let eeKey: Signer;
  let signCa: Certificate;
  let authCa: Certificate;
  let signEe: Certificate;
  let signEeBare: Certificate;
  let authEe: Certificate;
  let phoneSign: Certificate;
  let phoneAuth: Certificate;
  const at = '1767225600'; // 2026-01-01T00:00:00Z for openssl -attime

  const signOpts = (): JpkiSigningCertificateOptions => ({
    issuer: { organization: 'JPKI-SIM', purpose: 'sign', spki: signCaKey.spki },
    signer: signCaKey,
    serial: 0x0705d990n,
    notBefore: new Date('2025-10-27T01:00:00Z'),
    notAfter: new Date('2030-02-17T14:59:59Z'),
    spki: eeKey.spki,
    subject: { prefecture: 'Tokyo-to', municipality: 'Kiyose-shi', cn: '2025102710000012345ABCDE1234' },
    basic4: KOKUTO,
    variant: 'card',
  });
  const authOpts = {
    serial: 0x0705d991n,
    notBefore: new Date('2025-10-27T01:00:00Z'),
    notAfter: new Date('2030-02-17T14:59:59Z'),
    cn: '997794E9AGCIEG13221003A',
  };

  beforeAll(async () => {
    signCaKey = nodeSigner(nodeGenerateKey('RSA-SHA256'), 'RSA-SHA256');
    authCaKey = nodeSigner(nodeGenerateKey('RSA-SHA256'), 'RSA-SHA256');
    eeKey = nodeSigner(nodeGenerateKey('RSA-SHA256'), 'RSA-SHA256');
    const nb = new Date('2023-07-16T00:50:27Z');
    signCa = parseCertificate(
      await buildJpkiCaCertificate({
        purpose: 'sign',
        organization: 'JPKI-SIM',
        serial: 1n,
        notBefore: nb,
        signer: signCaKey,
      }),
    );
    authCa = parseCertificate(
      await buildJpkiCaCertificate({
        purpose: 'auth',
        organization: 'JPKI-SIM',
        serial: 2n,
        notBefore: nb,
        signer: authCaKey,
      }),
    );
    signEe = parseCertificate(
      await buildJpkiSigningCertificate({
        ...signOpts(),
        crlUri: 'http://sim.test/crl/sign',
        ocspUrl: 'http://sim.test/ocsp',
      }),
    );
    signEeBare = parseCertificate(await buildJpkiSigningCertificate(signOpts()));
    const authIssuer = { organization: 'JPKI-SIM', purpose: 'auth', spki: authCaKey.spki } as const;
    authEe = parseCertificate(
      await buildJpkiAuthCertificate({
        ...authOpts,
        issuer: authIssuer,
        signer: authCaKey,
        spki: eeKey.spki,
        variant: 'card',
      }),
    );
    phoneSign = parseCertificate(await buildJpkiSigningCertificate({ ...signOpts(), variant: 'smartphone' }));
    phoneAuth = parseCertificate(
      await buildJpkiAuthCertificate({
        ...authOpts,
        issuer: authIssuer,
        signer: authCaKey,
        spki: eeKey.spki,
        variant: 'smartphone',
      }),
    );
    for (const [n, c] of Object.entries({ signCa, authCa, signEe, signEeBare, authEe, phoneSign, phoneAuth }))
      ws.write(`${n}.pem`, toPem(c.der, 'CERTIFICATE'));
  });
  afterAll(() => ws.cleanup());

  describe('CA (§1.1)', () => {
    it('ok-exact DER of every extension, in order', () => {
      expect(extHex(signCa)).toEqual([
        [OID.keyUsage, true, '03020106'],
        [OID.subjectAltName, false, `3081a3a481a0${JA_NAME_SIGN}`],
        [OID.basicConstraints, true, '30030101ff'],
        [OID.cRLDistributionPoints, false, `308193308190a0818da0818aa48187${CA_NAME_SIM_SIGN}`],
        [OID.subjectKeyIdentifier, false, `0414${sha1KeyId(signCaKey.spki)}`],
      ]);
      expect(toHex(signCa.subject.der)).toBe(CA_NAME_SIM_SIGN);
      expect(toHex(signCa.issuer.der)).toBe(CA_NAME_SIM_SIGN);
      expect(toHex(authCa.extensions[1]!.value)).toBe(`3081aca481a9${JA_NAME_AUTH}`);
      expect(signCa.authorityKeyId).toBeUndefined();
      expect(signCa.notAfter.toISOString()).toBe('2033-07-15T14:59:59.000Z');
      expect(signCa.serial).toBe(1n);
    });

    it.each([
      ['sign_ca_2023.pem', 'sign'],
      ['auth_ca_2023.pem', 'auth'],
      ['sign_ca_2015.pem', 'sign'],
      ['auth_ca_2015.pem', 'auth'],
    ] as const)(
      'ok-reproduces the shape of the real root %s (all but key, serial, dates, O)',
      async (file, purpose) => {
        const real = realRoot(file);
        const ours = purpose === 'sign' ? signCa : authCa;
        const shape = (c: Certificate): Array<[string, boolean]> =>
          c.extensions.map((e) => [e.oid, e.critical]);
        expect(shape(ours)).toEqual(shape(real));
        expect(toHex(ours.extensions[0]!.value)).toBe(toHex(real.extensions[0]!.value)); // KU
        expect(toHex(ours.extensions[1]!.value)).toBe(toHex(real.extensions[1]!.value)); // Japanese SAN
        expect(toHex(ours.extensions[2]!.value)).toBe(toHex(real.extensions[2]!.value)); // BC
        expect(real.subjectKeyId && toHex(real.subjectKeyId)).toBe(sha1KeyId(real.spki));
        expect(ours.signatureAlgorithm).toBe(real.signatureAlgorithm);
        expect(real.notAfter.toISOString().endsWith('T14:59:59.000Z')).toBe(true);
        // With O=JPKI our builder reproduces the real subject and CRLDP byte for byte.
        const lookAlike = parseCertificate(
          await buildJpkiCaCertificate({
            purpose,
            organization: 'JPKI',
            serial: real.serial,
            notBefore: real.notBefore,
            signer: purpose === 'sign' ? signCaKey : authCaKey,
          }),
        );
        expect(toHex(lookAlike.subject.der)).toBe(toHex(real.subject.der));
        expect(toHex(lookAlike.extensions[3]!.value)).toBe(toHex(real.extensions[3]!.value)); // CRLDP
        expect(lookAlike.notAfter.getTime()).toBe(real.notAfter.getTime());
      },
    );

    it('ok-openssl shows the same extension list as for the real root', () => {
      const ext = (t: string): string[] =>
        [...t.matchAll(/^ {12}(\S.*?):( critical)?\s*$/gm)].map((m) => `${m[1]!}${m[2] ?? ''}`);
      const real = ws.ok(['x509', '-in', `${ROOTS}/sign_ca_2023.pem`, '-noout', '-text']);
      const ours = ws.ok(['x509', '-in', 'signCa.pem', '-noout', '-text']);
      expect(ext(ours)).toEqual(ext(real));
      expect(ext(ours)).toEqual([
        'X509v3 Key Usage critical',
        'X509v3 Subject Alternative Name',
        'X509v3 Basic Constraints critical',
        'X509v3 CRL Distribution Points',
        'X509v3 Subject Key Identifier',
      ]);
      expect(ours).toContain('Certificate Sign, CRL Sign');
      expect(ours).toContain(
        'DirName:C = JP, O = JPKI-SIM, OU = JPKI for digital signature, OU = Japan Agency for Local Authority Information Systems',
      );
      expect(ws.ok(['verify', '-attime', at, '-CAfile', 'signCa.pem', 'signCa.pem'])).toContain('OK');
    });
  });

  describe('signing end-entity (§1.2, §1.4)', () => {
    const crldpName =
      '308195' +
      '310b3009060355040613024a50' +
      `3111300f060355040a0c08${h('JPKI-SIM')}` +
      `31233021060355040b0c1a${h('JPKI for digital signature')}` +
      `3120301e060355040b0c17${h('CRL Distribution Points')}` +
      `3111300f060355040b0c08${h('Tokyo-to')}` +
      `3119301706035504030c10${h('Kiyose-shi CRLDP')}`;

    it('ok-exact DER of every extension, in order (with the simulator options)', () => {
      const addr = h('東京都清瀬市観布子南１２－７－２０２');
      expect(extHex(signEe)).toEqual([
        [OID.keyUsage, true, '030206c0'],
        [
          OID.subjectAltName,
          false,
          '3081d2' +
            'a01f060a2a83088c9b5508050501a0110c0fe9bb92e6a190e38080e5b9b9e4b99f' +
            'a019060a2a83088c9b5508050504a00b0c09333139383030323137' +
            'a011060a2a83088c9b5508050503a0030c0131' +
            `a046060a2a83088c9b5508050505a0380c36${addr}` +
            'a015060a2a83088c9b5508050502a0070c053030303030' +
            `a022060a2a83088c9b5508050506a0140c12${'30'.repeat(18)}`,
        ],
        [OID.issuerAltName, false, `3081a3a481a0${JA_NAME_SIGN}`],
        [OID.certificatePolicies, true, CP_SIGN],
        [
          OID.cRLDistributionPoints,
          false,
          `3081be3081bba081b8a081b5a48198${crldpName}8618${h('http://sim.test/crl/sign')}`,
        ],
        [OID.authorityInfoAccess, false, `3022302006082b060105050730018614${h('http://sim.test/ocsp')}`],
        [OID.authorityKeyIdentifier, false, `30168014${sha1KeyId(signCaKey.spki)}`],
        [OID.subjectKeyIdentifier, false, `0414${sha1KeyId(eeKey.spki)}`],
      ]);
      expect(toHex(signEe.issuer.der)).toBe(CA_NAME_SIM_SIGN);
      expect(toHex(signEe.subject.der)).toBe(
        '305c310b3009060355040613024a50' +
          `3111300f06035504070c08${h('Tokyo-to')}` +
          `3113301106035504070c0a${h('Kiyose-shi')}` +
          `3125302306035504030c1c${h('2025102710000012345ABCDE1234')}`,
      );
    });

    it('ok-without options: one DP with only the directoryName, no AIA', () => {
      expect(signEeBare.extensions.map((e) => e.oid)).toEqual([
        OID.keyUsage,
        OID.subjectAltName,
        OID.issuerAltName,
        OID.certificatePolicies,
        OID.cRLDistributionPoints,
        OID.authorityKeyIdentifier,
        OID.subjectKeyIdentifier,
      ]);
      expect(toHex(signEeBare.extensions[4]!.value)).toBe(`3081a43081a1a0819ea0819ba48198${crldpName}`);
      expect(signEeBare.ocspUrls).toBeUndefined();
    });

    it('ok-openssl prints the profile and verifies the chain', () => {
      const t = ws.ok([
        'x509',
        '-in',
        'signEe.pem',
        '-noout',
        '-text',
        '-nameopt',
        'utf8,sep_comma_plus_space',
      ]);
      expect(t).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation/);
      expect(t).toContain(
        'othername: 1.2.392.200149.8.5.5.1::黒桐　幹也, othername: 1.2.392.200149.8.5.5.4::319800217, othername: 1.2.392.200149.8.5.5.3::1, othername: 1.2.392.200149.8.5.5.5::東京都清瀬市観布子南１２－７－２０２, othername: 1.2.392.200149.8.5.5.2::00000, othername: 1.2.392.200149.8.5.5.6::000000000000000000',
      );
      expect(t).toContain('Policy: 1.2.392.200149.8.5.1.1.20');
      expect(t).toContain('CN = Kiyose-shi CRLDP');
      expect(t).toContain('URI:http://sim.test/crl/sign');
      expect(t).toContain('OCSP - URI:http://sim.test/ocsp');
      const section = t.slice(
        t.indexOf('X509v3 extensions:'),
        t.indexOf('Signature Algorithm', t.indexOf('X509v3 extensions:')),
      );
      const names = [...section.matchAll(/^ {12}(\S.*?):/gm)].map((m) => m[1]);
      expect(names).toEqual([
        'X509v3 Key Usage',
        'X509v3 Subject Alternative Name',
        'X509v3 Issuer Alternative Name',
        'X509v3 Certificate Policies',
        'X509v3 CRL Distribution Points',
        'Authority Information Access',
        'X509v3 Authority Key Identifier',
        'X509v3 Subject Key Identifier',
      ]);
      expect(ws.ok(['verify', '-attime', at, '-CAfile', 'signCa.pem', 'signEe.pem'])).toContain(
        'signEe.pem: OK',
      );
      // openssl's own DER parser walks the SAN value: six [0] otherNames, each [0] EXPLICIT UTF8String.
      ws.write('san.der', signEe.extensions[1]!.value);
      const asn = ws.ok(['asn1parse', '-inform', 'DER', '-in', 'san.der']);
      expect(asn.match(/UTF8STRING/g)).toHaveLength(6);
      expect(asn).toContain('UTF8STRING        :319800217');
      expect(asn.match(/cont \[ 0 \]/g)).toHaveLength(12);
    });

    it('ok-assertJpkiProfile (strict) and classification', () => {
      expect(assertJpkiProfile(signEe, 'sign', { strict: true })).toMatchObject({
        kind: 'end-entity',
        purpose: 'sign',
        variant: 'card',
        environment: 'simulator',
        organization: 'JPKI-SIM',
      });
      expect(assertJpkiProfile(signEeBare, 'sign', { strict: true }).profile.id).toBe('jpki-sign-card');
      expect(classifyJpkiCertificate(signCa)).toMatchObject({
        kind: 'ca',
        purpose: 'sign',
        environment: 'simulator',
      });
    });
  });

  describe('user-authentication end-entity (§1.3)', () => {
    it('ok-exact DER of every extension, in order', () => {
      const dpName =
        '3069' +
        '310b3009060355040613024a50' +
        `3111300f060355040a0c08${h('JPKI-SIM')}` +
        `31253023060355040b0c1c${h('JPKI for user authentication')}` +
        `3120301e060355040b0c17${h('CRL Distribution Points')}`;
      expect(extHex(authEe)).toEqual([
        [OID.keyUsage, true, '03020780'],
        [OID.issuerAltName, false, `3081aca481a9${JA_NAME_AUTH}`],
        [OID.certificatePolicies, true, CP_AUTH],
        [OID.cRLDistributionPoints, false, `30733071a06fa06da46b${dpName}`],
        [OID.authorityKeyIdentifier, false, `30168014${sha1KeyId(authCaKey.spki)}`],
        [OID.subjectKeyIdentifier, false, `0414${sha1KeyId(eeKey.spki)}`],
      ]);
      expect(authEe.subjectAltName).toBeUndefined();
      expect(toHex(authEe.subject.der)).toBe(
        `302f310b3009060355040613024a503120301e06035504030c17${h('997794E9AGCIEG13221003A')}`,
      );
    });

    it('ok-openssl and assertJpkiProfile', () => {
      const t = ws.ok(['x509', '-in', 'authEe.pem', '-noout', '-text']);
      expect(t).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
      expect(t).not.toContain('Subject Alternative Name');
      expect(t).toContain('Policy: 1.2.392.200149.8.5.1.3.30');
      expect(ws.ok(['verify', '-attime', at, '-CAfile', 'authCa.pem', 'authEe.pem'])).toContain('OK');
      expect(assertJpkiProfile(authEe, 'auth', { strict: true }).profile.id).toBe('jpki-auth-card');
    });

    it('ok-derived CN is 23 opaque characters from the key', async () => {
      const c = parseCertificate(
        await buildJpkiAuthCertificate({
          serial: 5n,
          notBefore: authOpts.notBefore,
          notAfter: authOpts.notAfter,
          issuer: { organization: 'JPKI-SIM', purpose: 'auth', spki: authCaKey.spki },
          signer: authCaKey,
          spki: eeKey.spki,
          variant: 'card',
        }),
      );
      const cn = c.subject.rdns[1]![0]!.value;
      expect(cn).toBe(createHash('sha256').update(eeKey.spki).digest('hex').toUpperCase().slice(0, 23));
    });

    it('ok-derived signing CN: JST request time + serial sequence + simulator desk code', async () => {
      const o = signOpts();
      const c = parseCertificate(
        await buildJpkiSigningCertificate({
          ...o,
          subject: { prefecture: 'Tokyo-to', municipality: 'Kiyose-shi' },
        }),
      );
      // 2025-10-27T01:00:00Z = 10:00:00 JST; 0x0705d990 = 117823888 → sequence 23888.
      expect(c.subject.rdns[3]![0]!.value).toBe('2025102710000023888SIM000000');
    });
  });

  describe('smartphone variant (§2.3 [?])', () => {
    it('ok-same extensions; the simulator marks the variant with a second policy', () => {
      expect(phoneSign.extensions.map((e) => [e.oid, e.critical])).toEqual(
        signEeBare.extensions.map((e) => [e.oid, e.critical]),
      );
      expect(phoneSign.policies).toEqual([JPKI_POLICY.sign, SIM_SMARTPHONE_POLICY]);
      expect(phoneAuth.policies).toEqual([JPKI_POLICY.auth, SIM_SMARTPHONE_POLICY]);
      expect(assertJpkiProfile(phoneSign, 'sign', { strict: true })).toMatchObject({ variant: 'smartphone' });
      expect(assertJpkiProfile(phoneAuth, 'auth', { strict: true }).profile.id).toBe('jpki-auth-smartphone');
      expect(ws.ok(['x509', '-in', 'phoneSign.pem', '-noout', '-text'])).toContain(
        `Policy: ${SIM_SMARTPHONE_POLICY}`,
      );
    });

    it('ok-a configured policy OID is honoured and can mark the variant', async () => {
      const c = parseCertificate(
        await buildJpkiSigningCertificate({
          ...signOpts(),
          variant: 'card',
          policy: JPKI_POLICY.signSmartphoneClaimed,
        }),
      );
      expect(c.policies).toEqual([JPKI_POLICY.signSmartphoneClaimed]);
      expect(classifyJpkiCertificate(c).variant).toBe('card');
      expect(
        classifyJpkiCertificate(c, { smartphonePolicies: [JPKI_POLICY.signSmartphoneClaimed] }).variant,
      ).toBe('smartphone');
      expectCode(() => assertJpkiProfile(c, 'sign'), 'jpki_profile_mismatch', 'policy');
      expect(assertJpkiProfile(c, 'sign', { policies: [JPKI_POLICY.signSmartphoneClaimed] }).purpose).toBe(
        'sign',
      );
    });

    it('ok-JPKI-TEST signing certificates use …8.5.1.0.20', async () => {
      const c = parseCertificate(
        await buildJpkiSigningCertificate({
          ...signOpts(),
          issuer: { organization: 'JPKI-TEST', purpose: 'sign', spki: signCaKey.spki },
        }),
      );
      expect(c.policies).toEqual([JPKI_POLICY.signTest]);
      expect(assertJpkiProfile(c, 'sign')).toMatchObject({ environment: 'test' });
    });
  });

  describe('certificatePolicies: critical, with a CPS qualifier (J-LIS profile v3.2 p. 10 [S])', () => {
    it('ok-openssl prints a critical extension with the CPS pointer on both end-entity profiles', () => {
      for (const [file, policy, uri] of [
        ['signEe.pem', JPKI_POLICY.sign, JPKI_CPS_URI.sign],
        ['authEe.pem', JPKI_POLICY.auth, JPKI_CPS_URI.auth],
      ] as const) {
        const t = ws.ok(['x509', '-in', file, '-noout', '-text']);
        expect(t).toContain('X509v3 Certificate Policies: critical');
        expect(t).toMatch(
          new RegExp(`Policy: ${policy.replaceAll('.', '\\.')}\\s+CPS: ${uri.replaceAll('.', '\\.')}`),
        );
      }
      expect(signEe.policyInformation).toEqual([{ oid: JPKI_POLICY.sign, cpsUris: [JPKI_CPS_URI.sign] }]);
      // The simulator's smartphone marker carries no qualifier.
      expect(phoneSign.policyInformation).toEqual([
        { oid: JPKI_POLICY.sign, cpsUris: [JPKI_CPS_URI.sign] },
        { oid: SIM_SMARTPHONE_POLICY, cpsUris: [] },
      ]);
    });

    it.each([
      ['signEe.pem', JPKI_POLICY.sign, 'signCa.pem'],
      ['authEe.pem', JPKI_POLICY.auth, 'authCa.pem'],
      ['phoneSign.pem', JPKI_POLICY.sign, 'signCa.pem'],
    ] as const)(
      'ok-openssl verify -policy_check -explicit_policy -policy accepts %s (critical policies are understood)',
      (file, policy, root) => {
        const out = ws.ok([
          'verify', '-attime', at, '-policy_check', '-explicit_policy', '-policy', policy,
          '-CAfile', root, file,
        ]); // prettier-ignore
        expect(out).toContain(`${file}: OK`);
      },
    );

    it('fail-openssl verify -explicit_policy with another policy OID rejects it (the check is real)', () => {
      const r = ws.run([
        'verify', '-attime', at, '-policy_check', '-explicit_policy', '-policy', JPKI_POLICY.signTest,
        '-CAfile', 'signCa.pem', 'signEe.pem',
      ]); // prettier-ignore
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/policy/i);
    });

    it('ok-the builder can leave the qualifier out (cpsUri: false) and takes another CPS URI', async () => {
      const bare = parseCertificate(await buildJpkiSigningCertificate({ ...signOpts(), cpsUri: false }));
      expect(bare.policyInformation).toEqual([{ oid: JPKI_POLICY.sign, cpsUris: [] }]);
      const other = parseCertificate(
        await buildJpkiSigningCertificate({ ...signOpts(), cpsUri: 'http://sim.test/cps' }),
      );
      expect(other.policyInformation?.[0]?.cpsUris).toEqual(['http://sim.test/cps']);
      await expect(buildJpkiSigningCertificate({ ...signOpts(), cpsUri: 'ftp://x' })).rejects.toThrow(/URL/);
    });

    it.each([
      ['critical, with the CPS qualifier', true, true],
      ['critical, without a qualifier', true, false],
      ['non-critical, with the CPS qualifier', false, true],
      ['non-critical, without a qualifier (profile version 1)', false, false],
    ] as const)(
      'ok-the verifier (strict too) accepts certificatePolicies %s',
      async (_l, critical, withCps) => {
        const cp = ext.certificatePolicies(
          [withCps ? { oid: JPKI_POLICY.sign, cpsUris: [JPKI_CPS_URI.sign] } : JPKI_POLICY.sign],
          critical,
        );
        const extensions = signEeBare.extensions.map((e) =>
          e.oid === OID.certificatePolicies ? cp : { oid: e.oid, critical: e.critical, value: e.value },
        );
        const c = parseCertificate(
          await buildCertificate(
            {
              serial: signEeBare.serial,
              issuer: signEeBare.issuer.der,
              subject: signEeBare.subject.der,
              notBefore: signEeBare.notBefore,
              notAfter: signEeBare.notAfter,
              spki: signEeBare.spki,
              extensions,
            },
            signCaKey,
          ),
        );
        expect(c.extensions.find((e) => e.oid === OID.certificatePolicies)?.critical).toBe(critical);
        expect(assertJpkiProfile(c, 'sign').purpose).toBe('sign');
        expect(assertJpkiProfile(c, 'sign', { strict: true }).profile.id).toBe('jpki-sign-card');
      },
    );
  });

  describe('fail cases', () => {
    async function raw(
      extensions: Extension[],
      issuer = jpkiCaName('sign', 'JPKI-SIM'),
      subject?: Uint8Array,
    ): Promise<Certificate> {
      return parseCertificate(
        await buildCertificate(
          {
            serial: 9n,
            issuer,
            subject:
              subject ??
              encodeName(
                nameFrom([
                  ['C', 'JP'],
                  ['L', 'Tokyo-to'],
                  ['L', 'Kiyose-shi'],
                  ['CN', '2025102710000012345ABCDE1234'],
                ]),
              ),
            notBefore: new Date('2025-10-27T01:00:00Z'),
            notAfter: new Date('2030-02-17T14:59:59Z'),
            spki: eeKey.spki,
            extensions,
          },
          signCaKey,
        ),
      );
    }
    const base = (): Extension[] => [
      ext.keyUsage(['digitalSignature', 'nonRepudiation']),
      ext.subjectAltName(encodeBasic4San(KOKUTO)),
      ext.issuerAltName([{ type: 'directoryName', name: jpkiCaAltName('sign') }]),
      ext.certificatePolicies([JPKI_POLICY.sign]),
    ];

    it('ok-the hand-made baseline passes (so each failure below is the one change)', async () => {
      expect(assertJpkiProfile(await raw(base()), 'sign').purpose).toBe('sign');
    });

    it('fail-issuer is not a JPKI CA', async () => {
      const c = await raw(
        base(),
        encodeName(
          nameFrom([
            ['C', 'JP'],
            ['O', 'Example'],
          ]),
        ),
      );
      expectCode(() => classifyJpkiCertificate(c), 'not_jpki_certificate', 'issuer');
      expectCode(() => assertJpkiProfile(c, 'sign'), 'not_jpki_certificate', 'issuer');
      expectCode(() => readBasic4(c), 'not_jpki_certificate', 'issuer');
    });

    it('fail-issuer with the right strings but O as PrintableString (not byte-exact)', async () => {
      const printableO = encodeName([
        [{ type: OID.countryName, value: 'JP' }],
        [{ type: OID.organizationName, value: 'JPKI-SIM', encoding: 'printable' }],
        [{ type: OID.organizationalUnitName, value: 'JPKI for digital signature' }],
        [{ type: OID.organizationalUnitName, value: 'Japan Agency for Local Authority Information Systems' }],
      ]);
      const c0 = await raw(base(), printableO);
      expectCode(() => classifyJpkiCertificate(c0), 'not_jpki_certificate', 'issuer');
    });

    it.each<[string, (e: Extension[]) => Extension[], string]>([
      [
        'keyUsage not critical',
        (e) => [ext.keyUsage(['digitalSignature', 'nonRepudiation'], false), ...e.slice(1)],
        'keyUsage',
      ],
      [
        'keyUsage with an extra bit',
        (e) => [ext.keyUsage(['digitalSignature', 'nonRepudiation', 'keyEncipherment']), ...e.slice(1)],
        'keyUsage',
      ],
      ['keyUsage missing', (e) => e.slice(1), 'keyUsage'],
      [
        'user-auth keyUsage on a signing certificate',
        (e) => [ext.keyUsage(['digitalSignature']), ...e.slice(1)],
        'keyUsage',
      ],
      ['no policy', (e) => e.slice(0, 3), 'policy'],
      [
        'the test policy on a simulator certificate',
        (e) => [...e.slice(0, 3), ext.certificatePolicies([JPKI_POLICY.signTest])],
        'policy',
      ],
      [
        'the user-auth policy',
        (e) => [...e.slice(0, 3), ext.certificatePolicies([JPKI_POLICY.auth])],
        'policy',
      ],
      [
        'SAN in the wrong order',
        (e) => [e[0]!, ext.subjectAltName(encodeBasic4San(KOKUTO).reverse()), ...e.slice(2)],
        'subjectAltName',
      ],
      [
        'SAN with five entries',
        (e) => [e[0]!, ext.subjectAltName(encodeBasic4San(KOKUTO).slice(0, 5)), ...e.slice(2)],
        'subjectAltName',
      ],
      ['no SAN', (e) => [e[0]!, ...e.slice(2)], 'subjectAltName'],
      [
        'a malformed basic-4 value',
        (e) => [e[0]!, ext.subjectAltName(encodeBasic4San({ ...KOKUTO, sex: '4' as '1' })), ...e.slice(2)],
        'basic4',
      ],
      ['CA basicConstraints', (e) => [...e, ext.basicConstraints(true)], 'basicConstraints'],
      [
        'unknown critical extension',
        (e) => [...e, { oid: '1.2.3.4', critical: true, value: Uint8Array.of(5, 0) }],
        'criticalExtension',
      ],
    ])('fail-%s', async (_label, change, check) => {
      const c = await raw(change(base()));
      expectCode(() => assertJpkiProfile(c, 'sign'), 'jpki_profile_mismatch', check);
    });

    it('fail-subject shape', async () => {
      const c = await raw(
        base(),
        undefined,
        encodeName(
          nameFrom([
            ['C', 'JP'],
            ['CN', 'x'],
          ]),
        ),
      );
      expectCode(() => assertJpkiProfile(c, 'sign'), 'jpki_profile_mismatch', 'subject');
    });

    it('fail-a user-authentication certificate with a subjectAltName', async () => {
      const c = await raw(
        [
          ext.keyUsage(['digitalSignature']),
          ext.subjectAltName(encodeBasic4San(KOKUTO)),
          ext.certificatePolicies([JPKI_POLICY.auth]),
        ],
        jpkiCaName('auth', 'JPKI-SIM'),
        encodeName(
          nameFrom([
            ['C', 'JP'],
            ['CN', '997794E9AGCIEG13221003A'],
          ]),
        ),
      );
      expectCode(() => assertJpkiProfile(c, 'auth'), 'jpki_profile_mismatch', 'subjectAltName');
    });

    it('fail-wrong purpose, a CA, and strict extension list', async () => {
      expectCode(() => assertJpkiProfile(signEe, 'auth'), 'jpki_profile_mismatch', 'purpose');
      expectCode(() => assertJpkiProfile(signCa, 'sign'), 'jpki_profile_mismatch', 'kind');
      const c = await raw(base());
      expectCode(() => assertJpkiProfile(c, 'sign', { strict: true }), 'jpki_profile_mismatch', 'extensions');
    });

    it('fail-builder refuses what the profile forbids', async () => {
      const o = signOpts();
      const ec = await webCryptoSigner(await generateKeyPair('ECDSA-SHA256'), 'ECDSA-SHA256');
      await expect(
        buildJpkiSigningCertificate({ ...o, notAfter: new Date('2030-02-17T15:00:00Z') }),
      ).rejects.toThrow(/14:59:59Z/);
      await expect(buildJpkiSigningCertificate({ ...o, serial: 0n })).rejects.toThrow(RangeError);
      await expect(buildJpkiSigningCertificate({ ...o, serial: 0x100000000n })).rejects.toThrow(RangeError);
      await expect(buildJpkiSigningCertificate({ ...o, spki: ec.spki })).rejects.toThrow(/RSA key/);
      await expect(buildJpkiSigningCertificate({ ...o, signer: authCaKey })).rejects.toThrow(/issuer's key/);
      await expect(
        buildJpkiSigningCertificate({ ...o, subject: { ...o.subject, cn: '20251327100000123ABCDE12345' } }),
      ).rejects.toThrow(/CN/);
      await expect(
        buildJpkiSigningCertificate({ ...o, subject: { ...o.subject, prefecture: '東京都' } }),
      ).rejects.toThrow(/romanized/);
      await expect(buildJpkiSigningCertificate({ ...o, crlUri: 'ldap://x' })).rejects.toThrow(/URL/);
      await expect(
        buildJpkiSigningCertificate({ ...o, basic4: { ...KOKUTO, addressSubstitute: '0' } }),
      ).rejects.toMatchObject({
        code: 'basic4_malformed',
      });
      await expect(
        buildJpkiCaCertificate({
          purpose: 'sign',
          organization: 'JPKI-SIM',
          serial: 1n,
          notBefore: new Date(),
          signer: ec,
        }),
      ).rejects.toThrow(/RSA-SHA256/);
      await expect(
        buildJpkiAuthCertificate({
          ...authOpts,
          cn: 'short',
          issuer: { organization: 'JPKI-SIM', purpose: 'auth', spki: authCaKey.spki },
          signer: authCaKey,
          spki: eeKey.spki,
          variant: 'card',
        }),
      ).rejects.toThrow(/CN/);
    });
  });

  it('ok-every profile is versioned and lists its extensions with a content rule', () => {
    for (const p of Object.values(JPKI_PROFILES)) {
      expect(p.version).toBeGreaterThanOrEqual(1);
      expect(p.extensions.length).toBeGreaterThan(0);
      for (const e of p.extensions) expect(e.content.length).toBeGreaterThan(10);
    }
    const cp = JPKI_PROFILES['jpki-sign-card'].extensions.find((e) => e.name === 'certificatePolicies');
    expect(cp).toMatchObject({ critical: true, criticalityTolerated: true, criticalityConfidence: 'S' });
  });
});
