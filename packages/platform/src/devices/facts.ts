/**
 * What a device certificate proves as an authenticator (assurance/evaluate.ts scores it): a
 * software WebCrypto key reaches level 2 at most; a PKCS#11 token with its PIN reaches level 3
 * only when the operator trusts the token model (config `ca.trustedTokenModels`).
 */
import type { AuthenticatorFacts } from '../assurance/evaluate.ts';

/** The assurance facts of a device certificate authenticator (what assurance/evaluate.ts scores). */
export function deviceCertificateFacts(attestationFmt: string | null): AuthenticatorFacts {
  const pkcs11 = attestationFmt === 'watashi-pkcs11' || attestationFmt === 'watashi-pkcs11-trusted';
  return {
    type: 'device_cert',
    synced: false,
    // A PKCS#11 token: the key was generated in the token, unlocked by its PIN (C_Login). Whether
    // the token is tamper-resistant hardware is the operator's call (ca.trustedTokenModels): the
    // CA cannot see the token, so an untrusted model stays below level 3.
    attested: pkcs11,
    attestationTrusted: attestationFmt === 'watashi-pkcs11-trusted',
    userVerified: pkcs11,
    keyProtection: pkcs11 ? 'hardware' : 'software',
    // The browser keeps a WebCrypto key per origin, and the CLI signs a message naming the
    // origin it connected to over TLS: neither signs for a look-alike site.
    phishingResistant: true,
    ...(pkcs11 ? { activation: 'pin' as const } : {}),
  };
}
