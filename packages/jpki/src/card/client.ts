/**
 * The JPKI AP client: reads certificates and the token name, checks and changes PINs, and has the
 * card sign, over any {@link CardTransport} (docs/jpki.md §3). Status words become
 * `WatashiError`s with {@link JpkiErrorCode}s here, at the protocol edge (docs/conventions.md §4).
 */
import { digestInfo, isWatashiError, own } from '@watashi/pki';
import type { WatashiError } from '@watashi/pki';
import { jpkiError } from '../errors.ts';
import type { JpkiErrorCode } from '../errors.ts';
import { SW, decodeResponseApdu, encodeCommandApdu, swName, triesLeftOf } from './apdu.ts';
import type { CommandApdu, ResponseApdu } from './apdu.ts';
import { JPKI_AID, JpkiEf } from './jpki-ap.ts';
import type { PinKind } from './jpki-ap.ts';
import { normalizePin, pinBytes } from './pin.ts';
import type { CardTransport } from './transport.ts';

/** The four certificates of the JPKI AP. */
export type JpkiCertificateKind = 'sign' | 'auth' | 'sign-ca' | 'auth-ca';

const CERT_EF: Readonly<Record<JpkiCertificateKind, number>> = {
  sign: JpkiEf.SIGN_CERT,
  auth: JpkiEf.AUTH_CERT,
  'sign-ca': JpkiEf.SIGN_CA_CERT,
  'auth-ca': JpkiEf.AUTH_CA_CERT,
};
const PIN_EF: Readonly<Record<PinKind, number>> = { sign: JpkiEf.SIGN_PIN, auth: JpkiEf.AUTH_PIN };
const KEY_EF: Readonly<Record<PinKind, number>> = { sign: JpkiEf.SIGN_KEY, auth: JpkiEf.AUTH_KEY };

/**
 * Translates a non-9000 status word to a WatashiError (docs/jpki.md §3.4). `63 C0` — the last
 * try was just used — is reported as `card_pin_blocked`, since the PIN can no longer be entered.
 */
export function statusError(sw: number, what: string): WatashiError<JpkiErrorCode> {
  const detail = { sw: sw.toString(16).padStart(4, '0'), what };
  const tries = triesLeftOf(sw);
  if (tries !== undefined && tries > 0)
    return jpkiError('card_pin_incorrect', `${what}: wrong PIN, ${tries} tries left`, {
      detail: { ...detail, triesLeft: tries },
    });
  if (tries === 0 || sw === SW.REFERENCE_DATA_BLOCKED || sw === SW.AUTH_METHOD_BLOCKED)
    return jpkiError('card_pin_blocked', `${what}: the PIN is blocked`, {
      detail: { ...detail, triesLeft: 0 },
    });
  if (sw === SW.SECURITY_STATUS_NOT_SATISFIED)
    return jpkiError('card_security_status_not_satisfied', `${what}: the PIN has not been verified`, {
      detail,
    });
  if (sw === SW.FILE_NOT_FOUND)
    return jpkiError('card_file_not_found', `${what}: file not found`, { detail });
  return jpkiError('card_status', `${what}: card answered ${swName(sw)}`, { detail });
}

/** Options of {@link JpkiCardClient}. */
export interface JpkiCardClientOptions {
  /** Largest READ BINARY chunk, 1–256 (default 256, sent as Le = `00`). */
  readonly maxReadLength?: number;
  /** WebCrypto used by {@link JpkiCardClient.sign} (default `globalThis.crypto`). */
  readonly crypto?: Crypto;
}

/** Talks to the JPKI AP of a My Number card or smartphone over a {@link CardTransport}. */
export class JpkiCardClient {
  readonly #transport: CardTransport;
  readonly #maxRead: number;
  readonly #crypto: Crypto;
  #apSelected = false;

  /** Wraps a transport; nothing is sent until the first call. */
  constructor(transport: CardTransport, options: JpkiCardClientOptions = {}) {
    const max = options.maxReadLength ?? 256;
    if (!Number.isInteger(max) || max < 1 || max > 256) throw new RangeError('maxReadLength must be 1–256');
    this.#transport = transport;
    this.#maxRead = max;
    this.#crypto = options.crypto ?? globalThis.crypto;
  }

  async #send(cmd: CommandApdu): Promise<ResponseApdu> {
    let raw: Uint8Array;
    try {
      raw = await this.#transport.transmit(encodeCommandApdu(cmd));
    } catch (cause) {
      if (isWatashiError(cause)) throw cause;
      throw jpkiError('card_transport_failed', 'the card transport failed', { cause });
    }
    return decodeResponseApdu(raw);
  }

  async #expectOk(cmd: CommandApdu, what: string): Promise<Uint8Array> {
    const r = await this.#send(cmd);
    if (r.sw !== SW.OK) throw statusError(r.sw, what);
    return r.data;
  }

  /**
   * SELECT the JPKI AP (`00 A4 04 0C 0A D392F000260100000001`). Re-selecting clears every verified
   * PIN on the card. A card without the AP is `card_not_jpki`.
   */
  async selectJpkiAp(): Promise<void> {
    this.#apSelected = false;
    const r = await this.#send({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x0c, data: JPKI_AID });
    if (r.sw === SW.FILE_NOT_FOUND) throw jpkiError('card_not_jpki', 'the card has no JPKI application');
    if (r.sw !== SW.OK) throw statusError(r.sw, 'select JPKI AP');
    this.#apSelected = true;
  }

  async #ensureAp(): Promise<void> {
    if (!this.#apSelected) await this.selectJpkiAp();
  }

  async #selectEf(fid: number, what: string): Promise<void> {
    await this.#ensureAp();
    await this.#expectOk(
      { cla: 0x00, ins: 0xa4, p1: 0x02, p2: 0x0c, data: Uint8Array.of(fid >> 8, fid & 0xff) },
      what,
    );
  }

  async #readBinary(offset: number, ne: number, what: string): Promise<Uint8Array> {
    return this.#expectOk(
      { cla: 0x00, ins: 0xb0, p1: offset >> 8, p2: offset & 0xff, data: new Uint8Array(0), ne },
      what,
    );
  }

  /**
   * Reads a certificate (docs/jpki.md §3.2): the first 4 bytes `30 82 LL LL` give the length,
   * the rest comes in READ BINARY chunks of at most 256 bytes. The signing certificate needs the
   * signing password verified first (`card_security_status_not_satisfied` otherwise).
   */
  async readCertificate(kind: JpkiCertificateKind): Promise<Uint8Array> {
    const what = `read ${kind} certificate`;
    await this.#selectEf(CERT_EF[kind], what);
    const head = await this.#readBinary(0, 4, what);
    if (head.length !== 4 || head[0] !== 0x30 || head[1] !== 0x82)
      throw jpkiError(
        'card_response_malformed',
        `${what}: the EF does not start with a DER SEQUENCE of 2-byte length`,
      );
    const total = (((head[2] ?? 0) << 8) | (head[3] ?? 0)) + 4;
    const out = new Uint8Array(total);
    out.set(head);
    let offset = head.length;
    while (offset < total) {
      const chunk = await this.#readBinary(offset, Math.min(this.#maxRead, total - offset), what);
      if (chunk.length === 0)
        throw jpkiError('card_response_malformed', `${what}: empty READ BINARY response`);
      out.set(chunk.subarray(0, total - offset), offset);
      offset += chunk.length;
    }
    return out;
  }

  /**
   * Reads the token name from EF `0006` (docs/jpki.md §3.2), trimmed of space/NUL padding:
   * `JPKIAPICCTOKEN2` (card), `JPKIAPGPSETOKEN` (Android), `JPKIAPIOSTOKEN` (iPhone).
   */
  async readTokenInfo(): Promise<string> {
    await this.#selectEf(JpkiEf.TOKEN_INFO, 'read token info');
    const data = await this.#readBinary(0, 32, 'read token info');
    let end = data.length;
    while (end > 0 && (data[end - 1] === 0x20 || data[end - 1] === 0x00)) end--;
    let name = '';
    for (const b of data.subarray(0, end)) {
      if (b < 0x20 || b > 0x7e)
        throw jpkiError('card_response_malformed', 'token name is not printable ASCII');
      name += String.fromCharCode(b);
    }
    return name;
  }

  /**
   * Tries left for a PIN: an empty VERIFY (`00 20 00 80`, case 1) answers `63 Cx` without using a
   * try (docs/jpki.md §3.3). Returns 0 when the card reports the PIN blocked (`69 84`).
   */
  async pinStatus(kind: PinKind): Promise<number> {
    const what = `${kind} PIN status`;
    await this.#selectEf(PIN_EF[kind], what);
    const r = await this.#send({ cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x80, data: new Uint8Array(0) });
    const tries = triesLeftOf(r.sw);
    if (tries !== undefined) return tries;
    if (r.sw === SW.REFERENCE_DATA_BLOCKED || r.sw === SW.AUTH_METHOD_BLOCKED) return 0;
    throw statusError(r.sw, what);
  }

  /**
   * VERIFY a PIN (`00 20 00 80 Lc <ASCII>`). The format is checked first (`card_pin_format`, no try
   * used); a wrong PIN is `card_pin_incorrect` with `detail.triesLeft`, a blocked one `card_pin_blocked`.
   */
  async verifyPin(kind: PinKind, pin: string): Promise<void> {
    const p = normalizePin(kind, pin);
    await this.#selectEf(PIN_EF[kind], `verify ${kind} PIN`);
    await this.#expectOk(
      { cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x80, data: pinBytes(p) },
      `verify ${kind} PIN`,
    );
  }

  /** Changes a PIN: VERIFY the old one, then CHANGE REFERENCE DATA `00 24 01 80 Lc <new>` ([myna]). */
  async changePin(kind: PinKind, oldPin: string, newPin: string): Promise<void> {
    const next = normalizePin(kind, newPin);
    await this.verifyPin(kind, oldPin);
    await this.#expectOk(
      { cla: 0x00, ins: 0x24, p1: 0x01, p2: 0x80, data: pinBytes(next) },
      `change ${kind} PIN`,
    );
  }

  /**
   * Has the card sign a DigestInfo (or any 1–245 bytes) with the signing or user-auth key:
   * SELECT key EF `001A`/`0017`, then `80 2A 00 80 Lc <DigestInfo> 00` (docs/jpki.md §3.3).
   * The matching PIN must have been verified in this session.
   */
  async signDigestInfo(kind: PinKind, digestInfoBytes: Uint8Array): Promise<Uint8Array> {
    if (digestInfoBytes.length < 1 || digestInfoBytes.length > 245)
      throw new RangeError('the card signs 1–245 bytes');
    const what = `${kind} signature`;
    await this.#selectEf(KEY_EF[kind], what);
    const sig = await this.#expectOk(
      { cla: 0x80, ins: 0x2a, p1: 0x00, p2: 0x80, data: digestInfoBytes, ne: 256 },
      what,
    );
    if (sig.length === 0) throw jpkiError('card_response_malformed', `${what}: empty signature`);
    return sig;
  }

  /**
   * Hashes `data` with SHA-256, builds the DigestInfo, verifies the PIN and has the card sign:
   * the result is an RSASSA-PKCS1-v1_5 SHA-256 signature over `data`.
   */
  async sign(kind: PinKind, pin: string, data: Uint8Array): Promise<Uint8Array> {
    const p = normalizePin(kind, pin);
    const hash = new Uint8Array(await this.#crypto.subtle.digest('SHA-256', own(data)));
    await this.verifyPin(kind, p);
    return this.signDigestInfo(kind, digestInfo('SHA-256', hash));
  }
}
