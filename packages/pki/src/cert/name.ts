/**
 * X.501 Name (RFC 5280 §4.1.2.4): encoding with explicit string types per attribute — JPKI names
 * mix PrintableString (`C`) and UTF8String (`O`, `OU`, `L`, `CN`) and must match byte for byte
 * (docs/jpki.md §1.1) — and a parse that keeps the original DER for exact comparison.
 */
import { pkiError } from '../errors.ts';
import { DerReader, readString, Tag, valueOf, type Tlv } from '../der/reader.ts';
import { decodeOidContent, OID } from '../der/oid.ts';
import { oid, printable, seq, setOf, utf8, ia5 } from '../der/writer.ts';

/** One attribute of a relative distinguished name. */
export interface NameAttribute {
  /** Attribute type OID, e.g. `2.5.4.3`. */
  readonly type: string;
  /** The string value. */
  readonly value: string;
  /** The ASN.1 string type to encode with (default: printable for C, utf8 otherwise). */
  readonly encoding?: 'printable' | 'utf8' | 'ia5';
}

/** A Name as a sequence of RDNs; each RDN is a set of attributes (JPKI uses one per RDN). */
export type Name = ReadonlyArray<ReadonlyArray<NameAttribute>>;

/** A parsed Name: the attributes, and the exact DER for byte-exact issuer/subject matching. */
export interface ParsedName {
  readonly der: Uint8Array;
  readonly rdns: ReadonlyArray<ReadonlyArray<NameAttribute & { readonly tag: number }>>;
}

const SHORT: Record<string, string> = {
  [OID.countryName]: 'C',
  [OID.organizationName]: 'O',
  [OID.organizationalUnitName]: 'OU',
  [OID.commonName]: 'CN',
  [OID.localityName]: 'L',
  [OID.stateOrProvinceName]: 'ST',
  [OID.serialNumber]: 'serialNumber',
};
const BY_SHORT: Record<string, string> = Object.fromEntries(Object.entries(SHORT).map(([k, v]) => [v, k]));

/** Encodes a Name. */
export function encodeName(name: Name): Uint8Array {
  return seq(
    ...name.map((rdn) =>
      setOf(
        ...rdn.map((a) => {
          const enc = a.encoding ?? (a.type === OID.countryName ? 'printable' : 'utf8');
          const v = enc === 'printable' ? printable(a.value) : enc === 'ia5' ? ia5(a.value) : utf8(a.value);
          return seq(oid(a.type), v);
        }),
      ),
    ),
  );
}

/** Builds a one-attribute-per-RDN Name from `[['C','JP'], ['O','JPKI'], …]` pairs. */
export function nameFrom(pairs: ReadonlyArray<readonly [string, string]>): Name {
  return pairs.map(([k, value]) => {
    const type = BY_SHORT[k] ?? k;
    if (!/^\d+(\.\d+)+$/.test(type)) throw new RangeError(`unknown attribute ${k}`);
    return [{ type, value }];
  });
}

/** Parses a Name TLV. */
export function parseName(buf: Uint8Array, tlv: Tlv): ParsedName {
  if (tlv.tag !== Tag.SEQUENCE) throw pkiError('der_unexpected_tag', 'Name must be a SEQUENCE');
  const r = DerReader.of(buf, tlv);
  const rdns: (NameAttribute & { tag: number })[][] = [];
  while (!r.done) {
    const set = r.expect(Tag.SET, 'RelativeDistinguishedName');
    const sr = DerReader.of(buf, set);
    const rdn: (NameAttribute & { tag: number })[] = [];
    while (!sr.done) {
      const atv = DerReader.of(buf, sr.expect(Tag.SEQUENCE, 'AttributeTypeAndValue'));
      const type = decodeOidContent(valueOf(buf, atv.expect(Tag.OID, 'attribute type')));
      const v = atv.next();
      atv.end('AttributeTypeAndValue');
      rdn.push({ type, value: readString(buf, v), tag: v.tag });
    }
    if (rdn.length === 0) throw pkiError('der_malformed', 'empty RDN');
    rdns.push(rdn);
  }
  return { der: buf.subarray(tlv.start, tlv.end), rdns };
}

/** RFC 4514-like one-line rendering, in encoding order (`C=JP, O=JPKI, …`), for messages and CLI output. */
export function nameToString(name: ParsedName | Name): string {
  const rdns = 'rdns' in name ? name.rdns : name;
  return rdns.map((rdn) => rdn.map((a) => `${SHORT[a.type] ?? a.type}=${a.value}`).join('+')).join(', ');
}
