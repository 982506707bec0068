// Tampering with the audit log by someone with write access to the database (issue 21, item 5):
// a time moved by 1 µs, an edited row, the tail deleted with `audit_head` rewound, the tail
// rewritten as a new valid chain. The last two leave a chain that verifies on its own; the signed
// checkpoint kept outside the database (store/audit-checkpoint.ts) is what catches them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeEach, expect, it } from 'vitest';
import { isWatashiError } from '@watashi/pki';
import { createMemoryKeyStore } from '../../src/keys/index.ts';
import { appendAudit, verifyAuditChain, type AuditEvent } from '../../src/store/audit.ts';
import {
  createAuditCheckpoint,
  readAuditCheckpoint,
  readLatestAuditCheckpoint,
  writeAuditCheckpoint,
} from '../../src/store/audit-checkpoint.ts';
import { forEachEngine, resetDatabase } from './harness.ts';

const event = (i: number, note = 'original'): AuditEvent => ({
  actor: 'system:test',
  type: 'test.event',
  accountId: randomUUID(),
  payload: { i, note },
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, i, 123)),
});

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'audit-cp-'));
  dirs.push(d);
  return d;
};

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isWatashiError(e)) return e.code;
    if (typeof e === 'object' && e !== null && 'code' in e) return String(e.code);
    throw e;
  }
  return 'no error';
}

forEachEngine((t) => {
  const keys = createMemoryKeyStore();
  beforeEach(async () => {
    await resetDatabase(t.db);
  });
  const append = (e: AuditEvent) => t.database.transaction((trx) => appendAudit(trx, e));
  const appendN = async (from: number, to: number, note?: string) => {
    for (let i = from; i <= to; i++) await append(event(i, note));
  };
  /** The insider's move: drop the newest rows and rewind the head to the last one kept. */
  const truncateTo = async (seq: bigint) => {
    await t.db.deleteFrom('audit_log').where('seq', '>', seq).execute();
    const last = await t.db
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .where('seq', '=', seq)
      .executeTakeFirstOrThrow();
    await t.db.updateTable('audit_head').set({ seq: last.seq, hash: last.hash }).execute();
  };

  it('ok-stored-time-has-the-hashed-precision', async () => {
    await appendN(1, 2);
    const r = await sql<{ us: string }>`SELECT (extract(epoch from at) * 1000000)::int8::text AS us
      FROM audit_log WHERE seq = 1`.execute(t.db);
    expect(BigInt(r.rows[0]!.us) % 1000n).toBe(0n);
    // The column refuses a finer time (migration 0013a).
    expect(
      await failure(sql`UPDATE audit_log SET at = at + interval '1 microsecond' WHERE seq = 1`.execute(t.db)),
    ).toBe('23514');
  });

  it('fail-time-moved-by-one-microsecond-is-detected', async () => {
    await appendN(1, 3);
    // The insider can drop the constraint; the verifier does not rely on it.
    await sql`ALTER TABLE audit_log DROP CONSTRAINT audit_log_at_milliseconds`.execute(t.db);
    try {
      await sql`UPDATE audit_log SET at = at + interval '1 microsecond' WHERE seq = 2`.execute(t.db);
      expect(await verifyAuditChain(t.db)).toEqual({
        ok: false,
        firstBrokenSeq: 2n,
        reason: 'hash_mismatch',
      });
      await sql`UPDATE audit_log SET at = at - interval '2 microseconds' WHERE seq = 2`.execute(t.db);
      expect(await verifyAuditChain(t.db)).toEqual({
        ok: false,
        firstBrokenSeq: 2n,
        reason: 'hash_mismatch',
      });
      await sql`UPDATE audit_log SET at = at + interval '1 microsecond' WHERE seq = 2`.execute(t.db);
      expect(await verifyAuditChain(t.db)).toEqual({ ok: true, count: 3n });
    } finally {
      await sql`UPDATE audit_log SET at = date_trunc('milliseconds', at)`.execute(t.db);
      await sql`ALTER TABLE audit_log ADD CONSTRAINT audit_log_at_milliseconds
        CHECK ((extract(epoch from at) * 1000000)::int8 % 1000 = 0) NOT VALID`.execute(t.db);
    }
  });

  it('fail-edited-row-is-detected-with-or-without-checkpoint', async () => {
    await appendN(1, 4);
    const { checkpoint } = await createAuditCheckpoint(t.db, keys);
    await sql`UPDATE audit_log SET payload = jsonb_set(payload, '{note}', '"edited"') WHERE seq = 2`.execute(
      t.db,
    );
    expect(await verifyAuditChain(t.db)).toMatchObject({
      ok: false,
      firstBrokenSeq: 2n,
      reason: 'hash_mismatch',
    });
    expect(await verifyAuditChain(t.db, { checkpoint })).toMatchObject({
      ok: false,
      firstBrokenSeq: 2n,
      reason: 'hash_mismatch',
    });
  });

  it('fail-truncated-tail-with-rewound-head-is-detected-only-by-the-checkpoint', async () => {
    await appendN(1, 5);
    const { checkpoint } = await createAuditCheckpoint(t.db, keys);
    expect(checkpoint.seq).toBe(5n);
    await truncateTo(3n);
    // A valid shorter chain: the database alone cannot tell.
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, count: 3n });
    expect(await verifyAuditChain(t.db, { checkpoint })).toEqual({
      ok: false,
      firstBrokenSeq: 4n,
      reason: 'checkpoint_mismatch',
    });
  });

  it('fail-tail-rewritten-as-a-new-valid-chain-is-detected-by-the-checkpoint', async () => {
    await appendN(1, 5);
    const { checkpoint } = await createAuditCheckpoint(t.db, keys);
    await truncateTo(2n);
    await appendN(3, 6, 'forged'); // as long as before, and longer: still not the checkpointed chain
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, count: 6n });
    expect(await verifyAuditChain(t.db, { checkpoint })).toEqual({
      ok: false,
      firstBrokenSeq: 5n,
      reason: 'checkpoint_mismatch',
    });
  });

  it('ok-appends-after-a-checkpoint-verify-against-it', async () => {
    await appendN(1, 3);
    const { checkpoint } = await createAuditCheckpoint(t.db, keys);
    await appendN(4, 6);
    expect(await verifyAuditChain(t.db, { checkpoint })).toEqual({ ok: true, count: 6n });
  });

  it('ok-checkpoint-file-round-trip-and-latest-wins', async () => {
    const dir = tempDir();
    expect(await readLatestAuditCheckpoint(dir, keys)).toBeUndefined();
    await appendN(1, 2);
    const first = await writeAuditCheckpoint(t.db, keys, dir);
    await appendN(3, 4);
    const second = await writeAuditCheckpoint(t.db, keys, dir);
    expect([first.seq, second.seq]).toEqual([2n, 4n]);
    const latest = await readLatestAuditCheckpoint(dir, keys);
    expect(latest).toMatchObject({ seq: 4n, file: second.file });
    expect(latest!.hash).toEqual(second.hash);
    // A verifier without the key store may trust the key in the file, when told to.
    expect(await readLatestAuditCheckpoint(dir, undefined, { trustFileKey: true })).toMatchObject({
      seq: 4n,
    });
    await expect(readLatestAuditCheckpoint(dir, undefined)).rejects.toMatchObject({
      code: 'audit_checkpoint_invalid',
    });
  });

  it('fail-checkpoint-file-edited-or-signed-by-another-key', async () => {
    const dir = tempDir();
    await appendN(1, 3);
    const cp = await writeAuditCheckpoint(t.db, keys, dir);
    const file = JSON.parse(readFileSync(cp.file, 'utf8')) as { jws: string };
    // The payload changed to an earlier head: the signature no longer verifies.
    const [h, , s] = file.jws.split('.');
    const forged = Buffer.from(
      JSON.stringify({ v: 1, seq: '1', hash: '00'.repeat(32), at: new Date().toISOString() }),
    ).toString('base64url');
    expect(
      await failure(readAuditCheckpoint(JSON.stringify({ ...file, jws: `${h}.${forged}.${s}` }), keys)),
    ).toBe('audit_checkpoint_invalid');
    // Re-signed by a key the store does not hold.
    const other = await createAuditCheckpoint(t.db, createMemoryKeyStore());
    expect(await failure(readAuditCheckpoint(JSON.stringify(other.file), keys))).toBe(
      'audit_checkpoint_invalid',
    );
    writeFileSync(cp.file, JSON.stringify(other.file));
    expect(await failure(readLatestAuditCheckpoint(dir, keys))).toBe('audit_checkpoint_invalid');
  });

  it('fail-no-checkpoint-of-a-chain-that-lost-its-checkpointed-tail', async () => {
    const dir = tempDir();
    await appendN(1, 4);
    await writeAuditCheckpoint(t.db, keys, dir);
    await truncateTo(2n);
    expect(await failure(writeAuditCheckpoint(t.db, keys, dir))).toBe('audit_chain_broken');
  });
});
