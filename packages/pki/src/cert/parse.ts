/**
 * Parses X.509 certificates (RFC 5280 §4.1) with the zero-copy DER reader: a few microseconds per
 * certificate instead of the 0.6–2 ms of object-tree libraries (docs/performance.md §3). Common extensions are
 * decoded eagerly; everything else stays available as raw {@link ParsedExtension}s.
 */
import { pkiError } from '../errors.ts';
import {
  DerReader,
  encodingOf,
  parseTopLevel,
  readBigInt,
  readBitString,
  readSmallInt,
  Tag,
  valueOf,
  type Tlv,
} from '../der/reader.ts';
import { decodeOidContent, OID } from '../der/oid.ts';
import { readTime } from '../der/time.ts';
import { readSignatureAlgorithm, type SignatureAlgorithm } from '../crypto/algorithms.ts';
import { parseName, type ParsedName } from './name.ts';
import {
  decodeExt,
  decodeOrThrow,
  type KeyUsage,
  type ParsedExtension,
  type PolicyInformation,
} from './extensions.ts';
import type { GeneralName } from './general-name.ts';
import { readBoolean } from '../der/reader.ts';

/** A parsed certificate. Byte fields are views into `der`. */
export interface Certificate {
  readonly der: Uint8Array;
  /** The exact TBSCertificate bytes the signature covers. */
  readonly tbs: Uint8Array;
  readonly version: 1 | 2 | 3;
  readonly serial: bigint;
  /** Serial INTEGER content octets as encoded (for CRL/OCSP matching). */
  readonly serialBytes: Uint8Array;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly issuer: ParsedName;
  readonly subject: ParsedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
  readonly extensions: ReadonlyArray<ParsedExtension>;
  readonly signature: Uint8Array;
  readonly keyUsage?: { readonly usages: ReadonlySet<KeyUsage>; readonly critical: boolean };
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLen?: number; readonly critical: boolean };
  readonly subjectKeyId?: Uint8Array;
  readonly authorityKeyId?: Uint8Array;
  readonly policies?: ReadonlyArray<string>;
  /** The certificatePolicies with their CPS pointers (id-qt-cps qualifiers), in certificate order. */
  readonly policyInformation?: ReadonlyArray<PolicyInformation>;
  readonly extKeyUsage?: ReadonlyArray<string>;
  readonly subjectAltName?: ReadonlyArray<GeneralName>;
  readonly issuerAltName?: ReadonlyArray<GeneralName>;
  readonly crlDistributionPoints?: ReadonlyArray<ReadonlyArray<GeneralName>>;
  readonly ocspUrls?: ReadonlyArray<string>;
  /** OIDs of critical extensions this parser does not understand (path validation must reject them). */
  readonly unknownCriticalExtensions: ReadonlyArray<string>;
}

const KNOWN = new Set<string>([
  OID.keyUsage,
  OID.basicConstraints,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.certificatePolicies,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.issuerAltName,
  OID.cRLDistributionPoints,
  OID.authorityInfoAccess,
  OID.ocspNoCheck,
]);

/** Largest certificate accepted (JPKI certificates are ~1.5 KB). */
const MAX_CERTIFICATE_SIZE = 64 * 1024;

/** Parses a DER certificate. Throws `certificate_malformed` (with the DER error as cause) on any defect. */
export function parseCertificate(der: Uint8Array): Certificate {
  try {
    return parseInner(der);
  } catch (e) {
    if (
      e instanceof Error &&
      'code' in e &&
      ((e as { code: string }).code === 'certificate_malformed' ||
        (e as { code: string }).code === 'unsupported_algorithm')
    )
      throw e;
    throw pkiError('certificate_malformed', 'malformed certificate', { cause: e });
  }
}

function parseInner(der: Uint8Array): Certificate {
  const top = parseTopLevel(der, Tag.SEQUENCE, 'Certificate', MAX_CERTIFICATE_SIZE);
  const c = DerReader.of(der, top);
  const tbsTlv = c.expect(Tag.SEQUENCE, 'TBSCertificate');
  const outerAlg = readSignatureAlgorithm(der, c.expect(Tag.SEQUENCE, 'signatureAlgorithm'));
  const sigBits = readBitString(der, c.expect(Tag.BIT_STRING, 'signatureValue'));
  c.end('Certificate');
  if (sigBits.unusedBits !== 0) throw pkiError('certificate_malformed', 'signature has unused bits');

  const t = DerReader.of(der, tbsTlv);
  let version: 1 | 2 | 3 = 1;
  const vTlv = t.optional(0xa0);
  if (vTlv) {
    const vr = DerReader.of(der, vTlv);
    const v = readSmallInt(der, vr.expect(Tag.INTEGER, 'version'));
    vr.end();
    if (v !== 1 && v !== 2) throw pkiError('certificate_malformed', `unsupported version ${v + 1}`);
    version = (v + 1) as 2 | 3;
  }
  const serialTlv = t.expect(Tag.INTEGER, 'serialNumber');
  const serial = readBigInt(der, serialTlv);
  const innerAlg = readSignatureAlgorithm(der, t.expect(Tag.SEQUENCE, 'signature'));
  if (innerAlg !== outerAlg)
    throw pkiError('certificate_malformed', 'signature algorithm mismatch (RFC 5280 §4.1.1.2)');
  const issuer = parseName(der, t.expect(Tag.SEQUENCE, 'issuer'));
  const validity = DerReader.of(der, t.expect(Tag.SEQUENCE, 'validity'));
  const notBefore = readTime(der, validity.next());
  const notAfter = readTime(der, validity.next());
  validity.end('validity');
  const subject = parseName(der, t.expect(Tag.SEQUENCE, 'subject'));
  const spkiTlv = t.expect(Tag.SEQUENCE, 'subjectPublicKeyInfo');
  t.optional(0x81); // issuerUniqueID
  t.optional(0x82); // subjectUniqueID
  const extensions: ParsedExtension[] = [];
  const extTlv = t.optional(0xa3);
  t.end('TBSCertificate');
  if (extTlv) {
    if (version !== 3) throw pkiError('certificate_malformed', 'extensions in a non-v3 certificate');
    const er = DerReader.of(der, DerReader.of(der, extTlv).expect(Tag.SEQUENCE, 'Extensions'));
    const seen = new Set<string>();
    while (!er.done) {
      const x = DerReader.of(der, er.expect(Tag.SEQUENCE, 'Extension'));
      const id = decodeOidContent(valueOf(der, x.expect(Tag.OID, 'extnID')));
      const critTlv = x.optional(Tag.BOOLEAN);
      const critical = critTlv ? readBoolean(der, critTlv) : false;
      const valueTlv: Tlv = x.expect(Tag.OCTET_STRING, 'extnValue');
      x.end('Extension');
      // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of an extension.
      if (seen.has(id)) throw pkiError('certificate_malformed', `duplicate extension ${id}`);
      seen.add(id);
      extensions.push({ oid: id, critical, value: valueOf(der, valueTlv), buf: der, valueTlv });
    }
  }

  const out: { -readonly [K in keyof Certificate]?: Certificate[K] } = {
    der,
    tbs: encodingOf(der, tbsTlv),
    version,
    serial,
    serialBytes: valueOf(der, serialTlv),
    signatureAlgorithm: outerAlg,
    issuer,
    subject,
    notBefore,
    notAfter,
    spki: encodingOf(der, spkiTlv),
    extensions,
    signature: sigBits.bytes,
  };
  const unknownCritical: string[] = [];
  for (const e of extensions) {
    switch (e.oid) {
      case OID.keyUsage:
        out.keyUsage = {
          usages: decodeOrThrow('keyUsage', () => decodeExt.keyUsage(e)),
          critical: e.critical,
        };
        break;
      case OID.basicConstraints:
        out.basicConstraints = {
          ...decodeOrThrow('basicConstraints', () => decodeExt.basicConstraints(e)),
          critical: e.critical,
        };
        break;
      case OID.subjectKeyIdentifier:
        out.subjectKeyId = decodeOrThrow('subjectKeyIdentifier', () => decodeExt.subjectKeyIdentifier(e));
        break;
      case OID.authorityKeyIdentifier: {
        const k = decodeOrThrow('authorityKeyIdentifier', () => decodeExt.authorityKeyIdentifier(e));
        if (k) out.authorityKeyId = k;
        break;
      }
      case OID.certificatePolicies: {
        const info = decodeOrThrow('certificatePolicies', () => decodeExt.certificatePolicies(e));
        out.policyInformation = info;
        out.policies = info.map((p) => p.oid);
        break;
      }
      case OID.extKeyUsage:
        out.extKeyUsage = decodeOrThrow('extKeyUsage', () => decodeExt.extKeyUsage(e));
        break;
      case OID.subjectAltName:
        out.subjectAltName = decodeOrThrow('subjectAltName', () => decodeExt.generalNames(e));
        break;
      case OID.issuerAltName:
        out.issuerAltName = decodeOrThrow('issuerAltName', () => decodeExt.generalNames(e));
        break;
      case OID.cRLDistributionPoints:
        out.crlDistributionPoints = decodeOrThrow('cRLDistributionPoints', () =>
          decodeExt.crlDistributionPoints(e),
        );
        break;
      case OID.authorityInfoAccess:
        out.ocspUrls = decodeOrThrow('authorityInfoAccess', () => decodeExt.authorityInfoAccess(e)).ocsp;
        break;
      default:
        if (e.critical && !KNOWN.has(e.oid)) unknownCritical.push(e.oid);
    }
  }
  out.unknownCriticalExtensions = unknownCritical;
  return out as Certificate;
}
