/** X.509 CRLs (RFC 5280 §5): issuance, the streaming reader with its compact index, verification. */
export * from './reason.ts';
export { buildCrl, tbsCertListFrame, certificateListFrame, RevokedEntriesEncoder } from './build.ts';
export type { CrlEntry, CrlFrameOptions, BuildCrlOptions } from './build.ts';
export { readCrl, CrlIndex } from './read.ts';
export type { ReadCrlOptions, CrlLookupResult, CrlEntryInfo, TbsDigest } from './read.ts';
export { verifyCrl, isStale, isNotYetValid } from './verify.ts';
export type { DigestSignatureVerifier, VerifyCrlOptions } from './verify.ts';
export { keyIdentifier, subjectPublicKeyBits } from '../crypto/key-id.ts';
