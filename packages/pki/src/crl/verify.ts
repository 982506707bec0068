/**
 * CRL validation against its issuer (RFC 5280 §6.3.3 steps (f)–(g), simplified to complete,
 * direct CRLs — the only kind {@link readCrl} accepts): the issuer Name matches byte for byte,
 * the authorityKeyIdentifier names the issuer's key, the signature over the exact TBSCertList
 * bytes verifies, and the CRL is current at `now` (unless the caller says `'not-checked'`). Fails closed: every failure
 * throws; nothing here returns "probably fine".
 */
import { pkiError } from '../errors.ts';
import { bytesEqual } from '../der/hex.ts';
import type { Digest, SignatureVerifier } from '../crypto/provider.ts';
import type { SignatureAlgorithm } from '../crypto/algorithms.ts';
import { keyIdentifier } from '../crypto/key-id.ts';
import type { CrlIndex } from './read.ts';

/**
 * A verifier that checks a signature given the digest of the signed data, for CRLs streamed from
 * disk whose TBS bytes were hashed on the way (`nodeCrlVerifier` in `@watashi/pki/node`).
 */
export interface DigestSignatureVerifier {
  /** True when `signature` verifies over data whose `algorithm` digest is `digest`. Never throws for a bad signature. */
  verifyDigest(
    spki: Uint8Array,
    algorithm: SignatureAlgorithm,
    digest: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean>;
}

/** Options of {@link verifyCrl}. */
export interface VerifyCrlOptions {
  /** DER of the expected issuer Name (the CA certificate's subject): required, compared byte-exact. */
  readonly issuerName: Uint8Array;
  /**
   * The issuer's subjectKeyIdentifier, if its certificate has one; otherwise the RFC 5280
   * §4.2.1.2 method (1) identifier is computed from the SPKI and compared with the CRL's AKI.
   */
  readonly issuerKeyId?: Uint8Array;
  /** SHA-1 for the computed key identifier (default WebCrypto). */
  readonly digest?: Digest;
  /**
   * The CRL must be current at this time ({@link isStale}, {@link isNotYetValid}) — required, so
   * that no caller skips the time check by leaving it out; `'not-checked'` opts out explicitly
   * (e.g. reading an archived CRL whose age the caller judges itself).
   */
  readonly now: Date | 'not-checked';
  /** Clock skew tolerated by the freshness checks, in seconds (default 0). */
  readonly skewSeconds?: number;
}

/**
 * Verifies `index` as issued by the CA with public key `issuerSpki` and subject `issuerName`.
 * Throws `crl_issuer_mismatch`, `crl_signature_invalid` or `crl_stale`.
 */
export async function verifyCrl(
  index: CrlIndex,
  issuerSpki: Uint8Array,
  verifier: SignatureVerifier | (SignatureVerifier & DigestSignatureVerifier),
  opts: VerifyCrlOptions,
): Promise<void> {
  if (!(opts.issuerName instanceof Uint8Array))
    throw new TypeError('verifyCrl needs the expected issuerName DER');
  if (!(opts.now instanceof Date) && opts.now !== 'not-checked')
    throw new TypeError("verifyCrl needs now (a Date) or 'not-checked'");
  // RFC 5280 §6.3.3 (b)(1): the CRL issuer must match the certificate issuer; we compare DER exactly.
  if (!bytesEqual(index.issuer, opts.issuerName))
    throw pkiError('crl_issuer_mismatch', 'CRL issuer does not match the expected CA');
  if (index.authorityKeyId !== undefined) {
    const kid = opts.issuerKeyId ?? (await keyIdentifier(issuerSpki, opts.digest));
    if (!bytesEqual(kid, index.authorityKeyId))
      throw pkiError('crl_issuer_mismatch', 'CRL authorityKeyIdentifier does not name the CA key');
  }
  let ok: boolean;
  if (index.tbs !== undefined) {
    ok = await verifier.verify(issuerSpki, index.signatureAlgorithm, index.tbs, index.signature);
  } else if (index.tbsDigest !== undefined && 'verifyDigest' in verifier) {
    ok = await verifier.verifyDigest(
      issuerSpki,
      index.signatureAlgorithm,
      index.tbsDigest.value,
      index.signature,
    );
  } else {
    throw new TypeError('this CRL index has no TBS bytes: pass a DigestSignatureVerifier (nodeCrlVerifier)');
  }
  // Fixed message: no oracle about why (docs/conventions.md, after panva/jose).
  if (!ok) throw pkiError('crl_signature_invalid', 'CRL signature is invalid');
  if (opts.now !== 'not-checked') {
    const skew = opts.skewSeconds ?? 0;
    if (isNotYetValid(index, opts.now, skew)) throw pkiError('crl_stale', 'CRL thisUpdate is in the future');
    if (isStale(index, opts.now, skew)) throw pkiError('crl_stale', 'CRL is past its nextUpdate');
  }
}

/**
 * True when the CRL should no longer be relied on at `now`: past nextUpdate (+ skew), or without
 * a nextUpdate at all (RFC 5280 §5.1.2.5: conforming issuers include it, so its absence fails closed).
 */
export function isStale(index: Pick<CrlIndex, 'nextUpdate'>, now: Date, skewSeconds = 0): boolean {
  if (index.nextUpdate === undefined) return true;
  return now.getTime() > index.nextUpdate.getTime() + skewSeconds * 1000;
}

/** True when the CRL's thisUpdate lies in the future at `now` (beyond `skewSeconds`). */
export function isNotYetValid(index: Pick<CrlIndex, 'thisUpdate'>, now: Date, skewSeconds = 0): boolean {
  return index.thisUpdate.getTime() > now.getTime() + skewSeconds * 1000;
}
