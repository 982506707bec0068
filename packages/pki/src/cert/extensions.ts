/**
 * Certificate extensions (RFC 5280 §4.2): encoders that return {@link Extension} values for the
 * builder, and decoders for the ones verification needs. Profiles (docs/conventions.md §6) are lists of these.
 */
import { pkiError } from '../errors.ts';
import {
  DerReader,
  readBitString,
  readBoolean,
  readSmallInt,
  Tag,
  valueOf,
  type Tlv,
} from '../der/reader.ts';
import { decodeOidContent, OID } from '../der/oid.ts';
import { bitString, bool, explicit, ia5, int, octets, oid, seq, tlv } from '../der/writer.ts';
import {
  encodeGeneralName,
  encodeGeneralNames,
  parseGeneralName,
  parseGeneralNames,
  type GeneralName,
} from './general-name.ts';

/** One extension: `value` is the DER carried inside extnValue's OCTET STRING. */
export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

/**
 * One PolicyInformation (RFC 5280 §4.2.1.4): a policy OID and the CPS pointers (id-qt-cps
 * qualifiers, each an IA5String URI) that go with it. Other qualifier types are not modelled.
 */
export interface PolicyInformation {
  readonly oid: string;
  readonly cpsUris: ReadonlyArray<string>;
}

/** KeyUsage bit names in bit order (RFC 5280 §4.2.1.3). */
const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
/** A KeyUsage bit name. */
export type KeyUsage = (typeof KEY_USAGE_BITS)[number];

/** Encodes one Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE, extnValue }. */
export function encodeExtension(e: Extension): Uint8Array {
  return e.critical ? seq(oid(e.oid), bool(true), octets(e.value)) : seq(oid(e.oid), octets(e.value));
}

/** DER named bit list: trailing zero bits dropped (X.690 §11.2.2). */
export function encodeNamedBits(bits: ReadonlyArray<number>): Uint8Array {
  if (bits.length === 0) return bitString(new Uint8Array(0));
  const max = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(max / 8) + 1);
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
  return bitString(bytes, 7 - (max & 7));
}

/** Extension encoders. Defaults follow RFC 5280's MUST/SHOULD on criticality. */
export const ext = {
  /** keyUsage, critical by default (RFC 5280 §4.2.1.3 SHOULD; JPKI marks it critical, docs/jpki.md §1.2). */
  keyUsage(usages: ReadonlyArray<KeyUsage>, critical = true): Extension {
    return {
      oid: OID.keyUsage,
      critical,
      value: encodeNamedBits(usages.map((u) => KEY_USAGE_BITS.indexOf(u))),
    };
  },
  /** basicConstraints, critical (RFC 5280 §4.2.1.9 MUST for CAs). `cA FALSE` is encoded as an empty SEQUENCE. */
  basicConstraints(ca: boolean, pathLen?: number, critical = true): Extension {
    const parts: Uint8Array[] = [];
    if (ca) parts.push(bool(true));
    if (ca && pathLen !== undefined) parts.push(int(pathLen));
    return { oid: OID.basicConstraints, critical, value: seq(...parts) };
  },
  /** subjectKeyIdentifier (RFC 5280 §4.2.1.2). */
  subjectKeyIdentifier(keyId: Uint8Array): Extension {
    return { oid: OID.subjectKeyIdentifier, critical: false, value: octets(keyId) };
  },
  /** authorityKeyIdentifier with keyIdentifier only (RFC 5280 §4.2.1.1). */
  authorityKeyIdentifier(keyId: Uint8Array): Extension {
    return { oid: OID.authorityKeyIdentifier, critical: false, value: seq(tlv(0x80, keyId)) };
  },
  /**
   * certificatePolicies (RFC 5280 §4.2.1.4): a bare OID is a PolicyInformation without qualifiers;
   * an object adds one id-qt-cps PolicyQualifierInfo per CPS URI (an IA5String, so ASCII only).
   */
  certificatePolicies(
    policies: ReadonlyArray<string | { readonly oid: string; readonly cpsUris?: ReadonlyArray<string> }>,
    critical = false,
  ): Extension {
    const info = (p: (typeof policies)[number]): Uint8Array => {
      if (typeof p === 'string') return seq(oid(p));
      const uris = p.cpsUris ?? [];
      if (uris.length === 0) return seq(oid(p.oid));
      // RFC 5280 §4.2.1.4: policyQualifiers is SIZE (1..MAX), so it is left out when empty.
      return seq(oid(p.oid), seq(...uris.map((u) => seq(oid(OID.idQtCps), ia5(u)))));
    };
    return { oid: OID.certificatePolicies, critical, value: seq(...policies.map(info)) };
  },
  /** extKeyUsage. */
  extKeyUsage(purposes: ReadonlyArray<string>, critical = false): Extension {
    return { oid: OID.extKeyUsage, critical, value: seq(...purposes.map((p) => oid(p))) };
  },
  /** subjectAltName. */
  subjectAltName(names: ReadonlyArray<GeneralName>, critical = false): Extension {
    return { oid: OID.subjectAltName, critical, value: encodeGeneralNames(names) };
  },
  /** issuerAltName. */
  issuerAltName(names: ReadonlyArray<GeneralName>, critical = false): Extension {
    return { oid: OID.issuerAltName, critical, value: encodeGeneralNames(names) };
  },
  /** cRLDistributionPoints: one DistributionPoint per entry, each with `distributionPoint.fullName`. */
  crlDistributionPoints(points: ReadonlyArray<ReadonlyArray<GeneralName>>): Extension {
    return {
      oid: OID.cRLDistributionPoints,
      critical: false,
      // DistributionPoint ::= SEQUENCE { distributionPoint [0] DistributionPointName OPTIONAL, … }
      // DistributionPointName ::= CHOICE { fullName [0] GeneralNames, … } — [0] EXPLICIT around the CHOICE, [0] IMPLICIT GeneralNames.
      value: seq(...points.map((names) => seq(explicit(0, tlv(0xa0, ...names.map(encodeGeneralName)))))),
    };
  },
  /** authorityInfoAccess with OCSP responder URLs and CA issuer URLs. */
  authorityInfoAccess(ocsp: ReadonlyArray<string>, caIssuers: ReadonlyArray<string> = []): Extension {
    const ad = (method: string, uri: string): Uint8Array =>
      seq(oid(method), encodeGeneralName({ type: 'uri', value: uri }));
    return {
      oid: OID.authorityInfoAccess,
      critical: false,
      value: seq(...ocsp.map((u) => ad(OID.adOcsp, u)), ...caIssuers.map((u) => ad(OID.adCaIssuers, u))),
    };
  },
  /** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1), for delegated responder certificates. */
  ocspNoCheck(): Extension {
    return { oid: OID.ocspNoCheck, critical: false, value: Uint8Array.of(0x05, 0x00) };
  },
};

/** A decoded extension as found in a certificate: `value` is a view into the certificate DER. */
export interface ParsedExtension extends Extension {
  /** The extnValue content's TLV offsets within `buf` (for zero-copy decoders). */
  readonly buf: Uint8Array;
  readonly valueTlv: Tlv;
}

function inner(e: ParsedExtension): DerReader {
  return new DerReader(e.buf, e.valueTlv.valueStart, e.valueTlv.end);
}

/** Decoders for the extensions path validation and JPKI need. Each throws `certificate_malformed` on bad content. */
export const decodeExt = {
  keyUsage(e: ParsedExtension): Set<KeyUsage> {
    const r = inner(e);
    const { bytes, unusedBits } = readBitString(e.buf, r.expect(Tag.BIT_STRING, 'keyUsage'));
    r.end('keyUsage');
    const out = new Set<KeyUsage>();
    const nbits = bytes.length * 8 - unusedBits;
    for (let i = 0; i < nbits && i < KEY_USAGE_BITS.length; i++)
      if (bytes[i >> 3]! & (0x80 >> (i & 7))) out.add(KEY_USAGE_BITS[i]!);
    return out;
  },
  basicConstraints(e: ParsedExtension): { ca: boolean; pathLen?: number } {
    const r = DerReader.of(e.buf, inner(e).expect(Tag.SEQUENCE, 'basicConstraints'));
    const caTlv = r.optional(Tag.BOOLEAN);
    const ca = caTlv ? readBoolean(e.buf, caTlv) : false;
    const pl = r.optional(Tag.INTEGER);
    r.end('basicConstraints');
    return pl ? { ca, pathLen: readSmallInt(e.buf, pl) } : { ca };
  },
  subjectKeyIdentifier(e: ParsedExtension): Uint8Array {
    const r = inner(e);
    const t = r.expect(Tag.OCTET_STRING, 'subjectKeyIdentifier');
    r.end();
    return valueOf(e.buf, t);
  },
  authorityKeyIdentifier(e: ParsedExtension): Uint8Array | undefined {
    const r = DerReader.of(e.buf, inner(e).expect(Tag.SEQUENCE, 'authorityKeyIdentifier'));
    const k = r.optional(0x80);
    return k ? valueOf(e.buf, k) : undefined;
  },
  /**
   * certificatePolicies with their CPS pointers (RFC 5280 §4.2.1.4). Qualifiers other than
   * id-qt-cps (e.g. userNotice) are skipped unread; each PolicyQualifierInfo must still be a
   * SEQUENCE that starts with an OID, and a CPS qualifier must be one IA5String.
   */
  certificatePolicies(e: ParsedExtension): PolicyInformation[] {
    const r = DerReader.of(e.buf, inner(e).expect(Tag.SEQUENCE, 'certificatePolicies'));
    const out: PolicyInformation[] = [];
    while (!r.done) {
      const pi = DerReader.of(e.buf, r.expect(Tag.SEQUENCE, 'PolicyInformation'));
      const policy = decodeOidContent(valueOf(e.buf, pi.expect(Tag.OID, 'policyIdentifier')));
      const cpsUris: string[] = [];
      const qs = pi.optional(Tag.SEQUENCE);
      if (qs) {
        const qr = DerReader.of(e.buf, qs);
        if (qr.done) throw pkiError('der_malformed', 'DER: empty policyQualifiers');
        while (!qr.done) {
          const q = DerReader.of(e.buf, qr.expect(Tag.SEQUENCE, 'PolicyQualifierInfo'));
          const id = decodeOidContent(valueOf(e.buf, q.expect(Tag.OID, 'policyQualifierId')));
          if (id === OID.idQtCps) {
            const uri = valueOf(e.buf, q.expect(Tag.IA5_STRING, 'CPSuri'));
            q.end('CPSuri');
            if (uri.some((b) => b > 0x7f)) throw pkiError('der_malformed', 'DER: CPSuri is not IA5');
            cpsUris.push(String.fromCharCode(...uri));
          }
        }
      }
      pi.end('PolicyInformation');
      out.push({ oid: policy, cpsUris });
    }
    return out;
  },
  extKeyUsage(e: ParsedExtension): string[] {
    const r = DerReader.of(e.buf, inner(e).expect(Tag.SEQUENCE, 'extKeyUsage'));
    const out: string[] = [];
    while (!r.done) out.push(decodeOidContent(valueOf(e.buf, r.expect(Tag.OID, 'KeyPurposeId'))));
    return out;
  },
  generalNames(e: ParsedExtension): GeneralName[] {
    const r = inner(e);
    const t = r.expect(Tag.SEQUENCE, 'GeneralNames');
    r.end();
    return parseGeneralNames(e.buf, t);
  },
  crlDistributionPoints(e: ParsedExtension): GeneralName[][] {
    const r = DerReader.of(e.buf, inner(e).expect(Tag.SEQUENCE, 'cRLDistributionPoints'));
    const out: GeneralName[][] = [];
    while (!r.done) {
      const dp = DerReader.of(e.buf, r.expect(Tag.SEQUENCE, 'DistributionPoint'));
      const dpn = dp.optional(0xa0);
      if (!dpn) continue;
      const full = DerReader.of(e.buf, dpn).optional(0xa0);
      if (!full) continue;
      const fr = DerReader.of(e.buf, full);
      const names: GeneralName[] = [];
      while (!fr.done) names.push(parseGeneralName(e.buf, fr.next()));
      out.push(names);
    }
    return out;
  },
  authorityInfoAccess(e: ParsedExtension): { ocsp: string[]; caIssuers: string[] } {
    const r = DerReader.of(e.buf, inner(e).expect(Tag.SEQUENCE, 'authorityInfoAccess'));
    const res = { ocsp: [] as string[], caIssuers: [] as string[] };
    while (!r.done) {
      const ad = DerReader.of(e.buf, r.expect(Tag.SEQUENCE, 'AccessDescription'));
      const m = decodeOidContent(valueOf(e.buf, ad.expect(Tag.OID, 'accessMethod')));
      const g = parseGeneralName(e.buf, ad.next());
      if (g.type !== 'uri') continue;
      if (m === OID.adOcsp) res.ocsp.push(g.value);
      else if (m === OID.adCaIssuers) res.caIssuers.push(g.value);
    }
    return res;
  },
};

/** Wraps decoder failures as `certificate_malformed`, keeping the cause. */
export function decodeOrThrow<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (cause) {
    throw pkiError('certificate_malformed', `malformed ${what} extension`, { cause });
  }
}
