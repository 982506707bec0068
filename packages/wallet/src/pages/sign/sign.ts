/**
 * The sign page's work outside the view: the document's facts (size, SHA-256), and the card
 * session in which the platform prepares the signature, the resident confirms who will be shown
 * as the signer, and the card signs.
 *
 * The signing certificate is readable only while the signing password is verified, so the signer's
 * name and address can be shown only after the password: the card session stays open (the card
 * stays in the field) while the resident reads them, and the card signs only on "sign" — the
 * password is not kept for a second session.
 */
import type { PreparedSigningJson, SignedDocumentJson } from '@watashi/platform/wallet-api';
import { api } from '../../api/client.ts';
import { ecdsaRawToDer, WatashiError } from '@watashi/pki';
import { withCard } from '../../lib/card.ts';
import type { DeviceKey } from '../../lib/device-key.ts';

/** The document as chosen. */
export interface ChosenFile {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  readonly bytes: Uint8Array;
  readonly pdf: boolean;
}

const toBase64 = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
};

/** Decodes base64. */
export const fromBase64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** Reads a chosen file: its bytes, size, SHA-256 and whether it is a PDF (by its header). */
export async function readChosen(file: File): Promise<ChosenFile> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024));
  return {
    name: file.name,
    size: bytes.length,
    sha256: Array.from(digest, (x) => x.toString(16).padStart(2, '0')).join(''),
    bytes,
    pdf: head.includes('%PDF-'),
  };
}

/** SHA-256 hex in groups of four, so a person can compare it. */
export const groupedHash = (hex: string): string => hex.match(/.{1,4}/g)?.join(' ') ?? hex;

/**
 * Signs `file` with the card: verifies the password, reads the signing certificate, has the
 * platform prepare the signature, waits for `confirm(prepared)` (false: stop, nothing signed),
 * has the card sign, and has the platform finish. Resolves undefined when the resident stopped.
 */
export function signWithCardSession(
  card: { url: string; id: string },
  pin: string,
  file: ChosenFile,
  confirm: (prepared: PreparedSigningJson) => Promise<boolean>,
): Promise<SignedDocumentJson | undefined> {
  return withCard(card.url, card.id, async (c) => {
    await c.verifyPin('sign', pin);
    const certificate = await c.readCertificate('sign');
    const ca = await c.readCertificate('sign-ca');
    const prepared = await api<PreparedSigningJson>('POST', '/api/signatures/sign', {
      fileName: file.name,
      document: toBase64(file.bytes),
      certificate: toBase64(certificate),
      chain: [toBase64(ca)],
    });
    if (!(await confirm(prepared))) return undefined;
    const signature = await c.signDigestInfo('sign', fromBase64(prepared.digestInfo));
    return api<SignedDocumentJson>(
      'POST',
      `/api/signatures/sign/${encodeURIComponent(prepared.id)}/complete`,
      {
        signature: toBase64(signature),
      },
    );
  });
}

/**
 * Signs `file` with this device's Watashi signing certificate (issue 18): the platform prepares the
 * same signed attributes as for the card, waits for `confirm(prepared)`, the device key signs them
 * with ECDSA P-256 / SHA-256, and the raw `r ‖ s` WebCrypto answers is sent as the DER
 * Ecdsa-Sig-Value CMS needs (RFC 5753 §2.1.1). Resolves undefined when the resident stopped.
 */
export async function signWithDeviceKey(
  key: DeviceKey,
  file: ChosenFile,
  confirm: (prepared: PreparedSigningJson) => Promise<boolean>,
): Promise<SignedDocumentJson | undefined> {
  const certificate = key.certificate();
  if (certificate === null) throw new WatashiError('device_key_missing', 'this key has no certificate');
  const prepared = await api<PreparedSigningJson>('POST', '/api/signatures/sign', {
    fileName: file.name,
    document: toBase64(file.bytes),
    certificate: toBase64(certificate),
  });
  if (!(await confirm(prepared))) return undefined;
  const signature = ecdsaRawToDer(await key.sign(fromBase64(prepared.toBeSigned)));
  return api<SignedDocumentJson>('POST', `/api/signatures/sign/${encodeURIComponent(prepared.id)}/complete`, {
    signature: toBase64(signature),
  });
}
