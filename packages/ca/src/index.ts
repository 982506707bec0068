/** @watashi/ca: Watashi's own CA for residents' device certificates (docs/trust-service.md). */
export * from './profiles.ts';
export * from './csr.ts';
export * from './signer.ts';
export * from './ca.ts';
