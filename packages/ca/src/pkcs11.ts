/**
 * A small PKCS#11 (Cryptoki v2.40) client over koffi, enough for a CA or a device to keep ECDSA
 * P-256 keys in a token: find a token by label, log in with the user PIN, generate a key pair that
 * never leaves the token (CKA_SENSITIVE, not CKA_EXTRACTABLE), read its public point, sign.
 *
 * Why koffi: it ships prebuilt binaries inside its npm package, so nothing is compiled on install
 * (a native addon such as pkcs11js needs Node's headers and a compiler). The module is loaded by
 * path (`/usr/lib/softhsm/libsofthsm2.so` in tests, OpenSC's `opensc-pkcs11.so` for a card, a
 * vendor's library for an HSM) and called through the standard `C_*` symbols every module exports.
 *
 * Calls are synchronous: Node runs them one at a time, so a session's C_SignInit/C_Sign pair is
 * never interleaved with another operation on it (PKCS#11 §5.12: one active signing per session).
 *
 * Signatures are CKM_ECDSA over a SHA-256 digest computed here (PKCS#11 Mechanisms §2.3.6: the
 * mechanism signs the hash it is given), returned as raw r ‖ s (64 bytes).
 */
import { createHash } from 'node:crypto';
import koffi from 'koffi';
import { WatashiError } from '@watashi/pki';

/** Error codes of the PKCS#11 client. */
export type Pkcs11ErrorCode =
  /** The module cannot be loaded (no such file, not a PKCS#11 library). */
  | 'pkcs11_module_unavailable'
  /** No token with the configured label is present. */
  | 'pkcs11_token_not_found'
  /** The token refused the PIN (CKR_PIN_INCORRECT, CKR_PIN_LOCKED …). */
  | 'pkcs11_login_failed'
  /** Any other return value that is not CKR_OK. */
  | 'pkcs11_call_failed';

function p11Error(code: Pkcs11ErrorCode, message: string, detail?: Record<string, unknown>) {
  return new WatashiError(code, message, detail === undefined ? undefined : { detail });
}

// PKCS#11 v2.40 constants (pkcs11t.h).
const CKR_OK = 0;
const CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191;
const CKR_USER_ALREADY_LOGGED_IN = 0x100;
const CKF_RW_SESSION = 0x2;
const CKF_SERIAL_SESSION = 0x4;
const CKU_USER = 1;
const CKA_CLASS = 0x0;
const CKA_TOKEN = 0x1;
const CKA_PRIVATE = 0x2;
const CKA_LABEL = 0x3;
const CKA_KEY_TYPE = 0x100;
const CKA_ID = 0x102;
const CKA_SENSITIVE = 0x103;
const CKA_SIGN = 0x108;
const CKA_VERIFY = 0x10a;
const CKA_EXTRACTABLE = 0x162;
const CKA_EC_PARAMS = 0x180;
const CKA_EC_POINT = 0x181;
const CKO_PUBLIC_KEY = 2;
const CKO_PRIVATE_KEY = 3;
const CKK_EC = 3;
const CKM_EC_KEY_PAIR_GEN = 0x1040;
const CKM_ECDSA = 0x1041;
/** DER OID prime256v1 (RFC 5480 §2.1.1.1), the CKA_EC_PARAMS of a P-256 key. */
const P256_PARAMS = Uint8Array.of(0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07);
/** SubjectPublicKeyInfo prefix of an uncompressed P-256 point (RFC 5480). */
const P256_SPKI_PREFIX = Uint8Array.from(
  Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'),
);

const RETURN_NAMES: Record<number, string> = {
  0x3: 'CKR_SLOT_ID_INVALID',
  0x5: 'CKR_GENERAL_ERROR',
  0x6: 'CKR_FUNCTION_FAILED',
  0x7: 'CKR_ARGUMENTS_BAD',
  0x60: 'CKR_KEY_HANDLE_INVALID',
  0x70: 'CKR_MECHANISM_INVALID',
  0xa0: 'CKR_PIN_INCORRECT',
  0xa4: 'CKR_PIN_LOCKED',
  0xb3: 'CKR_SESSION_HANDLE_INVALID',
  0xe0: 'CKR_TOKEN_NOT_PRESENT',
  0x101: 'CKR_USER_NOT_LOGGED_IN',
  0x150: 'CKR_BUFFER_TOO_SMALL',
  0x190: 'CKR_CRYPTOKI_NOT_INITIALIZED',
};

interface Attribute {
  type: number;
  pValue: Buffer | null;
  ulValueLen: number;
}

// koffi declarations are process-wide: declare the types once.
let types: { attr: koffi.IKoffiCType; mech: koffi.IKoffiCType } | undefined;
function ffiTypes() {
  types ??= {
    attr: koffi.struct('CK_ATTRIBUTE', { type: 'ulong', pValue: 'void *', ulValueLen: 'ulong' }),
    mech: koffi.struct('CK_MECHANISM', { mechanism: 'ulong', pParameter: 'void *', ulParameterLen: 'ulong' }),
  };
  return types;
}

interface Functions {
  C_Initialize: (args: null) => number;
  C_Finalize: (args: null) => number;
  C_GetSlotList: (present: number, slots: bigint[] | null, count: number[]) => number;
  C_GetTokenInfo: (slot: bigint, info: Buffer) => number;
  C_OpenSession: (slot: bigint, flags: number, app: null, notify: null, session: bigint[]) => number;
  C_CloseSession: (session: bigint) => number;
  C_Login: (session: bigint, user: number, pin: Buffer, len: number) => number;
  C_FindObjectsInit: (session: bigint, template: Attribute[], count: number) => number;
  C_FindObjects: (session: bigint, handles: bigint[], max: number, count: number[]) => number;
  C_FindObjectsFinal: (session: bigint) => number;
  C_GetAttributeValue: (session: bigint, object: bigint, template: Attribute[], count: number) => number;
  C_GenerateKeyPair: (
    session: bigint,
    mechanism: { mechanism: number; pParameter: null; ulParameterLen: number },
    publicTemplate: Attribute[],
    publicCount: number,
    privateTemplate: Attribute[],
    privateCount: number,
    publicKey: bigint[],
    privateKey: bigint[],
  ) => number;
  C_SignInit: (
    session: bigint,
    mechanism: { mechanism: number; pParameter: null; ulParameterLen: number },
    key: bigint,
  ) => number;
  C_Sign: (session: bigint, data: Buffer, len: number, signature: Buffer, sigLen: number[]) => number;
}

const modules = new Map<string, Functions>();

function loadModule(path: string): Functions {
  const cached = modules.get(path);
  if (cached !== undefined) return cached;
  let lib: koffi.IKoffiLib;
  try {
    lib = koffi.load(path);
  } catch (cause) {
    throw new WatashiError('pkcs11_module_unavailable', `cannot load the PKCS#11 module ${path}`, { cause });
  }
  const { attr, mech } = ffiTypes();
  const ulong = 'ulong';
  const f = (name: string, ret: string, params: unknown[]) =>
    lib.func(name, ret, params as koffi.TypeSpec[]) as (...a: unknown[]) => number;
  const fns = {
    C_Initialize: f('C_Initialize', ulong, ['void *']),
    C_Finalize: f('C_Finalize', ulong, ['void *']),
    C_GetSlotList: f('C_GetSlotList', ulong, ['uint8', koffi.out('ulong *'), koffi.inout('ulong *')]),
    C_GetTokenInfo: f('C_GetTokenInfo', ulong, [ulong, 'uint8 *']),
    C_OpenSession: f('C_OpenSession', ulong, [ulong, ulong, 'void *', 'void *', koffi.out('ulong *')]),
    C_CloseSession: f('C_CloseSession', ulong, [ulong]),
    C_Login: f('C_Login', ulong, [ulong, ulong, 'uint8 *', ulong]),
    C_FindObjectsInit: f('C_FindObjectsInit', ulong, [ulong, koffi.pointer(attr), ulong]),
    C_FindObjects: f('C_FindObjects', ulong, [ulong, koffi.out('ulong *'), ulong, koffi.out('ulong *')]),
    C_FindObjectsFinal: f('C_FindObjectsFinal', ulong, [ulong]),
    C_GetAttributeValue: f('C_GetAttributeValue', ulong, [
      ulong,
      ulong,
      koffi.inout(koffi.pointer(attr)),
      ulong,
    ]),
    C_GenerateKeyPair: f('C_GenerateKeyPair', ulong, [
      ulong,
      koffi.pointer(mech),
      koffi.pointer(attr),
      ulong,
      koffi.pointer(attr),
      ulong,
      koffi.out('ulong *'),
      koffi.out('ulong *'),
    ]),
    C_SignInit: f('C_SignInit', ulong, [ulong, koffi.pointer(mech), ulong]),
    C_Sign: f('C_Sign', ulong, [ulong, 'uint8 *', ulong, 'uint8 *', koffi.inout('ulong *')]),
  } as unknown as Functions;
  const rv = fns.C_Initialize(null);
  if (rv !== CKR_OK && rv !== CKR_CRYPTOKI_ALREADY_INITIALIZED) check(rv, 'C_Initialize');
  modules.set(path, fns);
  return fns;
}

function check(rv: number, call: string): void {
  if (rv === CKR_OK) return;
  const name = RETURN_NAMES[rv] ?? `0x${rv.toString(16)}`;
  if (call === 'C_Login')
    throw p11Error('pkcs11_login_failed', `the token refused the PIN (${name})`, { rv: name });
  throw p11Error('pkcs11_call_failed', `${call} failed: ${name}`, { call, rv: name });
}

const ulongAttr = (type: number, value: number): Attribute => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(value));
  return { type, pValue: b, ulValueLen: 8 };
};
const boolAttr = (type: number, value: boolean): Attribute => ({
  type,
  pValue: Buffer.of(value ? 1 : 0),
  ulValueLen: 1,
});
const bytesAttr = (type: number, value: Uint8Array): Attribute => ({
  type,
  pValue: Buffer.from(value),
  ulValueLen: value.length,
});

/** Where a token is and how to log in to it. */
export interface Pkcs11TokenOptions {
  /** Path of the PKCS#11 module (shared library). */
  readonly module: string;
  /** Label of the token (CK_TOKEN_INFO.label, trailing blanks ignored). */
  readonly tokenLabel?: string;
  /** Or the slot id (CK_SLOT_ID) the token is in, as `softhsm2-util --show-slots` and `pkcs11-tool -L` print it. */
  readonly slot?: bigint;
  /** User PIN. Kept only inside the closure of the opened token. */
  readonly pin: string;
}

/** An ECDSA P-256 key pair in a token, found by its label. */
export interface Pkcs11Key {
  readonly label: string;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  /** Signs SHA-256(data) with CKM_ECDSA inside the token; raw r ‖ s (64 bytes). */
  signRaw(data: Uint8Array): Uint8Array;
}

/** A logged-in session on one token. */
export interface Pkcs11Token {
  /** Labels of the private keys on the token (every one, in the token's order). */
  listKeyLabels(): string[];
  /** The key pair whose private key has this label, or undefined. */
  findKey(label: string): Pkcs11Key | undefined;
  /** Generates a P-256 key pair on the token (private key sensitive and not extractable). */
  generateKey(label: string): Pkcs11Key;
  /** Closes the session (the module stays initialised for other tokens). */
  close(): void;
}

/** Opens a read-write session on the token labelled `tokenLabel` and logs in as the user. */
export function openPkcs11Token(options: Pkcs11TokenOptions): Pkcs11Token {
  const fn = loadModule(options.module);
  const count = [0];
  check(fn.C_GetSlotList(1, null, count), 'C_GetSlotList');
  const slots: bigint[] = new Array<bigint>(count[0] ?? 0).fill(0n);
  check(fn.C_GetSlotList(1, slots, count), 'C_GetSlotList');
  let slot: bigint | undefined;
  if ((options.tokenLabel === undefined) === (options.slot === undefined))
    throw new TypeError('openPkcs11Token: give the token label or the slot id, one of them');
  for (const s of slots.slice(0, count[0])) {
    if (options.slot !== undefined) {
      if (BigInt(s) === options.slot) {
        slot = s;
        break;
      }
      continue;
    }
    // CK_TOKEN_INFO begins with label[32], blank-padded UTF-8 (PKCS#11 §3.2).
    const info = Buffer.alloc(512);
    if (fn.C_GetTokenInfo(s, info) !== CKR_OK) continue;
    if (info.subarray(0, 32).toString('utf8').trimEnd() === options.tokenLabel) {
      slot = s;
      break;
    }
  }
  if (slot === undefined)
    throw p11Error(
      'pkcs11_token_not_found',
      options.slot !== undefined
        ? `no token in slot ${options.slot}`
        : `no token labelled ${JSON.stringify(options.tokenLabel)}`,
    );
  const out = [0n];
  check(fn.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null, out), 'C_OpenSession');
  const session = out[0] ?? 0n;
  const pin = Buffer.from(options.pin, 'utf8');
  const rv = fn.C_Login(session, CKU_USER, pin, pin.length);
  if (rv !== CKR_USER_ALREADY_LOGGED_IN) {
    try {
      check(rv, 'C_Login');
    } catch (e) {
      fn.C_CloseSession(session);
      throw e;
    }
  }
  let open = true;
  const ensureOpen = () => {
    if (!open) throw new TypeError('the PKCS#11 token is closed');
  };

  const find = (template: Attribute[]): bigint[] => {
    check(fn.C_FindObjectsInit(session, template, template.length), 'C_FindObjectsInit');
    const found: bigint[] = [];
    try {
      for (;;) {
        const handles = new Array<bigint>(32).fill(0n);
        const n = [0];
        check(fn.C_FindObjects(session, handles, handles.length, n), 'C_FindObjects');
        if ((n[0] ?? 0) === 0) break;
        found.push(...handles.slice(0, n[0]));
      }
    } finally {
      fn.C_FindObjectsFinal(session);
    }
    return found;
  };
  const attribute = (object: bigint, type: number): Buffer => {
    const probe: Attribute[] = [{ type, pValue: null, ulValueLen: 0 }];
    check(fn.C_GetAttributeValue(session, object, probe, 1), 'C_GetAttributeValue');
    const len = Number(probe[0]?.ulValueLen ?? 0);
    // koffi writes into the buffer itself; the struct copy it hands back holds only a pointer.
    const buffer = Buffer.alloc(len);
    const value: Attribute[] = [{ type, pValue: buffer, ulValueLen: len }];
    check(fn.C_GetAttributeValue(session, object, value, 1), 'C_GetAttributeValue');
    return buffer.subarray(0, Number(value[0]?.ulValueLen ?? 0));
  };
  const keyOf = (label: string, privateHandle: bigint, publicHandle: bigint): Pkcs11Key => {
    // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point 04 ‖ X ‖ Y (PKCS#11 Mechanisms §2.3.3).
    const point = attribute(publicHandle, CKA_EC_POINT);
    const raw = point[0] === 0x04 && point[1] === 65 ? point.subarray(2) : point;
    if (raw.length !== 65 || raw[0] !== 0x04)
      throw p11Error('pkcs11_call_failed', 'the token returned an EC point that is not uncompressed P-256');
    const spki = new Uint8Array(P256_SPKI_PREFIX.length + 65);
    spki.set(P256_SPKI_PREFIX);
    spki.set(raw, P256_SPKI_PREFIX.length);
    const mechanism = { mechanism: CKM_ECDSA, pParameter: null, ulParameterLen: 0 };
    return Object.freeze({
      label,
      spki,
      signRaw(data: Uint8Array): Uint8Array {
        ensureOpen();
        const digest = createHash('sha256').update(data).digest();
        check(fn.C_SignInit(session, mechanism, privateHandle), 'C_SignInit');
        const sig = Buffer.alloc(64);
        const len = [64];
        check(fn.C_Sign(session, digest, digest.length, sig, len), 'C_Sign');
        return new Uint8Array(sig.subarray(0, len[0]));
      },
    });
  };
  const labelled = (cls: number, label: string) =>
    find([ulongAttr(CKA_CLASS, cls), bytesAttr(CKA_LABEL, Buffer.from(label, 'utf8'))]);

  return {
    listKeyLabels() {
      ensureOpen();
      return find([ulongAttr(CKA_CLASS, CKO_PRIVATE_KEY)]).map((h) =>
        attribute(h, CKA_LABEL).toString('utf8'),
      );
    },
    findKey(label) {
      ensureOpen();
      const [priv] = labelled(CKO_PRIVATE_KEY, label);
      const [pub] = labelled(CKO_PUBLIC_KEY, label);
      return priv === undefined || pub === undefined ? undefined : keyOf(label, priv, pub);
    },
    generateKey(label) {
      ensureOpen();
      const id = Buffer.from(createHash('sha256').update(label).digest().subarray(0, 16));
      const common = [bytesAttr(CKA_LABEL, Buffer.from(label, 'utf8')), bytesAttr(CKA_ID, id)];
      const pub = [
        ulongAttr(CKA_CLASS, CKO_PUBLIC_KEY),
        ulongAttr(CKA_KEY_TYPE, CKK_EC),
        boolAttr(CKA_TOKEN, true),
        boolAttr(CKA_VERIFY, true),
        bytesAttr(CKA_EC_PARAMS, P256_PARAMS),
        ...common,
      ];
      // The private key never leaves the token: sensitive (no plain value) and not extractable
      // (not even wrapped) — PKCS#11 §4.9.
      const priv = [
        ulongAttr(CKA_CLASS, CKO_PRIVATE_KEY),
        ulongAttr(CKA_KEY_TYPE, CKK_EC),
        boolAttr(CKA_TOKEN, true),
        boolAttr(CKA_PRIVATE, true),
        boolAttr(CKA_SENSITIVE, true),
        boolAttr(CKA_EXTRACTABLE, false),
        boolAttr(CKA_SIGN, true),
        ...common,
      ];
      const pubOut = [0n];
      const privOut = [0n];
      check(
        fn.C_GenerateKeyPair(
          session,
          { mechanism: CKM_EC_KEY_PAIR_GEN, pParameter: null, ulParameterLen: 0 },
          pub,
          pub.length,
          priv,
          priv.length,
          pubOut,
          privOut,
        ),
        'C_GenerateKeyPair',
      );
      return keyOf(label, privOut[0] ?? 0n, pubOut[0] ?? 0n);
    },
    close() {
      if (!open) return;
      open = false;
      fn.C_CloseSession(session);
    },
  };
}
