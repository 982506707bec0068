import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { testPostgresAdminUrl } from './harness.ts';
import { pgliteSnapshot } from './snapshot.ts';

const run = promisify(execFile);
const databaseModule = fileURLToPath(new URL('../../src/store/database.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'watashi-close-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * `close()` must release everything, so that a CLI command or a server shutting down exits.
 * Regression: Kysely only ends the pool if a query ever ran, and an unclosed PGlite keeps Node
 * alive; a child process that does not exit on its own fails here by timeout.
 */
async function exitsAfterClose(config: string): Promise<void> {
  const script = join(dir, `close-${Math.random().toString(36).slice(2)}.mts`); // .mts: ESM outside the package
  writeFileSync(
    script,
    `import { openDatabase } from ${JSON.stringify(databaseModule)};
     import { readFileSync } from 'node:fs';
     const database = await openDatabase(${config});
     await database.close();
     await database.close(); // idempotent
     console.log('closed');`,
  );
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { timeout: 15_000 });
  expect(stdout.trim()).toBe('closed');
}

describe('close', () => {
  it('ok-pglite-creates-missing-parent-directories-of-its-data-dir', async () => {
    const nested = join(dir, 'fresh', 'platform', 'db');
    await exitsAfterClose(`{ dataDir: ${JSON.stringify(nested)} }`);
    expect(existsSync(join(nested, 'PG_VERSION'))).toBe(true);
  });

  it('ok-pglite-without-any-query-lets-the-process-exit', async () => {
    const snapshot = join(dir, 'snapshot.tar');
    writeFileSync(snapshot, new Uint8Array(await (await pgliteSnapshot()).arrayBuffer()));
    await exitsAfterClose(`{ loadDataDir: new Blob([readFileSync(${JSON.stringify(snapshot)})]) }`);
  });

  it('ok-postgres-without-any-query-lets-the-process-exit', async () => {
    await exitsAfterClose(`{ url: ${JSON.stringify(await testPostgresAdminUrl())} }`);
  });
});
