/**
 * Key identifiers (RFC 5280 §4.2.1.2 method 1): the SHA-1 hash of the BIT STRING
 * subjectPublicKey, excluding tag, length and the unused-bits octet. SHA-1 here only *names* a
 * key, for matching authorityKeyIdentifier against subjectKeyIdentifier; no security decision
 * rests on its collision resistance (docs/conventions.md §5 forbids SHA-1 for security uses only).
 */
import { pkiError } from '../errors.ts';
import { DerReader, parseTopLevel, readBitString, Tag } from '../der/reader.ts';
import { webCryptoDigest, type Digest } from './provider.ts';

/** The subjectPublicKey bits of a DER SubjectPublicKeyInfo (a view); `der_*` codes when malformed. */
export function subjectPublicKeyBits(spki: Uint8Array): Uint8Array {
  const top = parseTopLevel(spki, Tag.SEQUENCE, 'SubjectPublicKeyInfo');
  const r = DerReader.of(spki, top);
  r.expect(Tag.SEQUENCE, 'AlgorithmIdentifier');
  const { bytes, unusedBits } = readBitString(spki, r.expect(Tag.BIT_STRING, 'subjectPublicKey'));
  r.end('SubjectPublicKeyInfo');
  if (unusedBits !== 0) throw pkiError('der_malformed', 'subjectPublicKey has unused bits');
  return bytes;
}

/**
 * RFC 5280 §4.2.1.2 method (1) key identifier of `spki` (20 bytes). `digest` defaults to
 * WebCrypto; pass `nodeDigest` from `@watashi/pki/node` for the node:crypto port.
 */
export async function keyIdentifier(
  spki: Uint8Array,
  digest: Digest = webCryptoDigest(),
): Promise<Uint8Array> {
  return digest('SHA-1', subjectPublicKeyBits(spki));
}
