/** The JPKI trust store: real J-LIS roots, simulator roots and test roots, never mixed (docs/jpki.md §2.1, §6.1). */
export * from './jlis-roots.ts';
export {
  JpkiTrustStore,
  type JpkiProductionTrustOptions,
  type JpkiTrustAnchor,
  type JpkiTrustAnchorDescription,
  type JpkiTrustMode,
  type JpkiTrustStoreOptions,
  type RootPins,
} from './store.ts';
export {
  verifyJpkiCertificate,
  type VerifiedJpkiCertificate,
  type VerifyJpkiCertificateOptions,
} from './verify-certificate.ts';
