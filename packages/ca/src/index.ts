/**
 * @watashi/ca: Watashi's own CA for residents' device certificates (docs/trust-service.md). What the
 * platform and an operator need, by name (docs/conventions.md §2): the profiles table, PKCS#10
 * requests, the CA's certificates and the issuing CA. The individual profile constants, the error
 * helper and the size limits stay inside.
 */
export { PROFILES, type ResidentProfileId, type WatashiProfile, type WatashiProfileId } from './profiles.ts';
export {
  buildCertificationRequest,
  parseCertificationRequest,
  type CaErrorCode,
  type CertificationRequest,
} from './csr.ts';
export { p256SpkiFromJwk, rawP256Signer } from './signer.ts';
export {
  caUrls,
  createCaCertificates,
  openIssuingCa,
  randomSerial,
  type CaUrls,
  type CreateCaOptions,
  type IssuedStatus,
  type IssuingCa,
  type StatusLookup,
} from './ca.ts';
