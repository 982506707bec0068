/**
 * The names of the JPKI hierarchy (docs/jpki.md §1.1, §1.2): the CA distinguished names, the
 * Japanese directoryName carried in the CA subjectAltName and the end-entity issuerAltName, and the
 * per-municipality CRL distribution point names. Byte-exact: `C` is a PrintableString, everything
 * else a UTF8String, one attribute per RDN.
 */
import { bytesEqual, encodeName, nameFrom, type ParsedName } from '@watashi/pki';

/** A JPKI purpose: the signing hierarchy (署名用) or the user-authentication one (利用者証明用). */
export type JpkiPurpose = 'sign' | 'auth';

/**
 * The `O` of a JPKI CA: `JPKI` is the real J-LIS hierarchy, `JPKI-TEST` the J-LIS test-card
 * hierarchy (§5), `JPKI-SIM` our simulator (§6.1).
 */
export type JpkiOrganization = 'JPKI' | 'JPKI-SIM' | 'JPKI-TEST';

/** Where a certificate comes from, by its issuer's `O`. */
export type JpkiEnvironment = 'production' | 'simulator' | 'test';

/** All organizations, with their environment. */
const JPKI_ORGANIZATIONS: Readonly<Record<JpkiOrganization, JpkiEnvironment>> = {
  JPKI: 'production',
  'JPKI-SIM': 'simulator',
  'JPKI-TEST': 'test',
};

/** The environment of an organization. */
export const environmentOf = (o: JpkiOrganization): JpkiEnvironment => JPKI_ORGANIZATIONS[o];

/** The organization used by an environment. */
export function organizationOf(env: JpkiEnvironment): JpkiOrganization {
  return env === 'production' ? 'JPKI' : env === 'simulator' ? 'JPKI-SIM' : 'JPKI-TEST';
}

/** `OU` naming the hierarchy (§1.1). */
const JPKI_CA_OU: Readonly<Record<JpkiPurpose, string>> = {
  sign: 'JPKI for digital signature',
  auth: 'JPKI for user authentication',
};

/** Second `OU` of every CA name (§1.1). */
const JLIS_OU = 'Japan Agency for Local Authority Information Systems';

/** The CA distinguished name `C=JP, O=<org>, OU=JPKI for …, OU=Japan Agency …` (§1.1), as DER. */
export function jpkiCaName(purpose: JpkiPurpose, organization: JpkiOrganization): Uint8Array {
  return encodeName(
    nameFrom([
      ['C', 'JP'],
      ['O', organization],
      ['OU', JPKI_CA_OU[purpose]],
      ['OU', JLIS_OU],
    ]),
  );
}

/** Japanese `OU` of the CA subjectAltName (§1.1). */
const JPKI_CA_JA_OU: Readonly<Record<JpkiPurpose, string>> = {
  sign: '公的個人認証サービス署名用',
  auth: '公的個人認証サービス利用者証明用',
};

/**
 * The Japanese directoryName `C=JP, O=公的個人認証サービス, OU=公的個人認証サービス署名用|利用者証明用,
 * OU=地方公共団体情報システム機構` carried in the CA subjectAltName (§1.1) and, by inference, the
 * end-entity issuerAltName (§1.2 [I]). The simulator uses the same strings: its marker is `O` of
 * the subject, not this name.
 */
export function jpkiCaAltName(purpose: JpkiPurpose): Uint8Array {
  return encodeName(
    nameFrom([
      ['C', 'JP'],
      ['O', '公的個人認証サービス'],
      ['OU', JPKI_CA_JA_OU[purpose]],
      ['OU', '地方公共団体情報システム機構'],
    ]),
  );
}

/**
 * The end-entity CRL distribution point name (§1.2 [I], reconstructed from [forge] and [p8n-mock]):
 * `C=JP, O=<org>, OU=JPKI for …, OU=CRL Distribution Points, OU=<prefecture>, CN=<municipality> CRLDP`.
 * Without a partition (user-authentication certificates carry no locality) the name stops after
 * `OU=CRL Distribution Points` [I].
 */
export function jpkiCrlDistributionPointName(
  purpose: JpkiPurpose,
  organization: JpkiOrganization,
  partition?: { readonly prefecture: string; readonly municipality: string },
): Uint8Array {
  const pairs: [string, string][] = [
    ['C', 'JP'],
    ['O', organization],
    ['OU', JPKI_CA_OU[purpose]],
    ['OU', 'CRL Distribution Points'],
  ];
  if (partition) pairs.push(['OU', partition.prefecture], ['CN', `${partition.municipality} CRLDP`]);
  return encodeName(nameFrom(pairs));
}

/** The JPKI CA a name denotes (byte-exact against {@link jpkiCaName}), or `undefined`. */
export function matchJpkiCaName(
  name: ParsedName | Uint8Array,
): { purpose: JpkiPurpose; organization: JpkiOrganization } | undefined {
  const der = name instanceof Uint8Array ? name : name.der;
  for (const c of (caNames ??= allCaNames()))
    if (bytesEqual(der, c.der)) return { purpose: c.purpose, organization: c.organization };
  return undefined;
}

/** Every JPKI CA name, encoded once: matching runs for every certificate verified (docs/performance.md §3). */
let caNames:
  ReadonlyArray<{ der: Uint8Array; purpose: JpkiPurpose; organization: JpkiOrganization }> | undefined;
function allCaNames(): ReadonlyArray<{
  der: Uint8Array;
  purpose: JpkiPurpose;
  organization: JpkiOrganization;
}> {
  return (Object.keys(JPKI_ORGANIZATIONS) as JpkiOrganization[]).flatMap((organization) =>
    (['sign', 'auth'] as const).map((purpose) => ({
      der: jpkiCaName(purpose, organization),
      purpose,
      organization,
    })),
  );
}
