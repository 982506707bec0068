/** Authentication (docs/architecture.md §3.2): passkeys and the card's user-authentication certificate. */
export { registerAuthnRoutes } from './routes.ts';
export { AUTHN_ERRORS, authnError, type AuthnErrorCode } from './errors.ts';
export {
  CHALLENGE_TTL_SECONDS,
  consumeChallenge,
  issueChallenge,
  type ChallengePurpose,
} from './challenges.ts';
export {
  authenticatorFacts,
  authenticatorView,
  passkeyAuthenticationOptions,
  passkeyRegistrationOptions,
  registerPasskey,
  relyingParty,
  verifyPasskeyLogin,
  type AuthenticatorView,
  type PasskeyLogin,
} from './passkeys.ts';
export {
  bindCard,
  cardChallenge,
  cardChallengeMessage,
  verifyCardLogin,
  type CardChallenge,
  type CardLogin,
  type CardProof,
  type CardPurpose,
} from './card.ts';
export { listAuthenticators, renameAuthenticator, revokeAuthenticator } from './manage.ts';
export { accountProofingFacts, loginContext, startLoginSession } from './context.ts';
export { stepUpView, type StepUpView, type StepUpWay } from './step-up.ts';
