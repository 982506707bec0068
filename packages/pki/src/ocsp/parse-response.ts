/**
 * Structural parse of an OCSPResponse (RFC 6960 §4.2.1; ASN.1 in respond.ts). No signature or
 * freshness checks here — that is {@link verifyOcspResponse}; this only turns DER into named
 * fields, strictly, and throws `ocsp_malformed` for any defect.
 */
import { isWatashiError, pkiError } from '../errors.ts';
import {
  DerReader,
  encodingOf,
  parseTopLevel,
  readBitString,
  readSmallInt,
  Tag,
  valueOf,
  type Tlv,
} from '../der/reader.ts';
import { decodeOidContent, OID } from '../der/oid.ts';
import { readTime } from '../der/time.ts';
import { readSignatureAlgorithm, type SignatureAlgorithm } from '../crypto/algorithms.ts';
import { readCertId, type CertId } from './cert-id.ts';
import { readExtensions, readNonceValue, type OcspExtension } from './extensions.ts';
import type { OcspCertStatus, OcspResponderId } from './respond.ts';
import { reasonName, responseStatusName, type OcspResponseStatus } from './status.ts';

/** Largest response accepted (one CertID plus a responder certificate is ~2 KB). */
const MAX_RESPONSE_SIZE = 256 * 1024;

/** One parsed SingleResponse. */
export interface OcspSingleResponse {
  readonly certId: CertId;
  readonly status: OcspCertStatus;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly extensions: ReadonlyArray<OcspExtension>;
}

/** A parsed BasicOCSPResponse. Byte fields are views into the response DER. */
export interface BasicOcspResponse {
  /** The exact ResponseData bytes the signature covers. */
  readonly tbsResponseData: Uint8Array;
  readonly responderId: OcspResponderId;
  readonly producedAt: Date;
  readonly responses: ReadonlyArray<OcspSingleResponse>;
  /** The nonce from responseExtensions, without its OCTET STRING wrapper. */
  readonly nonce?: Uint8Array;
  readonly extensions: ReadonlyArray<OcspExtension>;
  /** The signature algorithm, or undefined when it is one we do not accept (e.g. SHA-1 based). */
  readonly signatureAlgorithm: SignatureAlgorithm | undefined;
  /** signatureAlgorithm OID (dotted), always present. */
  readonly signatureAlgorithmOid: string;
  readonly signature: Uint8Array;
  /** DER of each certificate in `certs` (unparsed). */
  readonly certificates: ReadonlyArray<Uint8Array>;
}

/** A parsed OCSPResponse: the status, and the basic response when the status is `successful`. */
export interface OcspResponse {
  readonly der: Uint8Array;
  readonly responseStatus: OcspResponseStatus;
  readonly basic?: BasicOcspResponse;
}

/** Parses a DER OCSPResponse. Throws `ocsp_malformed` (DER error as `cause`) on any defect. */
export function parseOcspResponse(der: Uint8Array): OcspResponse {
  try {
    return parseInner(der);
  } catch (e) {
    if (isWatashiError(e, 'ocsp_malformed')) throw e;
    throw pkiError('ocsp_malformed', 'malformed OCSP response', { cause: e });
  }
}

function generalized(buf: Uint8Array, t: Tlv, what: string): Date {
  // RFC 6960 §4.2.1 (ASN.1 module): every OCSP time is a GeneralizedTime.
  if (t.tag !== Tag.GENERALIZED_TIME) throw pkiError('ocsp_malformed', `${what} must be a GeneralizedTime`);
  return readTime(buf, t);
}

function parseInner(der: Uint8Array): OcspResponse {
  const top = parseTopLevel(der, Tag.SEQUENCE, 'OCSPResponse', MAX_RESPONSE_SIZE);
  const r = DerReader.of(der, top);
  const responseStatus = responseStatusName(readSmallInt(der, r.expect(Tag.ENUMERATED, 'responseStatus')));
  const bytesTlv = r.optional(0xa0);
  r.end('OCSPResponse');
  if (responseStatus !== 'successful') {
    // RFC 6960 §2.3: error responses carry no signed data.
    if (bytesTlv)
      throw pkiError('ocsp_malformed', `a ${responseStatus} response must not carry responseBytes`);
    return { der, responseStatus };
  }
  if (!bytesTlv) throw pkiError('ocsp_malformed', 'a successful response must carry responseBytes');
  const br = DerReader.of(der, bytesTlv);
  const rb = DerReader.of(der, br.expect(Tag.SEQUENCE, 'ResponseBytes'));
  br.end('responseBytes');
  const type = decodeOidContent(valueOf(der, rb.expect(Tag.OID, 'responseType')));
  const respTlv = rb.expect(Tag.OCTET_STRING, 'response');
  rb.end('ResponseBytes');
  // RFC 6960 §4.2.1: id-pkix-ocsp-basic is the one type responders must support and we speak.
  if (type !== OID.ocspBasic) throw pkiError('ocsp_malformed', `unsupported OCSP response type ${type}`);
  return { der, responseStatus, basic: parseBasic(der, respTlv) };
}

function parseBasic(der: Uint8Array, octetString: Tlv): BasicOcspResponse {
  const outer = DerReader.of(der, octetString);
  const b = DerReader.of(der, outer.expect(Tag.SEQUENCE, 'BasicOCSPResponse'));
  outer.end('response');
  const tbsTlv = b.expect(Tag.SEQUENCE, 'tbsResponseData');
  const algTlv = b.expect(Tag.SEQUENCE, 'signatureAlgorithm');
  const sig = readBitString(der, b.expect(Tag.BIT_STRING, 'signature'));
  const certsTlv = b.optional(0xa0);
  b.end('BasicOCSPResponse');
  if (sig.unusedBits !== 0) throw pkiError('ocsp_malformed', 'signature BIT STRING has unused bits');

  const signatureAlgorithmOid = decodeOidContent(
    valueOf(der, DerReader.of(der, algTlv).expect(Tag.OID, 'algorithm')),
  );
  let signatureAlgorithm: SignatureAlgorithm | undefined;
  try {
    signatureAlgorithm = readSignatureAlgorithm(der, algTlv);
  } catch (e) {
    // An algorithm we refuse (SHA-1, PSS, …) is not a parse error: verification reports it.
    if (!isWatashiError(e, 'unsupported_algorithm')) throw e;
    signatureAlgorithm = undefined;
  }

  const certificates: Uint8Array[] = [];
  if (certsTlv) {
    const cr = DerReader.of(der, certsTlv);
    const cs = DerReader.of(der, cr.expect(Tag.SEQUENCE, 'certs'));
    cr.end('certs');
    while (!cs.done) certificates.push(encodingOf(der, cs.expect(Tag.SEQUENCE, 'Certificate')));
  }

  const t = DerReader.of(der, tbsTlv);
  const vTlv = t.optional(0xa0);
  if (vTlv) {
    const vr = DerReader.of(der, vTlv);
    const v = readSmallInt(der, vr.expect(Tag.INTEGER, 'version'));
    vr.end('version');
    if (v !== 0) throw pkiError('ocsp_malformed', `unsupported ResponseData version ${v + 1}`);
  }
  const ridTlv = t.next();
  let responderId: OcspResponderId;
  const rid = DerReader.of(der, ridTlv);
  if (ridTlv.tag === 0xa1) {
    responderId = { type: 'name', name: encodingOf(der, rid.expect(Tag.SEQUENCE, 'byName')) };
  } else if (ridTlv.tag === 0xa2) {
    const keyHash = valueOf(der, rid.expect(Tag.OCTET_STRING, 'byKey'));
    if (keyHash.length !== 20) throw pkiError('ocsp_malformed', 'ResponderID byKey must be a SHA-1 hash');
    responderId = { type: 'key', keyHash };
  } else {
    throw pkiError('ocsp_malformed', 'ResponderID must be byName [1] or byKey [2]');
  }
  rid.end('ResponderID');
  const producedAt = generalized(der, t.next(), 'producedAt');
  const list = DerReader.of(der, t.expect(Tag.SEQUENCE, 'responses'));
  const extTlv = t.optional(0xa1);
  t.end('ResponseData');

  const responses: OcspSingleResponse[] = [];
  while (!list.done) responses.push(parseSingle(der, list.expect(Tag.SEQUENCE, 'SingleResponse')));
  if (responses.length === 0) throw pkiError('ocsp_malformed', 'BasicOCSPResponse has no SingleResponse');

  const extensions = extTlv ? readExtensions(der, extTlv, 'responseExtensions') : [];
  let nonce: Uint8Array | undefined;
  for (const x of extensions) if (x.oid === OID.ocspNonce) nonce = readNonceValue(x.value);

  return {
    tbsResponseData: encodingOf(der, tbsTlv),
    responderId,
    producedAt,
    responses,
    ...(nonce === undefined ? {} : { nonce }),
    extensions,
    signatureAlgorithm,
    signatureAlgorithmOid,
    signature: sig.bytes,
    certificates,
  };
}

function parseSingle(der: Uint8Array, tlv: Tlv): OcspSingleResponse {
  const s = DerReader.of(der, tlv);
  const certId = readCertId(der, s.expect(Tag.SEQUENCE, 'certID'));
  const st = s.next();
  let status: OcspCertStatus;
  if (st.tag === 0x80 || st.tag === 0x82) {
    // good [0] IMPLICIT NULL / unknown [2] IMPLICIT UnknownInfo (NULL): empty content.
    if (st.end !== st.valueStart) throw pkiError('ocsp_malformed', 'CertStatus NULL with content');
    status = { type: st.tag === 0x80 ? 'good' : 'unknown' };
  } else if (st.tag === 0xa1) {
    const ri = DerReader.of(der, st);
    const revocationTime = generalized(der, ri.next(), 'revocationTime');
    const reasonTlv = ri.optional(0xa0);
    ri.end('RevokedInfo');
    if (reasonTlv) {
      const rr = DerReader.of(der, reasonTlv);
      const reason = reasonName(readSmallInt(der, rr.expect(Tag.ENUMERATED, 'CRLReason')));
      rr.end('revocationReason');
      status = { type: 'revoked', revocationTime, reason };
    } else {
      status = { type: 'revoked', revocationTime };
    }
  } else {
    throw pkiError('ocsp_malformed', `unknown CertStatus tag 0x${st.tag.toString(16)}`);
  }
  const thisUpdate = generalized(der, s.next(), 'thisUpdate');
  let nextUpdate: Date | undefined;
  const nuTlv = s.optional(0xa0);
  if (nuTlv) {
    const nr = DerReader.of(der, nuTlv);
    nextUpdate = generalized(der, nr.next(), 'nextUpdate');
    nr.end('nextUpdate');
  }
  const sx = s.optional(0xa1);
  s.end('SingleResponse');
  const extensions = sx ? readExtensions(der, sx, 'singleExtensions') : [];
  return { certId, status, thisUpdate, ...(nextUpdate ? { nextUpdate } : {}), extensions };
}
