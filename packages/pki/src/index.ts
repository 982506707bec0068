/**
 * `@watashi/pki` — X.509 toolkit (DESIGN.md §2). Isomorphic: WebCrypto only; Node-specific fast
 * paths live in `@watashi/pki/node`.
 */
export * from './errors.ts';
export * from './der/index.ts';
export * from './crypto/algorithms.ts';
export * from './crypto/provider.ts';
export * from './cert/name.ts';
