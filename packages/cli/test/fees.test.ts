// `watashi fees` in process against an embedded database in a temporary data directory: the month report from rows of
// the fee ledger (exact totals, Japan-time month edges), JSON and text output, and the exit code
// of a bad month.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, migrateToLatest } from '@watashi/platform/cli';
import { join } from 'node:path';
import { cleanup, json, run, tempDir } from './helpers.ts';
import { seedDataDir } from '../../platform/test/db/snapshot.ts';

const dir = tempDir();

beforeAll(async () => {
  await seedDataDir(join(dir, 'db'));
  const database = await openDatabase({ dataDir: join(dir, 'db') });
  try {
    await migrateToLatest(database.db);
    const row = (
      at: string,
      clientId: string | null,
      purpose: 'signature_verification' | 'liveness_check',
      yen: number,
    ) => ({
      at: new Date(at),
      method: purpose === 'liveness_check' ? ('crl' as const) : ('ocsp' as const),
      purpose,
      certificate: 'sign' as const,
      client_id: clientId,
      account_id: null,
      price_yen: yen,
      outcome: 'good',
      error_code: null,
      backend: 'simulator',
    });
    await database.db
      .insertInto('fee_ledger')
      .values([
        row('2026-10-31T14:59:59Z', 'rp-a', 'signature_verification', 20),
        row('2026-10-31T15:00:00Z', 'rp-a', 'signature_verification', 20),
        row('2026-11-20T00:00:00Z', 'rp-a', 'signature_verification', 20),
        row('2026-11-20T00:00:00Z', null, 'liveness_check', 0),
      ])
      .execute();
  } finally {
    await database.close();
  }
}, 120_000);

afterAll(() => cleanup());

describe('fees', () => {
  it('ok-json-report-of-a-jst-month', async () => {
    const r = await run('fees', '--month', '2026-11', '--json', '--data-dir', dir);
    expect(r.code).toBe(0);
    const report = json<{ lines: unknown[]; total: unknown; timezone: string }>(r);
    expect(report.timezone).toBe('Asia/Tokyo');
    expect(report.lines).toEqual([
      { clientId: null, purpose: 'liveness_check', queries: 1, failed: 0, yen: 0 },
      { clientId: 'rp-a', purpose: 'signature_verification', queries: 2, failed: 0, yen: 40 },
    ]);
    expect(report.total).toEqual({ queries: 3, yen: 40 });
  });

  it('ok-text-report-has-a-grand-total', async () => {
    const r = await run('fees', '--month', '2026-10', '--data-dir', dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/rp-a · signature_verification\s+1 queries, ¥20/);
    expect(r.out).toMatch(/total\s+1 queries, ¥20/);
  });

  it.each(['2026-13', '2026-1', 'last-month'])('fail-bad-month-%s-exits-3', async (m) => {
    const r = await run('fees', '--month', m, '--data-dir', dir);
    expect(r.code).toBe(3);
    expect(r.err).toContain('fees_month_invalid');
  });
});
