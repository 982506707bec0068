/**
 * Taking a CMS SignedData (RFC 5652 §5) apart into its encoded elements and putting it back, so
 * that unsigned attributes (time-stamps, validation data: ETSI EN 319 122-1 §5.3, §5.5) can be
 * added without touching what the signature covers. One SignerInfo only (what Watashi makes).
 */
import {
  ctx,
  decodeOidContent,
  DerReader,
  encodingOf,
  explicit,
  OID,
  oid,
  parseTopLevel,
  seq,
  setOf,
  Tag,
  tlv,
  valueOf,
} from '@watashi/pki';
import { signatureError } from './errors.ts';

/** An unsigned attribute: its type and the encoding of its single value. */
export interface UnsignedAttribute {
  readonly type: string;
  /** The whole `Attribute` encoding. */
  readonly der: Uint8Array;
  /** The encodings of its values. */
  readonly values: ReadonlyArray<Uint8Array>;
}

/** The encoded elements of a one-signer SignedData. Every field is a complete TLV. */
export interface SignedDataParts {
  readonly version: Uint8Array;
  readonly digestAlgorithms: Uint8Array;
  readonly encapContentInfo: Uint8Array;
  /** `[0] IMPLICIT CertificateSet`, when present. */
  readonly certificates?: Uint8Array;
  /** `[1] IMPLICIT RevocationInfoChoices`, when present. */
  readonly crls?: Uint8Array;
  /** SignerInfo elements before unsignedAttrs: version, sid, digestAlgorithm, signedAttrs, signatureAlgorithm, signature. */
  readonly signerInfoHead: ReadonlyArray<Uint8Array>;
  /** The signature value (content of the `signature` OCTET STRING). */
  readonly signatureValue: Uint8Array;
  /** The unsigned attributes, in encoded order. */
  readonly unsigned: ReadonlyArray<UnsignedAttribute>;
  /** The whole `[1]` unsignedAttrs encoding as found, when present. */
  readonly unsignedEncoding?: Uint8Array;
}

/** Splits a ContentInfo(SignedData); `signature_malformed` / `signature_unsupported` otherwise. */
export function splitSignedData(der: Uint8Array): SignedDataParts {
  try {
    const ci = DerReader.of(der, parseTopLevel(der, Tag.SEQUENCE, 'ContentInfo', 64 * 1024 * 1024));
    if (decodeOidContent(valueOf(der, ci.expect(Tag.OID))) !== OID.cmsSignedData)
      throw signatureError('signature_malformed', 'not a CMS SignedData');
    const sd = DerReader.of(der, DerReader.of(der, ci.expect(ctx(0))).expect(Tag.SEQUENCE, 'SignedData'));
    const version = encodingOf(der, sd.expect(Tag.INTEGER));
    const digestAlgorithms = encodingOf(der, sd.expect(Tag.SET));
    const encapContentInfo = encodingOf(der, sd.expect(Tag.SEQUENCE));
    const c = sd.optional(ctx(0));
    const r = sd.optional(ctx(1));
    const sis = DerReader.of(der, sd.expect(Tag.SET, 'signerInfos'));
    sd.end('SignedData');
    const siTlv = sis.expect(Tag.SEQUENCE, 'SignerInfo');
    if (!sis.done) throw signatureError('signature_unsupported', 'more than one signer');
    const si = DerReader.of(der, siTlv);
    const head: Uint8Array[] = [];
    let signatureValue: Uint8Array | undefined;
    let unsignedTlv;
    while (!si.done) {
      const t = si.next();
      if (t.tag === ctx(1)) {
        unsignedTlv = t;
        si.end('SignerInfo');
        break;
      }
      head.push(encodingOf(der, t));
      if (t.tag === Tag.OCTET_STRING) signatureValue = valueOf(der, t);
    }
    if (signatureValue === undefined)
      throw signatureError('signature_malformed', 'SignerInfo has no signature');
    const unsigned: UnsignedAttribute[] = [];
    if (unsignedTlv) {
      const u = DerReader.of(der, unsignedTlv);
      while (!u.done) {
        const at = u.expect(Tag.SEQUENCE, 'Attribute');
        const a = DerReader.of(der, at);
        const type = decodeOidContent(valueOf(der, a.expect(Tag.OID)));
        const vs = DerReader.of(der, a.expect(Tag.SET));
        a.end('Attribute');
        const values: Uint8Array[] = [];
        while (!vs.done) values.push(encodingOf(der, vs.next()));
        unsigned.push({ type, der: encodingOf(der, at), values });
      }
    }
    return {
      version,
      digestAlgorithms,
      encapContentInfo,
      ...(c ? { certificates: encodingOf(der, c) } : {}),
      ...(r ? { crls: encodingOf(der, r) } : {}),
      signerInfoHead: head,
      signatureValue,
      unsigned,
      ...(unsignedTlv ? { unsignedEncoding: encodingOf(der, unsignedTlv) } : {}),
    };
  } catch (e) {
    if (e instanceof Error && 'code' in e && String(e.code).startsWith('signature_')) throw e;
    throw signatureError('signature_malformed', 'malformed CMS SignedData', { cause: e });
  }
}

/** An unsigned attribute from its type and one value. */
export function unsignedAttribute(type: string, value: Uint8Array): UnsignedAttribute {
  return { type, der: seq(oid(type), setOf(value)), values: [value] };
}

/** The `[1] IMPLICIT SET OF Attribute` of `attrs` (DER-sorted), or nothing when empty. */
export function encodeUnsigned(attrs: ReadonlyArray<UnsignedAttribute>): Uint8Array[] {
  if (attrs.length === 0) return [];
  const set = setOf(...attrs.map((a) => a.der));
  const out = set.slice();
  out[0] = 0xa1;
  return [out];
}

/** Reassembles a ContentInfo(SignedData) with the given unsigned attributes. */
export function joinSignedData(p: SignedDataParts, unsigned: ReadonlyArray<UnsignedAttribute>): Uint8Array {
  const signerInfo = seq(...p.signerInfoHead, ...encodeUnsigned(unsigned));
  const signedData = seq(
    p.version,
    p.digestAlgorithms,
    p.encapContentInfo,
    ...(p.certificates ? [p.certificates] : []),
    ...(p.crls ? [p.crls] : []),
    tlv(Tag.SET, signerInfo),
  );
  return seq(oid(OID.cmsSignedData), explicit(0, signedData));
}
