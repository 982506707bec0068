/**
 * `@watashi/platform` — the identity platform (docs/architecture.md §2), as an application that
 * embeds it uses it: build and run the platform from one configuration, recognise its errors, and
 * check its audit log. The `watashi` command's operator tools are `@watashi/platform/cli`
 * (src/cli.ts); the wallet's wire types are `@watashi/platform/wallet-api`. Everything else —
 * store internals, row types, route registrars, the areas' building blocks — stays inside the
 * package, and the package's own tests import each module directly (docs/conventions.md §2).
 */
export { createPlatform } from './platform.ts';
export type { Platform, PlatformConfigErrorCode, PlatformOverrides } from './platform.ts';
export { parsePlatformConfig, platformConfigSchema } from './config.ts';
export type { PlatformConfig, PlatformConfigInput } from './config.ts';
export { PlatformError, isPlatformError } from './server/index.ts';
export type { PlatformDeps, ServerErrorCode } from './server/index.ts';
export { migrateToLatest, openDatabase, verifyAuditChain } from './store/index.ts';
export type { AuditChainVerification, Database, DatabaseConfig } from './store/index.ts';
// The ports a PlatformOverrides member takes.
export type { KeyStore } from './keys/index.ts';
export type { JpkiBackend } from './jlis/index.ts';
