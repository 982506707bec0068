/**
 * JPKI certificate profiles as data (docs/conventions.md §6): one typed, versioned object per profile, listing
 * the extensions in the documented order with their criticality and content rules. The builders
 * (`ca.ts`, and `end-entity.ts` for the signing and authentication certificates, both through
 * `build.ts`) produce certificates from these objects and
 * `assertJpkiProfile` checks certificates against them. Every rule cites docs/jpki.md and
 * carries its confidence marker: [C] confirmed, [S] secondary, [I] inferred, [?] unknown.
 */
import { OID, type KeyUsage } from '@watashi/pki';
import type { JpkiEnvironment, JpkiPurpose } from './names.ts';

/** Confidence of a rule, as marked in docs/jpki.md. */
export type Confidence = 'C' | 'S' | 'I' | '?';

/** Whether a certificate was issued onto a card or a smartphone (docs/jpki.md §2.3). */
export type JpkiVariant = 'card' | 'smartphone';

/** The extensions the JPKI profiles use, by name. */
export type ProfileExtensionName =
  | 'keyUsage'
  | 'subjectAltName'
  | 'issuerAltName'
  | 'basicConstraints'
  | 'certificatePolicies'
  | 'cRLDistributionPoints'
  | 'authorityInfoAccess'
  | 'authorityKeyIdentifier'
  | 'subjectKeyIdentifier';

/** One extension slot of a profile. */
export interface ProfileExtension {
  readonly name: ProfileExtensionName;
  readonly oid: string;
  readonly critical: boolean;
  /** `required`: always present; `option`: a simulator convenience present only when configured. */
  readonly presence: 'required' | 'option';
  /** Confidence of presence, position and content. */
  readonly confidence: Confidence;
  /** Confidence of the criticality flag, when it differs from {@link confidence}. */
  readonly criticalityConfidence?: Confidence;
  /**
   * The strict verifier check accepts either criticality for this slot: the builders follow
   * {@link critical}, but real certificates (and certificates of earlier profile versions) may differ.
   */
  readonly criticalityTolerated?: boolean;
  /** The content rule, in words. */
  readonly content: string;
}

/** One subject attribute (one per RDN, in order). */
export interface SubjectAttributeRule {
  readonly attribute: 'C' | 'O' | 'OU' | 'L' | 'CN';
  readonly encoding: 'printable' | 'utf8';
  readonly content: string;
}

/** Profile identifiers. */
export type JpkiProfileId =
  | 'jpki-ca-sign'
  | 'jpki-ca-auth'
  | 'jpki-sign-card'
  | 'jpki-sign-smartphone'
  | 'jpki-auth-card'
  | 'jpki-auth-smartphone';

/** A JPKI certificate profile. */
export interface CertificateProfile {
  readonly id: JpkiProfileId;
  /** Bumped whenever a rule changes, so issued certificates can be traced to the rules they followed. */
  readonly version: number;
  readonly source: string;
  readonly kind: 'ca' | 'end-entity';
  readonly purpose: JpkiPurpose;
  readonly variant?: JpkiVariant;
  /** sha256WithRSAEncryption with NULL parameters, RSA-2048 e=65537 (§0). */
  readonly signatureAlgorithm: 'RSA-SHA256';
  /** The law's minimum key strength (施行規則 §2, §0). */
  readonly minimumRsaBits: number;
  readonly subject: ReadonlyArray<SubjectAttributeRule>;
  readonly validity: string;
  readonly serial: string;
  readonly keyUsage: ReadonlyArray<KeyUsage>;
  /** Exact DER of the keyUsage extnValue, hex. */
  readonly keyUsageDer: string;
  /** Default policy OID per environment (end-entity profiles only). */
  readonly policy?: Readonly<Record<JpkiEnvironment, string>>;
  readonly extensions: ReadonlyArray<ProfileExtension>;
}

/** JPKI certificate-policy OIDs (docs/jpki.md §1.6). */
export const JPKI_POLICY = {
  /** Production (and simulator) signing, "sign class 20" [S]. */
  sign: OID.jpkiPolicySign,
  /** JPKI-TEST signing: the only difference of a test card besides the root [S]. */
  signTest: OID.jpkiPolicySignTest,
  /** User authentication, "auth class 30" [S]. */
  auth: OID.jpkiPolicyAuth,
  /** Claimed by one third-party summary for smartphone signing certificates [?] (§1.6). Not used by default. */
  signSmartphoneClaimed: '1.2.392.200149.8.5.1.1.40',
} as const;

/**
 * CPS pointers written into the id-qt-cps qualifier of end-entity certificatePolicies. J-LIS's
 * value is not public (docs/jpki.md §7); these are the CA pages J-LIS publishes the CPS on
 * (§2.1: signing CA `ca_rules3.html`, user-auth CA `ca_rules4.html`) [I]. Builders take `cpsUri`.
 */
export const JPKI_CPS_URI: Readonly<Record<JpkiPurpose, string>> = {
  sign: 'https://www.jpki.go.jp/ca/ca_rules3.html',
  auth: 'https://www.jpki.go.jp/ca/ca_rules4.html',
};

/**
 * Simulator marker for smartphone certificates: a second PolicyInformation added to `JPKI-SIM`
 * smartphone certificates. Which field tells real card and smartphone certificates apart is
 * unknown (docs/jpki.md §2.3 [?]; the policy OID is suspected, §1.6 `…1.1.40` [?]), so the
 * simulator keeps the documented policy first (`…1.1.20` / `…3.30` by default, configurable) and
 * marks the variant with this OID under the UUID arc `2.25` (ITU-T X.667), which needs no
 * registration and cannot clash with a J-LIS OID. Production certificates never carry it.
 */
export const SIM_SMARTPHONE_POLICY = '2.25.84538998844260692746088629344134282568';

const CA_EXTENSIONS: ReadonlyArray<ProfileExtension> = [
  {
    name: 'keyUsage',
    oid: OID.keyUsage,
    critical: true,
    presence: 'required',
    confidence: 'C',
    content: 'keyCertSign + cRLSign (03 02 01 06)',
  },
  {
    name: 'subjectAltName',
    oid: OID.subjectAltName,
    critical: false,
    presence: 'required',
    confidence: 'C',
    content:
      'directoryName C=JP, O=公的個人認証サービス, OU=公的個人認証サービス署名用|利用者証明用, OU=地方公共団体情報システム機構 (UTF8String); same strings in the simulator',
  },
  {
    name: 'basicConstraints',
    oid: OID.basicConstraints,
    critical: true,
    presence: 'required',
    confidence: 'C',
    content: 'cA TRUE, no pathLenConstraint',
  },
  {
    name: 'cRLDistributionPoints',
    oid: OID.cRLDistributionPoints,
    critical: false,
    presence: 'required',
    confidence: 'C',
    content:
      "one DistributionPoint whose fullName is a directoryName equal to the CA's own DN (an LDAP-style ARL entry, not a URL)",
  },
  {
    name: 'subjectKeyIdentifier',
    oid: OID.subjectKeyIdentifier,
    critical: false,
    presence: 'required',
    confidence: 'C',
    content: 'SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2 method 1); no authorityKeyIdentifier',
  },
];

function caProfile(purpose: JpkiPurpose): CertificateProfile {
  return {
    id: purpose === 'sign' ? 'jpki-ca-sign' : 'jpki-ca-auth',
    version: 1,
    source: 'docs/jpki.md §1.1 (parsed from the published J-LIS roots) [C]',
    kind: 'ca',
    purpose,
    signatureAlgorithm: 'RSA-SHA256',
    minimumRsaBits: 2048,
    subject: [
      { attribute: 'C', encoding: 'printable', content: 'JP' },
      { attribute: 'O', encoding: 'utf8', content: 'JPKI | JPKI-SIM | JPKI-TEST' },
      {
        attribute: 'OU',
        encoding: 'utf8',
        content: purpose === 'sign' ? 'JPKI for digital signature' : 'JPKI for user authentication',
      },
      { attribute: 'OU', encoding: 'utf8', content: 'Japan Agency for Local Authority Information Systems' },
    ],
    validity: 'UTCTime; 10 years; notAfter = the day before the 10th anniversary (JST) at 14:59:59Z',
    serial: 'small positive integer from the shared sequential serial space (§1.1 [I])',
    keyUsage: ['keyCertSign', 'cRLSign'],
    keyUsageDer: '03020106',
    extensions: CA_EXTENSIONS,
  };
}

const keyUsageEe = (purpose: JpkiPurpose): ProfileExtension => ({
  name: 'keyUsage',
  oid: OID.keyUsage,
  critical: true,
  presence: 'required',
  confidence: 'C',
  content:
    purpose === 'sign'
      ? 'digitalSignature + nonRepudiation (03 02 06 C0) [C: blog22, zkm-circuit]'
      : 'digitalSignature only (03 02 07 80) [C: blog22]',
});

function eeTail(purpose: JpkiPurpose): ProfileExtension[] {
  return [
    {
      name: 'issuerAltName',
      oid: OID.issuerAltName,
      critical: false,
      presence: 'required',
      confidence: 'I',
      content:
        'directoryName: the full 4-RDN Japanese name of the CA subjectAltName (§1.2: begins C=JP, O=公的個人認証サービス [C]; the rest [I])',
    },
    {
      name: 'certificatePolicies',
      oid: OID.certificatePolicies,
      // J-LIS profile spec v3.2 p. 10, as quoted by [zkm-doc] (the spec itself is under NDA, §0):
      // critical, with an id-qt-cps qualifier. docs/jpki.md §1.2 still marks this [?]; one
      // secondary source is all there is, so the verifier tolerates either criticality and
      // qualifiers or none.
      critical: true,
      criticalityTolerated: true,
      presence: 'required',
      confidence: 'S',
      criticalityConfidence: 'S',
      content:
        purpose === 'sign'
          ? 'critical; one policy …8.5.1.1.20 (production, simulator), …8.5.1.0.20 (JPKI-TEST) with one id-qt-cps qualifier (a CPS URI; the value J-LIS writes is unknown, JPKI_CPS_URI is our choice) [S: zkm-doc quoting profile v3.2 p. 10]; verifiers accept non-critical and qualifier-less forms too; simulator smartphone certificates add SIM_SMARTPHONE_POLICY without a qualifier'
          : 'critical; one policy …8.5.1.3.30 (§1.3 [S]) with one id-qt-cps qualifier, as for signing [I: the quoted profile page covers the signing certificate]; verifiers accept non-critical and qualifier-less forms too; simulator smartphone certificates add SIM_SMARTPHONE_POLICY without a qualifier',
    },
    {
      name: 'cRLDistributionPoints',
      oid: OID.cRLDistributionPoints,
      critical: false,
      presence: 'required',
      confidence: 'I',
      content:
        purpose === 'sign'
          ? 'one DistributionPoint, fullName = directoryName C=JP, O=<org>, OU=JPKI for digital signature, OU=CRL Distribution Points, OU=<prefecture>, CN=<municipality> CRLDP (§1.2 [I]); simulator option crlUri appends a URI GeneralName to the same fullName'
          : 'one DistributionPoint, fullName = directoryName C=JP, O=<org>, OU=JPKI for user authentication, OU=CRL Distribution Points[, OU=<prefecture>, CN=<municipality> CRLDP] (§1.3 [I]); simulator option crlUri appends a URI',
    },
    {
      name: 'authorityInfoAccess',
      oid: OID.authorityInfoAccess,
      critical: false,
      presence: 'option',
      confidence: '?',
      content:
        'simulator convenience only (option ocspUrl): one id-ad-ocsp URI. Real certificates show no AIA (§1.2 "No evidence")',
    },
    {
      name: 'authorityKeyIdentifier',
      oid: OID.authorityKeyIdentifier,
      critical: false,
      presence: 'required',
      confidence: '?',
      content: 'keyIdentifier only = the issuing CA\'s subjectKeyIdentifier (§1.2 "probably present" [?])',
    },
    {
      name: 'subjectKeyIdentifier',
      oid: OID.subjectKeyIdentifier,
      critical: false,
      presence: 'required',
      confidence: 'I',
      content: 'SHA-1 of the subjectPublicKey bits, the last extension (§1.2 [I: hitachi])',
    },
  ];
}

function signingProfile(variant: JpkiVariant): CertificateProfile {
  return {
    id: variant === 'card' ? 'jpki-sign-card' : 'jpki-sign-smartphone',
    // 2: certificatePolicies critical with a CPS qualifier.
    version: 2,
    source: 'docs/jpki.md §1.2, §1.4, §1.5, §2.3',
    kind: 'end-entity',
    purpose: 'sign',
    variant,
    signatureAlgorithm: 'RSA-SHA256',
    minimumRsaBits: 2048,
    subject: [
      { attribute: 'C', encoding: 'printable', content: 'JP' },
      { attribute: 'L', encoding: 'utf8', content: 'prefecture, romanized (e.g. Tokyo-to) [S]' },
      { attribute: 'L', encoding: 'utf8', content: 'municipality, romanized (e.g. Kiyose-shi) [S]' },
      {
        attribute: 'CN',
        encoding: 'utf8',
        content: 'YYYYMMDDhhmmss (request time, JST) + 5-digit sequence + 9-character desk code [S]',
      },
    ],
    validity: 'issuance → 5th birthday after issuance at 14:59:59Z, capped by card expiry (§1.5)',
    serial: 'positive, about 4 bytes, sequential (発行番号, §1.2)',
    keyUsage: ['digitalSignature', 'nonRepudiation'],
    keyUsageDer: '030206c0',
    policy: { production: JPKI_POLICY.sign, simulator: JPKI_POLICY.sign, test: JPKI_POLICY.signTest },
    extensions: [
      keyUsageEe('sign'),
      {
        name: 'subjectAltName',
        oid: OID.subjectAltName,
        critical: false,
        presence: 'required',
        confidence: 'C',
        content:
          'six otherNames .1 .4 .3 .5 .2 .6 under 1.2.392.200149.8.5.5, each [0] EXPLICIT UTF8String (§1.4)',
      },
      ...eeTail('sign'),
    ],
  };
}

function authProfile(variant: JpkiVariant): CertificateProfile {
  return {
    id: variant === 'card' ? 'jpki-auth-card' : 'jpki-auth-smartphone',
    // 2: certificatePolicies critical with a CPS qualifier.
    version: 2,
    source: 'docs/jpki.md §1.3, §1.5, §2.3',
    kind: 'end-entity',
    purpose: 'auth',
    variant,
    signatureAlgorithm: 'RSA-SHA256',
    minimumRsaBits: 2048,
    subject: [
      { attribute: 'C', encoding: 'printable', content: 'JP' },
      {
        attribute: 'CN',
        encoding: 'utf8',
        content: 'opaque alphanumeric ID, 20–23 characters; no personal data [C]',
      },
    ],
    validity: 'issuance → 5th birthday after issuance at 14:59:59Z, capped by card expiry (§1.5)',
    serial: 'positive, about 4 bytes, sequential; verifiers identify users by it (§1.3 [S])',
    keyUsage: ['digitalSignature'],
    keyUsageDer: '03020780',
    // The JPKI-TEST user-auth policy is not documented; §1.6 says the signing policy is the only
    // difference of a test card, so the test environment keeps …3.30 [?].
    policy: { production: JPKI_POLICY.auth, simulator: JPKI_POLICY.auth, test: JPKI_POLICY.auth },
    extensions: [keyUsageEe('auth'), ...eeTail('auth')],
  };
}

/** The JPKI profiles, by id. */
export const JPKI_PROFILES: Readonly<Record<JpkiProfileId, CertificateProfile>> = {
  'jpki-ca-sign': caProfile('sign'),
  'jpki-ca-auth': caProfile('auth'),
  'jpki-sign-card': signingProfile('card'),
  'jpki-sign-smartphone': signingProfile('smartphone'),
  'jpki-auth-card': authProfile('card'),
  'jpki-auth-smartphone': authProfile('smartphone'),
};

/** The CA profile of `purpose`. */
export const jpkiCaProfile = (purpose: JpkiPurpose): CertificateProfile =>
  JPKI_PROFILES[purpose === 'sign' ? 'jpki-ca-sign' : 'jpki-ca-auth'];

/** The end-entity profile of `purpose` and `variant`. */
export const jpkiEndEntityProfile = (purpose: JpkiPurpose, variant: JpkiVariant): CertificateProfile =>
  JPKI_PROFILES[`jpki-${purpose}-${variant}`];
