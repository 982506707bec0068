// A key directory shared by several instances (issue 14, docs/scaling.md): instances starting
// together on an empty directory agree on one data key, one MAC secret and one first signing key;
// a rotated key is published at once and signs only after the activation delay.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  activationSeconds,
  createMemoryKeyStore,
  keyIdTime,
  openLocalKeyStore,
  signingOrder,
} from '../../src/keys/index.ts';

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const localModule = fileURLToPath(new URL('../../src/keys/local.ts', import.meta.url));

describe('shared key directory', () => {
  it('ok-processes-starting-together-make-one-set-of-keys', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'watashi-shared-keys-')), 'keys');
    dirs.push(dir);
    const script = `
      const { openLocalKeyStore } = await import(${JSON.stringify(localModule)});
      const s = openLocalKeyStore({ dir: ${JSON.stringify(dir)} });
      const [k] = await s.signingKeys('oidc');
      const { mac } = await s.mac('pairwise', new Uint8Array([1]));
      console.log(JSON.stringify({ kid: k.keyId, mac: Buffer.from(mac).toString('hex') }));`;
    const outs = await Promise.all(
      [1, 2, 3, 4].map(() =>
        run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000 }),
      ),
    );
    const seen = outs.map((o) => JSON.parse(o.stdout.trim()) as { kid: string; mac: string });
    expect(new Set(seen.map((s) => s.kid)).size).toBe(1);
    expect(new Set(seen.map((s) => s.mac)).size).toBe(1);
    const files = readdirSync(dir);
    expect(files.filter((f) => f.startsWith('data-'))).toHaveLength(1);
    expect(files.filter((f) => f.startsWith('mac-'))).toHaveLength(1);
    expect(files.filter((f) => f.startsWith('sign-oidc-'))).toHaveLength(1);
    expect(files).not.toContain('.create.lock');
  });

  it('ok-a-rotated-key-signs-after-the-activation-delay', async () => {
    let now = new Date('2026-12-01T00:00:00Z');
    const store = createMemoryKeyStore({ now: () => now });
    const [old] = await store.signingKeys('oidc');
    now = new Date('2026-12-01T01:00:00Z');
    const fresh = await store.rotateSigningKey('oidc');
    expect(keyIdTime(fresh.keyId)).toEqual(now);
    const delay = activationSeconds(60);
    expect(delay).toBe(120);
    const order = (at: Date): string[] => signingOrder([fresh, old!], at, delay).map((k) => k.keyId);
    // Published (listed) at once, but the old key keeps signing until the new one is 120 s old.
    expect(order(now)).toEqual([old!.keyId, fresh.keyId]);
    expect(order(new Date(now.getTime() + 119_000))).toEqual([old!.keyId, fresh.keyId]);
    expect(order(new Date(now.getTime() + 120_000))).toEqual([fresh.keyId, old!.keyId]);
    // A first key signs at once: nothing older can be published anywhere.
    expect(signingOrder([old!], new Date('2026-12-01T00:00:00Z'), delay)).toEqual([old]);
  });

  it('ok-reopened-store-sees-another-process-rotation', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'watashi-shared-keys-')), 'keys');
    dirs.push(dir);
    const a = openLocalKeyStore({ dir });
    const b = openLocalKeyStore({ dir });
    const [first] = await a.signingKeys('oidc');
    const added = await b.rotateSigningKey('oidc');
    // a reads the directory on every call: the key b added is there without a restart.
    expect((await a.signingKeys('oidc')).map((k) => k.keyId)).toEqual([added.keyId, first!.keyId]);
  });
});
