/**
 * The time-stamp port: something that returns an RFC 3161 TimeStampToken over a SHA-256 imprint
 * — Watashi's own TSA (in process, or its `POST /tsa` route), or any external RFC 3161 TSA by URL.
 */
import {
  buildTimeStampRequest,
  isWatashiError,
  parseTimeStampResponse,
  parseTstInfo,
  requestTimeStamp,
  respondTimeStamp,
  TimeStampStatus,
  verifyCms,
  verifyTimeStampResponse,
  bytesEqual,
  type Certificate,
  type SignatureVerifier,
  type TimeStampAuthority,
  webCryptoVerifier,
} from '@watashi/pki';
import { signatureError } from './errors.ts';

/** Returns a TimeStampToken (ContentInfo DER) over `imprint` (SHA-256, 32 bytes). */
export type TimeStamper = (imprint: Uint8Array) => Promise<Uint8Array>;

/** Options of {@link httpTimeStamper}. */
export interface HttpTimeStamperOptions {
  /**
   * TSA anchors to verify every answer against at once (recommended). Without them the answer's
   * status, nonce and imprint are still checked, and its trust is judged when the signature is
   * validated.
   */
  readonly anchors?: ReadonlyArray<Certificate>;
  readonly verifier?: SignatureVerifier;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

/** An external (or Watashi's own, over HTTP) RFC 3161 TSA at `url` (RFC 3161 §3.4). */
export function httpTimeStamper(url: string, o: HttpTimeStamperOptions = {}): TimeStamper {
  return async (imprint) => {
    const request = buildTimeStampRequest({ imprint });
    let response: Uint8Array;
    try {
      response = await requestTimeStamp({
        url,
        request,
        ...(o.fetch ? { fetch: o.fetch } : {}),
        ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
      });
    } catch (cause) {
      throw signatureError('signature_timestamp_unavailable', `the TSA at ${url} did not answer`, { cause });
    }
    return checkedToken(response, imprint, request.nonce, o);
  };
}

/** Watashi's TSA called in process (no HTTP): the same answer the `/tsa` route gives. */
export function localTimeStamper(authority: TimeStampAuthority): TimeStamper {
  return async (imprint) => {
    const request = buildTimeStampRequest({ imprint });
    const answer = await respondTimeStamp(request.der, authority);
    return checkedToken(answer.der, imprint, request.nonce, {});
  };
}

async function checkedToken(
  response: Uint8Array,
  imprint: Uint8Array,
  nonce: bigint,
  o: HttpTimeStamperOptions,
): Promise<Uint8Array> {
  try {
    if (o.anchors) {
      const v = await verifyTimeStampResponse({
        response,
        imprint,
        nonce,
        anchors: o.anchors,
        verifier: o.verifier ?? webCryptoVerifier(),
      });
      return v.token;
    }
    const parsed = parseTimeStampResponse(response);
    if (
      parsed.token === undefined ||
      (parsed.status !== TimeStampStatus.granted && parsed.status !== TimeStampStatus.grantedWithMods)
    )
      throw signatureError('signature_timestamp_unavailable', `the TSA refused (status ${parsed.status})`);
    const cms = await verifyCms({ der: parsed.token, verifier: o.verifier ?? webCryptoVerifier() });
    const info = parseTstInfo(cms.content);
    if (!bytesEqual(info.hashedMessage, imprint) || info.nonce !== nonce)
      throw signatureError('signature_timestamp_invalid', 'the TSA answered for other data');
    return parsed.token;
  } catch (e) {
    if (isWatashiError(e) && e.code.startsWith('signature_')) throw e;
    if (isWatashiError(e, 'tsp_rejected'))
      throw signatureError('signature_timestamp_unavailable', e.message, { cause: e });
    throw signatureError('signature_timestamp_invalid', 'the TSA’s answer does not verify', { cause: e });
  }
}
