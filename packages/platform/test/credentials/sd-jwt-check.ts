/**
 * An SD-JWT checked by hand with jose (RFC 9901 §7.1): independent of the @sd-jwt library the
 * platform and the wallet use, so the tests do not trust the code they test.
 */
import { createHash } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { expect } from 'vitest';

/** base64url(SHA-256(s)): a disclosure's digest and the key binding's sd_hash. */
export const sha256b64u = (s: string): string => createHash('sha256').update(s).digest('base64url');

/** Parses and verifies an SD-JWT by hand (RFC 9901 §7.1): issuer signature, disclosure digests. */
export async function verifySdJwt(sdjwt: string, jwks: JSONWebKeySet, issuer: string) {
  const parts = sdjwt.split('~');
  const issuerJwt = parts[0]!;
  const kb = parts.at(-1)!;
  const disclosures = parts.slice(1, -1);
  const { payload, protectedHeader } = await jwtVerify(issuerJwt, createLocalJWKSet(jwks), {
    typ: 'dc+sd-jwt',
    algorithms: ['ES256'],
    issuer,
  });
  expect(payload._sd_alg).toBe('sha-256');
  const digests = new Set(payload._sd as string[]);
  const claims: Record<string, unknown> = {};
  for (const d of disclosures) {
    expect(digests.has(sha256b64u(d)), 'every disclosure is digested in _sd').toBe(true);
    const [, name, value] = JSON.parse(Buffer.from(d, 'base64url').toString()) as [string, string, unknown];
    claims[name] = value;
  }
  // Nothing is disclosed in the clear besides the SD-JWT VC's own registered claims.
  const plain = Object.keys(payload).filter(
    (k) => !['_sd', '_sd_alg', 'iss', 'iat', 'exp', 'vct', 'cnf', 'status'].includes(k),
  );
  expect(plain).toEqual([]);
  return { payload, protectedHeader, claims, disclosures, issuerJwt, kb };
}
