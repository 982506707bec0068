/** OBJECT IDENTIFIER encoding (X.690 §8.19) and the OIDs the toolkit uses. */
import { pkiError } from '../errors.ts';

/** Encodes a dotted OID string to its content octets (without tag and length). */
export function encodeOidContent(oid: string): Uint8Array {
  const parts = oid.split('.');
  if (parts.length < 2 || parts.some((p) => !/^(0|[1-9][0-9]*)$/.test(p))) {
    throw pkiError('oid_malformed', `not a dotted OID: ${oid}`);
  }
  const arcs = parts.map((p) => BigInt(p));
  const a0 = arcs[0]!;
  const a1 = arcs[1]!;
  if (a0 > 2n || (a0 < 2n && a1 > 39n)) throw pkiError('oid_malformed', `bad first arcs: ${oid}`);
  const out: number[] = [];
  const push = (v: bigint): void => {
    const tmp: number[] = [Number(v & 0x7fn)];
    v >>= 7n;
    while (v > 0n) {
      tmp.unshift(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(...tmp);
  };
  push(a0 * 40n + a1);
  for (let i = 2; i < arcs.length; i++) push(arcs[i]!);
  return Uint8Array.from(out);
}

/**
 * Decoded OIDs by content octets. Certificates, CRLs, OCSP responses and CMS repeat the same few
 * dozen OIDs, and the BigInt decoding below was the largest single cost of parsing a certificate
 * (docs/performance.md §3). Buckets are keyed by a 32-bit FNV-1a hash of the octets and hold the octets
 * themselves, compared in full: no string key is built per lookup (that was itself the largest JS
 * cost of an enrolment verification). Bounded; only well-formed OIDs are stored.
 */
const oidCache = new Map<number, { readonly octets: Uint8Array; readonly dotted: string }[]>();
let oidCacheEntries = 0;
const OID_CACHE_MAX = 4096;
const OID_CACHE_MAX_OCTETS = 64;

/** Decodes OID content octets to the dotted form. */
export function decodeOidContent(v: Uint8Array): string {
  const n = v.length;
  if (n === 0 || n > OID_CACHE_MAX_OCTETS) return decodeOidUncached(v);
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ v[i]!, 0x01000193);
  const bucket = oidCache.get(h);
  if (bucket !== undefined) {
    for (const e of bucket) {
      const o = e.octets;
      if (o.length !== n) continue;
      let i = 0;
      while (i < n && o[i] === v[i]) i++;
      if (i === n) return e.dotted;
    }
  }
  const dotted = decodeOidUncached(v);
  if (oidCacheEntries < OID_CACHE_MAX) {
    const entry = { octets: v.slice(), dotted };
    if (bucket === undefined) oidCache.set(h, [entry]);
    else bucket.push(entry);
    oidCacheEntries++;
  }
  return dotted;
}

function decodeOidUncached(v: Uint8Array): string {
  if (v.length === 0) throw pkiError('der_malformed', 'DER: empty OID');
  const arcs: bigint[] = [];
  let acc = 0n;
  let started = false;
  for (let i = 0; i < v.length; i++) {
    const b = v[i]!;
    if (!started && b === 0x80) throw pkiError('der_malformed', 'DER: non-minimal OID arc');
    started = true;
    acc = (acc << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(acc);
      acc = 0n;
      started = false;
    }
  }
  if (started) throw pkiError('der_malformed', 'DER: truncated OID');
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

/** OIDs used by Watashi, by name. JPKI arcs are from docs/jpki.md §1.4 and §1.6. */
export const OID = {
  // Attribute types (RFC 5280 Appendix A)
  countryName: '2.5.4.6',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  commonName: '2.5.4.3',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  serialNumber: '2.5.4.5',
  // Algorithms
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  // Certificate extensions (RFC 5280 §4.2)
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  cRLNumber: '2.5.29.20',
  cRLReason: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  cRLDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  anyPolicy: '2.5.29.32.0',
  /** id-qt-cps: the CPS pointer policy qualifier (RFC 5280 §4.2.1.4). */
  idQtCps: '1.3.6.1.5.5.7.2.1',
  // Extended key usages / access methods
  kpOcspSigning: '1.3.6.1.5.5.7.3.9',
  adOcsp: '1.3.6.1.5.5.7.48.1',
  adCaIssuers: '1.3.6.1.5.5.7.48.2',
  // OCSP (RFC 6960)
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  // CMS (RFC 5652)
  cmsData: '1.2.840.113549.1.7.1',
  cmsSignedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  // Time-stamp protocol (RFC 3161 §2.3, §2.4.2)
  kpTimeStamping: '1.3.6.1.5.5.7.3.8',
  ctTSTInfo: '1.2.840.113549.1.9.16.1.4',
  // ESS and CAdES attributes (RFC 2634 §5.4, RFC 5035 §3, RFC 5126 §5.11, §6.3, §6.4; ETSI EN 319 122-1)
  aaSigningCertificate: '1.2.840.113549.1.9.16.2.12',
  aaSigningCertificateV2: '1.2.840.113549.1.9.16.2.47',
  aaSignatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  aaEtsCertValues: '1.2.840.113549.1.9.16.2.23',
  aaEtsRevocationValues: '1.2.840.113549.1.9.16.2.24',
  aaEtsArchiveTimestampV2: '1.2.840.113549.1.9.16.2.48',
  // JPKI (docs/jpki.md §1.4, §1.6)
  jpkiPolicySign: '1.2.392.200149.8.5.1.1.20',
  jpkiPolicySignTest: '1.2.392.200149.8.5.1.0.20',
  jpkiPolicyAuth: '1.2.392.200149.8.5.1.3.30',
  jpkiName: '1.2.392.200149.8.5.5.1',
  jpkiNameSubstitute: '1.2.392.200149.8.5.5.2',
  jpkiSex: '1.2.392.200149.8.5.5.3',
  jpkiDateOfBirth: '1.2.392.200149.8.5.5.4',
  jpkiAddress: '1.2.392.200149.8.5.5.5',
  jpkiAddressSubstitute: '1.2.392.200149.8.5.5.6',
} as const;
