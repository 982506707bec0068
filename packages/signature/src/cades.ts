/**
 * CAdES baseline signatures (ETSI EN 319 122-1/-2) over any bytes, detached (`.p7s`):
 *
 * - **B-B**: CMS SignedData, SHA-256, signed attributes contentType, messageDigest,
 *   signing-certificate-v2 (§5.2.2) and — for CAdES, not PAdES — signingTime (§5.2.1).
 * - **B-T**: + a signature-time-stamp unsigned attribute (§5.3), a TimeStampToken over the
 *   signature value (RFC 3161 Appendix A).
 * - **B-LT**: + certificate-values and revocation-values unsigned attributes (RFC 5126 §6.3.3,
 *   §6.3.4; EN 319 122-1 §5.5.1–5.5.2): the whole chain and an OCSP response (or CRL) for every
 *   certificate but the root, so the signature can be validated later with no network.
 * - **B-LTA**: + archive-time-stamp (id-aa-ets-archiveTimestampV2, RFC 5126 §6.4.1) over the
 *   content, the SignedData's certificates/crls and every element of the SignerInfo including
 *   the unsigned attributes present, so the evidence is itself proven to exist at that time.
 */
import {
  bytesEqual,
  certIdFor,
  concat,
  ctx,
  DerReader,
  encodingOf,
  explicit,
  OID,
  octets,
  oid,
  parseCertificate,
  parseOcspResponse,
  parseTopLevel,
  prepareCmsSignature,
  readTlv,
  seq,
  signingCertificateV2Attribute,
  Tag,
  valueOf,
  type Certificate,
} from '@watashi/pki';
import { signatureError } from './errors.ts';
import type { EvidenceSource } from './evidence.ts';
import type { DocumentSigner } from './signer.ts';
import {
  joinSignedData,
  splitSignedData,
  unsignedAttribute,
  type SignedDataParts,
  encodeUnsigned,
  type UnsignedAttribute,
} from './cms-structure.ts';
import type { TimeStamper } from './timestamp.ts';

/** Inputs of {@link signDetached}. */
export interface SignDetachedOptions {
  /** The bytes signed (a whole file for CAdES; the ByteRange of a PDF for PAdES). */
  readonly content?: Uint8Array;
  /**
   * Instead of `content`: its SHA-256, computed from it earlier (a signature prepared once and
   * built again to be finished, without holding the content again). Not for B-LTA, whose archive
   * time-stamp covers the content itself.
   */
  readonly contentDigest?: Uint8Array;
  readonly signer: DocumentSigner;
  /**
   * The signingTime attribute (the signer's claim, not a proof). CAdES B-B puts it in; PAdES
   * B-B must not (EN 319 142-1 §5.3: the time goes into the signature dictionary's M).
   */
  readonly signingTime?: Date;
}

/** Makes a detached CAdES B-B signature (ContentInfo DER). */
export async function signDetached(o: SignDetachedOptions): Promise<Uint8Array> {
  const prepared = await prepareCmsSignature({
    ...(o.contentDigest === undefined ? { content: o.content! } : { contentDigest: o.contentDigest }),
    detached: true,
    certificate: o.signer.certificate,
    extraCertificates: o.signer.chain,
    algorithm: o.signer.algorithm,
    ...(o.signingTime ? { signingTime: o.signingTime } : {}),
    signedAttributes: [await signingCertificateV2Attribute(o.signer.certificate)],
  });
  return prepared.finish(await o.signer.sign(prepared));
}

/** Options of the upgrade steps. */
export interface UpgradeOptions {
  /** Time-stamps for B-T and B-LTA. */
  readonly timeStamper?: TimeStamper;
  /** Revocation evidence for B-LT. */
  readonly evidence?: EvidenceSource;
}

/** The baseline levels, in order. */
export type BaselineLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';

const sha256 = async (b: Uint8Array): Promise<Uint8Array> =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(b)));

/** B-B → B-T: adds a signature-time-stamp over the signature value (EN 319 122-1 §5.3). */
export async function addSignatureTimeStamp(cms: Uint8Array, timeStamper: TimeStamper): Promise<Uint8Array> {
  const p = splitSignedData(cms);
  const token = await timeStamper(await sha256(p.signatureValue));
  return joinSignedData(p, [...p.unsigned, unsignedAttribute(OID.aaSignatureTimeStampToken, token)]);
}

/** The certificates embedded in the SignedData's `certificates` field. */
export function embeddedCertificates(p: SignedDataParts): Certificate[] {
  if (!p.certificates) return [];
  const out: Certificate[] = [];
  const r = DerReader.of(p.certificates, readTlv(p.certificates, 0));
  while (!r.done) {
    const t = r.next();
    if (t.tag === Tag.SEQUENCE) out.push(parseCertificate(encodingOf(p.certificates, t).slice()));
  }
  return out;
}

/** The certificate the SignerInfo names (issuerAndSerialNumber). */
export function signerCertificateOf(p: SignedDataParts, candidates: ReadonlyArray<Certificate>): Certificate {
  const sid = p.signerInfoHead[1]!;
  if (sid[0] !== Tag.SEQUENCE) throw signatureError('signature_unsupported', 'the signer is named by key id');
  const r = DerReader.of(sid, parseTopLevel(sid, Tag.SEQUENCE, 'IssuerAndSerialNumber'));
  const issuer = encodingOf(sid, r.expect(Tag.SEQUENCE));
  const serial = valueOf(sid, r.expect(Tag.INTEGER));
  const c = candidates.find((x) => bytesEqual(x.issuer.der, issuer) && bytesEqual(x.serialBytes, serial));
  if (!c) throw signatureError('signature_malformed', 'the signer certificate is not embedded');
  return c;
}

/** Builds leaf → … → self-signed root from `pool` by names (signatures are checked at validation). */
export function chainOf(leaf: Certificate, pool: ReadonlyArray<Certificate>): Certificate[] {
  const chain = [leaf];
  let c = leaf;
  while (!bytesEqual(c.issuer.der, c.subject.der) && chain.length < 8) {
    const issuer = pool.find((x) => bytesEqual(x.subject.der, c.issuer.der) && x !== c);
    if (!issuer) break;
    chain.push(issuer);
    c = issuer;
  }
  return chain;
}

/** The TimeStampTokens of one unsigned attribute type. */
export function tokensOf(p: SignedDataParts, type: string): Uint8Array[] {
  return p.unsigned.filter((a) => a.type === type).flatMap((a) => [...a.values]);
}

/** The certificates a TimeStampToken embeds. */
export function tokenCertificates(token: Uint8Array): Certificate[] {
  try {
    return embeddedCertificates(splitSignedData(token));
  } catch {
    return [];
  }
}

/** The BasicOCSPResponse inside an OCSPResponse (RFC 6960 §4.2.1), as revocation-values holds it. */
function basicOcspOf(ocspResponse: Uint8Array): Uint8Array {
  const r = DerReader.of(ocspResponse, parseTopLevel(ocspResponse, Tag.SEQUENCE, 'OCSPResponse'));
  r.expect(Tag.ENUMERATED);
  const rb = DerReader.of(ocspResponse, DerReader.of(ocspResponse, r.expect(ctx(0))).expect(Tag.SEQUENCE));
  rb.expect(Tag.OID);
  return valueOf(ocspResponse, rb.expect(Tag.OCTET_STRING)).slice();
}

/** An OCSPResponse around a BasicOCSPResponse (for the OCSP verifier). */
export function ocspResponseOf(basic: Uint8Array): Uint8Array {
  return seq(Uint8Array.of(0x0a, 0x01, 0x00), explicit(0, seq(oid(OID.ocspBasic), octets(basic))));
}

/**
 * B-T → B-LT: adds certificate-values (every certificate of the signer's chain and of the
 * time-stamps' TSAs) and revocation-values (an OCSP response or CRL for each certificate of the
 * signer's chain but the root), replacing earlier ones. The TSA certificates' revocation is not
 * gathered: Watashi trusts a TSA by its configured certificate (pki README, time-stamps).
 */
export async function addValidationData(cms: Uint8Array, evidence: EvidenceSource): Promise<Uint8Array> {
  const p = splitSignedData(cms);
  const embedded = embeddedCertificates(p);
  const leaf = signerCertificateOf(p, embedded);
  const chain = chainOf(leaf, embedded);
  const tsaCerts = tokensOf(p, OID.aaSignatureTimeStampToken).flatMap(tokenCertificates);
  const ocspVals: Uint8Array[] = [];
  const crlVals: Uint8Array[] = [];
  for (let i = 0; i + 1 < chain.length; i++) {
    let ev;
    try {
      ev = await evidence(chain[i]!, chain[i + 1]!);
    } catch (cause) {
      if (cause instanceof Error && 'code' in cause && cause.code === 'signature_evidence_unavailable')
        throw cause;
      throw signatureError('signature_evidence_unavailable', 'no revocation evidence could be obtained', {
        cause,
      });
    }
    if (ev.ocsp) {
      // Only a response that answers for this certificate is worth embedding.
      const parsed = parseOcspResponse(ev.ocsp);
      const id = await certIdFor(chain[i]!, chain[i + 1]!, 'SHA-1');
      if (
        parsed.basic &&
        parsed.basic.responses.some((r) => bytesEqual(r.certId.serialBytes, id.serialBytes))
      )
        ocspVals.push(basicOcspOf(ev.ocsp));
    }
    if (ev.crl) crlVals.push(ev.crl);
  }
  const seen: Uint8Array[] = [];
  for (const c of [...chain, ...tsaCerts]) if (!seen.some((d) => bytesEqual(d, c.der))) seen.push(c.der);
  const certValues = unsignedAttribute(OID.aaEtsCertValues, seq(...seen));
  const revocationValues = unsignedAttribute(
    OID.aaEtsRevocationValues,
    seq(
      ...(crlVals.length ? [explicit(0, seq(...crlVals))] : []),
      ...(ocspVals.length ? [explicit(1, seq(...ocspVals))] : []),
    ),
  );
  const keep = p.unsigned.filter(
    (a) => a.type !== OID.aaEtsCertValues && a.type !== OID.aaEtsRevocationValues,
  );
  return joinSignedData(p, [...keep, certValues, revocationValues]);
}

/**
 * The data an archive-time-stamp v2 covers (RFC 5126 §6.4.1): encapContentInfo, the detached
 * content when eContent is absent, the certificates and crls fields when present, and every
 * element of the SignerInfo with the unsigned attributes `covered`.
 */
export function archiveTimeStampInput(
  p: SignedDataParts,
  content: Uint8Array,
  covered: ReadonlyArray<UnsignedAttribute>,
): Uint8Array {
  const detached = !hasEContent(p.encapContentInfo);
  const unsignedSet = encodeUnsigned(covered);
  return concat(
    p.encapContentInfo,
    ...(detached ? [content] : []),
    ...(p.certificates ? [p.certificates] : []),
    ...(p.crls ? [p.crls] : []),
    ...p.signerInfoHead,
    ...unsignedSet,
  );
}

/** B-LT → B-LTA: adds an archive-time-stamp over everything present (content included). */
export async function addArchiveTimeStamp(
  cms: Uint8Array,
  content: Uint8Array,
  timeStamper: TimeStamper,
): Promise<Uint8Array> {
  const p = splitSignedData(cms);
  const token = await timeStamper(await sha256(archiveTimeStampInput(p, content, p.unsigned)));
  return joinSignedData(p, [...p.unsigned, unsignedAttribute(OID.aaEtsArchiveTimestampV2, token)]);
}

/** Inputs of {@link signCades}. */
export interface SignCadesOptions extends SignDetachedOptions, UpgradeOptions {
  /** The level to reach (default B-B; B-T needs a time-stamper, B-LT evidence too). */
  readonly level?: BaselineLevel;
}

/** Signs `content` (detached) and upgrades the signature to `level`. */
export async function signCades(o: SignCadesOptions): Promise<Uint8Array> {
  const level = o.level ?? 'B-B';
  if (o.content === undefined && level === 'B-LTA')
    throw new TypeError('B-LTA time-stamps the content itself: give the content');
  const cms = await signDetached(o);
  // Below B-LTA the upgrades do not read the content.
  return upgradeCades(cms, o.content ?? new Uint8Array(0), level, o);
}

/** Upgrades an existing detached CAdES signature of `content` to `level` (idempotent per step). */
export async function upgradeCades(
  cms: Uint8Array,
  content: Uint8Array,
  level: BaselineLevel,
  o: UpgradeOptions,
): Promise<Uint8Array> {
  const rank = LEVELS.indexOf(level);
  let out = cms;
  if (rank >= 1) {
    if (!o.timeStamper) throw new TypeError(`${level} needs a time-stamper`);
    if (tokensOf(splitSignedData(out), OID.aaSignatureTimeStampToken).length === 0)
      out = await addSignatureTimeStamp(out, o.timeStamper);
  }
  if (rank >= 2) {
    if (!o.evidence) throw new TypeError(`${level} needs an evidence source`);
    out = await addValidationData(out, o.evidence);
  }
  if (rank >= 3) out = await addArchiveTimeStamp(out, content, o.timeStamper!);
  return out;
}

const LEVELS: ReadonlyArray<BaselineLevel> = ['B-B', 'B-T', 'B-LT', 'B-LTA'];

function hasEContent(encap: Uint8Array): boolean {
  const r = DerReader.of(encap, parseTopLevel(encap, Tag.SEQUENCE, 'EncapsulatedContentInfo'));
  r.expect(Tag.OID);
  return r.optional(ctx(0)) !== undefined;
}
