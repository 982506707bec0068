// `watashi keys rotate` and `keys list` (issue 14): a new signing key lands in the shared key
// directory, is published at once and signs only after the activation delay.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from './helpers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('watashi keys', () => {
  it('ok-rotate-adds-a-published-key-that-signs-later', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'watashi-keys-'));
    dirs.push(dataDir);
    const first = await run('keys', 'list', '--data-dir', dataDir, '--json');
    expect(first.code).toBe(0);
    const before = JSON.parse(first.out) as { keys: Array<{ keyId: string; signing: boolean }> };
    expect(before.keys).toHaveLength(1);
    expect(before.keys[0]?.signing).toBe(true);

    const r = await run('keys', 'rotate', '--data-dir', dataDir, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as {
      added: string;
      activationSeconds: number;
      keys: Array<{ keyId: string; signing: boolean; signsFrom: string | null }>;
    };
    expect(out.activationSeconds).toBe(120);
    // The old key still signs; the new one is listed with the time it starts signing.
    expect(out.keys.map((k) => [k.keyId, k.signing])).toEqual([
      [before.keys[0]?.keyId, true],
      [out.added, false],
    ]);
    expect(out.keys[1]?.signsFrom).not.toBeNull();
    expect(readdirSync(join(dataDir, 'keys')).filter((f) => f.startsWith('sign-oidc-'))).toHaveLength(2);
  });

  it('ok-config-key-dir-and-refresh', async () => {
    const d = mkdtempSync(join(tmpdir(), 'watashi-keys-'));
    dirs.push(d);
    writeFileSync(
      join(d, 'c.json'),
      JSON.stringify({ keyStore: { kind: 'local', dir: join(d, 'shared'), refreshSeconds: 5 } }),
    );
    const r = await run('keys', 'rotate', '--config', join(d, 'c.json'), '--json');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { activationSeconds: number }).activationSeconds).toBe(10);
    expect(readdirSync(join(d, 'shared')).filter((f) => f.startsWith('sign-oidc-'))).toHaveLength(2);
  });

  it('err-memory-key-store-is-refused', async () => {
    const d = mkdtempSync(join(tmpdir(), 'watashi-keys-'));
    dirs.push(d);
    writeFileSync(join(d, 'c.json'), JSON.stringify({ keyStore: { kind: 'memory' } }));
    const r = await run('keys', 'rotate', '--config', join(d, 'c.json'));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/config_invalid/);
  });
});
