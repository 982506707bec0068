/**
 * RFC 3161 TimeStampReq (§2.4.1), built with the DER writer.
 *
 * Watashi asks for a SHA-256 imprint only, a random nonce (so a replayed answer to an earlier
 * request does not verify) and the TSA's certificate in the token (certReq), so that a verifier
 * needs only the TSA's trust anchor.
 */
import { pkiError } from '../errors.ts';
import { bool, int, octets, oid, seq } from '../der/writer.ts';
import { OID } from '../der/oid.ts';

/** The request's content type (RFC 3161 §3.4). */
export const TIMESTAMP_QUERY_CONTENT_TYPE = 'application/timestamp-query';
/** The response's content type (RFC 3161 §3.4). */
export const TIMESTAMP_REPLY_CONTENT_TYPE = 'application/timestamp-reply';

/** Inputs of {@link buildTimeStampRequest}. */
export interface TimeStampRequestOptions {
  /** The SHA-256 digest of the data to time-stamp (32 bytes). */
  readonly imprint: Uint8Array;
  /** The nonce (default: 64 random bits, positive). */
  readonly nonce?: bigint;
  /** Ask the TSA to put its certificate in the token (default true). */
  readonly certReq?: boolean;
}

/** A built request and the nonce it carries (the verifier compares the token's nonce with it). */
export interface TimeStampRequest {
  readonly der: Uint8Array;
  readonly nonce: bigint;
}

/** A positive 64-bit random nonce (RFC 3161 §2.4.1: "a large random number with a high probability"). */
export function randomTimeStampNonce(): bigint {
  const b = crypto.getRandomValues(new Uint8Array(8));
  b[0] = (b[0]! & 0x7f) | 0x01; // positive and full length, so the INTEGER is 8 content octets
  return b.reduce((n, x) => (n << 8n) | BigInt(x), 0n);
}

/**
 * TimeStampReq ::= SEQUENCE { version INTEGER { v1(1) }, messageImprint MessageImprint,
 * reqPolicy OPTIONAL, nonce INTEGER OPTIONAL, certReq BOOLEAN DEFAULT FALSE, extensions [0] OPTIONAL }
 * (RFC 3161 §2.4.1). The SHA-256 AlgorithmIdentifier has absent parameters (RFC 5754 §2).
 */
export function buildTimeStampRequest(o: TimeStampRequestOptions): TimeStampRequest {
  if (o.imprint.length !== 32) throw new RangeError('the imprint must be a SHA-256 digest (32 bytes)');
  const nonce = o.nonce ?? randomTimeStampNonce();
  if (nonce <= 0n) throw new RangeError('the nonce must be positive');
  const certReq = o.certReq ?? true;
  const der = seq(
    int(1),
    seq(seq(oid(OID.sha256)), octets(o.imprint)),
    int(nonce),
    // DER: a BOOLEAN DEFAULT FALSE is omitted when false (X.690 §11.5).
    ...(certReq ? [bool(true)] : []),
  );
  return { der, nonce };
}

/** Options of {@link requestTimeStamp}. */
export interface RequestTimeStampOptions {
  /** The TSA's URL (HTTP POST, RFC 3161 §3.4). */
  readonly url: string;
  /** The request, from {@link buildTimeStampRequest}. */
  readonly request: TimeStampRequest;
  /** fetch implementation (default the global one). */
  readonly fetch?: typeof fetch;
  /** Give up after this many milliseconds (default 10 000). */
  readonly timeoutMs?: number;
  /** Largest answer read (default 256 KiB). */
  readonly maxSize?: number;
}

/**
 * POSTs a TimeStampReq as `application/timestamp-query` and returns the answer's DER. A network
 * failure, a non-2xx status or an oversized body is `tsp_rejected` (with the cause); the body is not
 * parsed here (see `parseTimeStampResponse`).
 */
export async function requestTimeStamp(o: RequestTimeStampOptions): Promise<Uint8Array> {
  const max = o.maxSize ?? 256 * 1024;
  let res: Response;
  try {
    res = await (o.fetch ?? fetch)(o.url, {
      method: 'POST',
      headers: { 'content-type': TIMESTAMP_QUERY_CONTENT_TYPE, accept: TIMESTAMP_REPLY_CONTENT_TYPE },
      body: new Uint8Array(o.request.der),
      signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
      redirect: 'error',
    });
  } catch (cause) {
    throw pkiError('tsp_rejected', 'the time-stamp authority cannot be reached', { cause });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw pkiError('tsp_rejected', `the time-stamp authority answered HTTP ${res.status}`);
  }
  // Refused before reading when the TSA announces an oversized body.
  if (Number(res.headers.get('content-length') ?? 0) > max) {
    await res.body?.cancel();
    throw pkiError('tsp_rejected', `the time-stamp answer is larger than ${max} bytes`);
  }
  let body: Uint8Array;
  try {
    body = new Uint8Array(await res.arrayBuffer());
  } catch (cause) {
    throw pkiError('tsp_rejected', 'the time-stamp authority’s answer could not be read', { cause });
  }
  if (body.length > max) throw pkiError('tsp_rejected', `the time-stamp answer is larger than ${max} bytes`);
  return body;
}
