/**
 * The wallet in the browser (issue 17): the PWA of packages/wallet, served from its build, and
 * the JSON types of the APIs it calls (api-types.ts, exported as `@watashi/platform/wallet-api`).
 */
export { registerWalletRoutes, hostedCardsUrl, type WalletDeps } from './routes.ts';
