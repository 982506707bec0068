/**
 * `@watashi/signature` — document signatures that stay verifiable (issue 20): CAdES detached and
 * PAdES baseline signatures from B-B to B-LTA, made through a signer port (the My Number card's
 * signing key or a software key), time-stamped by Watashi's TSA or any RFC 3161 TSA, and validated
 * in the shape of ETSI EN 319 102-1 with no network when the evidence is embedded. Named exports
 * only (docs/conventions.md §2): the error helper and the DER-level helpers stay inside.
 */
export type { SignatureErrorCode } from './errors.ts';
export { cardSigner, keySigner, type DocumentSigner } from './signer.ts';
export {
  httpTimeStamper,
  localTimeStamper,
  type HttpTimeStamperOptions,
  type TimeStamper,
} from './timestamp.ts';
export {
  jpkiBackendEvidence,
  ocspHttpEvidence,
  type EvidenceSource,
  type OcspBackend,
  type RevocationEvidence,
} from './evidence.ts';
export {
  signDetached,
  signCades,
  upgradeCades,
  addSignatureTimeStamp,
  addValidationData,
  addArchiveTimeStamp,
  type SignDetachedOptions,
  type SignCadesOptions,
  type UpgradeOptions,
  type BaselineLevel,
} from './cades.ts';
export {
  validateCades,
  type Indication,
  type RevocationReport,
  type SignerIdentity,
  type SubIndication,
  type TimeStampReport,
  type ValidateOptions,
  type ValidationReport,
} from './validate.ts';
export {
  signPdf,
  addDss,
  addDocumentTimeStamp,
  validatePdf,
  type SignPdfOptions,
  type ValidatePdfOptions,
  type PdfValidationReport,
} from './pdf/pades.ts';
