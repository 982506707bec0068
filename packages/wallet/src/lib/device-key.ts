/**
 * The device key: one non-extractable WebCrypto ECDSA P-256 key per account on this browser, kept
 * in IndexedDB, with the Watashi certificate the platform issued for it (docs/trust-service.md §3).
 *
 * What it is for: activating the device certificate (the platform's activation challenge), signing
 * in with it, and — for other parts of the wallet — signing CIBA approvals and credential
 * key-binding JWTs with the same key. The API is small on purpose and stable:
 *
 * ```ts
 * const key = await getDeviceKey(accountId);          // null when this browser has none
 * const sig = await key.sign(bytes);                   // ECDSA P-256 SHA-256, r ‖ s (64 bytes)
 * const jwk = await key.publicJwk();                   // {kty:'EC', crv:'P-256', x, y}
 * const jws = await key.signJws({ typ: 'kb+jwt' }, payload); // compact JWS, alg ES256
 * const der = key.certificate();                       // the device certificate (DER) or null
 * ```
 *
 * Why non-extractable: the private key cannot be read out by script (WebCrypto `extractable:
 * false`; IndexedDB stores the `CryptoKey` object itself by structured clone, not its bytes), so a
 * script that runs later — an XSS, a malicious extension's content script — can at most use the key
 * while it runs, never copy it to another machine. That is why the platform counts it as a software
 * key at AAL2 at most (docs/trust-service.md §5).
 *
 * Signatures are raw `r ‖ s`, which is what WebCrypto returns, what the platform verifies
 * (`ieee-p1363`), and what JWS ES256 (RFC 7518 §3.4) needs. X.509 wants DER: the PKCS#10 request
 * converts with `ecdsaRawToDer`.
 */
import {
  bitString,
  ecdsaRawToDer,
  int,
  seq,
  signatureAlgorithmIdentifier,
  tlv,
  toBase64Url,
  WatashiError,
} from '@watashi/pki';

/** The certificate profile the wallet asks for its device key (sign-in, approvals; no personal data). */
export const DEVICE_KEY_PROFILE = 'watashi-device-auth';

/** Where the platform's record of this key's certificate stands, as this browser last saw it. */
export type DeviceCertificateState = 'pending' | 'active' | 'revoked';

/** The certificate issued for a device key. */
export interface StoredDeviceCertificate {
  /** Serial number, lower-case hex, as the platform names it (`/api/devices/certificates/<serial>`). */
  readonly serial: string;
  /** DER. */
  readonly der: Uint8Array;
  readonly state: DeviceCertificateState;
}

/** What is kept in IndexedDB per account (the `CryptoKey`s are structured-cloned, never exported). */
export interface DeviceKeyRecord {
  readonly accountId: string;
  /** The device slot the certificate is issued for (one live certificate per slot). */
  readonly slot: string;
  readonly createdAt: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  readonly certificate: StoredDeviceCertificate | null;
}

/** Storage of device key records (IndexedDB in the browser; {@link memoryDeviceKeyStore} in tests). */
export interface DeviceKeyStore {
  get(accountId: string): Promise<DeviceKeyRecord | undefined>;
  put(record: DeviceKeyRecord): Promise<void>;
  delete(accountId: string): Promise<void>;
  all(): Promise<DeviceKeyRecord[]>;
}

/** A P-256 public key as a JWK (RFC 7518 §6.2.1), members in no particular order. */
export interface EcPublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  /** base64url, 32 bytes. */
  readonly x: string;
  /** base64url, 32 bytes. */
  readonly y: string;
}

/**
 * What a key is for: `auth` (the authentication certificate, sign-in) or `sign` (the signing
 * certificate, documents). A separate key per profile: the profiles' key usages differ
 * (digitalSignature for authentication, nonRepudiation for signatures, packages/ca profiles), and a
 * key that signs documents should not also answer every sign-in challenge.
 */
export type DeviceKeyPurpose = 'auth' | 'sign';

/** The store key of a record: the account id for `auth` (as before), `<account>#sign` for `sign`. */
const recordKey = (accountId: string, purpose: DeviceKeyPurpose): string =>
  purpose === 'sign' ? `${accountId}#sign` : accountId;

/** The device key of one account on this browser. */
export interface DeviceKey {
  readonly accountId: string;
  readonly purpose: DeviceKeyPurpose;
  readonly slot: string;
  /** ISO 8601 instant the key was made. */
  readonly createdAt: string;
  /** DER SubjectPublicKeyInfo of the public key. */
  readonly spki: Uint8Array;
  /** Signs `data` with ECDSA P-256 SHA-256; the signature is raw `r ‖ s` (64 bytes). */
  sign(data: Uint8Array): Promise<Uint8Array>;
  /** The public key as a JWK (`kty`, `crv`, `x`, `y` only): for `cnf.jwk` (RFC 7800). */
  publicJwk(): Promise<EcPublicJwk>;
  /** A compact JWS (RFC 7515) over `payload` with `alg: ES256` added to `header`. */
  signJws(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string>;
  /** The device certificate (DER), or null before issuance. */
  certificate(): Uint8Array | null;
  /** The certificate's serial and last known state, or null before issuance. */
  certificateInfo(): StoredDeviceCertificate | null;
  /** A PKCS#10 request (DER) for this key, signed by it (RFC 2986). */
  certificationRequest(): Promise<Uint8Array>;
}

const DB_NAME = 'watashi-wallet';
const STORE = 'device-keys';
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

function requestResult<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

/** The IndexedDB store (database `watashi-wallet`, object store `device-keys`, key `accountId`). */
export function indexedDbDeviceKeyStore(): DeviceKeyStore {
  let opened: Promise<IDBDatabase> | undefined;
  const db = (): Promise<IDBDatabase> => {
    if (typeof indexedDB === 'undefined')
      return Promise.reject(new WatashiError('device_key_unsupported', 'this browser has no IndexedDB'));
    opened ??= new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(DB_NAME, 1);
      r.onupgradeneeded = () => {
        if (!r.result.objectStoreNames.contains(STORE))
          r.result.createObjectStore(STORE, { keyPath: 'accountId' });
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error ?? new Error('IndexedDB open failed'));
    }).catch((e: unknown) => {
      opened = undefined;
      throw e;
    });
    return opened;
  };
  const run = async <T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    const tx = (await db()).transaction(STORE, mode);
    const result = requestResult(f(tx.objectStore(STORE)));
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
    return result;
  };
  return {
    get: (id) => run('readonly', (s) => s.get(id) as IDBRequest<DeviceKeyRecord | undefined>),
    put: async (rec) => {
      await run('readwrite', (s) => s.put(rec));
    },
    delete: async (id) => {
      await run('readwrite', (s) => s.delete(id));
    },
    all: () => run('readonly', (s) => s.getAll() as IDBRequest<DeviceKeyRecord[]>),
  };
}

/** A store in memory (tests; a host without IndexedDB). */
export function memoryDeviceKeyStore(): DeviceKeyStore {
  const m = new Map<string, DeviceKeyRecord>();
  return {
    get: (id) => Promise.resolve(m.get(id)),
    put: (rec) => {
      m.set(rec.accountId, rec);
      return Promise.resolve();
    },
    delete: (id) => {
      m.delete(id);
      return Promise.resolve();
    },
    all: () => Promise.resolve([...m.values()]),
  };
}

let store: DeviceKeyStore | undefined;
const currentStore = (): DeviceKeyStore => (store ??= indexedDbDeviceKeyStore());

/** Replaces the store (tests, or a host without IndexedDB); the browser uses IndexedDB by default. */
export function setDeviceKeyStore(s: DeviceKeyStore): void {
  store = s;
}

const own = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Builds the PKCS#10 request: empty subject (the CA decides it), no attributes, ECDSA-SHA256. */
async function certificationRequestFor(rec: DeviceKeyRecord): Promise<Uint8Array> {
  // CertificationRequestInfo ::= SEQUENCE { version 0, subject Name, subjectPKInfo, attributes [0] }
  const info = seq(int(0), seq(), rec.spki, tlv(0xa0));
  const raw = new Uint8Array(await crypto.subtle.sign(SIGN, rec.privateKey, own(info)));
  return seq(info, signatureAlgorithmIdentifier('ECDSA-SHA256'), bitString(ecdsaRawToDer(raw)));
}

function deviceKeyOf(rec: DeviceKeyRecord): DeviceKey {
  const purpose: DeviceKeyPurpose = rec.accountId.endsWith('#sign') ? 'sign' : 'auth';
  const sign = async (data: Uint8Array): Promise<Uint8Array> =>
    new Uint8Array(await crypto.subtle.sign(SIGN, rec.privateKey, own(data)));
  const publicJwk = async (): Promise<EcPublicJwk> => {
    const { x, y } = await crypto.subtle.exportKey('jwk', rec.publicKey);
    if (x === undefined || y === undefined)
      throw new WatashiError('device_key_unsupported', 'no EC public key');
    return { kty: 'EC', crv: 'P-256', x, y };
  };
  return {
    accountId: purpose === 'sign' ? rec.accountId.slice(0, -'#sign'.length) : rec.accountId,
    purpose,
    slot: rec.slot,
    createdAt: rec.createdAt,
    spki: rec.spki,
    sign,
    publicJwk,
    async signJws(header, payload) {
      const input = `${toBase64Url(utf8(JSON.stringify({ ...header, alg: 'ES256' })))}.${toBase64Url(
        utf8(JSON.stringify(payload)),
      )}`;
      return `${input}.${toBase64Url(await sign(utf8(input)))}`;
    },
    certificate: () => rec.certificate?.der ?? null,
    certificateInfo: () => rec.certificate,
    certificationRequest: () => certificationRequestFor(rec),
  };
}

/** Whether this browser can hold a device key (WebCrypto and IndexedDB). */
export function deviceKeysSupported(): boolean {
  return typeof crypto !== 'undefined' && crypto.subtle !== undefined && typeof indexedDB !== 'undefined';
}

/** The device key of `accountId` on this browser, or null. */
export async function getDeviceKey(
  accountId: string,
  purpose: DeviceKeyPurpose = 'auth',
): Promise<DeviceKey | null> {
  const rec = await currentStore().get(recordKey(accountId, purpose));
  return rec === undefined ? null : deviceKeyOf(rec);
}

/** Every device key on this browser (whichever account): what the start-up check walks. */
export async function listDeviceKeys(): Promise<DeviceKey[]> {
  return (await currentStore().all()).map(deviceKeyOf);
}

/**
 * Makes a new non-extractable key for `accountId` in `slot`, replacing (erasing) any key the account
 * had on this browser.
 */
export async function createDeviceKey(
  accountId: string,
  slot: string,
  purpose: DeviceKeyPurpose = 'auth',
): Promise<DeviceKey> {
  const pair = await crypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify']);
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
  const rec: DeviceKeyRecord = {
    accountId: recordKey(accountId, purpose),
    slot,
    createdAt: new Date().toISOString(),
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    spki,
    certificate: null,
  };
  await currentStore().put(rec);
  return deviceKeyOf(rec);
}

/** Records the certificate issued for `accountId`'s key, or its new state. */
export async function saveDeviceCertificate(
  accountId: string,
  certificate: StoredDeviceCertificate,
  purpose: DeviceKeyPurpose = 'auth',
): Promise<DeviceKey> {
  const rec = await currentStore().get(recordKey(accountId, purpose));
  if (rec === undefined)
    throw new WatashiError('device_key_missing', 'this browser has no key for the account');
  const next: DeviceKeyRecord = { ...rec, certificate };
  await currentStore().put(next);
  return deviceKeyOf(next);
}

/** Erases the key of `accountId` from this browser (the key cannot be recovered). */
export async function eraseDeviceKey(accountId: string, purpose: DeviceKeyPurpose = 'auth'): Promise<void> {
  await currentStore().delete(recordKey(accountId, purpose));
}
