/**
 * `@watashi/signature` — document signatures that stay verifiable (issue 20): CAdES detached and
 * PAdES baseline signatures from B-B to B-LTA, made through a signer port (the My Number card's
 * signing key or a software key), time-stamped by Watashi's TSA or any RFC 3161 TSA, and validated
 * in the shape of ETSI EN 319 102-1 with no network when the evidence is embedded.
 */
export * from './errors.ts';
export * from './signer.ts';
export * from './timestamp.ts';
export * from './evidence.ts';
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
export * from './validate.ts';
export {
  signPdf,
  addDss,
  addDocumentTimeStamp,
  validatePdf,
  type SignPdfOptions,
  type ValidatePdfOptions,
  type PdfValidationReport,
} from './pdf/pades.ts';
