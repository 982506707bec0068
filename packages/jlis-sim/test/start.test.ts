// startSimulator when the port is taken: the error reaches the caller and the data directory is not
// left locked (the caller never gets a handle it could close).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSimulator, startSimulator } from '../src/index.ts';

const root = mkdtempSync(join(tmpdir(), 'watashi-sim-start-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('startSimulator', () => {
  it('fail-port-in-use-releases-the-data-dir', async () => {
    const first = await createSimulator({ dataDir: join(root, 'a'), port: 0, logLevel: 'silent' });
    const url = new URL(await first.listen());
    try {
      const dir = join(root, 'b');
      await expect(
        startSimulator({ dataDir: dir, port: Number(url.port), logLevel: 'silent' }, { print: () => {} }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
      // The failed start released its lock: the same directory opens again.
      const again = await createSimulator({ dataDir: dir, port: 0, logLevel: 'silent' });
      await again.close();
    } finally {
      await first.close();
    }
  });
});
