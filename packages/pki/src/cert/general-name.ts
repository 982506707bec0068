/**
 * GeneralName (RFC 5280 §4.2.1.6) — the subset Watashi meets: JPKI carries basic 4 information as
 * `otherName` (docs/jpki.md §1.4) and its CRL distribution points and issuerAltName as
 * `directoryName` (§1.1, §1.2); the simulator adds URIs for its HTTP endpoints.
 */
import { pkiError } from '../errors.ts';
import { DerReader, readString, Tag, valueOf, encodingOf, type Tlv } from '../der/reader.ts';
import { decodeOidContent } from '../der/oid.ts';
import { explicit, ia5, oid, seq, tlv } from '../der/writer.ts';

/** A GeneralName. `otherName.value` is the DER of the inner value (inside `[0] EXPLICIT`). */
export type GeneralName =
  | { readonly type: 'otherName'; readonly oid: string; readonly value: Uint8Array }
  | { readonly type: 'email'; readonly value: string }
  | { readonly type: 'dns'; readonly value: string }
  | { readonly type: 'directoryName'; readonly name: Uint8Array }
  | { readonly type: 'uri'; readonly value: string }
  | { readonly type: 'ip'; readonly value: Uint8Array }
  | { readonly type: 'registeredId'; readonly oid: string };

/** Encodes one GeneralName. */
export function encodeGeneralName(g: GeneralName): Uint8Array {
  switch (g.type) {
    case 'otherName':
      // OtherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY } under IMPLICIT [0] → constructed a0.
      return tlv(0xa0, oid(g.oid), explicit(0, g.value));
    case 'email':
      return tlv(0x81, ia5(g.value).subarray(2));
    case 'dns':
      return tlv(0x82, ia5(g.value).subarray(2));
    case 'directoryName':
      // Name is a CHOICE, so [4] is EXPLICIT (RFC 5280 Appendix A.2 note).
      return explicit(4, g.name);
    case 'uri':
      return tlv(0x86, new TextEncoder().encode(g.value));
    case 'ip':
      return tlv(0x87, g.value);
    case 'registeredId':
      return tlv(0x88, oid(g.oid).subarray(2));
  }
}

/** Encodes GeneralNames ::= SEQUENCE OF GeneralName. */
export const encodeGeneralNames = (names: ReadonlyArray<GeneralName>): Uint8Array =>
  seq(...names.map(encodeGeneralName));

/** IA5String-based forms (rfc822Name, dNSName, URI), decoded as before: one decoder, not one per name. */
const latin1 = new TextDecoder('latin1');

/** Parses one GeneralName TLV. Unknown forms (x400Address, ediPartyName) are `der_malformed`-free but rejected as unsupported. */
export function parseGeneralName(buf: Uint8Array, t: Tlv): GeneralName {
  switch (t.tag) {
    case 0xa0: {
      const r = DerReader.of(buf, t);
      const o = decodeOidContent(valueOf(buf, r.expect(Tag.OID, 'otherName type-id')));
      const wrapped = r.expect(0xa0, 'otherName value');
      r.end('otherName');
      const inner = DerReader.of(buf, wrapped);
      const v = inner.next();
      inner.end('otherName value');
      return { type: 'otherName', oid: o, value: encodingOf(buf, v) };
    }
    case 0x81:
      return { type: 'email', value: latin1.decode(valueOf(buf, t)) };
    case 0x82:
      return { type: 'dns', value: latin1.decode(valueOf(buf, t)) };
    case 0xa4: {
      const r = DerReader.of(buf, t);
      const n = r.expect(Tag.SEQUENCE, 'directoryName');
      r.end('directoryName');
      return { type: 'directoryName', name: encodingOf(buf, n) };
    }
    case 0x86:
      return { type: 'uri', value: latin1.decode(valueOf(buf, t)) };
    case 0x87:
      return { type: 'ip', value: valueOf(buf, t) };
    case 0x88:
      return { type: 'registeredId', oid: decodeOidContent(valueOf(buf, t)) };
    default:
      throw pkiError('certificate_malformed', `unsupported GeneralName tag 0x${t.tag.toString(16)}`);
  }
}

/** Parses GeneralNames (a SEQUENCE TLV). */
export function parseGeneralNames(buf: Uint8Array, t: Tlv): GeneralName[] {
  const r = DerReader.of(buf, t);
  const out: GeneralName[] = [];
  while (!r.done) out.push(parseGeneralName(buf, r.next()));
  return out;
}

/** Decodes the string inside an otherName value (UTF8String etc.), as JPKI uses (docs/jpki.md §1.4). */
export function otherNameString(value: Uint8Array): string {
  const r = new DerReader(value);
  const s = r.next();
  r.end('otherName string');
  return readString(value, s);
}
