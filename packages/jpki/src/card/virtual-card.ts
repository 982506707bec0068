/**
 * A virtual My Number card (or smartphone JPKI applet) that answers APDUs the way the real JPKI AP
 * does (docs/jpki.md §3, design notes §6.4). Keys live only in private fields; no command
 * returns key material. The simulator persists cards with {@link VirtualJpkiCard.exportState},
 * which stands for the chip's own non-volatile memory, not for anything reachable by APDU.
 */
import { bytesEqual, fromBase64, own, toBase64 } from '@watashi/pki';
import { jpkiError } from '../errors.ts';
import { SW, decodeCommandApdu, encodeResponseApdu } from './apdu.ts';
import type { CommandApdu } from './apdu.ts';
import {
  JPKI_AID,
  JPKI_TOKEN,
  JpkiEf,
  OTHER_AP_AID,
  PIN_MAX_TRIES,
  TEXT_AP_AID,
  VISUAL_AP_AID,
} from './jpki-ap.ts';
import type { JpkiDeviceKind, PinKind } from './jpki-ap.ts';
import { isWellFormedPin } from './pin.ts';
import { RsaPrivateKey } from './rsa-private.ts';
import type { ResettableCard } from './transport.ts';

/** What a virtual card is made of. Omit every `sign*` field for a card without a signing certificate (under 15). */
export interface VirtualJpkiCardOptions {
  /** Physical card or smartphone applet; sets the token name and the auth-certificate read rule. */
  readonly kind: JpkiDeviceKind;
  /** Signing certificate (EF `0001`), DER. */
  readonly signCertificate?: Uint8Array | undefined;
  /** Signing CA certificate (EF `0002`), DER. */
  readonly signCaCertificate?: Uint8Array | undefined;
  /** User-authentication certificate (EF `000A`), DER. */
  readonly authCertificate: Uint8Array;
  /** User-authentication CA certificate (EF `000B`), DER. */
  readonly authCaCertificate: Uint8Array;
  /** Signing private key (EF `001A`) as a private RSA JWK with CRT parameters. */
  readonly signKey?: JsonWebKey | undefined;
  /** User-authentication private key (EF `0017`) as a private RSA JWK with CRT parameters. */
  readonly authKey: JsonWebKey;
  /** Signing password (EF `001B`); lowercase is upper-cased as the issuing terminal does. */
  readonly signPin?: string | undefined;
  /** User-authentication PIN (EF `0018`). */
  readonly authPin: string;
  /** Tries left per PIN (default: 5 and 3). 0 means blocked. */
  readonly counters?: { readonly sign?: number | undefined; readonly auth?: number | undefined } | undefined;
  /** Called after every APDU with the command and the response (for tests and traces). */
  readonly onApdu?: ((command: Uint8Array, response: Uint8Array) => void) | undefined;
}

/**
 * Persistent content of a virtual card (JSON-safe). It includes private keys and PINs: it is the
 * card's own storage, to be kept as the simulator keeps its CA keys, and is never sent by APDU.
 */
export interface VirtualJpkiCardState {
  /** Format tag. */
  readonly format: 'watashi-virtual-jpki-card/1';
  /** Device kind. */
  readonly kind: JpkiDeviceKind;
  /** Certificates, base64 DER. */
  readonly files: {
    readonly signCertificate?: string;
    readonly signCaCertificate?: string;
    readonly authCertificate: string;
    readonly authCaCertificate: string;
  };
  /** Private keys (JWK). */
  readonly keys: { readonly sign?: JsonWebKey; readonly auth: JsonWebKey };
  /** Reference data (PINs). */
  readonly pins: { readonly sign?: string; readonly auth: string };
  /** Tries left. */
  readonly counters: { readonly sign?: number; readonly auth: number };
}

type Ap = 'none' | 'jpki' | 'other';

interface PinSlot {
  value: Uint8Array;
  triesLeft: number;
}

/** An EF of the JPKI AP as the card's file system sees it. */
type Ef =
  | { readonly type: 'binary'; readonly data: Uint8Array; readonly needs?: PinKind }
  | { readonly type: 'key'; readonly pin: PinKind }
  | { readonly type: 'pin'; readonly pin: PinKind };

const KNOWN_OTHER_APS = [TEXT_AP_AID, VISUAL_AP_AID, OTHER_AP_AID];
const INS = {
  SELECT: 0xa4,
  READ_BINARY: 0xb0,
  VERIFY: 0x20,
  CHANGE_REFERENCE_DATA: 0x24,
  PSO_CDS: 0x2a,
  GET_CHALLENGE: 0x84,
} as const;

/**
 * Largest GET CHALLENGE answer: N<sub>e</sub> of a short APDU (Le = `00` means 256, ISO/IEC 7816-4
 * §5.1). Extended-length requests do not decode (the JPKI AP speaks short APDUs only) and get `67 00`.
 */
const MAX_CHALLENGE_LENGTH = 256;
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0x7f);

function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  // The card compares all bytes whatever the first mismatch, so response time says nothing about the PIN.
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

function checkCounter(kind: PinKind, v: number | undefined): number {
  const max = PIN_MAX_TRIES[kind];
  if (v === undefined) return max;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${kind} PIN counter must be 0–${max}`);
  return v;
}

/**
 * The virtual JPKI card. Implements {@link CardTransport}: `transmit` takes a command APDU and
 * resolves with data ‖ SW1 SW2; malformed input yields a status word, never an exception.
 */
export class VirtualJpkiCard implements ResettableCard {
  readonly #kind: JpkiDeviceKind;
  readonly #files: ReadonlyMap<number, Ef>;
  readonly #certs: Partial<
    Record<'signCertificate' | 'signCaCertificate' | 'authCertificate' | 'authCaCertificate', Uint8Array>
  >;
  readonly #keys: Partial<Record<PinKind, RsaPrivateKey>>;
  readonly #keyJwk: Partial<Record<PinKind, JsonWebKey>>;
  #writes = 0;
  readonly #pins: Partial<Record<PinKind, PinSlot>>;
  readonly #onApdu: ((command: Uint8Array, response: Uint8Array) => void) | undefined;
  // Volatile security state: cleared by a reset and by selecting an application (docs/jpki.md §3.5).
  #ap: Ap = 'none';
  #ef: number | undefined;
  readonly #verified = new Set<PinKind>();

  /** Builds a card; inconsistent options (a signing key without a certificate, a malformed PIN) throw TypeError/RangeError. */
  constructor(options: VirtualJpkiCardOptions) {
    const o = options;
    if (!(o.kind in JPKI_TOKEN)) throw new TypeError(`unknown card kind ${String(o.kind)}`);
    const signParts = [o.signCertificate, o.signKey, o.signPin].filter((x) => x !== undefined).length;
    if (signParts !== 0 && signParts !== 3)
      throw new TypeError(
        'signCertificate, signKey and signPin go together (omit all three for a card without signing)',
      );
    const hasSign = signParts === 3;
    const signPin = o.signPin?.toUpperCase();
    if (signPin !== undefined && !isWellFormedPin('sign', signPin))
      throw new RangeError('signPin must be 6–16 of A–Z 0–9 mixing letters and digits');
    if (!isWellFormedPin('auth', o.authPin)) throw new RangeError('authPin must be 4 digits');

    this.#kind = o.kind;
    this.#certs = {
      authCertificate: own(o.authCertificate),
      authCaCertificate: own(o.authCaCertificate),
      ...(o.signCaCertificate ? { signCaCertificate: own(o.signCaCertificate) } : {}),
      ...(hasSign && o.signCertificate ? { signCertificate: own(o.signCertificate) } : {}),
    };
    this.#onApdu = o.onApdu;
    this.#keys = { auth: new RsaPrivateKey(o.authKey) };
    this.#keyJwk = { auth: { ...o.authKey } };
    this.#pins = { auth: { value: ascii(o.authPin), triesLeft: checkCounter('auth', o.counters?.auth) } };
    if (hasSign && o.signKey && signPin !== undefined) {
      this.#keys.sign = new RsaPrivateKey(o.signKey);
      this.#keyJwk.sign = { ...o.signKey };
      this.#pins.sign = { value: ascii(signPin), triesLeft: checkCounter('sign', o.counters?.sign) };
    }

    const files = new Map<number, Ef>();
    const token = new Uint8Array(32).fill(0x20); // docs/jpki.md §3.2: 32-byte ASCII name, space padded
    token.set(ascii(JPKI_TOKEN[o.kind]));
    files.set(JpkiEf.TOKEN_INFO, { type: 'binary', data: token });
    // docs/jpki.md §3.2 [S]: `8F 8F 00` with both certificates; `00` for an absent one is our inference.
    files.set(JpkiEf.CERT_PRESENCE, {
      type: 'binary',
      data: Uint8Array.of(hasSign ? 0x8f : 0x00, 0x8f, 0x00),
    });
    // docs/jpki.md §2.3: on a smartphone the auth certificate needs the auth PIN; on a card it is free.
    const authNeeds: { needs?: PinKind } = o.kind === 'card' ? {} : { needs: 'auth' };
    files.set(JpkiEf.AUTH_CERT, {
      type: 'binary',
      data: this.#certs.authCertificate ?? new Uint8Array(0),
      ...authNeeds,
    });
    files.set(JpkiEf.AUTH_CA_CERT, {
      type: 'binary',
      data: this.#certs.authCaCertificate ?? new Uint8Array(0),
    });
    files.set(JpkiEf.AUTH_KEY, { type: 'key', pin: 'auth' });
    files.set(JpkiEf.AUTH_PIN, { type: 'pin', pin: 'auth' });
    if (this.#certs.signCaCertificate)
      files.set(JpkiEf.SIGN_CA_CERT, { type: 'binary', data: this.#certs.signCaCertificate });
    if (this.#certs.signCertificate) {
      // docs/jpki.md §3.2: EF 0001 is readable only after the signing password.
      files.set(JpkiEf.SIGN_CERT, { type: 'binary', data: this.#certs.signCertificate, needs: 'sign' });
      files.set(JpkiEf.SIGN_KEY, { type: 'key', pin: 'sign' });
      files.set(JpkiEf.SIGN_PIN, { type: 'pin', pin: 'sign' });
    }
    this.#files = files;
  }

  /** Restores a card from {@link exportState}; a malformed state is `card_state_invalid`. */
  static fromState(
    state: VirtualJpkiCardState,
    options?: { onApdu?: (command: Uint8Array, response: Uint8Array) => void },
  ): VirtualJpkiCard {
    if (
      state === null ||
      typeof state !== 'object' ||
      (state as { format?: unknown }).format !== 'watashi-virtual-jpki-card/1'
    )
      throw jpkiError('card_state_invalid', 'not a virtual JPKI card state');
    try {
      const f = state.files;
      const b = (s: string | undefined): Uint8Array | undefined =>
        s === undefined ? undefined : fromBase64(s);
      return new VirtualJpkiCard({
        kind: state.kind,
        signCertificate: b(f.signCertificate),
        signCaCertificate: b(f.signCaCertificate),
        authCertificate: fromBase64(f.authCertificate),
        authCaCertificate: fromBase64(f.authCaCertificate),
        signKey: state.keys.sign,
        authKey: state.keys.auth,
        signPin: state.pins.sign,
        authPin: state.pins.auth,
        counters: state.counters,
        onApdu: options?.onApdu,
      });
    } catch (cause) {
      throw jpkiError('card_state_invalid', 'virtual JPKI card state is inconsistent', { cause });
    }
  }

  /** The card's persistent content (includes keys and PINs; see {@link VirtualJpkiCardState}). */
  exportState(): VirtualJpkiCardState {
    const c = this.#certs;
    const sign = this.#pins.sign;
    const auth = this.#pins.auth as PinSlot;
    const str = (v: Uint8Array): string => String.fromCharCode(...v);
    return {
      format: 'watashi-virtual-jpki-card/1',
      kind: this.#kind,
      files: {
        ...(c.signCertificate ? { signCertificate: toBase64(c.signCertificate) } : {}),
        ...(c.signCaCertificate ? { signCaCertificate: toBase64(c.signCaCertificate) } : {}),
        authCertificate: toBase64(c.authCertificate ?? new Uint8Array(0)),
        authCaCertificate: toBase64(c.authCaCertificate ?? new Uint8Array(0)),
      },
      keys: {
        ...(this.#keyJwk.sign ? { sign: { ...this.#keyJwk.sign } } : {}),
        auth: { ...this.#keyJwk.auth },
      },
      pins: { ...(sign ? { sign: str(sign.value) } : {}), auth: str(auth.value) },
      counters: { ...(sign ? { sign: sign.triesLeft } : {}), auth: auth.triesLeft },
    };
  }

  /**
   * How many times this instance wrote its non-volatile memory (a retry counter or PIN reference
   * data changed) — the only state APDUs change. A holder persists {@link exportState} only when
   * this moved, instead of after every command.
   */
  get writes(): number {
    return this.#writes;
  }

  /** Device kind of this card. */
  get kind(): JpkiDeviceKind {
    return this.#kind;
  }

  /** Tries left per PIN (what the card would answer to an empty VERIFY), for the simulator's views. */
  get counters(): { sign?: number; auth: number } {
    const sign = this.#pins.sign;
    return { ...(sign ? { sign: sign.triesLeft } : {}), auth: (this.#pins.auth as PinSlot).triesLeft };
  }

  /** Cold/warm reset: no application selected, no PIN verified; counters persist. */
  reset(): void {
    this.#ap = 'none';
    this.#ef = undefined;
    this.#verified.clear();
  }

  /** Processes one command APDU (see {@link CardTransport.transmit}). */
  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    let response: Uint8Array;
    try {
      response = this.#process(apdu);
    } catch {
      // Only the RSA fault self-check can throw here; a real card answers "no precise diagnosis".
      response = encodeResponseApdu(new Uint8Array(0), SW.UNKNOWN);
    }
    this.#onApdu?.(new Uint8Array(apdu), response);
    return Promise.resolve(response);
  }

  #process(bytes: Uint8Array): Uint8Array {
    const cmd = decodeCommandApdu(bytes);
    const sw = (s: number): Uint8Array => encodeResponseApdu(new Uint8Array(0), s);
    if (!cmd) return sw(SW.WRONG_LENGTH);
    const isoClass = cmd.cla === 0x00;
    switch (cmd.ins) {
      case INS.SELECT:
        return isoClass ? sw(this.#select(cmd)) : sw(SW.CLA_NOT_SUPPORTED);
      case INS.READ_BINARY:
        return isoClass ? this.#readBinary(cmd) : sw(SW.CLA_NOT_SUPPORTED);
      case INS.VERIFY:
        return isoClass ? sw(this.#verify(cmd)) : sw(SW.CLA_NOT_SUPPORTED);
      case INS.CHANGE_REFERENCE_DATA:
        return isoClass ? sw(this.#change(cmd)) : sw(SW.CLA_NOT_SUPPORTED);
      case INS.GET_CHALLENGE:
        return isoClass ? this.#getChallenge(cmd) : sw(SW.CLA_NOT_SUPPORTED);
      case INS.PSO_CDS:
        // docs/jpki.md §3.3: COMPUTE DIGITAL SIGNATURE is a proprietary-class command (CLA 80).
        return cmd.cla === 0x80 ? this.#sign(cmd) : sw(SW.CLA_NOT_SUPPORTED);
      default:
        return sw(SW.INS_NOT_SUPPORTED);
    }
  }

  /** SELECT (docs/jpki.md §3.3): by DF name `00 A4 04 0C`, EF by id `00 A4 02 0C`; no FCI. */
  #select(cmd: CommandApdu): number {
    if (cmd.p2 !== 0x0c) return SW.INCORRECT_P1P2;
    if (cmd.p1 === 0x04) {
      if (cmd.data.length === 0) return SW.WRONG_LENGTH;
      let ap: Ap | undefined;
      if (bytesEqual(cmd.data, JPKI_AID)) ap = 'jpki';
      else if (KNOWN_OTHER_APS.some((a) => bytesEqual(a, cmd.data))) ap = 'other';
      if (!ap) return SW.FILE_NOT_FOUND; // the current selection stays as it was
      this.#ap = ap;
      this.#ef = undefined;
      this.#verified.clear();
      return SW.OK;
    }
    if (cmd.p1 === 0x02) {
      if (cmd.data.length !== 2) return SW.WRONG_LENGTH;
      const fid = ((cmd.data[0] ?? 0) << 8) | (cmd.data[1] ?? 0);
      // Only the JPKI AP is modelled; the other APs (the text AP holds the My Number) expose no EF.
      if (this.#ap !== 'jpki' || !this.#files.has(fid)) return SW.FILE_NOT_FOUND;
      this.#ef = fid;
      return SW.OK;
    }
    return SW.INCORRECT_P1P2;
  }

  /** READ BINARY `00 B0 off_hi off_lo Le` (docs/jpki.md §3.2). */
  #readBinary(cmd: CommandApdu): Uint8Array {
    const fail = (s: number): Uint8Array => encodeResponseApdu(new Uint8Array(0), s);
    if (cmd.data.length !== 0 || cmd.ne === undefined) return fail(SW.WRONG_LENGTH);
    // Short-EF addressing (P1 bit 8) is not part of the documented JPKI protocol.
    if (cmd.p1 & 0x80) return fail(SW.INCORRECT_P1P2);
    const ef = this.#ef === undefined ? undefined : this.#files.get(this.#ef);
    if (!ef) return fail(SW.COMMAND_NOT_ALLOWED);
    if (ef.type !== 'binary') return fail(SW.INCOMPATIBLE_FILE); // keys and PINs are never readable
    if (ef.needs && !this.#verified.has(ef.needs)) return fail(SW.SECURITY_STATUS_NOT_SATISFIED);
    const offset = (cmd.p1 << 8) | cmd.p2;
    if (offset >= ef.data.length) return fail(SW.WRONG_P1P2);
    return encodeResponseApdu(ef.data.subarray(offset, offset + cmd.ne), SW.OK);
  }

  #currentPin(): PinKind | undefined {
    const ef = this.#ef === undefined ? undefined : this.#files.get(this.#ef);
    return ef?.type === 'pin' ? ef.pin : undefined;
  }

  /** VERIFY `00 20 00 80` against the selected PIN EF; empty data asks the counter (docs/jpki.md §3.3–§3.5). */
  #verify(cmd: CommandApdu): number {
    if (cmd.p1 !== 0x00 || cmd.p2 !== 0x80) return SW.INCORRECT_P1P2;
    if (cmd.ne !== undefined) return SW.WRONG_LENGTH;
    const kind = this.#currentPin();
    const slot = kind && this.#pins[kind];
    if (!kind || !slot) return SW.COMMAND_NOT_ALLOWED;
    // docs/jpki.md §3.4: once blocked, every VERIFY (the counter query too) answers 69 84.
    if (slot.triesLeft === 0) return SW.REFERENCE_DATA_BLOCKED;
    if (cmd.data.length === 0) return SW.PIN_TRIES_BASE | slot.triesLeft; // costs no try
    if (timingSafeEqual(cmd.data, slot.value)) {
      if (slot.triesLeft !== PIN_MAX_TRIES[kind]) {
        slot.triesLeft = PIN_MAX_TRIES[kind]; // a correct PIN resets the counter
        this.#writes++;
      }
      this.#verified.add(kind);
      return SW.OK;
    }
    slot.triesLeft -= 1;
    this.#writes++;
    this.#verified.delete(kind);
    return SW.PIN_TRIES_BASE | slot.triesLeft; // 63 C0 when the last try was used
  }

  /** CHANGE REFERENCE DATA `00 24 01 80 <new PIN>` after VERIFY of the selected PIN ([myna]). */
  #change(cmd: CommandApdu): number {
    if (cmd.p1 !== 0x01 || cmd.p2 !== 0x80) return SW.INCORRECT_P1P2;
    if (cmd.data.length === 0 || cmd.ne !== undefined) return SW.WRONG_LENGTH;
    const kind = this.#currentPin();
    const slot = kind && this.#pins[kind];
    if (!kind || !slot) return SW.COMMAND_NOT_ALLOWED;
    if (slot.triesLeft === 0) return SW.REFERENCE_DATA_BLOCKED;
    if (!this.#verified.has(kind)) return SW.SECURITY_STATUS_NOT_SATISFIED;
    const text = String.fromCharCode(...cmd.data);
    if (!isWellFormedPin(kind, text)) return SW.WRONG_DATA;
    slot.value = new Uint8Array(cmd.data);
    this.#writes++;
    return SW.OK;
  }

  /**
   * GET CHALLENGE `00 84 00 00 Le` (ISO/IEC 7816-4 §11.6.3): N<sub>e</sub> fresh random bytes
   * (1–256; Le = `00` asks for 256) from the platform CSPRNG. A card-level command: it works with or
   * without a selected application and leaves the security status as it was. P1-P2 other than
   * `00 00` (no algorithm reference is defined for the JPKI AP) → `6A 86`; no Le, or command data
   * (case 3/4) → `67 00`. Real cards' support and limits are not documented (docs/jpki.md
   * §3.3 lists no GET CHALLENGE) [I]; OpenSC's `C_GenerateRandom` sends this command.
   */
  #getChallenge(cmd: CommandApdu): Uint8Array {
    const fail = (s: number): Uint8Array => encodeResponseApdu(new Uint8Array(0), s);
    if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) return fail(SW.INCORRECT_P1P2);
    if (cmd.data.length !== 0 || cmd.ne === undefined || cmd.ne > MAX_CHALLENGE_LENGTH)
      return fail(SW.WRONG_LENGTH);
    return encodeResponseApdu(globalThis.crypto.getRandomValues(new Uint8Array(cmd.ne)), SW.OK);
  }

  /** COMPUTE DIGITAL SIGNATURE `80 2A 00 80 Lc <DigestInfo> 00` with the selected key EF (docs/jpki.md §3.3). */
  #sign(cmd: CommandApdu): Uint8Array {
    const fail = (s: number): Uint8Array => encodeResponseApdu(new Uint8Array(0), s);
    // Only P1=00 (pad as given) and P2=80 (selected key) are implemented; the other schemes are single-source.
    if (cmd.p1 !== 0x00 || cmd.p2 !== 0x80) return fail(SW.INCORRECT_P1P2);
    const ef = this.#ef === undefined ? undefined : this.#files.get(this.#ef);
    if (ef?.type !== 'key') return fail(SW.COMMAND_NOT_ALLOWED);
    const key = this.#keys[ef.pin];
    if (!key) return fail(SW.COMMAND_NOT_ALLOWED);
    if (!this.#verified.has(ef.pin)) return fail(SW.SECURITY_STATUS_NOT_SATISFIED);
    if (cmd.data.length < 1 || cmd.data.length > key.maxInput) return fail(SW.WRONG_LENGTH);
    if (cmd.ne !== undefined && cmd.ne < key.size) return fail(SW.WRONG_LENGTH);
    return encodeResponseApdu(key.signPkcs1Type1(cmd.data), SW.OK);
  }
}

/**
 * Makes a card key pair the way the municipal terminal does (docs/jpki.md §0: RSA-2048,
 * e = 65537). The private key is exported as JWK only so the card object can hold it.
 */
export async function generateCardKeyPair(
  crypto: Crypto = globalThis.crypto,
): Promise<{ privateJwk: JsonWebKey; spki: Uint8Array }> {
  const pair = await crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: Uint8Array.of(1, 0, 1),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  );
  const privateJwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
  return { privateJwk, spki };
}
