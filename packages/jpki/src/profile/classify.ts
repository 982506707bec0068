/**
 * Recognising JPKI certificates (docs/jpki.md §1, §6.5): which hierarchy issued them (by the
 * byte-exact issuer DN, whose `O` gives the environment), which purpose and variant, and whether
 * they follow the profile — KU critical with the exact bits, the policy, the basic 4 information.
 * Neither function checks signatures or validity: that is path validation against the anchors of a
 * `JpkiTrustStore`.
 */
import { bytesEqual, isWatashiError, OID, parseSpki, toHex, type Certificate } from '@watashi/pki';
import { readBasic4 } from '../basic4/san.ts';
import { BASIC4_SAN_ORDER } from '../basic4/san.ts';
import { jpkiError } from '../errors.ts';
import {
  environmentOf,
  matchJpkiCaName,
  type JpkiEnvironment,
  type JpkiOrganization,
  type JpkiPurpose,
} from './names.ts';
import {
  jpkiCaProfile,
  jpkiEndEntityProfile,
  JPKI_POLICY,
  SIM_SMARTPHONE_POLICY,
  type CertificateProfile,
  type JpkiVariant,
} from './profiles.ts';

/** What a JPKI certificate is. */
export type JpkiClassification =
  | {
      readonly kind: 'end-entity';
      readonly purpose: JpkiPurpose;
      readonly variant: JpkiVariant;
      readonly environment: JpkiEnvironment;
      readonly organization: JpkiOrganization;
      readonly profile: CertificateProfile;
    }
  | {
      readonly kind: 'ca';
      readonly purpose: JpkiPurpose;
      /** CAs serve cards and smartphones alike (§2.3 [I]). */
      readonly variant?: undefined;
      readonly environment: JpkiEnvironment;
      readonly organization: JpkiOrganization;
      readonly profile: CertificateProfile;
    };

/** Options of {@link classifyJpkiCertificate} and {@link assertJpkiProfile}. */
export interface JpkiClassifyOptions {
  /**
   * Policy OIDs that mark a smartphone certificate. Which field really does is unknown (§2.3 [?]);
   * none by default. Simulator certificates are recognised by {@link SIM_SMARTPHONE_POLICY}.
   */
  readonly smartphonePolicies?: ReadonlyArray<string>;
}

const mismatch = (check: string, message: string, extra: Record<string, unknown> = {}): never => {
  throw jpkiError('jpki_profile_mismatch', `JPKI profile mismatch: ${message}`, {
    detail: { check, ...extra },
  });
};

const OTHER_PURPOSE_POLICIES: Readonly<Record<JpkiPurpose, ReadonlyArray<string>>> = {
  sign: [JPKI_POLICY.auth],
  auth: [JPKI_POLICY.sign, JPKI_POLICY.signTest],
};

const EXPECTED_KU: Readonly<Record<JpkiPurpose, string>> = {
  sign: 'digitalSignature,nonRepudiation',
  auth: 'digitalSignature',
};

/**
 * Classifies a certificate by its issuer DN (`O=JPKI|JPKI-SIM|JPKI-TEST`, §1.1, §5, §6.1), its
 * policies and its keyUsage. Lenient: it rejects only what contradicts the issuer —
 * `not_jpki_certificate` (`detail.check = 'issuer'`) when the issuer is not a JPKI CA name, and
 * `jpki_profile_mismatch` when keyUsage or policies belong to the other purpose.
 */
export function classifyJpkiCertificate(
  cert: Certificate,
  options: JpkiClassifyOptions = {},
): JpkiClassification {
  const issuer = matchJpkiCaName(cert.issuer);
  if (!issuer)
    throw jpkiError('not_jpki_certificate', 'the issuer is not a JPKI CA', { detail: { check: 'issuer' } });
  const { purpose, organization } = issuer;
  const environment = environmentOf(organization);
  if (bytesEqual(cert.subject.der, cert.issuer.der) && cert.basicConstraints?.ca === true)
    return { kind: 'ca', purpose, environment, organization, profile: jpkiCaProfile(purpose) };
  if (cert.keyUsage) {
    const got = [...cert.keyUsage.usages].sort().join(',');
    if (got !== EXPECTED_KU[purpose])
      mismatch('keyUsage', `keyUsage ${got} does not fit a ${purpose} certificate`, { keyUsage: got });
  }
  const policies = cert.policies ?? [];
  if (policies.some((p) => OTHER_PURPOSE_POLICIES[purpose].includes(p)))
    mismatch('policy', `policy of the other purpose in a ${purpose} certificate`, {
      policies: [...policies],
    });
  const smartphone =
    (environment !== 'production' && policies.includes(SIM_SMARTPHONE_POLICY)) ||
    policies.some((p) => options.smartphonePolicies?.includes(p) === true);
  const variant: JpkiVariant = smartphone ? 'smartphone' : 'card';
  return {
    kind: 'end-entity',
    purpose,
    variant,
    environment,
    organization,
    profile: jpkiEndEntityProfile(purpose, variant),
  };
}

/** Options of {@link assertJpkiProfile}. */
export interface JpkiAssertOptions extends JpkiClassifyOptions {
  /** Accepted policy OIDs (default: the profile's policy for the certificate's environment). */
  readonly policies?: ReadonlyArray<string>;
  /**
   * Also require every required profile extension, in profile order, with the profile's criticality.
   * Right for certificates we issue; too strict for real ones, whose full extension list is [I]/[?] (§7).
   */
  readonly strict?: boolean;
}

function checkSubject(cert: Certificate, purpose: JpkiPurpose): void {
  const rdns = cert.subject.rdns;
  const shape =
    purpose === 'sign'
      ? [OID.countryName, OID.localityName, OID.localityName, OID.commonName]
      : [OID.countryName, OID.commonName];
  const ok =
    rdns.length === shape.length &&
    rdns.every((rdn, i) => rdn.length === 1 && rdn[0]!.type === shape[i]) &&
    rdns[0]![0]!.value === 'JP' &&
    rdns[0]![0]!.tag === 0x13 &&
    rdns.slice(1).every((rdn) => rdn[0]!.tag === 0x0c);
  if (!ok)
    mismatch('subject', purpose === 'sign' ? 'subject must be C=JP, L, L, CN' : 'subject must be C=JP, CN', {
      rdns: rdns.length,
    });
}

/**
 * Asserts that `cert` is a JPKI end-entity certificate of `purpose` following its profile
 * (docs/jpki.md §6.5 order of checks, after the chain): v3; sha256WithRSAEncryption; an RSA
 * key of at least 2048 bits with e = 65537 (`detail.check = 'key'`, §0); keyUsage
 * present, **critical**, with the exact DER (`03 02 06 C0` / `03 02 07 80`); the policy; no CA
 * basicConstraints; the subject shape; for signing, exactly the six basic-4 otherNames in the order
 * .1 .4 .3 .5 .2 .6 with valid values; for user authentication, no subjectAltName; no unknown
 * critical extension. Errors: `not_jpki_certificate` (issuer), `jpki_profile_mismatch` with
 * `detail.check` naming the failed rule. Returns the classification.
 */
export function assertJpkiProfile(
  cert: Certificate,
  purpose: JpkiPurpose,
  options: JpkiAssertOptions = {},
): JpkiClassification & { kind: 'end-entity' } {
  const c = classifyJpkiCertificate(cert, options);
  if (c.kind !== 'end-entity') return mismatch('kind', 'a CA certificate, not an end-entity one');
  if (c.purpose !== purpose) return mismatch('purpose', `issued by the ${c.purpose} CA, expected ${purpose}`);
  const profile = c.profile;
  if (cert.version !== 3) mismatch('version', 'not a v3 certificate');
  if (cert.signatureAlgorithm !== profile.signatureAlgorithm)
    mismatch('signatureAlgorithm', `signed with ${cert.signatureAlgorithm}`);
  // §0 and 施行規則 §2: every JPKI key is RSA-2048 or more with e = 65537. A chain to the right CA
  // proves nothing about the key's strength (a CA compromised or misused once could certify a weak
  // key), so a weak key is refused here, before any J-LIS query.
  let key: ReturnType<typeof parseSpki> | undefined;
  try {
    key = parseSpki(cert.spki);
  } catch (e) {
    if (!isWatashiError(e)) throw e;
  }
  if (key?.keyType !== 'rsa' || (key.rsaBits ?? 0) < profile.minimumRsaBits || key.rsaExponent !== 65537n)
    mismatch('key', `the key must be RSA ≥ ${String(profile.minimumRsaBits)} bits with e = 65537`, {
      keyType: key?.keyType ?? 'unknown',
      ...(key?.rsaBits === undefined ? {} : { rsaBits: key.rsaBits }),
      ...(key?.rsaExponent === undefined ? {} : { rsaExponent: key.rsaExponent.toString() }),
    });
  const ku = cert.extensions.find((e) => e.oid === OID.keyUsage);
  if (!ku) mismatch('keyUsage', 'keyUsage is missing');
  else {
    if (!ku.critical) mismatch('keyUsage', 'keyUsage is not critical');
    if (toHex(ku.value) !== profile.keyUsageDer)
      mismatch('keyUsage', `keyUsage is ${toHex(ku.value)}, expected ${profile.keyUsageDer}`);
  }
  const accepted = options.policies ?? (profile.policy ? [profile.policy[c.environment]] : []);
  if (!(cert.policies ?? []).some((p) => accepted.includes(p)))
    mismatch('policy', `none of the policies ${accepted.join(', ')}`, {
      policies: [...(cert.policies ?? [])],
    });
  if (cert.basicConstraints?.ca === true)
    mismatch('basicConstraints', 'an end-entity certificate with cA TRUE');
  if (cert.unknownCriticalExtensions.length > 0)
    mismatch('criticalExtension', 'unknown critical extension', {
      oids: [...cert.unknownCriticalExtensions],
    });
  checkSubject(cert, purpose);
  if (purpose === 'sign') {
    const san = cert.subjectAltName ?? [];
    const order = san.map((g) => (g.type === 'otherName' ? g.oid : g.type));
    if (order.join() !== BASIC4_SAN_ORDER.map((s) => s.oid).join())
      mismatch(
        'subjectAltName',
        'subjectAltName must be the six basic-4 otherNames in order .1 .4 .3 .5 .2 .6',
        {
          count: san.length,
        },
      );
    try {
      readBasic4(cert);
    } catch (e) {
      if (!isWatashiError(e)) throw e;
      throw jpkiError('jpki_profile_mismatch', 'JPKI profile mismatch: malformed basic 4 information', {
        cause: e,
        detail: { check: 'basic4', ...(e.detail ?? {}) },
      });
    }
  } else if (cert.subjectAltName)
    mismatch('subjectAltName', 'a user-authentication certificate carries no subjectAltName');
  if (options.strict === true) checkExtensionList(cert, profile);
  return c;
}

/**
 * Every required profile extension present, in profile order, with the profile's criticality
 * (either flag where the slot tolerates both); nothing else.
 */
function checkExtensionList(cert: Certificate, profile: CertificateProfile): void {
  const slots = profile.extensions;
  let i = 0;
  for (const e of cert.extensions) {
    while (i < slots.length && slots[i]!.oid !== e.oid && slots[i]!.presence === 'option') i++;
    const slot = slots[i];
    if (slot?.oid !== e.oid)
      mismatch('extensions', `unexpected or misplaced extension ${e.oid}`, { oid: e.oid });
    else if (slot.critical !== e.critical && slot.criticalityTolerated !== true)
      mismatch('extensions', `wrong criticality of ${slot.name}`, { oid: e.oid });
    i++;
  }
  for (; i < slots.length; i++)
    if (slots[i]!.presence === 'required')
      mismatch('extensions', `missing ${slots[i]!.name}`, { oid: slots[i]!.oid });
}
