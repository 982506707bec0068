/**
 * Validation of a CAdES signature in the shape of ETSI EN 319 102-1: the validation process for
 * signatures with time and with long-term validation material (§5.5, §5.6), reduced to what
 * Watashi's baseline signatures carry.
 *
 * Order (fails closed, cheapest and most decisive first): the structure; the signature over the
 * content (an altered document is TOTAL-FAILED/HASH_FAILURE); the signing-certificate attribute;
 * the time-stamps (each against the caller's TSA anchors; the earliest trusted signature
 * time-stamp is the proof of existence, "POE"); then the signer's certification path AT THE POE
 * (or now, without one), its revocation judged from the embedded evidence first — so a signature
 * time-stamped before the signer moved still passes after the certificate was revoked with
 * affiliationChanged and has expired, with no network — and a revocation at or before the POE is
 * TOTAL-FAILED/REVOKED. The report never throws for a bad signature; caller mistakes throw.
 */
import {
  bytesEqual,
  ctx,
  decodeOidContent,
  DerReader,
  isWatashiError,
  nameToString,
  OID,
  parseCertificate,
  parseOcspResponse,
  parseTstInfo,
  readCrl,
  readTlv,
  Tag,
  validatePath,
  valueOf,
  verifyCms,
  verifyCrl,
  verifyOcspResponse,
  verifyTimeStampToken,
  webCryptoVerifier,
  type Certificate,
  type RevocationChecker,
  type RevocationStatus,
  type SignatureVerifier,
  type TstInfo,
} from '@watashi/pki';
import {
  archiveTimeStampInput,
  chainOf,
  embeddedCertificates,
  ocspResponseOf,
  tokenCertificates,
  tokensOf,
  type BaselineLevel,
} from './cades.ts';
import { splitSignedData, type SignedDataParts, type UnsignedAttribute } from './cms-structure.ts';
import type { SignatureErrorCode } from './errors.ts';

/** Main indication (EN 319 102-1 §5.1.3). */
export type Indication = 'TOTAL-PASSED' | 'INDETERMINATE' | 'TOTAL-FAILED';

/** The sub-indications this validator gives (EN 319 102-1 §5.1.3, Table 5–6). */
export type SubIndication =
  | 'FORMAT_FAILURE'
  | 'HASH_FAILURE'
  | 'SIG_CRYPTO_FAILURE'
  | 'REVOKED'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'NO_SIGNING_CERTIFICATE_FOUND'
  | 'NO_CERTIFICATE_CHAIN_FOUND'
  | 'CHAIN_CONSTRAINTS_FAILURE'
  | 'REVOKED_NO_POE'
  | 'OUT_OF_BOUNDS_NO_POE'
  | 'NO_POE'
  | 'TRY_LATER'
  | 'SIGNED_DATA_NOT_FOUND';

/** The signer as the certificate states them. */
export interface SignerIdentity {
  /** The subject distinguished name (RFC 4514-like, as the certificate has it). */
  readonly subject: string;
  /** The subject's commonName. */
  readonly commonName?: string;
  /** The name in the JPKI subjectAltName (docs/jpki.md §1.4), when the certificate carries one. */
  readonly name?: string;
  readonly issuer: string;
  /** Serial number, hexadecimal. */
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
}

/** One time-stamp found in the signature. */
export interface TimeStampReport {
  readonly kind: 'signature' | 'archive' | 'document';
  readonly genTime?: string;
  /** The TSA certificate's subject. */
  readonly tsa?: string;
  readonly status: 'valid' | 'untrusted' | 'invalid';
  readonly code?: SignatureErrorCode;
}

/** What the revocation check of the signer's certificate found. */
export interface RevocationReport {
  readonly source: 'ocsp' | 'crl' | 'online';
  /** Where it came from: embedded in the signature (no network) or asked now. */
  readonly embedded: boolean;
  /** The status the evidence states (a later revocation does not change the result at the POE). */
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly reason?: string;
  readonly revokedAt?: string;
  /** The evidence's thisUpdate. */
  readonly issuedAt?: string;
}

/** The validation report (shape of EN 319 102-1 §5.1.3 / TS 119 102-2, reduced). */
export interface ValidationReport {
  readonly indication: Indication;
  readonly subIndication?: SubIndication;
  /** Watashi's stable code for anything but TOTAL-PASSED. */
  readonly code?: SignatureErrorCode;
  /** One sentence for people. */
  readonly message: string;
  readonly format: 'CAdES' | 'PAdES';
  /** The baseline level the signature carries. */
  readonly level: BaselineLevel;
  readonly signer?: SignerIdentity;
  /** The signer's claimed signing time (signingTime attribute or the PDF's M), not a proof. */
  readonly claimedSigningTime?: string;
  /** The time the signature is proven to have existed (earliest trusted signature time-stamp). */
  readonly provenAt?: string;
  /** The time the signature was validated at (the POE, or now without one). */
  readonly validationTime: string;
  readonly timeStamps: ReadonlyArray<TimeStampReport>;
  readonly revocation?: RevocationReport;
  /** Whether anything was fetched over the network (never, when the evidence is embedded). */
  readonly networkUsed: boolean;
}

/** Inputs of {@link validateCades}. */
export interface ValidateOptions {
  /** The CMS SignedData (DER). */
  readonly cms: Uint8Array;
  /** The signed content (required for a detached signature, unless `contentDigest` is given). */
  readonly content?: Uint8Array;
  /**
   * Instead of `content` for a detached signature: its SHA-256, computed by the caller from the
   * content (the platform validating a signature it has just made). Archive time-stamps, which
   * cover the content itself, then cannot be checked.
   */
  readonly contentDigest?: Uint8Array;
  /** Trusted roots for signers (e.g. the J-LIS signing CAs). */
  readonly anchors: ReadonlyArray<Certificate>;
  /** Trusted TSA certificates (a root or the TSA's own). */
  readonly tsaAnchors: ReadonlyArray<Certificate>;
  /** Now (inject the clock). */
  readonly now: Date;
  readonly verifier?: SignatureVerifier;
  /**
   * Used only for certificates with no embedded evidence (B-B/B-T): asks now. Absent: no network,
   * and a signature without evidence is INDETERMINATE/TRY_LATER.
   */
  readonly online?: RevocationChecker;
  /** PAdES: the report's format, the claimed time from the dictionary, document time-stamps. */
  readonly pades?: {
    readonly claimedSigningTime?: Date;
    readonly documentTimeStamps?: ReadonlyArray<TimeStampReport & { readonly time?: Date }>;
    readonly dss?: {
      readonly certificates: ReadonlyArray<Uint8Array>;
      readonly ocsps: ReadonlyArray<Uint8Array>;
      readonly crls: ReadonlyArray<Uint8Array>;
    };
  };
}

const sha256 = async (b: Uint8Array): Promise<Uint8Array> =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(b)));

/** Reads the TSTInfo of a token without verifying it (to order archive time-stamps). */
function tstInfoOf(token: Uint8Array): TstInfo | undefined {
  try {
    const p = splitSignedData(token);
    const r = DerReader.of(p.encapContentInfo, readTlv(p.encapContentInfo, 0));
    r.expect(Tag.OID);
    const e = DerReader.of(p.encapContentInfo, r.expect(ctx(0)));
    return parseTstInfo(valueOf(p.encapContentInfo, e.expect(Tag.OCTET_STRING)).slice());
  } catch {
    return undefined;
  }
}

/** The signer's identity from the certificate. */
function signerIdentity(c: Certificate): SignerIdentity {
  const cn = c.subject.rdns.flat().find((a) => a.type === OID.commonName)?.value;
  let name: string | undefined;
  for (const g of c.subjectAltName ?? []) {
    if (g.type === 'otherName' && g.oid === OID.jpkiName) {
      try {
        const t = readTlv(g.value, 0);
        if (t.tag === Tag.UTF8_STRING)
          name = new TextDecoder('utf-8', { fatal: true }).decode(valueOf(g.value, t));
      } catch {
        // A malformed name is simply not shown; the profile check is enrolment's business.
      }
    }
  }
  return {
    subject: nameToString(c.subject),
    ...(cn !== undefined ? { commonName: cn } : {}),
    ...(name !== undefined ? { name } : {}),
    issuer: nameToString(c.issuer),
    serial: c.serial.toString(16),
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
  };
}

/** The signed attribute `type`'s first value, from the SignerInfo's signedAttrs. */
function signedAttribute(p: SignedDataParts, type: string): Uint8Array | undefined {
  const sa = p.signerInfoHead.find((e) => e[0] === 0xa0);
  if (!sa) return undefined;
  const r = DerReader.of(sa, readTlv(sa, 0));
  while (!r.done) {
    const a = DerReader.of(sa, r.expect(Tag.SEQUENCE));
    const t = decodeOidContent(valueOf(sa, a.expect(Tag.OID)));
    const vs = DerReader.of(sa, a.expect(Tag.SET));
    if (t === type) {
      const v = vs.next();
      return sa.subarray(v.start, v.end);
    }
  }
  return undefined;
}

/** Whether the ESS signing-certificate(-v2) attribute names `cert` (RFC 5035 §3, RFC 2634 §5.4). */
async function essNames(p: SignedDataParts, cert: Certificate): Promise<boolean> {
  const v2 = signedAttribute(p, OID.aaSigningCertificateV2);
  const v1 = signedAttribute(p, OID.aaSigningCertificate);
  const value = v2 ?? v1;
  if (!value) return false;
  const certs = DerReader.of(value, DerReader.of(value, readTlv(value, 0)).expect(Tag.SEQUENCE));
  const id = DerReader.of(value, certs.expect(Tag.SEQUENCE));
  let alg: 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512' = v2 ? 'SHA-256' : 'SHA-1';
  if (v2 && id.peekTag() === Tag.SEQUENCE) {
    const a = DerReader.of(value, id.next());
    const o = decodeOidContent(valueOf(value, a.expect(Tag.OID)));
    alg =
      o === OID.sha384 ? 'SHA-384' : o === OID.sha512 ? 'SHA-512' : o === OID.sha256 ? 'SHA-256' : 'SHA-1';
  }
  const hash = valueOf(value, id.expect(Tag.OCTET_STRING));
  return bytesEqual(new Uint8Array(await crypto.subtle.digest(alg, new Uint8Array(cert.der))), hash);
}

interface Evidence {
  readonly ocsps: Uint8Array[];
  readonly crls: Uint8Array[];
  readonly certificates: Certificate[];
}

/** certificate-values and revocation-values (RFC 5126 §6.3.3–6.3.4). */
function embeddedEvidence(p: SignedDataParts): Evidence {
  const out: Evidence = { ocsps: [], crls: [], certificates: [] };
  for (const a of p.unsigned) {
    const v = a.values[0];
    if (!v) continue;
    if (a.type === OID.aaEtsCertValues) {
      const r = DerReader.of(v, readTlv(v, 0));
      while (!r.done) {
        const t = r.next();
        out.certificates.push(parseCertificate(v.slice(t.start, t.end)));
      }
    } else if (a.type === OID.aaEtsRevocationValues) {
      const r = DerReader.of(v, readTlv(v, 0));
      while (!r.done) {
        const t = r.next();
        const list = DerReader.of(v, DerReader.of(v, t).expect(Tag.SEQUENCE));
        while (!list.done) {
          const e = list.next();
          const der = v.slice(e.start, e.end);
          if (t.tag === ctx(0)) out.crls.push(der);
          else if (t.tag === ctx(1)) out.ocsps.push(ocspResponseOf(der));
        }
      }
    }
  }
  return out;
}

type Verdict = Pick<ValidationReport, 'indication' | 'subIndication' | 'code' | 'message'>;

const fail = (
  indication: Exclude<Indication, 'TOTAL-PASSED'>,
  subIndication: SubIndication,
  code: SignatureErrorCode,
  message: string,
): Verdict => ({ indication, subIndication, code, message });

/** Validates a CAdES (or, through `pades`, a PAdES) signature; never throws for a bad signature. */
export async function validateCades(o: ValidateOptions): Promise<ValidationReport> {
  const verifier = o.verifier ?? webCryptoVerifier();
  const format = o.pades ? 'PAdES' : 'CAdES';
  const timeStamps: TimeStampReport[] = [];
  let level: BaselineLevel = 'B-B';
  let networkUsed = false;
  const base = (v: Verdict, extra: Partial<ValidationReport> = {}): ValidationReport => ({
    ...v,
    format,
    level,
    validationTime: o.now.toISOString(),
    timeStamps,
    networkUsed,
    ...extra,
  });

  // 1. Structure.
  let p: SignedDataParts;
  try {
    p = splitSignedData(o.cms);
  } catch {
    return base(
      fail('TOTAL-FAILED', 'FORMAT_FAILURE', 'signature_malformed', 'the signature is not a CMS SignedData'),
    );
  }

  // 2. The signature over the content (RFC 5652 §5.6).
  let signer: Certificate;
  let claimed: Date | undefined;
  try {
    const v = await verifyCms({
      der: o.cms,
      ...(o.content ? { content: o.content } : o.contentDigest ? { contentDigest: o.contentDigest } : {}),
      verifier,
    });
    signer = v.signerCertificate;
    claimed = o.pades?.claimedSigningTime ?? v.signingTime;
  } catch (e) {
    const code = isWatashiError(e) ? e.code : '';
    if (code === 'cms_signature_invalid' && /digest/.test((e as Error).message))
      return base(
        fail(
          'TOTAL-FAILED',
          'HASH_FAILURE',
          'signature_document_altered',
          'the document was changed after it was signed',
        ),
      );
    if (code === 'cms_signature_invalid')
      return base(
        fail(
          'TOTAL-FAILED',
          'SIG_CRYPTO_FAILURE',
          'signature_invalid',
          'the signature value does not verify',
        ),
      );
    if (code === 'cms_content_mismatch')
      return base(
        fail(
          'INDETERMINATE',
          'SIGNED_DATA_NOT_FOUND',
          'signature_malformed',
          'the signed document is needed to verify this signature',
        ),
      );
    if (code === 'cms_signer_not_found')
      return base(
        fail(
          'INDETERMINATE',
          'NO_SIGNING_CERTIFICATE_FOUND',
          'signature_signing_certificate_mismatch',
          'the signer’s certificate is not in the signature',
        ),
      );
    return base(
      fail('TOTAL-FAILED', 'FORMAT_FAILURE', 'signature_malformed', 'the signature cannot be read'),
    );
  }
  const identity = signerIdentity(signer);
  const withSigner = (v: Verdict, extra: Partial<ValidationReport> = {}): ValidationReport =>
    base(v, {
      signer: identity,
      ...(claimed ? { claimedSigningTime: claimed.toISOString() } : {}),
      ...extra,
    });

  // 3. The signing-certificate attribute binds the signature to this certificate (EN 319 122-1 §5.2.2).
  try {
    if (!(await essNames(p, signer)))
      return withSigner(
        fail(
          'INDETERMINATE',
          'NO_SIGNING_CERTIFICATE_FOUND',
          'signature_signing_certificate_mismatch',
          'the signature does not name its signer’s certificate',
        ),
      );
  } catch {
    return withSigner(
      fail(
        'TOTAL-FAILED',
        'FORMAT_FAILURE',
        'signature_malformed',
        'the signing-certificate attribute cannot be read',
      ),
    );
  }

  // 4. Time-stamps. A time-stamp over other data means the evidence was tampered with.
  let poe: Date | undefined;
  let tsProblem: Verdict | undefined;
  const checkToken = async (
    kind: TimeStampReport['kind'],
    token: Uint8Array,
    imprint: Uint8Array,
  ): Promise<Date | undefined> => {
    try {
      const v = await verifyTimeStampToken({
        token,
        imprint,
        nonce: 'not-checked',
        anchors: o.tsaAnchors,
        verifier,
      });
      timeStamps.push({
        kind,
        genTime: v.genTime.toISOString(),
        tsa: nameToString(v.signerCertificate.subject),
        status: 'valid',
      });
      return v.genTime;
    } catch (e) {
      const code = isWatashiError(e) ? e.code : '';
      const info = tstInfoOf(token);
      const tsa = tokenCertificates(token)[0];
      const untrusted = code === 'tsp_untrusted';
      timeStamps.push({
        kind,
        ...(info ? { genTime: info.genTime.toISOString() } : {}),
        ...(tsa ? { tsa: nameToString(tsa.subject) } : {}),
        status: untrusted ? 'untrusted' : 'invalid',
        code: untrusted ? 'signature_timestamp_untrusted' : 'signature_timestamp_invalid',
      });
      tsProblem ??= untrusted
        ? fail(
            'INDETERMINATE',
            'NO_POE',
            'signature_timestamp_untrusted',
            'a time-stamp comes from an authority that is not trusted',
          )
        : fail(
            'TOTAL-FAILED',
            'HASH_FAILURE',
            'signature_timestamp_invalid',
            'a time-stamp does not match the signature',
          );
      return undefined;
    }
  };
  const sigImprint = await sha256(p.signatureValue);
  for (const token of tokensOf(p, OID.aaSignatureTimeStampToken)) {
    const t = await checkToken('signature', token, sigImprint);
    if (t && (!poe || t < poe)) poe = t;
  }
  if (poe) level = 'B-T';
  const evidence = embeddedEvidence(p);
  for (const d of o.pades?.dss?.ocsps ?? []) evidence.ocsps.push(d);
  for (const d of o.pades?.dss?.crls ?? []) evidence.crls.push(d);
  for (const d of o.pades?.dss?.certificates ?? []) {
    try {
      evidence.certificates.push(parseCertificate(d));
    } catch {
      // A DSS entry that is not a certificate is no evidence; the path then lacks it.
    }
  }
  if (poe && (evidence.ocsps.length || evidence.crls.length)) level = 'B-LT';
  // Archive time-stamps, oldest first: each covers the attributes present before it.
  const archives = p.unsigned
    .filter((a) => a.type === OID.aaEtsArchiveTimestampV2)
    .map((a) => ({ a, info: tstInfoOf(a.values[0] ?? new Uint8Array()) }))
    .sort((x, y) => (x.info?.genTime.getTime() ?? 0) - (y.info?.genTime.getTime() ?? 0));
  for (let i = 0; i < archives.length; i++) {
    const later = new Set<UnsignedAttribute>(archives.slice(i).map((x) => x.a));
    const covered = p.unsigned.filter((a) => !later.has(a));
    const imprint = await sha256(archiveTimeStampInput(p, o.content ?? new Uint8Array(), covered));
    const ok = await checkToken('archive', archives[i]!.a.values[0]!, imprint);
    if (ok && level === 'B-LT') level = 'B-LTA';
  }
  for (const d of o.pades?.documentTimeStamps ?? []) {
    timeStamps.push(d);
    if (d.status !== 'valid')
      tsProblem ??= fail(
        d.status === 'untrusted' ? 'INDETERMINATE' : 'TOTAL-FAILED',
        d.status === 'untrusted' ? 'NO_POE' : 'HASH_FAILURE',
        d.code ?? 'signature_timestamp_invalid',
        d.status === 'untrusted'
          ? 'a time-stamp comes from an authority that is not trusted'
          : 'a time-stamp does not match the document',
      );
    else if (level === 'B-LT') level = 'B-LTA';
  }
  if (tsProblem?.indication === 'TOTAL-FAILED') return withSigner(tsProblem);

  // 5. The certification path at the POE, revocation from the embedded evidence first.
  const at = poe ?? o.now;
  const pool = [
    ...embeddedCertificates(p),
    ...evidence.certificates,
    ...tokensOf(p, OID.aaSignatureTimeStampToken).flatMap(tokenCertificates),
  ];
  let revocation: RevocationReport | undefined;
  const leafDer = signer.der;
  const embeddedChecker: RevocationChecker = async (cert, issuer) => {
    const r = await fromEmbedded(cert, issuer, evidence, at, poe !== undefined, verifier);
    let status: RevocationStatus;
    if (r) {
      status = r.status;
      if (bytesEqual(cert.der, leafDer)) revocation = r.report;
    } else if (o.online) {
      networkUsed = true;
      status = await o.online(cert, issuer);
      if (bytesEqual(cert.der, leafDer))
        revocation = {
          source: 'online',
          embedded: false,
          status: status.status,
          ...(status.status === 'revoked' && status.reason ? { reason: status.reason } : {}),
          ...(status.status === 'revoked' && status.revocationTime
            ? { revokedAt: status.revocationTime.toISOString() }
            : {}),
        };
    } else {
      status = { status: 'unknown', detail: 'no revocation evidence is embedded' };
    }
    return status;
  };
  const extra = { ...(poe ? { provenAt: poe.toISOString() } : {}), validationTime: at.toISOString() };
  try {
    await validatePath({
      leaf: signer,
      intermediates: chainOf(signer, pool).slice(1).concat(pool),
      anchors: o.anchors,
      now: at,
      verifier,
      revocation: embeddedChecker,
      revocationPolicy: 'hard-fail',
    });
  } catch (e) {
    const code = isWatashiError(e) ? e.code : '';
    const r = (v: Verdict) => withSigner(v, { ...extra, ...(revocation ? { revocation } : {}) });
    if (code === 'path_revoked')
      return r(
        poe
          ? fail(
              'TOTAL-FAILED',
              'REVOKED',
              'signature_certificate_revoked',
              'the certificate was revoked before the time the signature is proven to exist',
            )
          : fail(
              'INDETERMINATE',
              'REVOKED_NO_POE',
              'signature_revoked_no_poe',
              'the certificate is revoked and nothing proves the signature was made before',
            ),
      );
    if (code === 'path_expired' || code === 'path_not_yet_valid')
      return r(
        poe
          ? fail(
              'TOTAL-FAILED',
              code === 'path_expired' ? 'EXPIRED' : 'NOT_YET_VALID',
              'signature_certificate_expired',
              'the certificate was not valid at the time the signature is proven to exist',
            )
          : fail(
              'INDETERMINATE',
              'OUT_OF_BOUNDS_NO_POE',
              'signature_certificate_expired',
              'the certificate is not valid now and nothing proves when the signature was made',
            ),
      );
    if (code === 'path_revocation_unknown')
      return r(
        fail(
          'INDETERMINATE',
          'TRY_LATER',
          'signature_revocation_unknown',
          'no revocation evidence covers the time the signature is proven to exist',
        ),
      );
    if (code === 'path_no_trust_anchor' || code === 'path_signature_invalid')
      return r(
        fail(
          'INDETERMINATE',
          'NO_CERTIFICATE_CHAIN_FOUND',
          'signature_untrusted_signer',
          'the signer’s certificate does not chain to a trusted root',
        ),
      );
    return r(
      fail(
        'INDETERMINATE',
        'CHAIN_CONSTRAINTS_FAILURE',
        'signature_untrusted_signer',
        `the signer’s certificate path is not acceptable (${code || 'error'})`,
      ),
    );
  }
  if (tsProblem) return withSigner(tsProblem, { ...extra, ...(revocation ? { revocation } : {}) });
  return withSigner(
    {
      indication: 'TOTAL-PASSED',
      message: poe
        ? `signed by ${identity.name ?? identity.commonName ?? identity.subject}; proven to exist at ${poe.toISOString()}`
        : `signed by ${identity.name ?? identity.commonName ?? identity.subject}`,
    },
    { ...extra, ...(revocation ? { revocation } : {}) },
  );
}

/**
 * The status of `cert` at the POE from embedded OCSP responses or CRLs, or undefined when none
 * answers for it. A revocation after the POE does not count (the signature was made before);
 * evidence issued before the POE cannot show the status at it (unknown → TRY_LATER), unless it
 * already states a revocation at or before the POE.
 */
async function fromEmbedded(
  cert: Certificate,
  issuer: Certificate,
  ev: Evidence,
  at: Date,
  havePoe: boolean,
  verifier: SignatureVerifier,
): Promise<{ status: RevocationStatus; report: RevocationReport } | undefined> {
  const judge = (
    source: 'ocsp' | 'crl',
    status: 'good' | 'revoked' | 'unknown',
    issuedAt: Date,
    nextUpdate: Date | undefined,
    revokedAt?: Date,
    reason?: string,
  ): { status: RevocationStatus; report: RevocationReport } => {
    const report: RevocationReport = {
      source,
      embedded: true,
      status,
      issuedAt: issuedAt.toISOString(),
      ...(revokedAt ? { revokedAt: revokedAt.toISOString() } : {}),
      ...(reason ? { reason } : {}),
    };
    if (status === 'revoked' && revokedAt && revokedAt.getTime() <= at.getTime())
      return {
        status: { status: 'revoked', ...(reason ? { reason } : {}), revocationTime: revokedAt, source },
        report,
      };
    if (status === 'revoked' && havePoe) return { status: { status: 'good', source }, report };
    if (status === 'unknown')
      return { status: { status: 'unknown', detail: 'the responder does not know the certificate' }, report };
    // Fresh at the POE: issued after it, or the responder's current answer at it (thisUpdate ≤
    // POE ≤ nextUpdate: J-LIS answers from a snapshot refreshed every 15 minutes, docs/jpki.md).
    const current = nextUpdate !== undefined && at.getTime() <= nextUpdate.getTime();
    if (issuedAt.getTime() < at.getTime() && !current && status === 'good')
      return {
        status: { status: 'unknown', detail: 'the embedded evidence is older than the proven time' },
        report,
      };
    return {
      status: status === 'revoked' ? { status: 'revoked', source } : { status: 'good', source },
      report,
    };
  };
  for (const der of ev.ocsps) {
    let parsed;
    try {
      parsed = parseOcspResponse(der);
    } catch {
      continue;
    }
    const single = parsed.basic?.responses.find((r) => bytesEqual(r.certId.serialBytes, cert.serialBytes));
    if (!parsed.basic || !single) continue;
    try {
      const v = await verifyOcspResponse({ der, cert, issuer, now: single.thisUpdate, verifier });
      return judge('ocsp', v.status, v.thisUpdate, v.nextUpdate, v.revocationTime, v.reason);
    } catch {
      continue; // not for this issuer, or not verifiable: look further
    }
  }
  for (const der of ev.crls) {
    try {
      const crl = readCrl(der);
      if (!bytesEqual(crl.issuer, issuer.subject.der)) continue;
      await verifyCrl(crl, issuer.spki, verifier, { issuerName: issuer.subject.der, now: crl.thisUpdate });
      const hit = crl.lookup(cert.serial);
      return judge(
        'crl',
        hit ? 'revoked' : 'good',
        crl.thisUpdate,
        crl.nextUpdate,
        hit?.revocationDate,
        hit?.reason,
      );
    } catch {
      continue;
    }
  }
  return undefined;
}
