/**
 * ISO/IEC 7816-4 short APDUs (cases 1–4) and the status words the My Number card speaks
 * (docs/jpki.md §3.3–§3.4). Extended-length APDUs are not used by the JPKI AP.
 */
import { jpkiError } from '../errors.ts';

/**
 * A command APDU. `ne` is the expected response length N<sub>e</sub> (1–256; encoded as Le, with
 * 256 written as `00`); absent for cases 1 and 3.
 */
export interface CommandApdu {
  /** Class byte. */
  readonly cla: number;
  /** Instruction byte. */
  readonly ins: number;
  /** Parameter 1. */
  readonly p1: number;
  /** Parameter 2. */
  readonly p2: number;
  /** Command data (Lc bytes); empty for cases 1 and 2. */
  readonly data: Uint8Array;
  /** Expected response length N<sub>e</sub> (1–256), or undefined when no Le field is sent. */
  readonly ne?: number | undefined;
}

/** A response APDU: data followed by SW1 SW2. */
export interface ResponseApdu {
  /** Response data (without the status word). */
  readonly data: Uint8Array;
  /** SW1 SW2 as one 16-bit number, e.g. `0x9000`. */
  readonly sw: number;
}

/** Status words used by the JPKI AP (docs/jpki.md §3.4) plus the ISO 7816-4 ones we answer. */
export const SW = {
  /** Normal processing. */
  OK: 0x9000,
  /** ISO 7816-4: verification failed, low nibble = tries left (`63 Cx`). */
  PIN_TRIES_BASE: 0x63c0,
  /** Wrong length (Lc or Le). */
  WRONG_LENGTH: 0x6700,
  /** Command incompatible with file structure (e.g. READ BINARY on a key or PIN EF). */
  INCOMPATIBLE_FILE: 0x6981,
  /** Security status not satisfied (PIN not verified). */
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  /** Authentication method blocked (some cards report a locked PIN this way). */
  AUTH_METHOD_BLOCKED: 0x6983,
  /** Reference data not usable: the PIN is blocked. */
  REFERENCE_DATA_BLOCKED: 0x6984,
  /** Command not allowed: no current EF, or the current EF does not fit the command. */
  COMMAND_NOT_ALLOWED: 0x6986,
  /** Incorrect parameters in the data field. */
  WRONG_DATA: 0x6a80,
  /** File or application not found. */
  FILE_NOT_FOUND: 0x6a82,
  /** Incorrect P1 or P2. */
  INCORRECT_P1P2: 0x6a86,
  /** Wrong parameters P1-P2 (e.g. offset outside the EF). */
  WRONG_P1P2: 0x6b00,
  /** Instruction not supported. */
  INS_NOT_SUPPORTED: 0x6d00,
  /** Class not supported. */
  CLA_NOT_SUPPORTED: 0x6e00,
  /** No precise diagnosis. */
  UNKNOWN: 0x6f00,
} as const;

const SW_NAMES: ReadonlyMap<number, string> = new Map([
  [SW.OK, 'OK'],
  [SW.WRONG_LENGTH, 'wrong length'],
  [SW.INCOMPATIBLE_FILE, 'command incompatible with file structure'],
  [SW.SECURITY_STATUS_NOT_SATISFIED, 'security status not satisfied'],
  [SW.AUTH_METHOD_BLOCKED, 'authentication method blocked'],
  [SW.REFERENCE_DATA_BLOCKED, 'reference data blocked'],
  [SW.COMMAND_NOT_ALLOWED, 'command not allowed'],
  [SW.WRONG_DATA, 'incorrect data'],
  [SW.FILE_NOT_FOUND, 'file not found'],
  [SW.INCORRECT_P1P2, 'incorrect P1/P2'],
  [SW.WRONG_P1P2, 'wrong parameters P1-P2'],
  [SW.INS_NOT_SUPPORTED, 'instruction not supported'],
  [SW.CLA_NOT_SUPPORTED, 'class not supported'],
  [SW.UNKNOWN, 'no precise diagnosis'],
]);

/** Tries left encoded in a `63 Cx` status word, or undefined for any other SW. */
export function triesLeftOf(sw: number): number | undefined {
  return (sw & 0xfff0) === SW.PIN_TRIES_BASE ? sw & 0x0f : undefined;
}

/** A human-readable name for a status word, e.g. `6982 security status not satisfied`. */
export function swName(sw: number): string {
  const hex = sw.toString(16).padStart(4, '0');
  const tries = triesLeftOf(sw);
  if (tries !== undefined) return `${hex} verification failed, ${tries} tries left`;
  return `${hex} ${SW_NAMES.get(sw) ?? 'unknown status'}`;
}

function checkByte(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new RangeError(`${what} must be a byte`);
}

/**
 * Encodes a short command APDU (ISO 7816-4 §5.1): case 1 (header), 2 (+Le), 3 (+Lc data) or
 * 4 (+Lc data Le). Caller bugs (data over 255 bytes, Ne outside 1–256) throw RangeError.
 */
export function encodeCommandApdu(cmd: CommandApdu): Uint8Array {
  checkByte(cmd.cla, 'CLA');
  checkByte(cmd.ins, 'INS');
  checkByte(cmd.p1, 'P1');
  checkByte(cmd.p2, 'P2');
  if (cmd.data.length > 255) throw new RangeError('short APDU data is at most 255 bytes');
  if (cmd.ne !== undefined && (!Number.isInteger(cmd.ne) || cmd.ne < 1 || cmd.ne > 256))
    throw new RangeError('Ne must be 1–256');
  const lc = cmd.data.length > 0 ? 1 + cmd.data.length : 0;
  const out = new Uint8Array(4 + lc + (cmd.ne === undefined ? 0 : 1));
  out.set([cmd.cla, cmd.ins, cmd.p1, cmd.p2]);
  if (lc > 0) {
    out[4] = cmd.data.length;
    out.set(cmd.data, 5);
  }
  // ISO 7816-4 §5.1: Le = 00 means Ne = 256 for short APDUs.
  if (cmd.ne !== undefined) out[out.length - 1] = cmd.ne & 0xff;
  return out;
}

/**
 * Decodes a short command APDU, as a card does. Returns undefined when the bytes are not a
 * well-formed short APDU (the card then answers `67 00`); never throws.
 */
export function decodeCommandApdu(bytes: Uint8Array): CommandApdu | undefined {
  if (bytes.length < 4) return undefined;
  const [cla = 0, ins = 0, p1 = 0, p2 = 0] = bytes;
  const header = { cla, ins, p1, p2 };
  if (bytes.length === 4) return { ...header, data: new Uint8Array(0) }; // case 1
  const b4 = bytes[4] ?? 0;
  if (bytes.length === 5) return { ...header, data: new Uint8Array(0), ne: b4 === 0 ? 256 : b4 }; // case 2
  // Lc = 00 with more bytes would be an extended APDU, which the JPKI AP does not use.
  if (b4 === 0) return undefined;
  const data = bytes.slice(5, 5 + b4);
  if (bytes.length === 5 + b4) return { ...header, data }; // case 3
  if (bytes.length === 6 + b4) {
    const le = bytes[5 + b4] ?? 0;
    return { ...header, data, ne: le === 0 ? 256 : le }; // case 4
  }
  return undefined;
}

/** Encodes a response APDU (data ‖ SW1 SW2). */
export function encodeResponseApdu(data: Uint8Array, sw: number): Uint8Array {
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) throw new RangeError('SW must be 16 bits');
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = sw >> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}

/** Decodes a response APDU; fewer than two bytes is `card_response_malformed`. */
export function decodeResponseApdu(bytes: Uint8Array): ResponseApdu {
  if (bytes.length < 2)
    throw jpkiError('card_response_malformed', 'response APDU shorter than its status word');
  const n = bytes.length;
  return { data: bytes.slice(0, n - 2), sw: ((bytes[n - 2] ?? 0) << 8) | (bytes[n - 1] ?? 0) };
}
