/**
 * JPKI end-entity certificates: signing (署名用, docs/jpki.md §1.2) and user authentication
 * (利用者証明用, §1.3), for cards and smartphones (§2.3).
 */
import {
  bytesEqual,
  encodeName,
  ext,
  keyIdentifierOf,
  nameFrom,
  type GeneralName,
  type Signer,
} from '@watashi/pki';
import type { Basic4 } from '../basic4/basic4.ts';
import { assertBasic4, encodeBasic4San } from '../basic4/san.ts';
import { buildFromProfile, type ProfileExtensionValues } from './build.ts';
import {
  environmentOf,
  jpkiCaAltName,
  jpkiCaName,
  jpkiCrlDistributionPointName,
  type JpkiOrganization,
  type JpkiPurpose,
} from './names.ts';
import { JPKI_CPS_URI, jpkiEndEntityProfile, SIM_SMARTPHONE_POLICY, type JpkiVariant } from './profiles.ts';
import { jstDate } from './validity.ts';

/** The issuing CA of an end-entity certificate. */
export interface JpkiIssuer<P extends JpkiPurpose = JpkiPurpose> {
  readonly organization: JpkiOrganization;
  readonly purpose: P;
  /** The CA certificate's SPKI (must be the signer's key). */
  readonly spki: Uint8Array;
}

/** Options shared by both end-entity builders. */
export interface JpkiEndEntityCommon {
  /** The CA key (RSA-SHA256). */
  readonly signer: Signer;
  /** 発行番号: positive, ≤ 2³²−1, sequential. */
  readonly serial: bigint;
  readonly notBefore: Date;
  /** 14:59:59Z; see `jpkiValidity`. */
  readonly notAfter: Date;
  /** The holder's public key (RSA ≥ 2048). */
  readonly spki: Uint8Array;
  readonly variant: JpkiVariant;
  /** Policy OID; defaults to the profile's policy for the issuer's environment. */
  readonly policy?: string;
  /**
   * CPS pointer of the id-qt-cps qualifier on the JPKI policy (default {@link JPKI_CPS_URI} of the
   * purpose); `false` leaves the qualifier out (the shape of profile version 1).
   */
  readonly cpsUri?: string | false;
  /** Simulator convenience: a URI appended to the CRL distribution point's fullName, after the directoryName. */
  readonly crlUri?: string;
  /** Simulator convenience: an authorityInfoAccess OCSP URL (real certificates carry no AIA, §1.2). */
  readonly ocspUrl?: string;
  /** WebCrypto for key identifiers (default `globalThis.crypto`). */
  readonly crypto?: Crypto;
}

/** Inputs of {@link buildJpkiSigningCertificate}. */
export interface JpkiSigningCertificateOptions extends JpkiEndEntityCommon {
  readonly issuer: JpkiIssuer<'sign'>;
  readonly subject: {
    /** Romanized prefecture, e.g. `Tokyo-to` (also the CRL partition `OU`). */
    readonly prefecture: string;
    /** Romanized municipality, e.g. `Kiyose-shi` (also the CRL partition `CN`). */
    readonly municipality: string;
    /** `YYYYMMDDhhmmss` + 5 digits + 9-character desk code; derived from notBefore and serial when omitted. */
    readonly cn?: string;
  };
  readonly basic4: Basic4;
}

/** Inputs of {@link buildJpkiAuthCertificate}. */
export interface JpkiAuthCertificateOptions extends JpkiEndEntityCommon {
  readonly issuer: JpkiIssuer<'auth'>;
  /** Opaque 20–23 character alphanumeric ID; derived from the key when omitted. */
  readonly cn?: string;
  /** CRL partition (romanized prefecture / municipality); unpartitioned when omitted (§1.3 [I]). */
  readonly crlPartition?: { readonly prefecture: string; readonly municipality: string };
}

/** Desk code used in derived signing CNs: marks a simulator-made CN (no municipal desk took an application). */
const SIM_DESK_CODE = 'SIM000000';

const SIGN_CN = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\d{5}[0-9A-Z]{9}$/;
const AUTH_CN = /^[0-9A-Z]{20,23}$/;
const ROMANIZED = /^[A-Za-z][A-Za-z0-9 .'-]{0,63}$/;

/** Checks a signing CN (§1.2 [S]): a real request time, 5-digit sequence, 9-character desk code. */
function isSigningCn(cn: string): boolean {
  const m = SIGN_CN.exec(cn);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
}

/** Checks a user-authentication CN (§1.3 [C]): 20–23 upper-case alphanumerics. */
const isAuthCn = (cn: string): boolean => AUTH_CN.test(cn);

function signingCnFor(notBefore: Date, serial: bigint): string {
  const [y, m, d] = jstDate(notBefore);
  const j = new Date(notBefore.getTime() + 9 * 3600_000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const time = `${p(y, 4)}${p(m)}${p(d)}${p(j.getUTCHours())}${p(j.getUTCMinutes())}${p(j.getUTCSeconds())}`;
  return `${time}${p(Number(serial % 100000n), 5)}${SIM_DESK_CODE}`;
}

async function authCnFor(spki: Uint8Array, c: Crypto): Promise<string> {
  const h = new Uint8Array(await c.subtle.digest('SHA-256', spki.slice()));
  return Array.from(h, (b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase()
    .slice(0, 23);
}

function checkIssuer(issuer: JpkiIssuer, signer: Signer, purpose: JpkiPurpose): void {
  if (issuer.purpose !== purpose) throw new RangeError(`issuer purpose must be ${purpose}`);
  if (!bytesEqual(issuer.spki, signer.spki)) throw new RangeError("the signer's key is not the issuer's key");
}

/** The extensions after keyUsage/subjectAltName, common to both end-entity profiles. */
async function commonExtensions(
  o: JpkiEndEntityCommon & { readonly issuer: JpkiIssuer },
  partition: { readonly prefecture: string; readonly municipality: string } | undefined,
): Promise<ProfileExtensionValues> {
  const c = o.crypto ?? globalThis.crypto;
  const { purpose, organization } = o.issuer;
  const env = environmentOf(organization);
  const profile = jpkiEndEntityProfile(purpose, o.variant);
  const policy = o.policy ?? profile.policy?.[env];
  if (policy === undefined || !/^\d+(\.\d+)+$/.test(policy)) throw new RangeError('invalid policy OID');
  // docs/jpki.md §2.3 [?]: the simulator marks smartphone certificates with a second policy.
  // J-LIS profile v3.2 p. 10 [S, via zkm-doc]: the policy carries a CPS qualifier.
  const cps = o.cpsUri === false ? [] : [checkUri(o.cpsUri ?? JPKI_CPS_URI[purpose])];
  const policies = [
    { oid: policy, cpsUris: cps },
    ...(o.variant === 'smartphone' && env !== 'production' ? [SIM_SMARTPHONE_POLICY] : []),
  ];
  const dp: GeneralName[] = [
    { type: 'directoryName', name: jpkiCrlDistributionPointName(purpose, organization, partition) },
  ];
  if (o.crlUri !== undefined) dp.push({ type: 'uri', value: checkUri(o.crlUri) });
  return {
    issuerAltName: ext.issuerAltName([{ type: 'directoryName', name: jpkiCaAltName(purpose) }]),
    certificatePolicies: ext.certificatePolicies(policies),
    cRLDistributionPoints: ext.crlDistributionPoints([dp]),
    ...(o.ocspUrl === undefined
      ? {}
      : { authorityInfoAccess: ext.authorityInfoAccess([checkUri(o.ocspUrl)]) }),
    authorityKeyIdentifier: ext.authorityKeyIdentifier(await keyIdentifierOf(o.issuer.spki, c)),
    subjectKeyIdentifier: ext.subjectKeyIdentifier(await keyIdentifierOf(o.spki, c)),
  };
}

function checkUri(u: string): string {
  // IA5String content: ASCII only, an absolute http(s) URL (RFC 5280 §4.2.1.13 / §4.2.2.1).
  if (!/^https?:\/\/[\x21-\x7e]+$/.test(u)) throw new RangeError(`not an ASCII http(s) URL: ${u}`);
  return u;
}

function checkPlace(p: { readonly prefecture: string; readonly municipality: string }): void {
  if (!ROMANIZED.test(p.prefecture)) throw new RangeError('prefecture must be romanized (e.g. Tokyo-to)');
  if (!ROMANIZED.test(p.municipality))
    throw new RangeError('municipality must be romanized (e.g. Kiyose-shi)');
}

/**
 * Builds a JPKI signing certificate (docs/jpki.md §1.2): subject `C=JP, L=<prefecture>,
 * L=<municipality>, CN=<request time + sequence + desk code>`; extensions keyUsage (critical,
 * digitalSignature+nonRepudiation), subjectAltName (basic 4 information, §1.4), issuerAltName,
 * certificatePolicies, cRLDistributionPoints (per municipality), [authorityInfoAccess], AKI, SKI.
 * The basic 4 information is checked with the rules `readBasic4` applies (`basic4_malformed`).
 */
export async function buildJpkiSigningCertificate(o: JpkiSigningCertificateOptions): Promise<Uint8Array> {
  checkIssuer(o.issuer, o.signer, 'sign');
  checkPlace(o.subject);
  assertBasic4(o.basic4);
  const cn = o.subject.cn ?? signingCnFor(o.notBefore, o.serial);
  if (!isSigningCn(cn)) throw new RangeError('signing CN must be YYYYMMDDhhmmss + 5 digits + 9 [0-9A-Z]');
  const subject = encodeName(
    nameFrom([
      ['C', 'JP'],
      ['L', o.subject.prefecture],
      ['L', o.subject.municipality],
      ['CN', cn],
    ]),
  );
  return buildFromProfile(
    jpkiEndEntityProfile('sign', o.variant),
    {
      serial: o.serial,
      issuer: jpkiCaName('sign', o.issuer.organization),
      subject,
      notBefore: o.notBefore,
      notAfter: o.notAfter,
      spki: o.spki,
    },
    {
      keyUsage: ext.keyUsage(['digitalSignature', 'nonRepudiation']),
      subjectAltName: ext.subjectAltName(encodeBasic4San(o.basic4)),
      ...(await commonExtensions(o, o.subject)),
    },
    o.signer,
  );
}

/**
 * Builds a JPKI user-authentication certificate (docs/jpki.md §1.3): subject `C=JP, CN=<opaque
 * ID>`, no subjectAltName and no personal data; keyUsage critical digitalSignature only; then
 * issuerAltName, certificatePolicies, cRLDistributionPoints, [authorityInfoAccess], AKI, SKI.
 */
export async function buildJpkiAuthCertificate(o: JpkiAuthCertificateOptions): Promise<Uint8Array> {
  checkIssuer(o.issuer, o.signer, 'auth');
  if (o.crlPartition) checkPlace(o.crlPartition);
  const cn = o.cn ?? (await authCnFor(o.spki, o.crypto ?? globalThis.crypto));
  if (!isAuthCn(cn)) throw new RangeError('user-authentication CN must be 20–23 [0-9A-Z]');
  const subject = encodeName(
    nameFrom([
      ['C', 'JP'],
      ['CN', cn],
    ]),
  );
  return buildFromProfile(
    jpkiEndEntityProfile('auth', o.variant),
    {
      serial: o.serial,
      issuer: jpkiCaName('auth', o.issuer.organization),
      subject,
      notBefore: o.notBefore,
      notAfter: o.notAfter,
      spki: o.spki,
    },
    { keyUsage: ext.keyUsage(['digitalSignature']), ...(await commonExtensions(o, o.crlPartition)) },
    o.signer,
  );
}
