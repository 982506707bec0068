/** Federation (docs/architecture.md §3.3): Watashi's OpenID Provider, its storage adapter and the RP registry. */
export {
  KyselyOidcAdapter,
  kyselyOidcAdapter,
  purgeExpiredOidcModels,
  type OidcAdapterOptions,
} from './adapter.ts';
export { requestedAcrValues, requirementOf, sessionContext } from './assurance.ts';
export {
  ageOn,
  CLAIMS,
  claimsFromBasic4,
  isWatashiClaim,
  SCOPE_CLAIMS,
  type WatashiClaim,
} from './claims.ts';
export { createOidcProvider, issuerOf, OIDC_PREFIX, type OidcSetupErrorCode } from './provider.ts';
export {
  addRelyingParty,
  clientMetadata,
  getRelyingParty,
  listRelyingParties,
  relyingPartyInputSchema,
  removeRelyingParty,
  type AddedRelyingParty,
  type RegistryDeps,
  type RegistryErrorCode,
  type RelyingParty,
  type RelyingPartyInput,
} from './registry.ts';
export { registerOidcRoutes, WALLET_LOGIN_PATH, type MountedOidc } from './routes.ts';
