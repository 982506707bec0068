export * from './crypto.ts';
export * from './crl-file.ts';
