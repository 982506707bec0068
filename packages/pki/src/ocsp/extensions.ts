/**
 * OCSP extensions (RFC 6960 §4.4) shared by requests and responses: the generic Extensions list
 * and the nonce (§4.4.1, with the length rules of RFC 8954 §2.1).
 *
 * ```asn1
 * Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
 * Extension  ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
 * Nonce      ::= OCTET STRING (SIZE(1..32))   -- the extnValue wraps this OCTET STRING
 * ```
 */
import { pkiError } from '../errors.ts';
import { DerReader, readBoolean, Tag, valueOf, type Tlv } from '../der/reader.ts';
import { decodeOidContent, OID } from '../der/oid.ts';
import { octets, oid, seq } from '../der/writer.ts';

/** One extension as found in a request or response; `value` is the extnValue content (a view). */
export interface OcspExtension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

/** RFC 8954 §2.1: requesters use 1..32 octets; responders need not accept more than 128. */
export const MAX_NONCE_LENGTH_SENT = 32;
/** The longest nonce a parser accepts (RFC 8954 §2.1: a responder may reject longer ones). */
export const MAX_NONCE_LENGTH_ACCEPTED = 128;

/** Reads `Extensions` (the SEQUENCE inside an EXPLICIT tag). Duplicates are malformed (RFC 5280 §4.2 by analogy). */
export function readExtensions(buf: Uint8Array, explicitTag: Tlv, what: string): OcspExtension[] {
  const outer = DerReader.of(buf, explicitTag);
  const list = outer.expect(Tag.SEQUENCE, `${what} Extensions`);
  outer.end(what);
  const r = DerReader.of(buf, list);
  const out: OcspExtension[] = [];
  const seen = new Set<string>();
  while (!r.done) {
    const x = DerReader.of(buf, r.expect(Tag.SEQUENCE, 'Extension'));
    const id = decodeOidContent(valueOf(buf, x.expect(Tag.OID, 'extnID')));
    const critTlv = x.optional(Tag.BOOLEAN);
    const critical = critTlv ? readBoolean(buf, critTlv) : false;
    const value = valueOf(buf, x.expect(Tag.OCTET_STRING, 'extnValue'));
    x.end('Extension');
    if (seen.has(id)) throw pkiError('ocsp_malformed', `${what}: duplicate extension ${id}`);
    seen.add(id);
    out.push({ oid: id, critical, value });
  }
  if (out.length === 0) throw pkiError('ocsp_malformed', `${what}: empty Extensions (SIZE (1..MAX))`);
  return out;
}

/** The nonce extension (non-critical) carrying `nonce`. */
export function encodeNonceExtension(nonce: Uint8Array): Uint8Array {
  return seq(oid(OID.ocspNonce), octets(octets(nonce)));
}

/**
 * Decodes a nonce extnValue: exactly one OCTET STRING of 1..128 octets. The unwrapped form some
 * old clients sent is refused (RFC 8954 §2.1 settles the encoding).
 */
export function readNonceValue(value: Uint8Array): Uint8Array {
  const r = new DerReader(value);
  const t = r.expect(Tag.OCTET_STRING, 'Nonce');
  r.end('Nonce');
  const nonce = valueOf(value, t);
  if (nonce.length < 1 || nonce.length > MAX_NONCE_LENGTH_ACCEPTED) {
    throw pkiError(
      'ocsp_malformed',
      `nonce of ${nonce.length} octets is outside 1..${MAX_NONCE_LENGTH_ACCEPTED} (RFC 8954 §2.1)`,
    );
  }
  return nonce;
}

/** Checks a nonce the caller wants to send (caller bug → RangeError). */
export function checkNonceToSend(nonce: Uint8Array): void {
  if (nonce.length < 1 || nonce.length > MAX_NONCE_LENGTH_SENT) {
    throw new RangeError(`an OCSP nonce must be 1..${MAX_NONCE_LENGTH_SENT} octets (RFC 8954 §2.1)`);
  }
}
