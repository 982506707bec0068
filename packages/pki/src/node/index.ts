/**
 * `@watashi/pki/node`: the node:crypto provider (signer, verifier, digest, key generation) and
 * reading a CRL file as a stream. Named exports only (docs/conventions.md §2).
 */
export { nodeDigest, nodeGenerateKey, nodePrivateKey, nodeSigner, nodeVerifier } from './crypto.ts';
export { nodeCrlVerifier, readCrlFile, type ReadCrlFileOptions } from './crl-file.ts';
