/**
 * Watashi's certificate profiles as data (docs/trust-service.md §2), in the style of the JPKI
 * profiles of @watashi/jpki: one typed, versioned object per profile listing the extensions in
 * the order they are written, with their criticality and content rules. `issueCertificate`
 * builds from these objects and nothing else decides a certificate's shape.
 *
 * Both resident profiles reference their JPKI anchor only through the platform's records (the
 * `device_certificates` row names the anchor); no certificate carries the My Number or any JPKI
 * serial. The subject is a pseudonymous serial name (`CN=<random hex>`), so the authentication
 * certificate tells a relying party nothing about the person; the signing certificate adds the
 * verified basic 4 information in subjectAltName, exactly as the JPKI signing certificate does
 * (docs/jpki.md §1.4), for documents whose recipient needs the signer's identity.
 */
import type { KeyUsage } from '@watashi/pki';

/** Profile identifiers. */
export type WatashiProfileId =
  'watashi-root' | 'watashi-issuing' | 'watashi-device-sign' | 'watashi-device-auth';

/** Resident (end-entity) profiles. */
export type ResidentProfileId = 'watashi-device-sign' | 'watashi-device-auth';

/**
 * Watashi's policy OIDs. The arc is a placeholder under the example arc of RFC 7229 (1.3.6.1.5.5.7.13)
 * until the project registers its own Private Enterprise Number; documented in docs/trust-service.md.
 */
const WATASHI_POLICY = {
  sign: '1.3.6.1.5.5.7.13.1.1',
  auth: '1.3.6.1.5.5.7.13.1.2',
} as const;

/** id-kp-clientAuth (RFC 5280 §4.2.1.12). */
const KP_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** id-kp-emailProtection (RFC 5280 §4.2.1.12): S/MIME and CMS document signatures. */
const KP_EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';

/** One Watashi profile. */
export interface WatashiProfile {
  readonly id: WatashiProfileId;
  /** Bumped whenever a rule changes; recorded with every issued certificate. */
  readonly version: number;
  readonly kind: 'root' | 'issuing' | 'end-entity';
  /** What the subject holds. */
  readonly subject: string;
  /** Validity in days (end-entity: counted from issuance). */
  readonly validityDays: number;
  readonly keyUsage: ReadonlyArray<KeyUsage>;
  /** Extended key usages (end-entity only), RFC 5280 §4.2.1.12. */
  readonly extKeyUsage: ReadonlyArray<string>;
  /** basicConstraints: CA flag and path length. */
  readonly basicConstraints: { readonly ca: boolean; readonly pathLen?: number };
  /** Policy OIDs written in certificatePolicies. */
  readonly policies: ReadonlyArray<string>;
  /** Whether subjectAltName carries the verified basic 4 information (JPKI otherName form). */
  readonly basic4: boolean;
  /** Extension order, by name (RFC 5280 §4.2 names). */
  readonly extensions: ReadonlyArray<
    | 'basicConstraints'
    | 'keyUsage'
    | 'extKeyUsage'
    | 'subjectAltName'
    | 'certificatePolicies'
    | 'cRLDistributionPoints'
    | 'authorityInfoAccess'
    | 'subjectKeyIdentifier'
    | 'authorityKeyIdentifier'
  >;
}

/** The self-signed root: keyCertSign and cRLSign only, path length 1 (one issuing CA below). */
export const ROOT_PROFILE: WatashiProfile = {
  id: 'watashi-root',
  version: 1,
  kind: 'root',
  subject: 'C=JP, O=Watashi, OU=<deployment>, CN=Watashi Root CA',
  validityDays: 20 * 365,
  keyUsage: ['keyCertSign', 'cRLSign'],
  extKeyUsage: [],
  basicConstraints: { ca: true, pathLen: 1 },
  policies: [],
  basic4: false,
  extensions: ['basicConstraints', 'keyUsage', 'subjectKeyIdentifier'],
};

/**
 * The issuing CA for residents: signs their certificates, CRLs and OCSP responses (RFC 6960
 * §4.2.2.2 case 1: the CA itself answers, so no delegated responder certificate is needed).
 */
export const ISSUING_PROFILE: WatashiProfile = {
  id: 'watashi-issuing',
  version: 1,
  kind: 'issuing',
  subject: 'C=JP, O=Watashi, OU=<deployment>, CN=Watashi Resident CA',
  validityDays: 10 * 365,
  keyUsage: ['digitalSignature', 'keyCertSign', 'cRLSign'],
  extKeyUsage: [],
  basicConstraints: { ca: true, pathLen: 0 },
  policies: [WATASHI_POLICY.sign, WATASHI_POLICY.auth],
  basic4: false,
  extensions: [
    'basicConstraints',
    'keyUsage',
    'certificatePolicies',
    'cRLDistributionPoints',
    'authorityInfoAccess',
    'subjectKeyIdentifier',
    'authorityKeyIdentifier',
  ],
};

const END_ENTITY_EXTENSIONS: WatashiProfile['extensions'] = [
  'basicConstraints',
  'keyUsage',
  'extKeyUsage',
  'subjectAltName',
  'certificatePolicies',
  'cRLDistributionPoints',
  'authorityInfoAccess',
  'subjectKeyIdentifier',
  'authorityKeyIdentifier',
];

/**
 * Signing certificate (署名用): nonRepudiation (contentCommitment) and digitalSignature like the
 * JPKI signing certificate (docs/jpki.md §1.2), with the verified basic 4 information.
 */
export const DEVICE_SIGN_PROFILE: WatashiProfile = {
  id: 'watashi-device-sign',
  version: 1,
  kind: 'end-entity',
  subject:
    'C=JP, O=Watashi, CN=<128-bit random hex>; subjectAltName: basic 4 information (JPKI otherName OIDs)',
  validityDays: 365,
  keyUsage: ['digitalSignature', 'nonRepudiation'],
  extKeyUsage: [KP_EMAIL_PROTECTION],
  basicConstraints: { ca: false },
  policies: [WATASHI_POLICY.sign],
  basic4: true,
  extensions: END_ENTITY_EXTENSIONS,
};

/** Authentication certificate (利用者証明用): digitalSignature only, no personal information at all. */
export const DEVICE_AUTH_PROFILE: WatashiProfile = {
  id: 'watashi-device-auth',
  version: 1,
  kind: 'end-entity',
  subject: 'C=JP, O=Watashi, CN=<128-bit random hex>; no subjectAltName',
  validityDays: 365,
  keyUsage: ['digitalSignature'],
  extKeyUsage: [KP_CLIENT_AUTH],
  basicConstraints: { ca: false },
  policies: [WATASHI_POLICY.auth],
  basic4: false,
  extensions: END_ENTITY_EXTENSIONS.filter((e) => e !== 'subjectAltName'),
};

/** Every profile by id. */
export const PROFILES: Readonly<Record<WatashiProfileId, WatashiProfile>> = {
  'watashi-root': ROOT_PROFILE,
  'watashi-issuing': ISSUING_PROFILE,
  'watashi-device-sign': DEVICE_SIGN_PROFILE,
  'watashi-device-auth': DEVICE_AUTH_PROFILE,
};
