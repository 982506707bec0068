/**
 * Key store implementations of the {@link KeyStore} port: a local one whose keys live in files
 * under `<dataDir>/keys/` (mode 0600, directory 0700), and an in-memory one for tests and
 * ephemeral runs. Both seal with AES-256-GCM and MAC with HMAC-SHA-256 through node:crypto.
 *
 * Files (32 random bytes each, created on first start):
 * - `data-<keyId>.key` — the data key sealing basic 4 information (AES-256-GCM);
 * - `mac-<keyId>.key` — the MAC master secret; the secret of a purpose (`person-key`, `pairwise`,
 *   …) is HKDF-SHA-256(master, info = `watashi mac <purpose>`), so purposes never share a key.
 * - `sign-<purpose>-<keyId>.p8` — an ECDSA P-256 signing key (PKCS#8 DER) of a purpose (`oidc`:
 *   ID tokens), created on first use; the newest is current, older ones stay published until the
 *   operator deletes their file (rotation: {@link KeyStore.rotateSigningKey}).
 *
 * Key ids are `<yyyymmddhhmmss>-<8 hex>`; the newest id (by name) is the current one, older data
 * keys stay usable for {@link KeyStore.open}, so a rotation is: add a newer file, re-seal rows.
 * Key material stays inside the closures: the objects expose only the three operations.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import {
  chmodSync,
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { WatashiError } from '@watashi/pki';
import type { KeyStore, PublicSigningJwk, SealedBox, SigningKey, SigningKeyStore } from './key-store.ts';

/** Error codes of the key stores. */
export type KeyStoreErrorCode =
  /** The box does not open: wrong key, nonce, tag, aad, or a tampered ciphertext. */
  | 'key_store_decrypt_failed'
  /** The box names a data key this store does not hold. */
  | 'key_store_unknown_key'
  /** A key file is not 32 bytes, or the box is not an A256GCM box of the documented shape. */
  | 'key_store_invalid'
  /** A key file or the key directory can be read by group or others (must be 0600 / 0700). */
  | 'key_store_permissions'
  /** Another process has held the key directory's creation lock for too long (a stale lock file). */
  | 'key_store_locked';

function keyError(
  code: KeyStoreErrorCode,
  message: string,
  options?: { cause?: unknown; detail?: Record<string, unknown> },
): WatashiError<KeyStoreErrorCode> {
  return new WatashiError(code, message, options);
}

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const FILE_RE = /^(data|mac)-(\d{14}-[0-9a-f]{8})\.key$/;
const PURPOSE_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

interface Keyring {
  /** Data keys by id; `current` names the one seal uses. */
  readonly data: ReadonlyMap<string, Buffer>;
  readonly currentData: string;
  readonly mac: Buffer;
  readonly macId: string;
  /** Where signing keys live: loads a purpose's keys (oldest first) and creates new ones. */
  readonly signing: SigningKeyring;
}

/** Storage of signing keys (private keys as PKCS#8 DER), per purpose. */
interface SigningKeyring {
  load(purpose: string): Array<{ readonly id: string; readonly der: Buffer }>;
  /** Adds a new key; with `onlyIfNone`, only when the purpose has none (first use). */
  create(purpose: string, onlyIfNone?: boolean): void;
}

const SIGN_FILE_RE = /^sign-([a-z0-9][a-z0-9._-]{0,63})-(\d{14}-[0-9a-f]{8})\.p8$/;

function newSigningDer(): Buffer {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ format: 'der', type: 'pkcs8' });
}

function signingKeyOf(id: string, der: Buffer): SigningKey {
  const privateKey: KeyObject = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw keyError('key_store_invalid', 'a signing key must be ECDSA P-256', { detail: { keyId: id } });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string')
    throw keyError('key_store_invalid', 'a signing key has no public point', { detail: { keyId: id } });
  const publicJwk: PublicSigningJwk = Object.freeze({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y });
  return Object.freeze({
    keyId: id,
    alg: 'ES256' as const,
    publicJwk,
    sign(data: Uint8Array) {
      // RFC 7518 §3.4: the JWS signature is R ‖ S, not DER.
      return Promise.resolve(
        new Uint8Array(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })),
      );
    },
  });
}

/** Signing keys held in memory only. */
function memorySigning(now: () => Date): SigningKeyring {
  const byPurpose = new Map<string, Array<{ id: string; der: Buffer }>>();
  return {
    load: (purpose) => [...(byPurpose.get(purpose) ?? [])],
    create(purpose, onlyIfNone = false) {
      const list = byPurpose.get(purpose) ?? [];
      if (onlyIfNone && list.length > 0) return;
      let id = newKeyId(now());
      // Keep ids strictly increasing even within one second.
      while (list.some((k) => k.id >= id))
        id = newKeyId(new Date(now().getTime() + 1000 * list.length + 1000));
      list.push({ id, der: newSigningDer() });
      byPurpose.set(purpose, list);
    },
  };
}

function newKeyId(now: Date): string {
  const t = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${t}-${randomBytes(4).toString('hex')}`;
}

function keyringStore(ring: Keyring): SigningKeyStore {
  const macKeys = new Map<string, Buffer>();
  const macKey = (purpose: string): Buffer => {
    let k = macKeys.get(purpose);
    if (k === undefined) {
      k = Buffer.from(hkdfSync('sha256', ring.mac, Buffer.alloc(0), `watashi mac ${purpose}`, KEY_BYTES));
      macKeys.set(purpose, k);
    }
    return k;
  };
  const base: KeyStore = {
    seal(plaintext, aad) {
      const key = ring.data.get(ring.currentData);
      if (key === undefined) throw new TypeError('no current data key');
      const nonce = randomBytes(NONCE_BYTES);
      const c = createCipheriv('aes-256-gcm', key, nonce);
      c.setAAD(aad);
      const ct = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
      const box: SealedBox = {
        alg: 'A256GCM',
        keyId: ring.currentData,
        nonce: new Uint8Array(nonce),
        ciphertext: new Uint8Array(ct),
      };
      return Promise.resolve(box);
    },
    open(box, aad) {
      try {
        if (box.alg !== 'A256GCM' || box.nonce.length !== NONCE_BYTES || box.ciphertext.length < TAG_BYTES)
          throw keyError('key_store_invalid', 'not an A256GCM sealed box');
        const key = ring.data.get(box.keyId);
        if (key === undefined)
          throw keyError('key_store_unknown_key', 'the box was sealed under a key this store does not hold', {
            detail: { keyId: box.keyId },
          });
        const d = createDecipheriv('aes-256-gcm', key, box.nonce);
        d.setAAD(aad);
        d.setAuthTag(box.ciphertext.subarray(box.ciphertext.length - TAG_BYTES));
        let plain: Buffer;
        try {
          plain = Buffer.concat([
            d.update(box.ciphertext.subarray(0, box.ciphertext.length - TAG_BYTES)),
            d.final(),
          ]);
        } catch (cause) {
          throw keyError(
            'key_store_decrypt_failed',
            'the sealed box does not open (key, aad or ciphertext)',
            {
              cause,
            },
          );
        }
        return Promise.resolve(new Uint8Array(plain));
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
    mac(purpose, data) {
      if (!PURPOSE_RE.test(purpose))
        return Promise.reject(new TypeError(`bad MAC purpose ${JSON.stringify(purpose)}`));
      const mac = createHmac('sha256', macKey(purpose)).update(data).digest();
      return Promise.resolve({ mac: new Uint8Array(mac), keyId: ring.macId });
    },
  };
  const signingCache = new Map<string, SigningKey>();
  const cacheSigning = (id: string, der: Buffer): SigningKey => {
    const k = signingKeyOf(id, der);
    signingCache.set(id, k);
    return k;
  };
  // The signing capability is added as non-enumerable methods: the enumerable surface of a store
  // stays the base port (seal, open, mac), which is what serialisers and the tests of that port
  // look at; none of the methods exposes key material.
  const signing: Pick<SigningKeyStore, 'signingKeys' | 'rotateSigningKey'> = {
    signingKeys(purpose) {
      try {
        if (!PURPOSE_RE.test(purpose)) throw new TypeError(`bad signing purpose ${JSON.stringify(purpose)}`);
        let stored = ring.signing.load(purpose);
        if (stored.length === 0) {
          ring.signing.create(purpose, true);
          stored = ring.signing.load(purpose);
        }
        const keys = stored
          .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
          .map((k) => signingCache.get(k.id) ?? cacheSigning(k.id, k.der));
        return Promise.resolve(keys);
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
    async rotateSigningKey(purpose) {
      if (!PURPOSE_RE.test(purpose)) throw new TypeError(`bad signing purpose ${JSON.stringify(purpose)}`);
      await store.signingKeys(purpose);
      ring.signing.create(purpose);
      const [current] = await store.signingKeys(purpose);
      if (current === undefined) throw new TypeError('no signing key after rotation');
      return current;
    },
  };
  const store = Object.defineProperties(base, {
    signingKeys: { value: signing.signingKeys, enumerable: false },
    rotateSigningKey: { value: signing.rotateSigningKey, enumerable: false },
  }) as SigningKeyStore;
  return Object.freeze(store);
}

/** A key store holding fresh random keys in memory only (tests, ephemeral runs). */
export function createMemoryKeyStore(options: { readonly now?: () => Date } = {}): SigningKeyStore {
  const now = options.now?.() ?? new Date();
  const dataId = newKeyId(now);
  return keyringStore({
    data: new Map([[dataId, randomBytes(KEY_BYTES)]]),
    currentData: dataId,
    mac: randomBytes(KEY_BYTES),
    macId: newKeyId(now),
    signing: memorySigning(options.now ?? (() => new Date())),
  });
}

function checkMode(path: string, allowed: number, what: string): void {
  if (process.platform === 'win32') return;
  const mode = statSync(path).mode & 0o777;
  if ((mode & ~allowed) !== 0)
    throw keyError('key_store_permissions', `${what} must not be accessible to group or others`, {
      detail: { path, mode: mode.toString(8), expected: allowed.toString(8) },
    });
}

function readKey(path: string): Buffer {
  checkMode(path, 0o600, 'a key file');
  const b = readFileSync(path);
  if (b.length !== KEY_BYTES)
    throw keyError('key_store_invalid', `a key file must hold ${KEY_BYTES} bytes`, {
      detail: { path, length: b.length },
    });
  return b;
}

/** Name of the lock file of a key directory, held while keys are created. */
const LOCK_FILE = '.create.lock';
/** How long to wait for another process's lock before giving up. */
const LOCK_WAIT_MS = 10_000;

/**
 * Runs `fn` holding the key directory's creation lock (an exclusively created file), so that
 * processes sharing the directory create keys one at a time. A lock left by a crashed process is
 * reported after {@link LOCK_WAIT_MS} (`key_store_locked`); the operator removes the file.
 */
function withDirLock<T>(dir: string, fn: () => T): T {
  const lock = join(dir, LOCK_FILE);
  const until = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (Date.now() > until)
        throw keyError(
          'key_store_locked',
          `the key directory is locked; remove ${lock} if no process holds it`,
          {
            detail: { path: lock },
          },
        );
      // A synchronous pause: key creation is synchronous and rare (first start, rotation).
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function writeKey(dir: string, kind: 'data' | 'mac', now: Date): void {
  const path = join(dir, `${kind}-${newKeyId(now)}.key`);
  // 'wx': never overwrite; mode applies on creation (and chmod in case the umask widened it).
  writeFileSync(path, randomBytes(KEY_BYTES), { flag: 'wx', mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * Opens (creating on first start) the local key store in `<dataDir>/keys/`. Refuses key files
 * readable by group or others (`key_store_permissions`) and malformed ones (`key_store_invalid`).
 */
export function openLocalKeyStore(options: {
  readonly dir: string;
  readonly now?: () => Date;
}): SigningKeyStore {
  const now = options.now?.() ?? new Date();
  const dir = options.dir;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkMode(dir, 0o700, 'the key directory');
  const list = (): Array<{ kind: string; id: string; file: string }> =>
    readdirSync(dir)
      .map((file) => ({ file, m: FILE_RE.exec(file) }))
      .filter((x): x is { file: string; m: RegExpExecArray } => x.m !== null)
      .map(({ file, m }) => ({ kind: m[1] ?? '', id: m[2] ?? '', file }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let files = list();
  if (!files.some((f) => f.kind === 'data') || !files.some((f) => f.kind === 'mac')) {
    // Several instances may share the directory and start at once; without the lock each would
    // write its own first data key and MAC secret and they would seal and derive differently.
    withDirLock(dir, () => {
      files = list();
      if (!files.some((f) => f.kind === 'data')) writeKey(dir, 'data', now);
      if (!files.some((f) => f.kind === 'mac')) writeKey(dir, 'mac', now);
    });
  }
  files = list();
  const data = new Map<string, Buffer>();
  let currentData = '';
  let mac: Buffer | undefined;
  let macId = '';
  for (const f of files) {
    const key = readKey(join(dir, f.file));
    if (f.kind === 'data') {
      data.set(f.id, key);
      currentData = f.id;
    } else {
      mac = key;
      macId = f.id;
    }
  }
  if (mac === undefined || currentData === '')
    throw keyError('key_store_invalid', 'the key directory holds no keys');
  const clock = options.now ?? (() => new Date());
  const signing: SigningKeyring = {
    load: (purpose) =>
      readdirSync(dir)
        .map((file) => ({ file, m: SIGN_FILE_RE.exec(file) }))
        .filter((x) => x.m !== null && x.m[1] === purpose)
        .map(({ file, m }) => {
          const path = join(dir, file);
          checkMode(path, 0o600, 'a key file');
          return { id: m?.[2] ?? '', der: readFileSync(path) };
        }),
    create(purpose, onlyIfNone = false) {
      // Under the directory lock: instances sharing the directory and starting together must not
      // each make a first key (docs/scaling.md).
      withDirLock(dir, () => {
        // Ids sort newest last; keep them strictly increasing even for two keys in one second.
        const existing = readdirSync(dir)
          .map((file) => SIGN_FILE_RE.exec(file))
          .filter((m) => m !== null && m[1] === purpose)
          .map((m) => m?.[2] ?? '');
        if (onlyIfNone && existing.length > 0) return;
        let at = clock().getTime();
        let id = newKeyId(new Date(at));
        while (existing.some((e) => e >= id)) id = newKeyId(new Date((at += 1000)));
        const path = join(dir, `sign-${purpose}-${id}.p8`);
        writeFileSync(path, newSigningDer(), { flag: 'wx', mode: 0o600 });
        chmodSync(path, 0o600);
      });
    },
  };
  return keyringStore({ data, currentData, mac, macId, signing });
}
