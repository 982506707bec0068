import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Transaction } from 'kysely';
import { beforeEach, expect, it } from 'vitest';
import { appendAudit, AuditWriter, verifyAuditChain } from '../../src/store/audit.ts';
import type { AuditEvent } from '../../src/store/audit.ts';
import { jsonb } from '../../src/store/json.ts';
import type { Schema } from '../../src/store/schema.ts';
import { forEachEngine, resetDatabase } from './harness.ts';

const event = (i: number): AuditEvent => ({
  actor: 'system:test',
  type: 'test.event',
  accountId: randomUUID(),
  payload: { i, anchor: { serial: '12345', issuerKeyHash: 'ab'.repeat(32) }, list: [1, 'two', null] },
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
});

forEachEngine((t) => {
  beforeEach(async () => {
    await resetDatabase(t.db);
  });

  const append = (e: AuditEvent) => t.database.transaction((trx) => appendAudit(trx, e));

  it('ok-empty-chain-verifies', async () => {
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, count: 0n });
  });

  it('ok-append-and-verify', async () => {
    const records = [];
    for (let i = 1; i <= 5; i++) records.push(await append(event(i)));
    expect(records.map((r) => r.seq)).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(records[0]?.prevHash).toEqual(new Uint8Array(32));
    for (let i = 1; i < records.length; i++) expect(records[i]?.prevHash).toEqual(records[i - 1]?.hash);
    expect(await verifyAuditChain(t.db, { batchSize: 2 })).toEqual({ ok: true, count: 5n });
    const stored = await t.db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '=', 3n)
      .executeTakeFirstOrThrow();
    expect(stored.payload).toEqual(event(3).payload);
    expect(stored.at).toEqual(event(3).at);
  });

  it('ok-concurrent-appends-never-fork', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => append(event(i + 1))));
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, count: 20n });
    const rows = await t.db
      .selectFrom('audit_log')
      .select(['seq', 'prev_hash', 'hash'])
      .orderBy('seq')
      .execute();
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i + 1)));
    expect(new Set(rows.map((r) => Buffer.from(r.prev_hash).toString('hex'))).size).toBe(20);
  });

  it('ok-rolled-back-append-leaves-no-gap', async () => {
    await append(event(1));
    const error = await t.database
      .transaction(async (trx) => {
        await appendAudit(trx, event(2));
        throw new Error('abort');
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const next = await append(event(3));
    expect(next.seq).toBe(2n);
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, count: 2n });
  });

  it('fail-tampered-payload-detected-at-its-seq', async () => {
    for (let i = 1; i <= 6; i++) await append(event(i));
    await t.db
      .updateTable('audit_log')
      .set({ payload: jsonb({ i: 999 }) })
      .where('seq', '=', 4n)
      .execute();
    expect(await verifyAuditChain(t.db, { batchSize: 3 })).toEqual({
      ok: false,
      firstBrokenSeq: 4n,
      reason: 'hash_mismatch',
    });
  });

  it('fail-rehashed-row-breaks-the-next-link', async () => {
    for (let i = 1; i <= 5; i++) await append(event(i));
    // A forger who edits row 3 and fixes its hash still breaks row 4's prev_hash.
    await t.db
      .updateTable('audit_log')
      .set({ actor: 'operator:mallory', hash: new Uint8Array(32).fill(7) })
      .where('seq', '=', 3n)
      .execute();
    const result = await verifyAuditChain(t.db);
    expect(result).toEqual({ ok: false, firstBrokenSeq: 3n, reason: 'hash_mismatch' });
  });

  it('fail-deleted-middle-row-is-a-gap', async () => {
    for (let i = 1; i <= 5; i++) await append(event(i));
    await t.db.deleteFrom('audit_log').where('seq', '=', 2n).execute();
    expect(await verifyAuditChain(t.db)).toEqual({ ok: false, firstBrokenSeq: 2n, reason: 'seq_gap' });
  });

  it('fail-truncated-tail-caught-by-head', async () => {
    for (let i = 1; i <= 5; i++) await append(event(i));
    await t.db.deleteFrom('audit_log').where('seq', '>=', 4n).execute();
    expect(await verifyAuditChain(t.db)).toEqual({ ok: false, firstBrokenSeq: 4n, reason: 'head_mismatch' });
  });

  it('fail-spliced-prev-hash', async () => {
    for (let i = 1; i <= 3; i++) await append(event(i));
    await sql`UPDATE audit_log SET prev_hash = decode(repeat('11', 32), 'hex') WHERE seq = 2`.execute(t.db);
    expect(await verifyAuditChain(t.db)).toEqual({
      ok: false,
      firstBrokenSeq: 2n,
      reason: 'prev_hash_mismatch',
    });
  });

  it.each([
    ['name', { name: '山田太郎' }],
    ['address', { subject: { Address: 'Tokyo' } }],
    ['birth date', { items: [{ date_of_birth: '2000-01-01' }] }],
    ['birth fragment', { ownerBirthDate: '2000-01-01' }],
    ['sex', { sex: '1' }],
    ['basic4 object', { basic4: {} }],
    ['my number', { myNumber: 'x' }],
  ])('fail-basic4-key-%s', async (_name, payload) => {
    const error = await append({ actor: 'system:test', type: 'test.pii', payload }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, count: 0n });
  });

  it('ok-ordinary-keys-allowed', async () => {
    const r = await append({
      actor: 'system:test',
      type: 'test.ok',
      payload: { rpName: 'Example RP', ipAddress: '192.0.2.1', serial: '1', reason: 'affiliationChanged' },
    });
    expect(r.seq).toBe(1n);
  });

  it('ok-writer-groups-concurrent-events-into-fewer-commits', async () => {
    const writer = new AuditWriter(t.db);
    await writer.append(event(1)); // a lone event is committed at once
    expect(writer.transactions).toBe(1);
    await Promise.all(Array.from({ length: 30 }, (_, i) => writer.append(event(i + 2))));
    // The first of the 30 goes alone; the rest queue behind it and share commits.
    expect(writer.transactions).toBeGreaterThan(1);
    expect(writer.transactions).toBeLessThan(31);
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, count: 31n });
    const rows = await t.db.selectFrom('audit_log').select(['seq', 'payload']).orderBy('seq').execute();
    // Arrival order is chain order.
    expect(rows.map((r) => (r.payload as { i: number }).i)).toEqual(
      Array.from({ length: 31 }, (_, i) => i + 1),
    );
  });

  it('ok-writer-interleaves-with-ordinary-appends', async () => {
    const writer = new AuditWriter(t.db, { maxBatch: 4 });
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => writer.append(event(i + 1))),
      ...Array.from({ length: 5 }, (_, i) => append(event(i + 11))),
    ]);
    expect(writer.transactions).toBeGreaterThanOrEqual(3); // at most 4 a batch
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, count: 15n });
  });

  it('ok-writer-commits-a-batch-in-one-statement-once-it-knows-the-head', async () => {
    const writer = new AuditWriter(t.db);
    await writer.append(event(1)); // the head is not known yet: read under its lock
    expect(writer.locked).toBe(1);
    const third = event(3);
    for (const e of [event(2), third, event(4)]) await writer.append(e);
    expect(writer.locked).toBe(1); // the rest by compare-and-set
    // Someone else moves the head: the writer's next statement misses, then chains after it.
    await append(event(5));
    await writer.append(event(6));
    expect(writer.locked).toBe(1);
    expect(writer.transactions).toBe(5);
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, count: 6n });
    const rows = await t.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
    expect(rows.map((r) => (r.payload as { i: number }).i)).toEqual([1, 2, 3, 4, 5, 6]);
    // Stored as given: the payload object, the time to the millisecond, the account.
    expect(rows[2]!.payload).toEqual(third.payload);
    expect(rows[2]!.at).toEqual(third.at);
    expect(rows[2]!.account_id).toBe(third.accountId);
  });

  it('ok-two-writers-share-the-chain-without-forking-it', async () => {
    // Two writers stand for two processes: each batch of one can be overtaken by the other's.
    const a = new AuditWriter(t.db);
    const b = new AuditWriter(t.db);
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).append(event(i + 1))));
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, count: 40n });
    const seen = (await t.db.selectFrom('audit_log').select('payload').execute()).map(
      (r) => (r.payload as { i: number }).i,
    );
    expect(seen.sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('fail-writer-refuses-a-bad-event-alone', async () => {
    const writer = new AuditWriter(t.db);
    const results = await Promise.allSettled([
      writer.append(event(1)),
      writer.append({ actor: 'system:test', type: 'test.pii', payload: { address: 'Tokyo' } }),
      writer.append(event(2)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(TypeError);
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, count: 2n });
  });

  it('fail-writer-failed-commit-rejects-its-batch-and-recovers', async () => {
    const writer = new AuditWriter(t.db);
    // A colliding seq makes the next commit fail (a row at seq 1 exists that the head does not know).
    await t.db
      .insertInto('audit_log')
      .values({
        seq: 1n,
        at: new Date(),
        actor: 'system:test',
        type: 'test.stray',
        account_id: null,
        payload: jsonb({}),
        prev_hash: new Uint8Array(32),
        hash: new Uint8Array(32),
      })
      .execute();
    const failed = await writer.append(event(1)).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    await t.db.deleteFrom('audit_log').execute();
    await writer.append(event(2));
    await writer.flushed();
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, count: 1n });
  });

  it('fail-outside-a-transaction', async () => {
    const error = await appendAudit(t.db as unknown as Transaction<Schema>, event(1)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TypeError);
  });
});
