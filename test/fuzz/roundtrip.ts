/**
 * Round-trip properties (issue 21): where a module both builds and reads an object, reading what
 * it built gives back the same object — DER integers, OIDs, times and strings, certificates,
 * CRLs, OCSP requests and responses, CMS SignedData, APDUs and basic 4 information.
 */
import fc from 'fast-check';
import {
  buildCertificate,
  buildCrl,
  buildOcspRequest,
  buildOcspResponse,
  bytesEqual,
  decodeOidContent,
  encodeName,
  encodeOidContent,
  ext,
  generalizedTime,
  ia5,
  int,
  integerContent,
  nameFrom,
  nameToString,
  parseCertificate,
  parseOcspRequest,
  parseOcspResponse,
  printable,
  readBigInt,
  readCrl,
  readString,
  readTime,
  readTlv,
  signCms,
  utcTime,
  utf8,
  verifyCms,
  type CertId,
  type CrlEntry,
  type CrlReason,
  type GeneralName,
  type OcspCertStatus,
} from '@watashi/pki';
import { nodeDigest, nodeVerifier } from '@watashi/pki/node';
import {
  basic4From,
  decodeCommandApdu,
  decodeResponseApdu,
  encodeBasic4San,
  encodeCommandApdu,
  encodeResponseApdu,
  jpkiCaName,
  PREFECTURES,
  readBasic4,
  type Sex,
} from '@watashi/jpki';
import type { Samples } from './samples.ts';

/** One round-trip property over the samples' keys. */
export interface RoundTrip {
  readonly name: string;
  /** Relative cost: the normal suite runs `budget / cost` cases. */
  readonly cost: number;
  property(s: Samples): fc.IAsyncPropertyWithHooks<unknown> | fc.IPropertyWithHooks<unknown>;
}

const eq = (a: unknown, b: unknown, what: string): void => {
  const j = (v: unknown): string =>
    JSON.stringify(v, (_k, x: unknown) =>
      typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x,
    );
  if (j(a) !== j(b)) throw new Error(`${what}: built ${j(a)}, read back ${j(b)}`);
};

const second = (d: Date): Date => new Date(Math.floor(d.getTime() / 1000) * 1000);
/** Dates X.509 can carry (RFC 5280 §4.1.2.5: UTCTime 1950–2049, GeneralizedTime after). */
const x509Date = fc
  .date({ min: new Date('1950-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .map(second);
/** The CRL index keeps revocation dates as 32-bit seconds from 1950 (crl/read.ts): 1950–2086. */
const crlDate = fc
  .date({ min: new Date('1950-01-01T00:00:00Z'), max: new Date('2086-01-01T00:00:00Z'), noInvalidDate: true })
  .map(second);
const serialArb = fc.bigInt({ min: 1n, max: (1n << 159n) - 1n });
const printableArb = fc.stringMatching(/^[A-Za-z0-9 '()+,./:=?-]{1,40}$/);
/** Reasons a complete CRL may carry (removeFromCRL is for delta CRLs only, RFC 5280 §5.3.1). */
const crlReasons: CrlReason[] = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'privilegeWithdrawn',
  'aACompromise',
];
const digestArb = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const certIdArb: fc.Arbitrary<CertId> = fc
  .oneof(
    fc.record({
      hashAlgorithm: fc.constant('SHA-256' as const),
      issuerNameHash: digestArb(32),
      issuerKeyHash: digestArb(32),
      serial: serialArb,
    }),
    fc.record({
      hashAlgorithm: fc.constant('SHA-1' as const),
      issuerNameHash: digestArb(20),
      issuerKeyHash: digestArb(20),
      serial: serialArb,
    }),
  )
  .map((c) => ({ ...c, serialBytes: integerContent(c.serial) }));

/** Every round-trip property. */
export const ROUND_TRIPS: ReadonlyArray<RoundTrip> = [
  {
    name: 'DER INTEGER',
    cost: 1,
    property: () =>
      fc.property(fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }), (n) => {
        const b = int(n);
        eq(n, readBigInt(b, readTlv(b, 0)), 'INTEGER');
      }),
  },
  {
    name: 'OBJECT IDENTIFIER',
    cost: 1,
    property: () =>
      fc.property(
        fc.oneof(
          fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 39 })),
          fc.tuple(fc.constant(2), fc.nat()),
        ),
        fc.array(fc.oneof(fc.nat(), fc.bigInt({ min: 0n, max: 1n << 80n }).map(String)), { maxLength: 10 }),
        ([a, b], rest) => {
          const dotted = [a, b, ...rest].join('.');
          eq(dotted, decodeOidContent(encodeOidContent(dotted)), 'OID');
        },
      ),
  },
  {
    name: 'UTCTime and GeneralizedTime',
    cost: 1,
    property: () =>
      fc.property(
        fc
          .date({
            min: new Date('0000-01-01T00:00:00Z'),
            max: new Date('9999-12-31T23:59:59Z'),
            noInvalidDate: true,
          })
          .map(second),
        (d) => {
          const g = generalizedTime(d);
          eq(d.toISOString(), readTime(g, readTlv(g, 0)).toISOString(), 'GeneralizedTime');
          if (d.getUTCFullYear() >= 1950 && d.getUTCFullYear() <= 2049) {
            const u = utcTime(d);
            eq(d.toISOString(), readTime(u, readTlv(u, 0)).toISOString(), 'UTCTime');
          }
        },
      ),
  },
  {
    name: 'character strings',
    cost: 1,
    property: () =>
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        printableArb,
        fc.stringMatching(/^[\x20-\x7e]{0,40}$/),
        (u, p, a) => {
          const s1 = utf8(u);
          eq(u, readString(s1, readTlv(s1, 0)), 'UTF8String');
          const s2 = printable(p);
          eq(p, readString(s2, readTlv(s2, 0)), 'PrintableString');
          const s3 = ia5(a);
          eq(a, readString(s3, readTlv(s3, 0)), 'IA5String');
        },
      ),
  },
  {
    name: 'certificate',
    cost: 5,
    property: (s) => {
      const gn: fc.Arbitrary<GeneralName> = fc.oneof(
        fc.record({ type: fc.constant('dns' as const), value: fc.domain() }),
        fc.record({ type: fc.constant('uri' as const), value: fc.webUrl() }),
        fc.record({ type: fc.constant('email' as const), value: fc.emailAddress() }),
        fc.record({ type: fc.constant('ip' as const), value: fc.oneof(digestArb(4), digestArb(16)) }),
        fc.record({
          type: fc.constant('otherName' as const),
          oid: fc.constant('1.2.392.200149.8.5.5.1'),
          value: fc.string({ maxLength: 20 }).map(utf8),
        }),
      );
      return fc.asyncProperty(
        serialArb,
        fc.array(fc.tuple(fc.constantFrom('CN', 'O', 'OU', 'C', 'L'), printableArb), {
          minLength: 1,
          maxLength: 5,
        }),
        x509Date,
        x509Date,
        fc.array(gn, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (serial, subject, t0, t1, san, isCa) => {
          const [notBefore, notAfter] = t0 <= t1 ? [t0, t1] : [t1, t0];
          const subjectDer = encodeName(
            nameFrom(subject.map(([k, v]) => (k === 'C' ? [k, v.slice(0, 2).padEnd(2, 'X')] : [k, v]))),
          );
          const der = await buildCertificate(
            {
              serial,
              issuer: s.ca.subject.der,
              subject: subjectDer,
              notBefore,
              notAfter,
              spki: s.caSigner.spki,
              extensions: [ext.basicConstraints(isCa), ext.subjectAltName(san)],
            },
            s.caSigner,
          );
          const c = parseCertificate(der);
          eq(serial, c.serial, 'serial');
          eq(nameToString(s.ca.subject), nameToString(c.issuer), 'issuer');
          eq(true, bytesEqual(subjectDer, c.subject.der), 'subject DER');
          eq(
            [notBefore.toISOString(), notAfter.toISOString()],
            [c.notBefore.toISOString(), c.notAfter.toISOString()],
            'validity',
          );
          eq(san, c.subjectAltName, 'subjectAltName');
          eq(isCa, c.basicConstraints?.ca, 'basicConstraints');
        },
      );
    },
  },
  {
    name: 'CRL',
    cost: 5,
    property: (s) =>
      fc.asyncProperty(
        fc.uniqueArray(
          fc.record({
            serial: serialArb,
            revocationDate: crlDate,
            reason: fc.option(fc.constantFrom(...crlReasons), { nil: undefined }),
            invalidityDate: fc.option(x509Date, { nil: undefined }),
          }),
          { selector: (e) => e.serial, maxLength: 40 },
        ),
        x509Date,
        fc.bigInt({ min: 0n, max: (1n << 159n) - 1n }),
        async (entries, thisUpdate, crlNumber) => {
          const list: CrlEntry[] = entries.map((e) => ({
            serial: e.serial,
            revocationDate: e.revocationDate,
            ...(e.reason === undefined ? {} : { reason: e.reason }),
            ...(e.invalidityDate === undefined ? {} : { invalidityDate: e.invalidityDate }),
          }));
          const der = await buildCrl({
            issuer: s.ca.subject.der,
            authorityKeyId: Uint8Array.of(1, 2, 3),
            thisUpdate,
            nextUpdate: thisUpdate,
            crlNumber,
            entries: list,
            signer: s.caSigner,
          });
          const c = readCrl(der);
          eq(crlNumber, c.crlNumber, 'cRLNumber');
          eq(list.length, c.size, 'size');
          for (const e of list) {
            const r = c.lookup(e.serial);
            eq(
              {
                reason: e.reason ?? 'unspecified',
                at: e.revocationDate.toISOString(),
                inv: e.invalidityDate?.toISOString(),
              },
              {
                reason: r?.reason,
                at: r?.revocationDate.toISOString(),
                inv: r?.invalidityDate?.toISOString(),
              },
              `entry ${e.serial}`,
            );
          }
        },
      ),
  },
  {
    name: 'OCSP request',
    cost: 2,
    property: () =>
      fc.asyncProperty(
        fc.array(certIdArb, { minLength: 1, maxLength: 8 }),
        fc.option(fc.uint8Array({ minLength: 1, maxLength: 32 }), { nil: undefined }),
        async (ids, nonce) => {
          const der = await buildOcspRequest({
            items: ids.map((certId) => ({ certId })),
            ...(nonce ? { nonce } : {}),
            digest: nodeDigest,
          });
          const r = parseOcspRequest(der);
          eq(
            ids.map((i) => [i.hashAlgorithm, i.issuerNameHash, i.issuerKeyHash, i.serial]),
            r.items.map((i) => [
              i.certId.hashAlgorithm,
              i.certId.issuerNameHash,
              i.certId.issuerKeyHash,
              i.certId.serial,
            ]),
            'CertIDs',
          );
          eq(nonce, r.nonce, 'nonce');
        },
      ),
  },
  {
    name: 'OCSP response',
    cost: 3,
    property: (s) => {
      const status: fc.Arbitrary<OcspCertStatus> = fc.oneof(
        fc.constant({ type: 'good' as const }),
        fc.constant({ type: 'unknown' as const }),
        fc.record({
          type: fc.constant('revoked' as const),
          revocationTime: x509Date,
          reason: fc.constantFrom(...crlReasons),
        }),
      );
      return fc.asyncProperty(
        fc.array(fc.record({ certId: certIdArb, status, thisUpdate: x509Date }), {
          minLength: 1,
          maxLength: 5,
        }),
        x509Date,
        fc.option(fc.uint8Array({ minLength: 1, maxLength: 32 }), { nil: undefined }),
        async (responses, producedAt, nonce) => {
          const der = await buildOcspResponse({
            signer: s.caSigner,
            producedAt,
            responses,
            ...(nonce ? { nonce } : {}),
            digest: nodeDigest,
          });
          const r = parseOcspResponse(der);
          eq('successful', r.responseStatus, 'status');
          eq(producedAt.toISOString(), r.basic?.producedAt.toISOString(), 'producedAt');
          eq(
            responses.map((x) => [x.certId.serial, x.status, x.thisUpdate.toISOString()]),
            r.basic?.responses.map((x) => [x.certId.serial, x.status, x.thisUpdate.toISOString()]),
            'SingleResponses',
          );
          eq(nonce, r.basic?.nonce, 'nonce');
        },
      );
    },
  },
  {
    name: 'CMS SignedData',
    cost: 5,
    property: (s) => {
      const verifier = nodeVerifier();
      return fc.asyncProperty(
        fc.uint8Array({ maxLength: 600 }),
        fc.boolean(),
        fc.option(x509Date, { nil: undefined }),
        async (content, detached, signingTime) => {
          const der = await signCms({
            content,
            detached,
            certificate: s.ca.der,
            signer: s.caSigner,
            digest: nodeDigest,
            ...(signingTime ? { signingTime } : {}),
          });
          const v = await verifyCms({ der, verifier, digest: nodeDigest, ...(detached ? { content } : {}) });
          eq(content, v.content, 'content');
          eq(signingTime?.toISOString(), v.signingTime?.toISOString(), 'signingTime');
          eq(true, bytesEqual(v.signerCertificate.der, s.ca.der), 'signer');
        },
      );
    },
  },
  {
    name: 'APDU',
    cost: 1,
    property: () =>
      fc.property(
        fc.record({
          cla: fc.integer({ min: 0, max: 255 }),
          ins: fc.integer({ min: 0, max: 255 }),
          p1: fc.integer({ min: 0, max: 255 }),
          p2: fc.integer({ min: 0, max: 255 }),
          data: fc.uint8Array({ maxLength: 255 }),
          ne: fc.option(fc.integer({ min: 1, max: 256 }), { nil: undefined }),
        }),
        fc.integer({ min: 0, max: 0xffff }),
        (cmd, sw) => {
          const c = {
            cla: cmd.cla,
            ins: cmd.ins,
            p1: cmd.p1,
            p2: cmd.p2,
            data: cmd.data,
            ...(cmd.ne === undefined ? {} : { ne: cmd.ne }),
          };
          eq(c, decodeCommandApdu(encodeCommandApdu(c)), 'command APDU');
          eq({ data: cmd.data, sw }, decodeResponseApdu(encodeResponseApdu(cmd.data, sw)), 'response APDU');
        },
      ),
  },
  {
    name: 'basic 4 information',
    cost: 5,
    property: (s) => {
      const kanji = fc.constantFrom(
        ...'山田川本中村小林高橋佐藤渡辺伊藤加鈴木一郎太花子幸恵美髙﨑𠮷濵邉'.match(/./gu)!,
      );
      const part = fc.array(kanji, { minLength: 1, maxLength: 6 }).map((a) => a.join(''));
      return fc.asyncProperty(
        part,
        part,
        fc.constantFrom(...PREFECTURES),
        fc.array(fc.oneof(kanji, fc.constantFrom(...'１２３－丁目番地'.match(/./gu)!)), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.date({
          min: new Date('1868-01-25T00:00:00Z'),
          max: new Date('2026-12-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.constantFrom<Sex>('1', '2', '3'),
        async (surname, given, pref, rest, dob, sex) => {
          const b4 = basic4From({
            name: `${surname}\u3000${given}`,
            address: pref + rest.join(''),
            birthDate: dob.toISOString().slice(0, 10),
            sex,
          });
          const der = await buildCertificate(
            {
              serial: 1n,
              issuer: jpkiCaName('sign', 'JPKI-TEST'),
              subject: encodeName(nameFrom([['CN', 'x']])),
              notBefore: new Date('2026-01-01T00:00:00Z'),
              notAfter: new Date('2031-01-01T00:00:00Z'),
              spki: s.caSigner.spki,
              extensions: [ext.subjectAltName(encodeBasic4San(b4))],
            },
            s.caSigner,
          );
          eq(b4, readBasic4(parseCertificate(der)), 'basic 4');
        },
      );
    },
  },
];
