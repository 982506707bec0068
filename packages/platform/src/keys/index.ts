/** Key stores (the KeyStore port and its local and in-memory implementations). */
export * from './key-store.ts';
export * from './local.ts';
export * from './rotation.ts';
export * from './pkcs11.ts';
