import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { schemaColumns } from '../../src/store/schema.ts';
import { forEachEngine } from './harness.ts';

// The Schema interfaces are tied to `schemaColumns` by tsc (schema.ts); this ties `schemaColumns`
// to the database the migrations build. Together: the hand-written types cannot drift silently.
forEachEngine((t) => {
  it('ok-columns-match-information-schema', async () => {
    const { rows } = await sql<{
      table_name: string;
      column_name: string;
      udt_name: string;
      is_nullable: string;
    }>`
      SELECT table_name, column_name, udt_name, is_nullable
      FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name NOT LIKE 'kysely\\_%'
      ORDER BY table_name, column_name`.execute(t.db);
    const actual: Record<string, Record<string, { udt: string; nullable: boolean }>> = {};
    for (const r of rows) {
      (actual[r.table_name] ??= {})[r.column_name] = { udt: r.udt_name, nullable: r.is_nullable === 'YES' };
    }
    const expected: Record<string, Record<string, { udt: string; nullable: boolean }>> = {};
    for (const [table, columns] of Object.entries(schemaColumns)) {
      const specs: Record<string, { udt: string; nullable: boolean }> = {};
      for (const [column, spec] of Object.entries(columns) as [
        string,
        { udt: string; nullable: boolean },
      ][]) {
        specs[column] = { udt: spec.udt, nullable: spec.nullable };
      }
      expected[table] = specs;
    }
    expect(actual).toEqual(expected);
  });

  it('ok-hot-path-indexes-exist', async () => {
    const { rows } = await sql<{ indexname: string }>`
      SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`.execute(t.db);
    expect(rows.map((r) => r.indexname)).toEqual(
      expect.arrayContaining([
        'anchors_issuer_serial_key',
        'anchors_current_key',
        'anchors_sweep_cover_idx',
        'anchors_issuer_name_idx',
        'accounts_person_key_idx',
        'authenticators_credential_id_key',
        'authenticators_live_slot_key',
        'sessions_token_hash_key',
        'sessions_account_created_idx',
        'audit_log_account_idx',
        'enrolment_nonces_expires_idx',
        'device_certificates_live_slot_key',
        'credentials_account_idx',
        'signing_preparations_expires_idx',
      ]),
    );
  });

  it('ok-redundant-indexes-are-gone-and-oidc-pages-keep-room', async () => {
    const { rows } = await sql<{ indexname: string }>`
      SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'anchors'`.execute(t.db);
    // anchors_sweep_cover_idx serves what these served (migrations 0008, 0010).
    expect(rows.map((r) => r.indexname)).not.toContain('anchors_sweep_idx');
    expect(rows.map((r) => r.indexname)).not.toContain('anchors_sweep_keyset_idx');
    const { rows: options } = await sql<{ reloptions: string[] | null }>`
      SELECT reloptions FROM pg_class WHERE relname = 'oidc_models' AND relkind = 'r'`.execute(t.db);
    expect(options[0]?.reloptions).toEqual(['fillfactor=80']);
  });

  it('ok-the-unused-jobs-table-is-gone', async () => {
    // 0015: the job queue is pg-boss (its own schema) or in-process; nothing uses `jobs` (0004).
    const { rows } = await sql<{ relname: string }>`
      SELECT relname FROM pg_class WHERE relname IN ('jobs', 'jobs_claim_idx')`.execute(t.db);
    expect(rows).toEqual([]);
  });
});
