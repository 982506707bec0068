import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { isWatashiError } from '@watashi/pki';
import { migrateToLatest, openDatabase } from '@watashi/platform/cli';
import { appendAudit, jsonb } from '../../platform/src/store/index.ts';
import { registerPlatformCommands, serveConfig } from '../src/commands/platform.ts';
import { exitCodeFor } from '../src/exit-codes.ts';
// openssl as the TSA (`openssl ts -reply` behind node:http), shared with the pki tests.
import { startOpensslTsa } from '../../pki/src/tsp/test/openssl-tsa.ts';
import { seedDataDir } from '../../platform/test/db/snapshot.ts';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'watashi-cli-platform-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs the platform commands in process; returns the exit code and what went to stdout. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const program = new Command('watashi').exitOverride().option('--sim <url>');
  registerPlatformCommands(program);
  let out = '';
  let err = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  };
  try {
    await program.parseAsync(['node', 'watashi', ...argv]);
    return { code: 0, out, err };
  } catch (e) {
    if (isWatashiError(e)) {
      err = `watashi: ${e.message} [${e.code}]`;
      return { code: exitCodeFor(e.code), out, err };
    }
    throw e;
  } finally {
    process.stdout.write = write;
  }
}

async function auditedDataDir(): Promise<string> {
  const dir = tempDir();
  await seedDataDir(join(dir, 'db'));
  const database = await openDatabase({ dataDir: join(dir, 'db') });
  await migrateToLatest(database.db);
  for (let i = 0; i < 3; i++)
    await database.db
      .transaction()
      .execute((trx) => appendAudit(trx, { actor: 'system:test', type: 'test.event', payload: { i } }));
  await database.close();
  return dir;
}

describe('audit verify', () => {
  it('ok-chain-verifies-then-fail-tampered-exit-4', async () => {
    const dir = await auditedDataDir();
    const ok = await run(['audit', 'verify', '--data-dir', dir, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toEqual({ ok: true, count: '3' });
    const human = await run(['audit', 'verify', '--data-dir', dir]);
    expect(human.out).toMatch(/audit chain\s+ok/);

    const database = await openDatabase({ dataDir: join(dir, 'db') });
    await database.db
      .updateTable('audit_log')
      .set({ payload: jsonb({ i: 99 }) })
      .where('seq', '=', 2n)
      .execute();
    await database.close();

    const bad = await run(['audit', 'verify', '--data-dir', dir, '--json']);
    expect(bad.code).toBe(4);
    expect(JSON.parse(bad.out)).toEqual({ ok: false, firstBrokenSeq: '2', reason: 'hash_mismatch' });
    expect(bad.err).toMatch(/broken at record 2 .*\[audit_chain_mismatch\]/);
  }, 60_000);

  it('ok-checkpoint-then-fail-truncated-tail-with-rewound-head-exit-4', async () => {
    const dir = await auditedDataDir();
    const out = join(tempDir(), 'checkpoints');
    const made = await run(['audit', 'checkpoint', '--data-dir', dir, '--out', out, '--json']);
    expect(made.code, made.err).toBe(0);
    expect(JSON.parse(made.out)).toMatchObject({ seq: '3' });
    const ok = await run(['audit', 'verify', '--data-dir', dir, '--checkpoints', out, '--json']);
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ ok: true, count: '3', checkpointSeq: '3' });

    // The insider deletes the newest record and rewinds the head: the chain alone still verifies.
    const database = await openDatabase({ dataDir: join(dir, 'db') });
    await database.db.deleteFrom('audit_log').where('seq', '=', 3n).execute();
    const last = await database.db
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .where('seq', '=', 2n)
      .executeTakeFirstOrThrow();
    await database.db.updateTable('audit_head').set({ seq: last.seq, hash: last.hash }).execute();
    await database.close();
    expect((await run(['audit', 'verify', '--data-dir', dir])).code).toBe(0);

    const bad = await run(['audit', 'verify', '--data-dir', dir, '--checkpoints', out, '--json']);
    expect(bad.code).toBe(4);
    expect(JSON.parse(bad.out)).toEqual({ ok: false, firstBrokenSeq: '3', reason: 'checkpoint_mismatch' });
    // And no new checkpoint blesses the shorter chain.
    const again = await run(['audit', 'checkpoint', '--data-dir', dir, '--out', out]);
    expect(again.code).toBe(4);
    expect(again.err).toMatch(/\[audit_chain_mismatch\]/);
  }, 60_000);

  it('fail-no-database-given', async () => {
    const saved = process.env['DATABASE_URL'];
    delete process.env['DATABASE_URL'];
    try {
      const r = await run(['audit', 'verify']);
      expect(r.err).toMatch(/\[invalid_arguments\]/);
      expect(r.code).toBe(3);
    } finally {
      if (saved !== undefined) process.env['DATABASE_URL'] = saved;
    }
  });

  it('fail-both-database-options-usage', async () => {
    await expect(
      run(['audit', 'verify', '--data-dir', 'x', '--database-url', 'postgres://x']),
    ).rejects.toThrow(/cannot be used with/);
  });
});

describe('serve configuration', () => {
  it('ok-file-env-flags-and-simulator-default', () => {
    const file = join(tempDir(), 'platform.json');
    writeFileSync(file, JSON.stringify({ port: 9000, logLevel: 'warn' }));
    const c = serveConfig(
      { config: file, port: '0', dataDir: '/tmp/x' },
      { WATASHI_ADMIN_TOKEN: 't'.repeat(40) },
      'http://127.0.0.1:8790',
    );
    expect(c).toEqual({
      port: 0,
      logLevel: 'warn',
      dataDir: '/tmp/x',
      adminToken: 't'.repeat(40),
      jlis: { kind: 'simulator', url: 'http://127.0.0.1:8790' },
    });
  });

  it('fail-production-requires-database-url', () => {
    const file = join(tempDir(), 'prod.json');
    writeFileSync(
      file,
      JSON.stringify({
        mode: 'production',
        jlis: { kind: 'standard', ocspUrl: 'http://x/ocsp', crlUrls: ['http://x/crl'] },
      }),
    );
    expect(() => serveConfig({ config: file }, {}, 'http://127.0.0.1:8790')).toThrow(
      expect.objectContaining({ code: 'config_database_required' }),
    );
    // With DATABASE_URL, production never falls back to the simulator.
    const c = serveConfig({ config: file }, { DATABASE_URL: 'postgres://db/w' }, 'http://127.0.0.1:8790');
    expect(c['databaseUrl']).toBe('postgres://db/w');
    expect((c['jlis'] as { kind: string }).kind).toBe('standard');
  });

  it('ok-metrics-token-from-the-environment-joins-the-file-operations', () => {
    const file = join(tempDir(), 'ops.json');
    writeFileSync(file, JSON.stringify({ operations: { drainTimeoutSeconds: 10 } }));
    const c = serveConfig({ config: file }, { WATASHI_METRICS_TOKEN: 'm'.repeat(40) }, undefined);
    expect(c['operations']).toEqual({ drainTimeoutSeconds: 10, metricsToken: 'm'.repeat(40) });
    expect(serveConfig({}, { WATASHI_METRICS_TOKEN: '' }, undefined)['operations']).toBeUndefined();
  });

  it('fail-bad-port', () => {
    expect(() => serveConfig({ port: '70000' }, {}, undefined)).toThrow(
      expect.objectContaining({ code: 'invalid_port' }),
    );
  });

  it('fail-serve-production-with-simulator-refused', async () => {
    const file = join(tempDir(), 'prod-sim.json');
    writeFileSync(
      file,
      JSON.stringify({
        mode: 'production',
        logLevel: 'silent',
        jlis: { kind: 'simulator', url: 'http://127.0.0.1:9' },
      }),
    );
    const r = await run(['serve', '--config', file, '--database-url', 'postgres://127.0.0.1:9/none']);
    expect(r.err).toMatch(/\[config_simulator_in_production\]/);
    expect(r.code).not.toBe(0);
  });

  it('fail-serve-unknown-config-key', async () => {
    const file = join(tempDir(), 'bad.json');
    writeFileSync(file, JSON.stringify({ colour: 'blue' }));
    const r = await run(['serve', '--config', file]);
    expect(r.err).toMatch(/\[config_invalid\]/);
  });
});

describe('audit checkpoint time-stamps (RFC 3161)', () => {
  it('ok-time-stamped-checkpoint-verifies-then-fail-untrusted-missing-or-swapped-token-exit-4', async () => {
    const tsa = await startOpensslTsa();
    try {
      const dir = await auditedDataDir();
      const out = join(tempDir(), 'checkpoints');
      const ca = join(tsa.dir, 'ca.pem');
      const other = join(tsa.dir, 'other-ca.pem');
      const cp = (...extra: string[]) =>
        run(['audit', 'checkpoint', '--data-dir', dir, '--out', out, '--json', ...extra]);
      const verify = (...extra: string[]) =>
        run(['audit', 'verify', '--data-dir', dir, '--checkpoints', out, '--json', ...extra]);

      const made = await cp('--tsa-url', tsa.url, '--tsa-cert', ca);
      expect(made.code).toBe(0);
      const madeJson = JSON.parse(made.out) as { timestampGenTime?: string; file: string };
      expect(typeof madeJson.timestampGenTime).toBe('string');
      const ok = await verify('--tsa-cert', ca);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.out)).toMatchObject({ ok: true, timestampGenTime: madeJson.timestampGenTime });

      // The token is never skipped silently; another TSA root does not vouch for it.
      expect((await verify()).code).toBe(3);
      const untrusted = await verify('--tsa-cert', other);
      expect(untrusted.code).toBe(4);
      expect(untrusted.err).toMatch(/\[audit_timestamp_mismatch\]/);
      expect((await cp('--tsa-url', tsa.url)).code).toBe(3);

      // TSA down: the checkpoint is still written, without a token, with a warning.
      const first = JSON.parse(readFileSync(madeJson.file, 'utf8')) as { timestamp: string };
      const database = await openDatabase({ dataDir: join(dir, 'db') });
      await database.db
        .transaction()
        .execute((trx) => appendAudit(trx, { actor: 'system:test', type: 'test.event', payload: { i: 3 } }));
      await database.close();
      const down = await cp('--tsa-url', 'http://127.0.0.1:1/tsa', '--tsa-cert', ca);
      expect(down.code).toBe(0);
      const downJson = JSON.parse(down.out) as { seq: string; file: string; timestampError?: string };
      expect(downJson).toMatchObject({ seq: '4', timestampError: 'tsp_rejected' });
      expect(readdirSync(out).filter((n) => n.endsWith('.json'))).toHaveLength(2);
      expect((await verify()).code).toBe(0);
      const missing = await verify('--tsa-cert', ca);
      expect(missing.code).toBe(4);
      expect(missing.err).toMatch(/no time-stamp.*\[audit_timestamp_mismatch\]/);

      // The first checkpoint's token pasted into the second: over another imprint.
      const second = JSON.parse(readFileSync(downJson.file, 'utf8')) as Record<string, unknown>;
      writeFileSync(downJson.file, JSON.stringify({ ...second, timestamp: first.timestamp }));
      const swapped = await verify('--tsa-cert', ca);
      expect(swapped.code).toBe(4);
      expect(swapped.err).toMatch(/\[audit_timestamp_mismatch\]/);
    } finally {
      await tsa.close();
    }
  }, 60_000);
});
