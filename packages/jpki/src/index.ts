/**
 * `@watashi/jpki` — the JPKI domain (docs/architecture.md §2). Isomorphic: runs in Node and the browser
 * (WebCrypto, no `node:` imports); `@watashi/jpki/pcsc` and `@watashi/jpki/vpcd` are Node-only.
 */
export * from './errors.ts';
export * from './card/index.ts';
export * from './profile/index.ts';
export * from './basic4/index.ts';
export * from './trust/index.ts';
