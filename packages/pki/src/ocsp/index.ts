/** OCSP (RFC 6960): requests, responses (pre-producible), and client-side verification. */
export * from './cert-id.ts';
export type { OcspExtension } from './extensions.ts';
export { MAX_NONCE_LENGTH_ACCEPTED, MAX_NONCE_LENGTH_SENT } from './extensions.ts';
export * from './status.ts';
export * from './request.ts';
