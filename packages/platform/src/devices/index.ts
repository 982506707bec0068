/** Watashi as a trust service: the CA, device certificates and their lifecycle (docs/trust-service.md). */
export * from './errors.ts';
export * from './ca.ts';
export * from './facts.ts';
export * from './service.ts';
export * from './routes.ts';
