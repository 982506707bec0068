/**
 * CMS SignedData verification (RFC 5652 §5.6), strict DER.
 *
 * Watashi signatures have exactly one signer (a resident's card or device key signs a document),
 * so a SignedData with zero or several SignerInfos is refused (`cms_unsupported`) rather than
 * half-verified. This checks the signature, the content digest and the contentType attribute; it
 * does NOT validate the signer's certificate path — call `validatePath` on `signerCertificate`
 * (with `certificates` as intermediates) at `signingTime` or now, as policy requires.
 */
import { pkiError, WatashiError, type PkiErrorCode } from '../errors.ts';
import { parseCertificate, type Certificate } from '../cert/parse.ts';
import {
  digestOf,
  readDigestAlgorithm,
  readSignatureAlgorithm,
  type DigestAlgorithm,
  type SignatureAlgorithm,
} from '../crypto/algorithms.ts';
import { webCryptoDigest, type Digest, type SignatureVerifier } from '../crypto/provider.ts';
import { bytesEqual } from '../der/hex.ts';
import { decodeOidContent, OID } from '../der/oid.ts';
import {
  ctx,
  ctxPrim,
  DerReader,
  encodingOf,
  parseTopLevel,
  readSmallInt,
  Tag,
  valueOf,
  type Tlv,
} from '../der/reader.ts';
import { readTime } from '../der/time.ts';

/** Default upper bound on the CMS DER size. */
export const DEFAULT_MAX_CMS_SIZE = 16 * 1024 * 1024;

/** Inputs of {@link verifyCms}. */
export interface VerifyCmsOptions {
  /** DER ContentInfo(SignedData). */
  readonly der: Uint8Array;
  /** The signed content: required for a detached signature; if given for an attached one it must be equal. */
  readonly content?: Uint8Array;
  /**
   * Instead of `content`, for a detached signature with signed attributes: the content's digest
   * with the SignerInfo's digest algorithm, computed by the caller from the content earlier; it is
   * compared with the messageDigest attribute (RFC 5652 §11.2). `VerifiedCms.content` is then empty.
   */
  readonly contentDigest?: Uint8Array;
  /** Signature verifier. */
  readonly verifier: SignatureVerifier;
  /** Digest port (default WebCrypto). */
  readonly digest?: Digest;
  /** Largest DER accepted (default {@link DEFAULT_MAX_CMS_SIZE}). */
  readonly maxSize?: number;
  /**
   * Accept a SignerInfo without signed attributes (signature directly over the content). Off by
   * default: without them nothing binds the content type, and Watashi always signs attributes.
   */
  readonly allowNoSignedAttributes?: boolean;
  /**
   * Extra candidates for the signer certificate, for signatures that do not embed it. An embedded
   * certificate whose DER equals one of these is not parsed again: the given object stands for it.
   */
  readonly certificates?: ReadonlyArray<Certificate>;
}

/** The result of a successful {@link verifyCms}. */
export interface VerifiedCms {
  /** The certificate whose key verified the signature (path NOT validated). */
  readonly signerCertificate: Certificate;
  /** Every certificate embedded in the SignedData (useful as path intermediates). */
  readonly certificates: ReadonlyArray<Certificate>;
  /** The signingTime attribute, when present (signer-asserted, not a timestamp). */
  readonly signingTime?: Date;
  /** The signed content (for attached signatures, a view into `der`; empty when given by `contentDigest`). */
  readonly content: Uint8Array;
  /** eContentType (normally id-data). */
  readonly contentType: string;
  readonly digestAlgorithm: DigestAlgorithm;
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** Whether the signature covered signed attributes (always true unless `allowNoSignedAttributes`). */
  readonly signedAttributes: boolean;
  /**
   * The `digestAlgorithm` digest of `content`, equal to the messageDigest attribute, when the
   * signature covered signed attributes — so a caller that also needs this hash need not compute it.
   */
  readonly contentDigest?: Uint8Array;
}

/** Signer identifier: issuerAndSerialNumber (SignerInfo v1) or subjectKeyIdentifier (v3). */
type SignerId =
  | { readonly kind: 'issuerSerial'; readonly issuer: Uint8Array; readonly serial: Uint8Array }
  | { readonly kind: 'keyId'; readonly keyId: Uint8Array };

interface ParsedSignerInfo {
  readonly sid: SignerId;
  readonly digestAlgorithm: DigestAlgorithm;
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** The signedAttrs encoding re-tagged as SET (0x31), what the signature covers (§5.4). */
  readonly signedAttrs?: Uint8Array;
  readonly contentTypeAttr?: string;
  readonly messageDigest?: Uint8Array;
  readonly signingTime?: Date;
  readonly signature: Uint8Array;
}

interface ParsedSignedData {
  readonly contentType: string;
  readonly eContent?: Uint8Array;
  readonly certificates: Certificate[];
  readonly signerInfos: ParsedSignerInfo[];
}

/** Verifies a CMS SignedData with one signer; throws `cms_*` errors. */
export async function verifyCms(o: VerifyCmsOptions): Promise<VerifiedCms> {
  const sd = parseOrThrow(() =>
    parseSignedData(o.der, o.maxSize ?? DEFAULT_MAX_CMS_SIZE, o.certificates ?? []),
  );
  if (sd.signerInfos.length !== 1) {
    throw pkiError(
      'cms_unsupported',
      `Watashi signatures have exactly one signer; this SignedData has ${sd.signerInfos.length}`,
    );
  }
  const si = sd.signerInfos[0]!;

  if (o.content !== undefined && o.contentDigest !== undefined)
    throw new TypeError('give the content or its digest, not both');
  let content: Uint8Array | undefined;
  if (sd.eContent === undefined) {
    if (o.content === undefined && o.contentDigest === undefined)
      throw pkiError('cms_content_mismatch', 'detached signature: the signed content must be supplied');
    content = o.content;
  } else {
    if (o.contentDigest !== undefined)
      throw pkiError('cms_content_mismatch', 'the content is encapsulated: a digest of it is not taken');
    if (o.content !== undefined && !bytesEqual(o.content, sd.eContent))
      throw pkiError('cms_content_mismatch', 'the supplied content differs from the encapsulated content');
    content = sd.eContent;
  }

  const signerCertificate = findSigner(si.sid, [...sd.certificates, ...(o.certificates ?? [])]);
  const digest = o.digest ?? webCryptoDigest();

  let signed: Uint8Array;
  let contentDigest: Uint8Array | undefined;
  if (si.signedAttrs) {
    // RFC 5652 §11.1: the contentType attribute must equal eContentType.
    if (si.contentTypeAttr !== sd.contentType)
      throw pkiError('cms_signature_invalid', 'contentType attribute does not match eContentType');
    // RFC 5652 §5.4 / §11.2: messageDigest is the digest of the eContent octets (or detached content).
    const md = content === undefined ? o.contentDigest! : await digest(si.digestAlgorithm, content);
    if (!si.messageDigest || !bytesEqual(md, si.messageDigest))
      throw pkiError('cms_signature_invalid', 'message digest does not match the content');
    signed = si.signedAttrs;
    contentDigest = md;
  } else {
    if (!o.allowNoSignedAttributes)
      throw pkiError('cms_unsupported', 'SignerInfo without signed attributes is not accepted');
    // RFC 5652 §5.3: signedAttrs MUST be present when the content type is not id-data.
    if (sd.contentType !== OID.cmsData)
      throw pkiError('cms_malformed', 'signed attributes are required for non-data content');
    // The signature is over the content itself: a digest of it cannot stand in.
    if (content === undefined)
      throw pkiError('cms_content_mismatch', 'a signature without signed attributes needs the content');
    signed = content;
  }
  const ok = await o.verifier.verify(signerCertificate.spki, si.signatureAlgorithm, signed, si.signature);
  if (!ok) throw pkiError('cms_signature_invalid', 'CMS signature does not verify');

  return {
    signerCertificate,
    certificates: sd.certificates,
    ...(si.signingTime ? { signingTime: si.signingTime } : {}),
    content: content ?? new Uint8Array(0),
    contentType: sd.contentType,
    digestAlgorithm: si.digestAlgorithm,
    signatureAlgorithm: si.signatureAlgorithm,
    signedAttributes: si.signedAttrs !== undefined,
    ...(contentDigest ? { contentDigest } : {}),
  };
}

function findSigner(sid: SignerId, candidates: ReadonlyArray<Certificate>): Certificate {
  const found = candidates.find((c) =>
    sid.kind === 'issuerSerial'
      ? bytesEqual(c.issuer.der, sid.issuer) && bytesEqual(c.serialBytes, sid.serial)
      : c.subjectKeyId !== undefined && bytesEqual(c.subjectKeyId, sid.keyId),
  );
  if (!found) throw pkiError('cms_signer_not_found', 'the signer certificate is not in the SignedData');
  return found;
}

/** DER/parse failures → `cms_malformed`; unknown algorithms → `cms_unsupported`; cms_* pass through. */
function parseOrThrow<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof WatashiError && (e.code as string).startsWith('cms_')) throw e;
    if (e instanceof WatashiError && e.code === 'unsupported_algorithm')
      throw pkiError('cms_unsupported', e.message, { cause: e });
    throw pkiError('cms_malformed', 'malformed CMS SignedData', { cause: e });
  }
}

const malformed = (msg: string): WatashiError<PkiErrorCode> => pkiError('cms_malformed', msg);

function parseSignedData(
  der: Uint8Array,
  maxSize: number,
  known: ReadonlyArray<Certificate>,
): ParsedSignedData {
  const top = parseTopLevel(der, Tag.SEQUENCE, 'ContentInfo', maxSize);
  const ci = DerReader.of(der, top);
  const ciType = decodeOidContent(valueOf(der, ci.expect(Tag.OID, 'contentType')));
  if (ciType !== OID.cmsSignedData)
    throw pkiError('cms_unsupported', `ContentInfo type ${ciType} is not SignedData`);
  const wrapper = DerReader.of(der, ci.expect(ctx(0), 'content'));
  ci.end('ContentInfo');
  const sdTlv = wrapper.expect(Tag.SEQUENCE, 'SignedData');
  wrapper.end('content');

  const r = DerReader.of(der, sdTlv);
  const version = readSmallInt(der, r.expect(Tag.INTEGER, 'version'));
  // RFC 5652 §5.1: 1 or 3 for what we read; 4/5 imply attribute certificates or other formats.
  if (version !== 1 && version !== 3) throw pkiError('cms_unsupported', `SignedData version ${version}`);
  const algs = DerReader.of(der, r.expect(Tag.SET, 'digestAlgorithms'));
  while (!algs.done) algs.expect(Tag.SEQUENCE, 'DigestAlgorithmIdentifier');

  const encap = DerReader.of(der, r.expect(Tag.SEQUENCE, 'encapContentInfo'));
  const contentType = decodeOidContent(valueOf(der, encap.expect(Tag.OID, 'eContentType')));
  let eContent: Uint8Array | undefined;
  const ec = encap.optional(ctx(0));
  if (ec) {
    const er = DerReader.of(der, ec);
    // DER only: a constructed (BER-chunked) OCTET STRING is not accepted.
    eContent = valueOf(der, er.expect(Tag.OCTET_STRING, 'eContent'));
    er.end('eContent');
  }
  encap.end('encapContentInfo');

  const certificates: Certificate[] = [];
  const certSet = r.optional(ctx(0));
  if (certSet) {
    const cr = DerReader.of(der, certSet);
    while (!cr.done) {
      const c = cr.next();
      // CertificateChoices: only plain certificates matter; other choices ([0]–[3]) are skipped.
      if (c.tag !== Tag.SEQUENCE) continue;
      const encoding = encodingOf(der, c);
      // The caller's copy, already parsed (a card's CMS embeds the certificate it checked first).
      certificates.push(known.find((k) => bytesEqual(k.der, encoding)) ?? parseCertificate(encoding));
    }
  }
  r.optional(ctx(1)); // crls: revocation data is the caller's business (validatePath + a checker)
  const siSet = DerReader.of(der, r.expect(Tag.SET, 'signerInfos'));
  r.end('SignedData');
  const signerInfos: ParsedSignerInfo[] = [];
  while (!siSet.done) signerInfos.push(parseSignerInfo(der, siSet.expect(Tag.SEQUENCE, 'SignerInfo')));
  // RFC 5652 §5.1: with no attribute certificates or other formats (what we read), the version is
  // 3 exactly when a SignerInfo is version 3 (subjectKeyIdentifier) or eContentType is not id-data,
  // else 1. The version is not signed: a wrong one is a malformed structure, refused rather than
  // read loosely (an outside mutation test found it accepted; issue 21, item 7).
  const expected = signerInfos.some((si) => si.sid.kind === 'keyId') || contentType !== OID.cmsData ? 3 : 1;
  if (version !== expected) throw malformed(`SignedData version ${version}, expected ${expected}`);
  return { contentType, ...(eContent ? { eContent } : {}), certificates, signerInfos };
}

function parseSignerInfo(der: Uint8Array, tlv: Tlv): ParsedSignerInfo {
  const r = DerReader.of(der, tlv);
  const version = readSmallInt(der, r.expect(Tag.INTEGER, 'SignerInfo version'));
  const sidTlv = r.next();
  let sid: SignerId;
  if (sidTlv.tag === Tag.SEQUENCE) {
    // RFC 5652 §5.3: issuerAndSerialNumber ⇒ version 1.
    if (version !== 1) throw malformed('SignerInfo version must be 1 with issuerAndSerialNumber');
    const ias = DerReader.of(der, sidTlv);
    const issuer = encodingOf(der, ias.expect(Tag.SEQUENCE, 'issuer'));
    const serial = valueOf(der, ias.expect(Tag.INTEGER, 'serialNumber'));
    ias.end('IssuerAndSerialNumber');
    sid = { kind: 'issuerSerial', issuer, serial };
  } else if (sidTlv.tag === ctxPrim(0)) {
    if (version !== 3) throw malformed('SignerInfo version must be 3 with subjectKeyIdentifier');
    sid = { kind: 'keyId', keyId: valueOf(der, sidTlv) };
  } else {
    throw malformed('unknown SignerIdentifier');
  }
  const digestAlgorithm = readDigestAlgorithm(der, r.expect(Tag.SEQUENCE, 'digestAlgorithm'));
  // docs/conventions.md §5: no SHA-1 anywhere new.
  if (digestAlgorithm === 'SHA-1') throw pkiError('cms_unsupported', 'SHA-1 CMS signatures are not accepted');

  const attrsTlv = r.optional(ctx(0));
  const attrs = attrsTlv ? parseSignedAttributes(der, attrsTlv) : undefined;
  const signatureAlgorithm = readCmsSignatureAlgorithm(
    der,
    r.expect(Tag.SEQUENCE, 'signatureAlgorithm'),
    digestAlgorithm,
  );
  const signature = valueOf(der, r.expect(Tag.OCTET_STRING, 'signature'));
  r.optional(ctx(1)); // unsignedAttrs (e.g. an RFC 3161 timestamp token) are not interpreted here
  r.end('SignerInfo');
  return { sid, digestAlgorithm, signatureAlgorithm, ...(attrs ?? {}), signature };
}

/** RFC 5652 §11.1–11.3: contentType, messageDigest and signingTime have exactly one value. */
function single(values: DerReader): Tlv {
  const v = values.next();
  values.end('single-valued attribute');
  return v;
}

function parseSignedAttributes(
  der: Uint8Array,
  tlv: Tlv,
): Pick<ParsedSignerInfo, 'signedAttrs' | 'contentTypeAttr' | 'messageDigest' | 'signingTime'> {
  const r = DerReader.of(der, tlv);
  const seen = new Set<string>();
  let contentTypeAttr: string | undefined;
  let messageDigest: Uint8Array | undefined;
  let signingTime: Date | undefined;
  while (!r.done) {
    const a = DerReader.of(der, r.expect(Tag.SEQUENCE, 'Attribute'));
    const type = decodeOidContent(valueOf(der, a.expect(Tag.OID, 'attrType')));
    const values = DerReader.of(der, a.expect(Tag.SET, 'attrValues'));
    a.end('Attribute');
    if (seen.has(type)) throw malformed(`duplicate signed attribute ${type}`);
    seen.add(type);
    if (type === OID.contentType) {
      const v = single(values);
      if (v.tag !== Tag.OID) throw malformed('contentType attribute is not an OID');
      contentTypeAttr = decodeOidContent(valueOf(der, v));
    } else if (type === OID.messageDigest) {
      const v = single(values);
      if (v.tag !== Tag.OCTET_STRING) throw malformed('messageDigest attribute is not an OCTET STRING');
      messageDigest = valueOf(der, v);
    } else if (type === OID.signingTime) {
      signingTime = readTime(der, single(values));
    }
  }
  // RFC 5652 §5.3: with signed attributes, contentType and messageDigest MUST be present.
  if (contentTypeAttr === undefined || messageDigest === undefined)
    throw malformed('signed attributes lack contentType or messageDigest');
  const signedAttrs = encodingOf(der, tlv).slice();
  signedAttrs[0] = Tag.SET; // RFC 5652 §5.4: signed over the EXPLICIT SET OF tag, not [0]
  return { signedAttrs, contentTypeAttr, messageDigest, ...(signingTime ? { signingTime } : {}) };
}

/**
 * SignerInfo.signatureAlgorithm: `sha*WithRSAEncryption`, `ecdsa-with-SHA256`, or plain
 * `rsaEncryption` (RFC 3370 §3.2, what OpenSSL writes) whose hash is then the digestAlgorithm.
 * The signature's hash must equal the digestAlgorithm (one hash per SignerInfo).
 */
function readCmsSignatureAlgorithm(der: Uint8Array, tlv: Tlv, digest: DigestAlgorithm): SignatureAlgorithm {
  const r = DerReader.of(der, tlv);
  const id = decodeOidContent(valueOf(der, r.expect(Tag.OID, 'signatureAlgorithm')));
  let alg: SignatureAlgorithm;
  if (id === OID.rsaEncryption) {
    if (!r.done) r.expect(Tag.NULL, 'rsaEncryption parameters');
    r.end('AlgorithmIdentifier');
    if (digest === 'SHA-1') throw pkiError('cms_unsupported', 'SHA-1 is not accepted');
    alg = digest === 'SHA-256' ? 'RSA-SHA256' : digest === 'SHA-384' ? 'RSA-SHA384' : 'RSA-SHA512';
  } else {
    alg = readSignatureAlgorithm(der, tlv);
  }
  if (digestOf(alg) !== digest)
    throw pkiError('cms_unsupported', `signature algorithm ${alg} does not match digest ${digest}`);
  return alg;
}
