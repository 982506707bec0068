/**
 * The revocation-evidence port used when a signature is upgraded to B-LT: for one certificate and
 * its issuer, the DER of an OCSP response or a CRL proving its status. For JPKI certificates the
 * platform's `JpkiBackend` answers (so every query is billed in the fee ledger, docs/jpki.md
 * §2.4); any CA with an OCSP responder can be asked directly over HTTP.
 */
import { buildOcspRequest, parseOcspResponse, type Certificate, type OcspSubject } from '@watashi/pki';
import { signatureError } from './errors.ts';

/** Evidence about one certificate: an OCSPResponse (DER) or a CRL (DER). */
export interface RevocationEvidence {
  readonly ocsp?: Uint8Array;
  readonly crl?: Uint8Array;
}

/** Returns evidence for `cert` issued by `issuer`; throws when none can be had. */
export type EvidenceSource = (cert: Certificate, issuer: Certificate) => Promise<RevocationEvidence>;

/** Asks the OCSP responder named in the certificate (or `url`) directly, without a nonce (RFC 6960). */
export function ocspHttpEvidence(
  o: { url?: string; fetch?: typeof fetch; timeoutMs?: number } = {},
): EvidenceSource {
  return async (cert, issuer) => {
    const url = o.url ?? cert.ocspUrls?.[0];
    if (url === undefined)
      throw signatureError('signature_evidence_unavailable', 'the certificate names no OCSP responder');
    const der = await buildOcspRequest({ items: [{ cert, issuer }], hash: 'SHA-1' });
    let body: Uint8Array;
    try {
      const res = await (o.fetch ?? fetch)(url, {
        method: 'POST',
        headers: { 'content-type': 'application/ocsp-request' },
        body: new Uint8Array(der),
        signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      body = new Uint8Array(await res.arrayBuffer());
    } catch (cause) {
      throw signatureError('signature_evidence_unavailable', `the OCSP responder at ${url} did not answer`, {
        cause,
      });
    }
    if (parseOcspResponse(body).responseStatus !== 'successful')
      throw signatureError('signature_evidence_unavailable', 'the OCSP responder refused');
    return { ocsp: body };
  };
}

/** The part of the platform's `JpkiBackend` this needs (structural: no platform import). */
export interface OcspBackend {
  ocspStatus(
    cert: OcspSubject,
    issuer: Certificate,
    options?: { readonly purpose?: 'signature_verification'; readonly accountId?: string },
  ): Promise<{ readonly ocspResponse?: Uint8Array }>;
}

/**
 * Evidence through the platform's `JpkiBackend` (billed as `signature_verification` in the fee
 * ledger): the DER OCSP response it verified.
 */
export function jpkiBackendEvidence(backend: OcspBackend, accountId?: string): EvidenceSource {
  return async (cert, issuer) => {
    const status = await backend.ocspStatus(cert, issuer, {
      purpose: 'signature_verification',
      ...(accountId ? { accountId } : {}),
    });
    if (status.ocspResponse === undefined)
      throw signatureError('signature_evidence_unavailable', 'J-LIS answered without an OCSP response');
    return { ocsp: status.ocspResponse };
  };
}
