/** SubjectPublicKeyInfo helpers (RFC 5280 §4.1.2.7). */
import { pkiError } from '../errors.ts';
import { DerReader, parseTopLevel, readBitString, Tag, valueOf } from '../der/reader.ts';
import { decodeOidContent, OID } from '../der/oid.ts';
import { webCryptoDigest } from '../crypto/provider.ts';
import { keyIdentifier } from '../crypto/key-id.ts';

/** The parts of an SPKI. */
export interface SpkiInfo {
  /** `rsa` or `ec` (P-256 only). */
  readonly keyType: 'rsa' | 'ec';
  /** subjectPublicKey bits (view). */
  readonly publicKey: Uint8Array;
  /** RSA modulus size in bits, when RSA. */
  readonly rsaBits?: number;
  /** RSA public exponent, when RSA (RFC 8017 §A.1.1 RSAPublicKey.publicExponent). */
  readonly rsaExponent?: bigint;
}

/** Parses an SPKI DER. */
export function parseSpki(spki: Uint8Array): SpkiInfo {
  try {
    const top = parseTopLevel(spki, Tag.SEQUENCE, 'SubjectPublicKeyInfo');
    const r = DerReader.of(spki, top);
    const alg = DerReader.of(spki, r.expect(Tag.SEQUENCE, 'AlgorithmIdentifier'));
    const o = decodeOidContent(valueOf(spki, alg.expect(Tag.OID)));
    const { bytes, unusedBits } = readBitString(spki, r.expect(Tag.BIT_STRING, 'subjectPublicKey'));
    r.end('SubjectPublicKeyInfo');
    if (unusedBits !== 0) throw pkiError('certificate_malformed', 'subjectPublicKey has unused bits');
    if (o === OID.rsaEncryption) {
      const k = DerReader.of(bytes, new DerReader(bytes).expect(Tag.SEQUENCE, 'RSAPublicKey'));
      const n = valueOf(bytes, k.expect(Tag.INTEGER, 'modulus'));
      const lead = n[0] === 0 ? 1 : 0;
      const rsaBits = (n.length - lead) * 8 - Math.clz32(n[lead]!) + 24;
      const e = valueOf(bytes, k.expect(Tag.INTEGER, 'publicExponent'));
      let rsaExponent = 0n;
      for (const b of e) rsaExponent = (rsaExponent << 8n) | BigInt(b);
      return { keyType: 'rsa', publicKey: bytes, rsaBits, rsaExponent };
    }
    if (o === OID.ecPublicKey) {
      const curve = decodeOidContent(valueOf(spki, alg.expect(Tag.OID, 'namedCurve')));
      if (curve !== OID.prime256v1) throw pkiError('unsupported_algorithm', `unsupported curve ${curve}`);
      return { keyType: 'ec', publicKey: bytes };
    }
    throw pkiError('unsupported_algorithm', `unsupported public key algorithm ${o}`);
  } catch (e) {
    if (e instanceof Error && 'code' in e && (e as { code: string }).code === 'unsupported_algorithm')
      throw e;
    throw pkiError('certificate_malformed', 'malformed SubjectPublicKeyInfo', { cause: e });
  }
}

/**
 * Key identifier by RFC 5280 §4.2.1.2 method (1), after checking that `spki` is a key type we
 * support. The hashing itself is {@link keyIdentifier} (crypto/key-id.ts), shared with CRL and OCSP.
 */
export async function keyIdentifierOf(spki: Uint8Array, c?: Crypto): Promise<Uint8Array> {
  parseSpki(spki);
  return keyIdentifier(spki, webCryptoDigest(c));
}
