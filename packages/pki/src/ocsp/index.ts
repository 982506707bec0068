/** OCSP (RFC 6960): requests, responses (pre-producible), and client-side verification. */
export {
  certIdFor,
  certIdIssuerHashes,
  certIdIssuedBy,
  certIdMatches,
  encodeCertId,
  readCertId,
} from './cert-id.ts';
export type { CertId, CertIdHashAlgorithm, CertIdIssuerHashes, OcspSubject } from './cert-id.ts';
export type { OcspExtension } from './extensions.ts';
export { MAX_NONCE_LENGTH_ACCEPTED, MAX_NONCE_LENGTH_SENT } from './extensions.ts';
export type { OcspErrorStatus, OcspResponseStatus } from './status.ts';
export * from './request.ts';
export * from './respond.ts';
export * from './parse-response.ts';
export * from './verify.ts';
