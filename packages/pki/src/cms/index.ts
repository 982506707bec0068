export {
  signCms,
  prepareCmsSignature,
  attribute,
  signingCertificateV2Attribute,
  type SignCmsOptions,
  type PrepareCmsSignatureOptions,
  type PreparedCmsSignature,
} from './sign.ts';
export { verifyCms, DEFAULT_MAX_CMS_SIZE, type VerifyCmsOptions, type VerifiedCms } from './verify.ts';
