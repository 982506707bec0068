/**
 * Reads a CRL file chunk by chunk (Node only). Memory stays at one chunk plus the compact index
 * (docs/performance.md anchor A5: ≤ 0.5× `openssl crl`'s peak RSS): the file is never held whole. The
 * TBSCertList bytes are hashed with node:crypto as they stream past, so the signature can be
 * checked afterwards with {@link nodeCrlVerifier} without keeping them.
 */
import { open } from 'node:fs/promises';
import { constants, createHash, createPublicKey, publicDecrypt } from 'node:crypto';
import { pkiError } from '../errors.ts';
import { digestInfo, digestOf } from '../crypto/algorithms.ts';
import type { SignatureVerifier } from '../crypto/provider.ts';
import { CrlScanner, type CrlIndex, type ReadCrlOptions } from '../crl/read.ts';
import type { DigestSignatureVerifier } from '../crl/verify.ts';
import { nodeVerifier } from './crypto.ts';

/** Options of {@link readCrlFile}. */
export interface ReadCrlFileOptions extends ReadCrlOptions {
  /** Read buffer size in bytes (default 4 MiB, at least 64 KiB). The CRL header and the part after the entries must fit in it. */
  readonly chunkSize?: number;
}

const hashName = (alg: string): string => alg.replace('-', '').toLowerCase();

/**
 * Reads the CRL at `path` into a {@link CrlIndex} whose `tbsDigest` is set (and `tbs` is not).
 * Same errors as `readCrl`.
 */
export async function readCrlFile(path: string, opts: ReadCrlFileOptions = {}): Promise<CrlIndex> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const s = new CrlScanner(size, opts);
    const chunk = Math.max(64 * 1024, opts.chunkSize ?? 4 * 1024 * 1024);
    let buf = Buffer.allocUnsafe(Math.min(chunk, Math.max(size, 1)));
    let base = 0; // absolute offset of buf[0]
    let filled = 0;
    const fill = async (): Promise<void> => {
      while (filled < buf.length && base + filled < size) {
        const { bytesRead } = await fh.read(buf, filled, buf.length - filled, base + filled);
        if (bytesRead === 0) throw pkiError('der_malformed', 'CRL: file shrank while reading');
        filled += bytesRead;
      }
    };
    await fill();
    s.head(buf, filled);
    const hash = createHash(hashName(digestOf(s.signatureAlgorithm)));
    let hashed = s.tbsStart;
    const hashUpTo = (abs: number): void => {
      const e = Math.min(abs, s.tbsEnd);
      if (e > hashed) {
        hash.update(buf.subarray(hashed - base, e - base));
        hashed = e;
      }
    };
    /** Drops the bytes before buffer offset `keep` (hashing them first) and refills. */
    const shift = async (keep: number): Promise<void> => {
      hashUpTo(base + keep);
      buf.copyWithin(0, keep, filled);
      base += keep;
      filled -= keep;
      await fill();
    };
    let p = s.revokedStart - base;
    for (;;) {
      const stop = Math.min(base + filled, s.revokedEnd) - base;
      p = s.parseEntries(buf, base, p, stop);
      if (base + p === s.revokedEnd) break;
      if (base + filled >= size) throw pkiError('der_malformed', 'CRL: truncated revoked entry');
      if (p === 0 && filled === buf.length)
        throw pkiError('crl_malformed', 'CRL: revoked entry larger than the read buffer');
      await shift(p);
      p = 0;
    }
    // The tail (crlExtensions, signatureAlgorithm, signature) must be in the buffer whole.
    const tailLen = size - s.revokedEnd;
    if (tailLen > buf.length - p) {
      if (tailLen > chunk)
        throw pkiError('crl_malformed', 'CRL: data after the entries exceeds the read buffer');
      hashUpTo(base + p);
      const next = Buffer.allocUnsafe(Math.max(buf.length, tailLen));
      buf.copy(next, 0, p, filled);
      buf = next;
      base += p;
      filled -= p;
      await fill();
    } else if (base + filled < size) {
      await shift(p);
    }
    hashUpTo(s.tbsEnd);
    s.tail(buf, base);
    return s.finish(undefined, {
      algorithm: digestOf(s.signatureAlgorithm),
      value: new Uint8Array(hash.digest()),
    });
  } finally {
    await fh.close();
  }
}

/**
 * node:crypto verifier for CRL indexes: `verify` over bytes (cached KeyObjects), and
 * `verifyDigest` for streamed CRLs. The digest path supports RSA PKCS#1 v1.5 (JPKI's algorithm,
 * docs/jpki.md §0): it recovers the encoded message and compares the whole DigestInfo
 * (RFC 8017 §8.2.2 step 4). ECDSA needs the data itself; use `readCrl` for ECDSA-signed CRLs.
 */
export function nodeCrlVerifier(): SignatureVerifier & DigestSignatureVerifier {
  const base = nodeVerifier();
  return {
    verify: (spki, algorithm, data, signature) => base.verify(spki, algorithm, data, signature),
    verifyDigest(spki, algorithm, digest, signature) {
      if (algorithm === 'ECDSA-SHA256')
        return Promise.reject(
          pkiError('unsupported_algorithm', 'ECDSA CRLs cannot be verified from a digest'),
        );
      let recovered: Buffer;
      try {
        const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
        if (key.asymmetricKeyType !== 'rsa') return Promise.resolve(false);
        const bytes = (key.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
        if (signature.length !== bytes) return Promise.resolve(false); // RFC 8017 §8.2.2 step 1
        recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
      } catch {
        return Promise.resolve(false); // a malformed key or signature is a failed verification
      }
      const expected = digestInfo(digestOf(algorithm), digest);
      return Promise.resolve(
        recovered.length === expected.length && recovered.every((b, i) => b === expected[i]),
      );
    },
  };
}
