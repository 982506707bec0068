/**
 * Verification of an enrolment signature (docs/architecture.md §3.1 step 3), a pure function: no database and
 * no network except through the injected status check (`ctx.backend.ocspStatus`) and nonce check
 * (`ctx.checkNonce`). It fails closed, in exactly this order, with one stable code per failure
 * (errors.ts):
 *
 * 0. the input has an accepted size and shape (`enrolment_body_too_large`, `enrolment_cms_malformed`
 *    when the CMS does not parse or carries no signer certificate);
 * 1. the certificate parses (`enrolment_certificate_malformed`);
 * 2. it is a JPKI signing certificate following the profile — KU critical with nonRepudiation, the
 *    policy OID, the six basic-4 SAN entries (`enrolment_not_jpki_certificate`,
 *    `enrolment_certificate_profile`), docs/jpki.md §1.2, §6.5;
 * 3. it chains to a pinned root chosen by signature — all generations share one DN, §1.1
 *    (`enrolment_simulator_root_in_production`, `enrolment_certificate_chain`);
 * 4. the certificate and its root are valid at the signing time (`enrolment_certificate_expired`,
 *    `enrolment_certificate_not_yet_valid`);
 * 5. the signature covers the exact document — CMS SignedData (attached or detached, signed
 *    attributes) or a raw RSASSA-PKCS1-v1_5 SHA-256 signature (`enrolment_signature_mismatch`);
 * 6. the document's nonce is unused and unexpired (`enrolment_nonce_replayed`,
 *    `enrolment_nonce_expired`, `enrolment_nonce_invalid`);
 * 7. only then, J-LIS says it is not revoked (`enrolment_certificate_revoked`,
 *    `enrolment_certificate_on_hold`, `enrolment_revocation_unavailable` under hard-fail). The
 *    query is billed, so possession of the key (5) and a live document (6) come first.
 *
 * The signing time is the verification time `ctx.now`: the document was issued at most
 * `enrolmentTtlSeconds` earlier and its nonce is checked unexpired in step 6, so the signature was
 * made inside that window. The CMS signingTime attribute is signer-asserted and not used.
 */
import { createHash } from 'node:crypto';
import {
  bytesEqual,
  ctx as ctxTag,
  ctxPrim,
  DerReader,
  encodingOf,
  isWatashiError,
  parseCertificate,
  parseTopLevel,
  Tag,
  valueOf,
  verifyCms,
  type Certificate,
  type PathValidationCache,
  type SignatureVerifier,
} from '@watashi/pki';
import { nodeDigest, nodeVerifier } from '@watashi/pki/node';
import { verifyJpkiCertificate, type JpkiTrustStore, type JpkiVariant } from '@watashi/jpki';
import type { JpkiBackend, StatusEvidence } from '../jlis/backend.ts';
import type { NonceOutcome } from '../store/nonces.ts';
import { runSteps, step, type Step } from '../pipeline.ts';
import { enrolmentError } from './errors.ts';
import { readEnrolmentNonce } from './document.ts';

/** Largest signature input accepted (a JPKI CMS with its certificate is about 3 KB). */
export const MAX_SIGNATURE_INPUT_BYTES = 32 * 1024;

/** The resident's signature: a CMS SignedData, or a raw PKCS#1 v1.5 signature plus the certificate. */
export type EnrolmentSignature =
  { readonly cms: Uint8Array } | { readonly signature: Uint8Array; readonly certificate: Uint8Array };

/** What was signed. */
export interface VerifyEnrolmentInput {
  /** The exact document bytes the platform issued. */
  readonly document: Uint8Array;
  readonly signature: EnrolmentSignature;
}

/** Everything verification needs from outside. */
export interface VerifyEnrolmentContext {
  /** Pinned roots (production: real J-LIS roots only; simulation: the simulator's). */
  readonly trust: JpkiTrustStore;
  /** The status check (OCSP through the JpkiBackend port). */
  readonly backend: Pick<JpkiBackend, 'ocspStatus'>;
  /** The verification (= signing) time. */
  readonly now: Date;
  /** What an unknown status means; default hard-fail. */
  readonly revocationPolicy?: 'hard-fail' | 'soft-fail';
  /**
   * Step 6: is the nonce unused and unexpired, and bound to this document? The route passes a
   * read-only check here and consumes the nonce for real inside the enrolment transaction.
   */
  readonly checkNonce: (nonce: Uint8Array, documentHash: Uint8Array) => Promise<NonceOutcome>;
  /** Signature verifier (default: node:crypto with a key cache). */
  readonly verifier?: SignatureVerifier;
  /** Remembers verified CA signatures across calls. */
  readonly pathCache?: PathValidationCache;
}

/** A verified enrolment signature. */
export interface VerifiedEnrolment {
  readonly certificate: Certificate;
  /** The pinned root that issued it. */
  readonly issuer: Certificate;
  readonly variant: JpkiVariant;
  /** J-LIS's answer (status `good`, or `unknown` under soft-fail). */
  readonly status: StatusEvidence;
  readonly format: 'cms' | 'pkcs1';
  readonly documentHash: Uint8Array;
  readonly nonce: Uint8Array;
  readonly signedAt: Date;
}

let defaultVerifier: SignatureVerifier | undefined;

const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

/**
 * Finds the signer certificate of a CMS SignedData without verifying anything (step 0/1): the
 * certificates come before the signature in the documented order. RFC 5652 §5.1, §5.3.
 */
function cmsSignerCertificateDer(der: Uint8Array): Uint8Array {
  try {
    const top = parseTopLevel(der, Tag.SEQUENCE, 'ContentInfo', MAX_SIGNATURE_INPUT_BYTES);
    const ci = DerReader.of(der, top);
    ci.expect(Tag.OID, 'contentType');
    const wrapper = DerReader.of(der, ci.expect(ctxTag(0), 'content'));
    const sd = DerReader.of(der, wrapper.expect(Tag.SEQUENCE, 'SignedData'));
    sd.expect(Tag.INTEGER, 'version');
    sd.expect(Tag.SET, 'digestAlgorithms');
    sd.expect(Tag.SEQUENCE, 'encapContentInfo');
    const certSet = sd.optional(ctxTag(0));
    sd.optional(ctxTag(1));
    const signerInfos = DerReader.of(der, sd.expect(Tag.SET, 'signerInfos'));
    const si = DerReader.of(der, signerInfos.expect(Tag.SEQUENCE, 'SignerInfo'));
    si.expect(Tag.INTEGER, 'SignerInfo version');
    const sid = si.next();
    const certs: Uint8Array[] = [];
    if (certSet) {
      const r = DerReader.of(der, certSet);
      while (!r.done) {
        const c = r.next();
        if (c.tag === Tag.SEQUENCE) certs.push(encodingOf(der, c));
      }
    }
    // One certificate (what a card's CMS carries): step 1 parses it, and step 5 checks that it is
    // the signer the SignerInfo names. Several: find the signer now.
    if (certs.length === 1) return certs[0]!;
    if (sid.tag === Tag.SEQUENCE) {
      // issuerAndSerialNumber: match on the raw issuer Name and serial INTEGER encodings.
      const ias = DerReader.of(der, sid);
      const issuer = encodingOf(der, ias.expect(Tag.SEQUENCE, 'issuer'));
      const serial = valueOf(der, ias.expect(Tag.INTEGER, 'serialNumber'));
      for (const c of certs) {
        const cert = parseCertificate(c);
        if (bytesEqual(cert.issuer.der, issuer) && bytesEqual(cert.serialBytes, serial)) return c;
      }
    } else if (sid.tag === ctxPrim(0)) {
      const keyId = valueOf(der, sid);
      for (const c of certs) {
        const cert = parseCertificate(c);
        if (cert.subjectKeyId !== undefined && bytesEqual(cert.subjectKeyId, keyId)) return c;
      }
    }
  } catch (cause) {
    throw enrolmentError('enrolment_cms_malformed', 'the CMS SignedData is malformed', { cause });
  }
  throw enrolmentError('enrolment_cms_malformed', 'the CMS SignedData carries no signer certificate');
}

/** Maps a failure of {@link verifyJpkiCertificate} (steps 1–4) to its enrolment code. */
export function enrolmentCertificateError(cause: unknown): unknown {
  if (!isWatashiError(cause)) return cause;
  switch (cause.code) {
    case 'jpki_certificate_malformed':
      return enrolmentError('enrolment_certificate_malformed', 'the certificate does not parse', { cause });
    case 'not_jpki_certificate':
      return enrolmentError('enrolment_not_jpki_certificate', 'not a JPKI certificate', { cause });
    case 'jpki_profile_mismatch':
      return enrolmentError('enrolment_certificate_profile', 'not a JPKI signing certificate', {
        cause,
        detail: { check: cause.detail?.['check'] },
      });
    case 'trust_simulator_root_in_production':
      return enrolmentError(
        'enrolment_simulator_root_in_production',
        'a simulator or test certificate cannot enrol on a production platform',
        { cause, detail: { environment: cause.detail?.['environment'] } },
      );
    case 'jpki_chain_invalid':
      return enrolmentError(
        'enrolment_certificate_chain',
        'the certificate does not chain to a pinned J-LIS root',
        { cause: cause.cause },
      );
    case 'jpki_certificate_not_yet_valid':
      return enrolmentError('enrolment_certificate_not_yet_valid', 'the certificate is not yet valid', {
        cause,
        detail: { notBefore: cause.detail?.['notBefore'], root: cause.detail?.['root'] },
      });
    case 'jpki_certificate_expired':
      return enrolmentError('enrolment_certificate_expired', 'the certificate has expired', {
        cause,
        detail: { notAfter: cause.detail?.['notAfter'], root: cause.detail?.['root'] },
      });
    default:
      return cause;
  }
}

function unknownEvidence(now: Date, cause: unknown): StatusEvidence {
  const why = isWatashiError(cause) ? cause.code : 'status_unavailable';
  return { source: 'ocsp', status: 'unknown', reason: why, thisUpdate: now, checkedAt: now };
}

/** What the steps of {@link verifyEnrolmentSignature} know so far. */
export interface VerifyState {
  readonly input: VerifyEnrolmentInput;
  readonly ctx: VerifyEnrolmentContext;
  readonly verifier: SignatureVerifier;
  certificateDer?: Uint8Array;
  certificate?: Certificate;
  issuer?: Certificate;
  variant?: JpkiVariant;
  format?: 'cms' | 'pkcs1';
  documentHash?: Uint8Array | undefined;
  nonce?: Uint8Array;
  status?: StatusEvidence;
}

/** A value an earlier step set (the step table's order guarantees it; a reorder is a bug). */
function got<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`verifyEnrolmentSignature: ${what} is read before its step ran`);
  return value;
}

/** The size of a signature input (step 0). */
export function signatureInputSize(sig: EnrolmentSignature): number {
  return 'cms' in sig ? sig.cms.length : sig.signature.length + sig.certificate.length;
}

/** Step 0: an accepted size, and the signer certificate found in a CMS. */
function checkInputShape(s: VerifyState): void {
  const sig = s.input.signature;
  if (signatureInputSize(sig) > MAX_SIGNATURE_INPUT_BYTES)
    throw enrolmentError(
      'enrolment_body_too_large',
      `the signature input exceeds ${MAX_SIGNATURE_INPUT_BYTES} bytes`,
    );
  s.certificateDer = 'cms' in sig ? cmsSignerCertificateDer(sig.cms) : sig.certificate;
}

/**
 * Steps 1–4: the certificate parses, follows the JPKI signing profile, chains to a pinned root
 * chosen by signature and is valid at the signing time (the shared steps, @watashi/jpki
 * verifyJpkiCertificate), each failure mapped to its enrolment code. Local: nothing is asked.
 */
async function checkCertificate(s: VerifyState): Promise<void> {
  try {
    const checked = await verifyJpkiCertificate({
      certificate: got(s.certificateDer, 'the certificate'),
      kind: 'sign',
      trust: s.ctx.trust,
      at: s.ctx.now,
      verifier: s.verifier,
      ...(s.ctx.pathCache ? { pathCache: s.ctx.pathCache } : {}),
    });
    s.certificate = checked.certificate;
    s.issuer = checked.issuer;
    s.variant = checked.variant;
  } catch (cause) {
    throw enrolmentCertificateError(cause);
  }
}

/** Step 5: the signature over the exact document (proof of possession of the card's key). */
async function checkPossession(s: VerifyState): Promise<void> {
  const sig = s.input.signature;
  const cert = got(s.certificate, 'the certificate');
  if ('cms' in sig) {
    s.format = 'cms';
    let verified;
    try {
      verified = await verifyCms({
        der: sig.cms,
        content: s.input.document,
        verifier: s.verifier,
        digest: nodeDigest,
        certificates: [cert],
      });
    } catch (cause) {
      if (isWatashiError(cause, 'cms_content_mismatch') || isWatashiError(cause, 'cms_signature_invalid'))
        throw enrolmentError(
          'enrolment_signature_mismatch',
          'the signature is not over this enrolment document',
          {
            cause,
          },
        );
      throw enrolmentError('enrolment_cms_malformed', 'the CMS SignedData is malformed or unsupported', {
        cause,
      });
    }
    if (!bytesEqual(verified.signerCertificate.der, cert.der))
      throw enrolmentError('enrolment_cms_malformed', 'the CMS signer is not the certificate checked');
    // One SHA-256 of the document: the messageDigest check just computed it.
    if (verified.digestAlgorithm === 'SHA-256') s.documentHash = verified.contentDigest;
  } else {
    s.format = 'pkcs1';
    // The card signs a SHA-256 DigestInfo with PKCS#1 v1.5 padding (docs/jpki.md §3.3).
    if (!(await s.verifier.verify(cert.spki, 'RSA-SHA256', s.input.document, sig.signature)))
      throw enrolmentError(
        'enrolment_signature_mismatch',
        'the signature is not over this enrolment document',
      );
  }
}

/** Step 6: the document's nonce is unused, unexpired and issued for this document. */
async function checkNonce(s: VerifyState): Promise<void> {
  s.nonce = readEnrolmentNonce(s.input.document);
  s.documentHash ??= sha256(s.input.document);
  throwForNonce(await s.ctx.checkNonce(s.nonce, s.documentHash));
}

/**
 * Step 7: revocation through J-LIS (the JpkiBackend port), only now: a signing-certificate query is
 * billed (¥20, docs/jpki.md §2.2), so a copied certificate without its key must cost nothing
 * (issue 15). Unknown → the configured policy ({@link statusError}).
 */
async function checkRevocation(s: VerifyState): Promise<void> {
  const policy = s.ctx.revocationPolicy ?? 'hard-fail';
  let status: StatusEvidence;
  try {
    // Identity proofing: never a cached answer (no `acceptCached`), so a revocation J-LIS already
    // knows cannot be hidden by a good answer reused from before it (issue 15).
    status = await s.ctx.backend.ocspStatus(
      got(s.certificate, 'the certificate'),
      got(s.issuer, 'the issuer'),
      {
        purpose: 'signature_verification',
      },
    );
  } catch (cause) {
    // Our own database failing (the fee ledger's write, a lost connection) says nothing about the
    // certificate: the caller sees the store's 503, not a J-LIS problem.
    if (isWatashiError(cause, 'store_unavailable')) throw cause;
    status = unknownEvidence(s.ctx.now, cause);
    if (policy === 'hard-fail')
      throw enrolmentError(
        'enrolment_revocation_unavailable',
        'the certificate status could not be checked',
        {
          cause,
        },
      );
  }
  const refused = statusError(status, policy);
  if (refused !== undefined) throw refused;
  s.status = status;
}

/** The refusal J-LIS's answer means under `policy`, or undefined when it lets the enrolment on. */
export function statusError(
  status: Pick<StatusEvidence, 'status' | 'reason'>,
  policy: 'hard-fail' | 'soft-fail',
): Error | undefined {
  if (status.status === 'revoked') {
    if (status.reason === 'certificateHold')
      return enrolmentError(
        'enrolment_certificate_on_hold',
        'the certificate is on hold (card reported lost)',
      );
    return enrolmentError('enrolment_certificate_revoked', 'the certificate is revoked', {
      detail: { reason: status.reason ?? 'unspecified' },
    });
  }
  if (status.status === 'unknown' && policy === 'hard-fail')
    return enrolmentError('enrolment_revocation_unavailable', 'J-LIS does not know the certificate status');
  return undefined;
}

/**
 * The steps of {@link verifyEnrolmentSignature}, in the documented order (see the top of this
 * file). The table is the order: `pipeline.test.ts`-style checks read it (possession before the
 * billed J-LIS query).
 */
export const VERIFY_ENROLMENT_STEPS: ReadonlyArray<Step<VerifyState>> = [
  step('checkInputShape', 'pure', checkInputShape),
  step('checkCertificate', 'pure', checkCertificate),
  step('checkPossession', 'proves-possession', checkPossession),
  step('checkNonce', 'reads', checkNonce),
  step('checkRevocation', 'billed', checkRevocation),
];

/** Verifies an enrolment signature in the documented order; throws an `enrolment_*` error. */
export async function verifyEnrolmentSignature(
  input: VerifyEnrolmentInput,
  ctx: VerifyEnrolmentContext,
): Promise<VerifiedEnrolment> {
  const s = await runSteps<VerifyState>(VERIFY_ENROLMENT_STEPS, {
    input,
    ctx,
    verifier: ctx.verifier ?? (defaultVerifier ??= nodeVerifier()),
  });
  return {
    certificate: got(s.certificate, 'the certificate'),
    issuer: got(s.issuer, 'the issuer'),
    variant: got(s.variant, 'the variant'),
    status: got(s.status, 'the status'),
    format: got(s.format, 'the format'),
    documentHash: got(s.documentHash, 'the document hash'),
    nonce: got(s.nonce, 'the nonce'),
    signedAt: ctx.now,
  };
}

/** Maps a nonce outcome to its error (nothing for `ok`). */
export function throwForNonce(outcome: NonceOutcome): void {
  if (outcome === 'ok') return;
  if (outcome === 'used')
    throw enrolmentError('enrolment_nonce_replayed', 'this enrolment document was already used');
  if (outcome === 'expired')
    throw enrolmentError('enrolment_nonce_expired', 'this enrolment document has expired');
  throw enrolmentError('enrolment_nonce_invalid', 'the enrolment nonce is not valid for this document', {
    detail: { outcome },
  });
}
