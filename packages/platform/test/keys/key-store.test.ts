import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createDecipheriv } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isWatashiError } from '@watashi/pki';
import { createMemoryKeyStore, openLocalKeyStore, type KeyStore } from '../../src/keys/index.ts';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'watashi-keys-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const te = new TextEncoder();
const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    return isWatashiError(e) ? e.code : `not a WatashiError: ${String(e)}`;
  }
  return 'resolved';
};

const suites: Array<[string, () => KeyStore]> = [
  ['memory', () => createMemoryKeyStore()],
  ['local', () => openLocalKeyStore({ dir: join(tempDir(), 'keys') })],
];

for (const [name, make] of suites) {
  describe(name, () => {
    it('ok-seal-open-roundtrip', async () => {
      const k = make();
      const box = await k.seal(te.encode('山田 太郎'), te.encode('account-1'));
      expect(box.alg).toBe('A256GCM');
      expect(box.nonce.length).toBe(12);
      expect(box.ciphertext.length).toBe(te.encode('山田 太郎').length + 16);
      expect(new TextDecoder().decode(await k.open(box, te.encode('account-1')))).toBe('山田 太郎');
    });

    it('ok-fresh-nonce-per-seal', async () => {
      const k = make();
      const a = await k.seal(te.encode('x'), te.encode('a'));
      const b = await k.seal(te.encode('x'), te.encode('a'));
      expect(Buffer.from(a.nonce).equals(Buffer.from(b.nonce))).toBe(false);
    });

    it('fail-wrong-aad', async () => {
      const k = make();
      const box = await k.seal(te.encode('secret'), te.encode('account-1'));
      expect(await codeOf(k.open(box, te.encode('account-2')))).toBe('key_store_decrypt_failed');
    });

    it('fail-tampered-ciphertext', async () => {
      const k = make();
      const box = await k.seal(te.encode('secret'), te.encode('a'));
      const ct = new Uint8Array(box.ciphertext);
      ct[0] = (ct[0] ?? 0) ^ 1;
      expect(await codeOf(k.open({ ...box, ciphertext: ct }, te.encode('a')))).toBe(
        'key_store_decrypt_failed',
      );
    });

    it('fail-tampered-tag', async () => {
      const k = make();
      const box = await k.seal(te.encode('secret'), te.encode('a'));
      const ct = new Uint8Array(box.ciphertext);
      ct[ct.length - 1] = (ct[ct.length - 1] ?? 0) ^ 0x80;
      expect(await codeOf(k.open({ ...box, ciphertext: ct }, te.encode('a')))).toBe(
        'key_store_decrypt_failed',
      );
    });

    it('fail-other-store-same-key-id', async () => {
      const a = make();
      const b = make();
      const box = await a.seal(te.encode('secret'), te.encode('a'));
      // Another store does not hold this key id.
      expect(await codeOf(b.open(box, te.encode('a')))).toBe('key_store_unknown_key');
    });

    it('fail-box-malformed', async () => {
      const k = make();
      const box = await k.seal(te.encode('secret'), te.encode('a'));
      expect(await codeOf(k.open({ ...box, nonce: box.nonce.subarray(0, 8) }, te.encode('a')))).toBe(
        'key_store_invalid',
      );
      expect(await codeOf(k.open({ ...box, ciphertext: new Uint8Array(4) }, te.encode('a')))).toBe(
        'key_store_invalid',
      );
    });

    it('ok-mac-deterministic-and-purpose-separated', async () => {
      const k = make();
      const a = await k.mac('person-key', te.encode('data'));
      const b = await k.mac('person-key', te.encode('data'));
      const c = await k.mac('pairwise', te.encode('data'));
      const d = await k.mac('person-key', te.encode('datb'));
      expect(a.mac.length).toBe(32);
      expect(Buffer.from(a.mac).equals(Buffer.from(b.mac))).toBe(true);
      expect(Buffer.from(a.mac).equals(Buffer.from(c.mac))).toBe(false);
      expect(Buffer.from(a.mac).equals(Buffer.from(d.mac))).toBe(false);
      expect(a.keyId).toMatch(/^\d{14}-[0-9a-f]{8}$/);
    });

    it('fail-mac-bad-purpose', async () => {
      const k = make();
      await expect(k.mac('', te.encode('x'))).rejects.toThrow(TypeError);
    });

    it('ok-no-key-material-exposed', () => {
      const k = make();
      expect(Object.keys(k).sort()).toEqual(['mac', 'open', 'seal']);
      expect(Object.isFrozen(k)).toBe(true);
      expect(JSON.stringify(k)).toBe('{}');
    });
  });
}

describe('local files', () => {
  it('ok-files-0600-dir-0700', () => {
    const dir = join(tempDir(), 'keys');
    openLocalKeyStore({ dir });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^data-\d{14}-[0-9a-f]{8}\.key$/);
    expect(files[1]).toMatch(/^mac-\d{14}-[0-9a-f]{8}\.key$/);
    for (const f of files) {
      const s = statSync(join(dir, f));
      expect(s.mode & 0o777).toBe(0o600);
      expect(s.size).toBe(32);
    }
  });

  it('ok-restart-reads-same-keys', async () => {
    const dir = join(tempDir(), 'keys');
    const a = openLocalKeyStore({ dir });
    const box = await a.seal(te.encode('persist'), te.encode('acc'));
    const macA = await a.mac('person-key', te.encode('p'));
    const b = openLocalKeyStore({ dir });
    expect(readdirSync(dir)).toHaveLength(2);
    expect(new TextDecoder().decode(await b.open(box, te.encode('acc')))).toBe('persist');
    const macB = await b.mac('person-key', te.encode('p'));
    expect(Buffer.from(macB.mac).equals(Buffer.from(macA.mac))).toBe(true);
    expect(macB.keyId).toBe(macA.keyId);
  });

  it('ok-independent-aes-gcm-check', async () => {
    // node:crypto decrypts with the file's key directly: the box is plain AES-256-GCM.
    const dir = join(tempDir(), 'keys');
    const k = openLocalKeyStore({ dir });
    const box = await k.seal(te.encode('interop'), te.encode('aad'));
    const file = readdirSync(dir).find((f) => f === `data-${box.keyId}.key`);
    expect(file).toBeDefined();
    const { readFileSync } = await import('node:fs');
    const key = readFileSync(join(dir, file ?? ''));
    const d = createDecipheriv('aes-256-gcm', key, box.nonce);
    d.setAAD(te.encode('aad'));
    d.setAuthTag(box.ciphertext.subarray(-16));
    expect(Buffer.concat([d.update(box.ciphertext.subarray(0, -16)), d.final()]).toString()).toBe('interop');
  });

  it('ok-rotation-newer-key-seals-older-still-opens', async () => {
    const dir = join(tempDir(), 'keys');
    const a = openLocalKeyStore({ dir });
    const old = await a.seal(te.encode('old'), te.encode('x'));
    const b = openLocalKeyStore({ dir, now: () => new Date('2999-01-01T00:00:00Z') });
    expect(b).toBeDefined();
    // Add a newer data key by hand (rotation): the newest id is current.
    const { randomBytes } = await import('node:crypto');
    writeFileSync(join(dir, 'data-29990101000000-00000000.key'), randomBytes(32), { mode: 0o600 });
    const c = openLocalKeyStore({ dir });
    const fresh = await c.seal(te.encode('new'), te.encode('x'));
    expect(fresh.keyId).toBe('29990101000000-00000000');
    expect(new TextDecoder().decode(await c.open(old, te.encode('x')))).toBe('old');
  });

  it('fail-key-file-readable-by-others', () => {
    const dir = join(tempDir(), 'keys');
    openLocalKeyStore({ dir });
    const f = readdirSync(dir)[0] ?? '';
    chmodSync(join(dir, f), 0o644);
    expect(() => openLocalKeyStore({ dir })).toThrow(
      expect.objectContaining({ code: 'key_store_permissions' }),
    );
  });

  it('fail-key-dir-readable-by-others', () => {
    const dir = join(tempDir(), 'keys');
    openLocalKeyStore({ dir });
    chmodSync(dir, 0o755);
    expect(() => openLocalKeyStore({ dir })).toThrow(
      expect.objectContaining({ code: 'key_store_permissions' }),
    );
  });

  it('fail-key-file-wrong-length', () => {
    const dir = join(tempDir(), 'keys');
    openLocalKeyStore({ dir });
    writeFileSync(join(dir, 'data-29990101000000-00000001.key'), Buffer.alloc(16), { mode: 0o600 });
    expect(() => openLocalKeyStore({ dir })).toThrow(expect.objectContaining({ code: 'key_store_invalid' }));
  });
});
