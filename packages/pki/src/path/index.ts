export {
  validatePath,
  createPathValidationCache,
  DEFAULT_MAX_PATH_DEPTH,
  type ValidatePathOptions,
  type ValidatedPath,
  type PathValidationCache,
} from './validate.ts';
export {
  firstDefiniteRevocation,
  type RevocationChecker,
  type RevocationPolicy,
  type RevocationStatus,
  type PathRevocationResult,
} from './revocation.ts';
