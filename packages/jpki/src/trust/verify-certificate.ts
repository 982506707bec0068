/**
 * The certificate half of JPKI verification (docs/jpki.md §6.5), shared by enrolment (signing
 * certificate) and card login (user-authentication certificate). It fails closed, in exactly this
 * order, with one stable code per step:
 *
 * 1. the certificate parses (`jpki_certificate_malformed`);
 * 2. it follows the JPKI end-entity profile of the expected kind (`not_jpki_certificate`,
 *    `jpki_profile_mismatch` with `detail.check`, from {@link assertJpkiProfile};
 *    §1.2, §1.4);
 * 3. a production store refuses a simulator or test-card certificate by name
 *    (`trust_simulator_root_in_production`, docs/conventions.md §12), then the certificate chains
 *    to a pinned root of its kind chosen by signature — every generation shares one DN, §1.1
 *    (`jpki_chain_invalid`, the path error as `cause`);
 * 4. the certificate and its root are valid at `at` (`jpki_certificate_not_yet_valid`,
 *    `jpki_certificate_expired`, `detail.root` saying which; RFC 5280 §6.1.3 (a)(2)).
 *
 * What it deliberately does not do: the signature over the caller's message (proof of possession)
 * and the status query to J-LIS. Both stay with the caller, in that order, because the J-LIS query
 * is billed (docs/jpki.md §2.2) and a copied certificate without its key must never reach it
 * (issue 15). Isomorphic: no `node:` import; the server passes its own verifier.
 */
import {
  isWatashiError,
  parseCertificate,
  validatePath,
  webCryptoVerifier,
  type Certificate,
  type PathValidationCache,
  type SignatureVerifier,
} from '@watashi/pki';
import { jpkiError } from '../errors.ts';
import { assertJpkiProfile } from '../profile/classify.ts';
import type { JpkiEnvironment, JpkiPurpose } from '../profile/names.ts';
import type { JpkiVariant } from '../profile/profiles.ts';
import type { JpkiTrustStore } from './store.ts';

/** Inputs of {@link verifyJpkiCertificate}. */
export interface VerifyJpkiCertificateOptions {
  /** The end-entity certificate (DER) as the card or the client gave it. */
  readonly certificate: Uint8Array;
  /** The expected kind: `sign` (署名用) or `auth` (利用者証明用). Required: no default kind. */
  readonly kind: JpkiPurpose;
  /** Pinned roots (production: real J-LIS roots only; simulation: the simulator's). */
  readonly trust: JpkiTrustStore;
  /** The time the certificate must be valid at: the signing time, or now for a login. */
  readonly at: Date;
  /** Signature verifier for the chain (default: WebCrypto; a server passes `nodeVerifier()`). */
  readonly verifier?: SignatureVerifier;
  /** Remembers verified CA signatures across calls. */
  readonly pathCache?: PathValidationCache;
}

/** A certificate that passed steps 1–4: not yet proven in the holder's hands, nor checked for revocation. */
export interface VerifiedJpkiCertificate {
  /** The parsed end-entity certificate. */
  readonly certificate: Certificate;
  /** The pinned root that issued it (what the J-LIS status query names as issuer). */
  readonly issuer: Certificate;
  /** `card` or `smartphone` (スマホ用電子証明書), from the profile. */
  readonly variant: JpkiVariant;
  /** The environment its issuer names (`production`, `simulator`, `test`). */
  readonly environment: JpkiEnvironment;
}

let defaultVerifier: SignatureVerifier | undefined;

/**
 * Verifies a JPKI end-entity certificate of `kind` against `trust` at `at`, in the order above;
 * throws a {@link WatashiError} with one of the codes listed there. Callers map the codes to their
 * own and then check the signature, then ask J-LIS.
 */
export async function verifyJpkiCertificate(
  o: VerifyJpkiCertificateOptions,
): Promise<VerifiedJpkiCertificate> {
  // 1. Parse.
  let cert: Certificate;
  try {
    cert = parseCertificate(o.certificate);
  } catch (cause) {
    throw jpkiError('jpki_certificate_malformed', 'the certificate does not parse', { cause });
  }

  // 2. Profile of the expected kind (§1.2; §6.5 order). Its codes pass through unchanged: the
  // extensions it reads were decoded by step 1, so nothing else can fail here.
  const { variant, environment } = assertJpkiProfile(cert, o.kind);

  // 3. Chain. A production platform names the offence when a simulator or test-card certificate
  // is offered, rather than a bare chain failure (docs/conventions.md §12).
  if (o.trust.mode === 'production' && environment !== 'production')
    throw jpkiError(
      'trust_simulator_root_in_production',
      'a simulator or test certificate is not accepted by a production trust store',
      { detail: { environment } },
    );
  let issuer: Certificate;
  try {
    // Validity is step 4: here the chain is built at a time inside the leaf's own period, and the
    // anchor's period is not checked, so a wrong chain is reported as such even when expired.
    const path = await validatePath({
      leaf: cert,
      anchors: o.trust.anchors(o.kind),
      now: cert.notBefore,
      checkAnchorValidity: false,
      verifier: o.verifier ?? (defaultVerifier ??= webCryptoVerifier()),
      // Revocation is asked of J-LIS by the caller, after proof of possession: the query is
      // billed (docs/jpki.md §2.2) and a copied certificate must not reach it (issue 15).
      revocation: 'not-checked',
      ...(o.pathCache ? { cache: o.pathCache } : {}),
    });
    issuer = path.anchor;
  } catch (cause) {
    if (isWatashiError(cause) && (cause.code.startsWith('path_') || cause.code === 'trust_no_anchor'))
      throw jpkiError(
        'jpki_chain_invalid',
        `the certificate does not chain to a pinned J-LIS ${o.kind} root`,
        {
          cause,
        },
      );
    throw cause;
  }

  // 4. Validity at `at`, of the certificate and of its root (RFC 5280 §6.1.3 (a)(2)).
  const t = o.at.getTime();
  for (const c of [cert, issuer]) {
    if (t < c.notBefore.getTime())
      throw jpkiError('jpki_certificate_not_yet_valid', 'the certificate is not yet valid', {
        detail: { notBefore: c.notBefore.toISOString(), root: c === issuer },
      });
    if (t > c.notAfter.getTime())
      throw jpkiError('jpki_certificate_expired', 'the certificate has expired', {
        detail: { notAfter: c.notAfter.toISOString(), root: c === issuer },
      });
  }

  return { certificate: cert, issuer, variant, environment };
}
