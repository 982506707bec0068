/**
 * OCSP requests (RFC 6960 §4.1): build one for a client, parse one for a responder.
 *
 * ```asn1
 * OCSPRequest ::= SEQUENCE {
 *   tbsRequest                  TBSRequest,
 *   optionalSignature   [0]     EXPLICIT Signature OPTIONAL }
 * TBSRequest ::= SEQUENCE {
 *   version             [0]     EXPLICIT Version DEFAULT v1,
 *   requestorName       [1]     EXPLICIT GeneralName OPTIONAL,
 *   requestList                 SEQUENCE OF Request,
 *   requestExtensions   [2]     EXPLICIT Extensions OPTIONAL }
 * Signature ::= SEQUENCE {
 *   signatureAlgorithm      AlgorithmIdentifier,
 *   signature               BIT STRING,
 *   certs               [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
 * Request ::= SEQUENCE {
 *   reqCert                     CertID,
 *   singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
 * ```
 *
 * The parser is strict (DER, v1 only, bounded item count and nonce length) because it faces the
 * network; every defect is `ocsp_malformed`, which a responder answers with `malformedRequest`.
 * A request signature is reported but not checked: RFC 6960 §4.1.2 leaves signed requests to
 * local policy, and Watashi's responders authorise callers at the transport instead.
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
} from '../der/reader.ts';
import { decodeOidContent, OID } from '../der/oid.ts';
import { explicit, seq } from '../der/writer.ts';
import { webCryptoDigest, type Digest } from '../crypto/provider.ts';
import type { Certificate } from '../cert/parse.ts';
import {
  certIdFor,
  encodeCertId,
  readCertId,
  type CertId,
  type CertIdHashAlgorithm,
  type OcspSubject,
} from './cert-id.ts';
import {
  checkNonceToSend,
  encodeNonceExtension,
  readExtensions,
  readNonceValue,
  type OcspExtension,
} from './extensions.ts';

/** Default bound on the number of CertIDs in one request (a DoS guard; clients send one). */
const DEFAULT_MAX_REQUEST_ITEMS = 32;
/** Largest request accepted (a request for 32 SHA-512 CertIDs with a 128-octet nonce is < 8 KB). */
const MAX_REQUEST_SIZE = 16 * 1024;

/** One item to ask about: a certificate and its issuer, or a ready CertID. */
export type OcspRequestItem =
  { readonly cert: OcspSubject; readonly issuer: Certificate } | { readonly certId: CertId };

/** Inputs of {@link buildOcspRequest}. */
export interface BuildOcspRequestOptions {
  /** Certificates to ask about (at least one). */
  readonly items: ReadonlyArray<OcspRequestItem>;
  /** CertID hash (default SHA-256; `SHA-1` only for responders that know nothing else). */
  readonly hash?: CertIdHashAlgorithm;
  /** Nonce to bind the response to this request (RFC 6960 §4.4.1; RFC 8954: 1..32 octets, 32 recommended). */
  readonly nonce?: Uint8Array;
  /** Digest port (default WebCrypto). */
  readonly digest?: Digest;
}

/**
 * Builds an unsigned DER OCSPRequest (v1, no requestorName). Callers supply the nonce (randomness
 * is injected, docs/conventions.md §8).
 */
export async function buildOcspRequest(options: BuildOcspRequestOptions): Promise<Uint8Array> {
  const { items, hash = 'SHA-256', nonce, digest = webCryptoDigest() } = options;
  if (items.length === 0) throw new RangeError('an OCSP request needs at least one item');
  if (nonce !== undefined) checkNonceToSend(nonce);
  const certIds = await Promise.all(
    items.map((i): Promise<CertId> =>
      'certId' in i ? Promise.resolve(i.certId) : certIdFor(i.cert, i.issuer, hash, digest),
    ),
  );
  const tbs = seq(
    seq(...certIds.map((id) => seq(encodeCertId(id)))),
    ...(nonce === undefined ? [] : [explicit(2, seq(encodeNonceExtension(nonce)))]),
  );
  return seq(tbs);
}

/** One parsed Request. */
export interface OcspRequestEntry {
  readonly certId: CertId;
  /** singleRequestExtensions, if any (RFC 6960 defines none a responder must act on). */
  readonly extensions: ReadonlyArray<OcspExtension>;
}

/** A parsed OCSPRequest. Byte fields are views into `der`. */
export interface OcspRequest {
  readonly der: Uint8Array;
  readonly items: ReadonlyArray<OcspRequestEntry>;
  /** The nonce value (without its OCTET STRING wrapper), when the request carries one. */
  readonly nonce?: Uint8Array;
  /** requestorName GeneralName DER, when present. */
  readonly requestorName?: Uint8Array;
  /** requestExtensions, including the nonce. */
  readonly extensions: ReadonlyArray<OcspExtension>;
  /** Present when the request was signed. Not verified (RFC 6960 §4.1.2: optional for responders). */
  readonly signature?: {
    /** signatureAlgorithm OID (dotted). */
    readonly algorithmOid: string;
    readonly value: Uint8Array;
    /** Certificates the requester attached (DER, unparsed). */
    readonly certificates: ReadonlyArray<Uint8Array>;
  };
  /** OIDs of critical request or single-request extensions this parser does not understand. */
  readonly unsupportedCriticalExtensions: ReadonlyArray<string>;
}

/** Options of {@link parseOcspRequest}. */
export interface ParseOcspRequestOptions {
  /** Most CertIDs accepted in one request (default {@link DEFAULT_MAX_REQUEST_ITEMS}). */
  readonly maxItems?: number;
}

/**
 * Parses a DER OCSPRequest strictly. Throws `ocsp_malformed` (with the underlying DER error as
 * `cause`) for anything that is not a well-formed v1 request with 1..maxItems CertIDs.
 */
export function parseOcspRequest(der: Uint8Array, options: ParseOcspRequestOptions = {}): OcspRequest {
  try {
    return parseInner(der, options.maxItems ?? DEFAULT_MAX_REQUEST_ITEMS);
  } catch (e) {
    if (isWatashiError(e, 'ocsp_malformed')) throw e;
    throw pkiError('ocsp_malformed', 'malformed OCSP request', { cause: e });
  }
}

function parseInner(der: Uint8Array, maxItems: number): OcspRequest {
  const top = parseTopLevel(der, Tag.SEQUENCE, 'OCSPRequest', MAX_REQUEST_SIZE);
  const o = DerReader.of(der, top);
  const t = DerReader.of(der, o.expect(Tag.SEQUENCE, 'TBSRequest'));
  const sigTlv = o.optional(0xa0);
  o.end('OCSPRequest');

  const vTlv = t.optional(0xa0);
  if (vTlv) {
    // DER omits DEFAULT values, but an explicit v1 is unambiguous; anything else is not RFC 6960.
    const vr = DerReader.of(der, vTlv);
    const v = readSmallInt(der, vr.expect(Tag.INTEGER, 'version'));
    vr.end('version');
    if (v !== 0) throw pkiError('ocsp_malformed', `unsupported OCSP request version ${v + 1}`);
  }
  const nameTlv = t.optional(0xa1);
  let requestorName: Uint8Array | undefined;
  if (nameTlv) {
    const nr = DerReader.of(der, nameTlv);
    requestorName = encodingOf(der, nr.next());
    nr.end('requestorName');
  }
  const listTlv = t.expect(Tag.SEQUENCE, 'requestList');
  const extTlv = t.optional(0xa2);
  t.end('TBSRequest');

  const unsupported: string[] = [];
  const items: OcspRequestEntry[] = [];
  const list = DerReader.of(der, listTlv);
  while (!list.done) {
    if (items.length >= maxItems) {
      throw pkiError('ocsp_malformed', `OCSP request has more than ${maxItems} items`, {
        detail: { maxItems },
      });
    }
    const rq = DerReader.of(der, list.expect(Tag.SEQUENCE, 'Request'));
    const certId = readCertId(der, rq.expect(Tag.SEQUENCE, 'reqCert'));
    const sx = rq.optional(0xa0);
    rq.end('Request');
    const extensions = sx ? readExtensions(der, sx, 'singleRequestExtensions') : [];
    for (const x of extensions) if (x.critical) unsupported.push(x.oid);
    items.push({ certId, extensions });
  }
  if (items.length === 0) throw pkiError('ocsp_malformed', 'OCSP request has no items');

  const extensions = extTlv ? readExtensions(der, extTlv, 'requestExtensions') : [];
  let nonce: Uint8Array | undefined;
  for (const x of extensions) {
    if (x.oid === OID.ocspNonce) nonce = readNonceValue(x.value);
    else if (x.critical) unsupported.push(x.oid);
  }

  let signature: OcspRequest['signature'];
  if (sigTlv) {
    const sr = DerReader.of(der, sigTlv);
    const s = DerReader.of(der, sr.expect(Tag.SEQUENCE, 'Signature'));
    sr.end('optionalSignature');
    const alg = DerReader.of(der, s.expect(Tag.SEQUENCE, 'signatureAlgorithm'));
    const algorithmOid = decodeOidContent(valueOf(der, alg.expect(Tag.OID, 'algorithm')));
    const bits = readBitString(der, s.expect(Tag.BIT_STRING, 'signature'));
    const certsTlv = s.optional(0xa0);
    s.end('Signature');
    const certificates: Uint8Array[] = [];
    if (certsTlv) {
      const cr = DerReader.of(der, certsTlv);
      const cs = DerReader.of(der, cr.expect(Tag.SEQUENCE, 'certs'));
      cr.end('certs');
      while (!cs.done) certificates.push(encodingOf(der, cs.expect(Tag.SEQUENCE, 'Certificate')));
    }
    signature = { algorithmOid, value: bits.bytes, certificates };
  }

  return {
    der,
    items,
    ...(nonce === undefined ? {} : { nonce }),
    ...(requestorName ? { requestorName } : {}),
    extensions,
    ...(signature ? { signature } : {}),
    unsupportedCriticalExtensions: unsupported,
  };
}
