// Test helper: the published test keys of RFC 9500 (fixtures/rfc9500/, see fixtures/README.md) as
// signers. A test that needs "some RSA key" or "some P-256 key" can take these instead of
// generating one: RSA key generation is the slowest step of many set-ups, and a published key
// makes every signature a test produces reproducible. Never a key for anything but tests
// (RFC 9500 §1: these keys are public).
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Signer } from '../src/index.ts';
import { nodePrivateKey, nodeSigner } from '../src/node/index.ts';

const DIR = new URL('./fixtures/rfc9500/', import.meta.url).pathname;

/** Path of an RFC 9500 key file, for the openssl CLI. */
export const RFC9500_FILES = {
  rsa2048: `${DIR}test-rsa-2048.pem`,
  p256: `${DIR}test-ecc-p256.pem`,
} as const;

/** RFC 9500 §2.1 testRSA2048 (PKCS#1) as a node key. */
export const testRsa2048Key = (): KeyObject => nodePrivateKey(readFileSync(RFC9500_FILES.rsa2048, 'utf8'));
/** RFC 9500 §2.3 testECCP256 (SEC 1) as a node key. */
export const testEccP256Key = (): KeyObject => nodePrivateKey(readFileSync(RFC9500_FILES.p256, 'utf8'));

/** testRSA2048 signing with RSASSA-PKCS1-v1_5 and SHA-256 (deterministic signatures). */
export const testRsa2048Signer = (): Signer => nodeSigner(testRsa2048Key(), 'RSA-SHA256');
/** testECCP256 signing with ECDSA and SHA-256. */
export const testEccP256Signer = (): Signer => nodeSigner(testEccP256Key(), 'ECDSA-SHA256');
