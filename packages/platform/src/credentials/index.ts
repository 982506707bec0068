/** Verifiable credentials: the SD-JWT VC issuer, its status list and the counter's verifier (docs/credentials.md). */
export * from './errors.ts';
export * from './issuer.ts';
export * from './verifier.ts';
export { registerCredentialRoutes, PRE_AUTHORIZED_GRANT } from './routes.ts';
