/**
 * `@watashi/jpki` — the JPKI domain (docs/architecture.md §2). Isomorphic: runs in Node and the browser
 * (WebCrypto, no `node:` imports); `@watashi/jpki/pcsc` and `@watashi/jpki/vpcd` are Node-only.
 *
 * Named exports only: what a user of the package needs; internals stay unexported
 * (docs/conventions.md §2).
 */
export { jpkiError } from './errors.ts';
export type { JpkiErrorCode } from './errors.ts';
export {
  JPKI_AID,
  JpkiCardClient,
  JpkiEf,
  PIN_MAX_TRIES,
  VirtualJpkiCard,
  decodeCommandApdu,
  decodeResponseApdu,
  deviceKindOfToken,
  encodeCommandApdu,
  encodeResponseApdu,
  generateCardKeyPair,
  isWellFormedPin,
  normalizePin,
} from './card/index.ts';
export type {
  CardTransport,
  CommandApdu,
  JpkiCardClientOptions,
  JpkiCertificateKind,
  JpkiDeviceKind,
  PinKind,
  ResettableCard,
  ResponseApdu,
  VirtualJpkiCardOptions,
  VirtualJpkiCardState,
} from './card/index.ts';
export {
  assertJpkiProfile,
  birthdayIn,
  buildJpkiAuthCertificate,
  buildJpkiCaCertificate,
  buildJpkiSigningCertificate,
  classifyJpkiCertificate,
  endOfJstDay,
  jpkiCaName,
  jpkiValidity,
  jstDate,
  matchJpkiCaName,
} from './profile/index.ts';
export type {
  JpkiAssertOptions,
  JpkiAuthCertificateOptions,
  JpkiCaCertificateOptions,
  JpkiClassification,
  JpkiClassifyOptions,
  JpkiOrganization,
  JpkiPurpose,
  JpkiSigningCertificateOptions,
  JpkiValidityInput,
  JpkiVariant,
} from './profile/index.ts';
export {
  PREFECTURES,
  basic4From,
  basic4FromStrings,
  encodeBasic4San,
  eraByDigit,
  parseDateOfBirth,
  readBasic4,
  substitute,
} from './basic4/index.ts';
export type { Basic4, Basic4Input, Basic4Strings, DateOfBirth, Era, EraDigit, Sex } from './basic4/index.ts';
export { JLIS_ROOTS, JLIS_ROOT_PINS, JpkiTrustStore, verifyJpkiCertificate } from './trust/index.ts';
export type {
  JlisRoot,
  JlisRootPin,
  JpkiProductionTrustOptions,
  JpkiTrustAnchor,
  JpkiTrustAnchorDescription,
  JpkiTrustMode,
  JpkiTrustStoreOptions,
  VerifiedJpkiCertificate,
  VerifyJpkiCertificateOptions,
} from './trust/index.ts';
