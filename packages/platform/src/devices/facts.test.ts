// The device certificate authenticator kind in the assurance engine: a software key never above
// level 2, a PKCS#11 token with its PIN at level 3 only when the operator trusts its model.
import { describe, expect, it } from 'vitest';
import { evaluateAuthenticator } from '../assurance/evaluate.ts';
import { deviceCertificateFacts } from './facts.ts';

describe('deviceCertificateFacts', () => {
  it('a WebCrypto key in the browser: possession only, software, level 1 alone and never above 2', () => {
    const a = evaluateAuthenticator(deviceCertificateFacts('watashi-webcrypto'));
    expect(a.level).toBe(1);
    expect(a.amr).toEqual(expect.arrayContaining(['pop', 'swk']));
    expect(a.hardwareBound).toBe(false);
  });

  it('a PKCS#11 token with its PIN: two factors; level 2 for an untrusted model, 3 for a trusted one', () => {
    const untrusted = evaluateAuthenticator(deviceCertificateFacts('watashi-pkcs11'));
    expect(untrusted.level).toBe(2);
    expect(untrusted.reasons.map((r) => r.code)).toContain('cap_hardware_unverified');
    const trusted = evaluateAuthenticator(deviceCertificateFacts('watashi-pkcs11-trusted'));
    expect(trusted.level).toBe(3);
    expect(trusted.amr).toEqual(expect.arrayContaining(['pop', 'hwk', 'pin']));
  });
});
