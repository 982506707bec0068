/**
 * The wallet pages served by the platform (issue 3): enrolment with a hosted card, passkeys,
 * sign-in and the account page. Browser code lives in `browser/` and is bundled at run time.
 */
export { registerWalletRoutes, hostedCardsUrl, type WalletDeps } from './routes.ts';
export { walletPage, type WalletPageId, type WalletPageOptions } from './pages.ts';
