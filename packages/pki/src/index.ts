/**
 * `@watashi/pki` — X.509 toolkit (docs/architecture.md §2). Isomorphic: WebCrypto only; Node-specific fast
 * paths live in `@watashi/pki/node`.
 */
export * from './errors.ts';
export * from './der/index.ts';
export * from './crypto/algorithms.ts';
export * from './crypto/provider.ts';
export * from './cert/index.ts';
export * from './crl/index.ts';
export * from './ocsp/index.ts';
export * from './cms/index.ts';
export * from './tsp/index.ts';
export * from './path/index.ts';
