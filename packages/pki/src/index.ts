/**
 * `@watashi/pki` — X.509 toolkit (docs/architecture.md §2). Isomorphic: WebCrypto only; Node-specific fast
 * paths live in `@watashi/pki/node`.
 *
 * Named exports only: what a user of the package needs; internals stay unexported
 * (docs/conventions.md §2).
 */
export { WatashiError, isWatashiError, pkiError } from './errors.ts';
export type { PkiErrorCode } from './errors.ts';
export {
  DerReader,
  OID,
  Tag,
  bool,
  bytesEqual,
  concat,
  ctx,
  ctxPrim,
  decodeOidContent,
  encodeOidContent,
  encodingOf,
  explicit,
  fromBase64,
  fromHex,
  fromPem,
  fromPemAll,
  generalizedTime,
  ia5,
  implicit,
  int,
  integerContent,
  nul,
  octets,
  oid,
  parseTopLevel,
  printable,
  readBigInt,
  readBitString,
  readBoolean,
  readString,
  readTime,
  readTlv,
  seq,
  tlv,
  toBase64,
  toBase64Url,
  toHex,
  toPem,
  utcTime,
  utf8,
  valueOf,
} from './der/index.ts';
export type { Tlv } from './der/index.ts';
export { digestInfo } from './crypto/algorithms.ts';
export type { DigestAlgorithm, SignatureAlgorithm } from './crypto/algorithms.ts';
export {
  generateKeyPair,
  own,
  webCryptoDigest,
  webCryptoSigner,
  webCryptoVerifier,
} from './crypto/provider.ts';
export type { Digest, SignatureVerifier, Signer } from './crypto/provider.ts';
export {
  buildCertificate,
  encodeName,
  ext,
  keyIdentifierOf,
  nameFrom,
  nameToString,
  parseCertificate,
  parseSpki,
} from './cert/index.ts';
export type {
  Certificate,
  CertificateTemplate,
  Extension,
  GeneralName,
  KeyUsage,
  Name,
  ParsedName,
  PolicyInformation,
  SpkiInfo,
} from './cert/index.ts';
export {
  CrlIndex,
  RevokedEntriesEncoder,
  buildCrl,
  certificateListFrame,
  isNotYetValid,
  isStale,
  keyIdentifier,
  readCrl,
  tbsCertListFrame,
  verifyCrl,
} from './crl/index.ts';
export type {
  BuildCrlOptions,
  CrlEntry,
  CrlEntryInfo,
  CrlFrameOptions,
  CrlLookupResult,
  CrlReason,
  DigestSignatureVerifier,
  ReadCrlOptions,
  TbsDigest,
  VerifyCrlOptions,
} from './crl/index.ts';
export {
  buildOcspRequest,
  buildOcspResponse,
  certIdFor,
  ocspErrorResponse,
  parseOcspRequest,
  parseOcspResponse,
  verifyOcspResponse,
} from './ocsp/index.ts';
export type {
  BuildOcspRequestOptions,
  BuildOcspResponseOptions,
  CertId,
  CertIdHashAlgorithm,
  OcspCertStatus,
  OcspErrorStatus,
  OcspRequest,
  OcspResponder,
  OcspResponse,
  OcspSubject,
  OcspVerification,
  ParseOcspRequestOptions,
  VerifyOcspResponseOptions,
} from './ocsp/index.ts';
export { prepareCmsSignature, signCms, verifyCms } from './cms/index.ts';
export type {
  PrepareCmsSignatureOptions,
  PreparedCmsSignature,
  SignCmsOptions,
  VerifiedCms,
  VerifyCmsOptions,
} from './cms/index.ts';
export {
  buildTimeStampRequest,
  parseTimeStampResponse,
  parseTstInfo,
  requestTimeStamp,
  verifyTimeStampResponse,
  verifyTimeStampToken,
} from './tsp/index.ts';
export type {
  RequestTimeStampOptions,
  TimeStampRequest,
  TimeStampRequestOptions,
  TimeStampResponse,
  TstInfo,
  VerifiedTimeStamp,
  VerifyTimeStampResponseOptions,
  VerifyTimeStampTokenOptions,
} from './tsp/index.ts';
export { createPathValidationCache, firstDefiniteRevocation, validatePath } from './path/index.ts';
export type {
  PathValidationCache,
  RevocationChecker,
  RevocationPolicy,
  ValidatePathOptions,
  ValidatedPath,
} from './path/index.ts';

// Used by @watashi/ca (Watashi's own CA: CSRs, OCSP answers) and @watashi/signature (CAdES,
// PAdES and the time-stamping authority).
export { bitString, setOf } from './der/writer.ts';
export { readSmallInt } from './der/reader.ts';
export { readSignatureAlgorithm, signatureAlgorithmIdentifier } from './crypto/algorithms.ts';
export { ecdsaRawToDer } from './crypto/provider.ts';
export { certIdIssuerHashes, certIdMatches } from './ocsp/cert-id.ts';
export type { OcspSingleResponseInput } from './ocsp/respond.ts';
export type { RevocationStatus } from './path/revocation.ts';
export { signingCertificateV2Attribute } from './cms/sign.ts';
export { TIMESTAMP_QUERY_CONTENT_TYPE, TIMESTAMP_REPLY_CONTENT_TYPE } from './tsp/request.ts';
export { respondTimeStamp } from './tsp/respond.ts';
export type { TimeStampAuthority } from './tsp/respond.ts';
export { TimeStampStatus } from './tsp/response.ts';
