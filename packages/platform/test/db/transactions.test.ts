import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';
import { expect, it } from 'vitest';
import { isWatashiError } from '@watashi/pki';
import { isRetryableTransactionError, PREPARED, withTransaction } from '../../src/store/database.ts';
import { jsonb } from '../../src/store/json.ts';
import type { Schema } from '../../src/store/schema.ts';
import { forEachEngine } from './harness.ts';
import { hash32 } from './rows.ts';

/** Raise a real serialization failure from the server (same SQLSTATE a conflict produces). */
async function raiseSerializationFailure(trx: Transaction<Schema>): Promise<never> {
  await sql`DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = 'serialization_failure'; END $$`.execute(
    trx,
  );
  throw new Error('unreachable');
}

async function counter(t: { db: Kysely<Schema> }, key: string): Promise<number> {
  const row = await t.db.selectFrom('kv').select('value').where('key', '=', key).executeTakeFirstOrThrow();
  return row.value.n as number;
}

forEachEngine((t) => {
  it('ok-marked-statements-are-prepared-once-per-connection-on-postgres', async () => {
    // One connection for the whole check: a transaction holds it.
    const seen = await t.database.transaction(async (trx) => {
      const marked = (n: number, words: string[]) =>
        sql<{ n: number; w: string }>`${sql.raw(PREPARED)}
          SELECT ${n}::int + 1 AS n, w FROM unnest(${words}::text[]) AS w ORDER BY w`.execute(trx);
      const a = await marked(1, ['b', 'a']);
      const b = await marked(41, ["it's", 'c"d', 'e\\f', '']);
      const statements =
        t.engine === 'postgres'
          ? (
              await sql<{
                name: string;
              }>`SELECT name FROM pg_prepared_statements WHERE statement LIKE '%unnest(%'`.execute(trx)
            ).rows.map((r) => r.name)
          : [];
      return { a: a.rows, b: b.rows, statements };
    });
    expect(seen.a).toEqual([
      { n: 2, w: 'a' },
      { n: 2, w: 'b' },
    ]);
    // Arrays of any text survive (quotes, backslashes, the empty string).
    expect(seen.b.map((r) => r.w).sort()).toEqual(['', 'c"d', 'e\\f', "it's"].sort());
    // Prepared once, under a name derived from its text; PGlite runs it as a plain statement.
    if (t.engine === 'postgres') expect(seen.statements).toEqual([expect.stringMatching(/^w_[0-9a-f]{24}$/)]);
  });

  it('ok-20-concurrent-read-modify-write-for-update', async () => {
    // docs/dependencies.md §5.4: with unsynchronised PGlite "connections" this ended at 1, not 20.
    const key = `counter-${randomUUID()}`;
    await t.db
      .insertInto('kv')
      .values({ key, value: jsonb({ n: 0 }) })
      .execute();
    await Promise.all(
      Array.from({ length: 20 }, () =>
        t.database.transaction(async (trx) => {
          const row = await trx
            .selectFrom('kv')
            .select('value')
            .where('key', '=', key)
            .forUpdate()
            .executeTakeFirstOrThrow();
          await new Promise((r) => setTimeout(r, 1)); // widen the race window
          const n = (row.value.n as number) + 1;
          await trx
            .updateTable('kv')
            .set({ value: jsonb({ n }) })
            .where('key', '=', key)
            .execute();
        }),
      ),
    );
    expect(await counter(t, key)).toBe(20);
  });

  it('ok-20-concurrent-serializable-without-locks-retry-to-20', async () => {
    const key = `counter-${randomUUID()}`;
    await t.db
      .insertInto('kv')
      .values({ key, value: jsonb({ n: 0 }) })
      .execute();
    let retries = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        withTransaction(
          t.db,
          async (trx) => {
            const row = await trx
              .selectFrom('kv')
              .select('value')
              .where('key', '=', key)
              .executeTakeFirstOrThrow();
            await new Promise((r) => setTimeout(r, 1));
            const n = (row.value.n as number) + 1;
            await trx
              .updateTable('kv')
              .set({ value: jsonb({ n }) })
              .where('key', '=', key)
              .execute();
          },
          { isolation: 'serializable', retries: 50, onRetry: () => void retries++ },
        ),
      ),
    );
    expect(await counter(t, key)).toBe(20);
    // PGlite has one session, so transactions never overlap; PostgreSQL must have conflicted.
    if (t.engine === 'pglite') expect(retries).toBe(0);
    else expect(retries).toBeGreaterThan(0);
  });

  it('ok-retries-a-serialization-failure', async () => {
    const key = `retry-${randomUUID()}`;
    const seen: unknown[] = [];
    const result = await withTransaction(
      t.db,
      async (trx, attempt) => {
        await trx
          .insertInto('kv')
          .values({ key, value: jsonb({ attempt }) })
          .execute();
        if (attempt === 1) await raiseSerializationFailure(trx);
        return attempt;
      },
      { onRetry: (error) => seen.push(error), backoffMs: () => 0 },
    );
    expect(result).toBe(2);
    expect(seen).toHaveLength(1);
    expect(isRetryableTransactionError(seen[0])).toBe(true);
    // The first attempt's insert was rolled back; only the second's is there.
    const rows = await t.db.selectFrom('kv').select('value').where('key', '=', key).execute();
    expect(rows.map((r) => r.value)).toEqual([{ attempt: 2 }]);
  });

  it('fail-gives-up-after-retries', async () => {
    let attempts = 0;
    const error = await withTransaction(
      t.db,
      async (trx) => {
        attempts++;
        return raiseSerializationFailure(trx);
      },
      { retries: 2, backoffMs: () => 0 },
    ).catch((e: unknown) => e);
    expect(attempts).toBe(3);
    expect(isWatashiError(error, 'store_transaction_conflict')).toBe(true);
    expect(isRetryableTransactionError((error as Error).cause)).toBe(true);
  });

  it('fail-failed-transaction-leaves-nothing-behind', async () => {
    const key = `rollback-${randomUUID()}`;
    const boom = new Error('boom');
    let attempts = 0;
    const error = await t.database
      .transaction(async (trx) => {
        attempts++;
        await trx
          .insertInto('kv')
          .values({ key, value: jsonb({}) })
          .execute();
        await trx.insertInto('accounts').values({ person_key: hash32(), person_key_id: 'k' }).execute();
        throw boom;
      })
      .catch((e: unknown) => e);
    expect(error).toBe(boom); // propagated unchanged, not retried
    expect(attempts).toBe(1);
    expect(await t.db.selectFrom('kv').where('key', '=', key).selectAll().execute()).toEqual([]);
    // And the connection / session is healthy afterwards.
    expect(await t.db.selectFrom('kv').select('key').where('key', '=', key).execute()).toEqual([]);
  });

  it('fail-constraint-violation-not-retried', async () => {
    const key = `dup-${randomUUID()}`;
    await t.db
      .insertInto('kv')
      .values({ key, value: jsonb({}) })
      .execute();
    let attempts = 0;
    const error = await t.database
      .transaction(async (trx) => {
        attempts++;
        await trx
          .insertInto('kv')
          .values({ key, value: jsonb({}) })
          .execute();
      })
      .catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('23505');
    expect(attempts).toBe(1);
  });

  it('fail-nested-withTransaction-is-a-caller-bug', async () => {
    const error = await t.database
      .transaction((trx) => withTransaction(trx, () => Promise.resolve(1)))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
  });

  it('ok-affected-row-counts', async () => {
    const prefix = `count-${randomUUID()}-`;
    const inserted = await t.db
      .insertInto('kv')
      .values([1, 2, 3].map((i) => ({ key: `${prefix}${i}`, value: jsonb({ i }) })))
      .executeTakeFirst();
    expect(inserted.numInsertedOrUpdatedRows).toBe(3n);
    const updated = await t.db
      .updateTable('kv')
      .set({ value: jsonb({ i: 0 }) })
      .where('key', 'like', `${prefix}%`)
      .where('key', '!=', `${prefix}3`)
      .executeTakeFirst();
    expect(updated.numUpdatedRows).toBe(2n);
    const deleted = await t.db.deleteFrom('kv').where('key', 'like', `${prefix}%`).executeTakeFirst();
    expect(deleted.numDeletedRows).toBe(3n);
  });

  it('ok-read-only-transaction-refuses-writes', async () => {
    const error = await t.database
      .transaction(
        (trx) =>
          trx
            .insertInto('kv')
            .values({ key: randomUUID(), value: jsonb({}) })
            .execute(),
        {
          readOnly: true,
        },
      )
      .catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('25006'); // read_only_sql_transaction
  });
});

forEachEngine(
  (t) => {
    it('ok-real-write-conflict-is-retried', async () => {
      // Two REPEATABLE READ transactions update the same row: the second gets 40001 ("could not
      // serialize access due to concurrent update") and withTransaction re-runs it.
      const key = `conflict-${randomUUID()}`;
      await t.db
        .insertInto('kv')
        .values({ key, value: jsonb({ n: 0 }) })
        .execute();
      let firstRead!: () => void;
      const firstHasRead = new Promise<void>((r) => (firstRead = r));
      let secondRead!: () => void;
      const secondHasRead = new Promise<void>((r) => (secondRead = r));
      const increment = async (trx: Transaction<Schema>) => {
        const row = await trx
          .selectFrom('kv')
          .select('value')
          .where('key', '=', key)
          .executeTakeFirstOrThrow();
        await trx
          .updateTable('kv')
          .set({ value: jsonb({ n: (row.value.n as number) + 1 }) })
          .where('key', '=', key)
          .execute();
      };
      const attemptsOfSecond: number[] = [];
      const first = withTransaction(
        t.db,
        async (trx) => {
          await trx.selectFrom('kv').select('key').where('key', '=', key).execute(); // take the snapshot
          firstRead();
          await secondHasRead;
          await increment(trx);
        },
        { isolation: 'repeatable read' },
      );
      const second = withTransaction(
        t.db,
        async (trx, attempt) => {
          attemptsOfSecond.push(attempt);
          if (attempt === 1) {
            await firstHasRead;
            await trx.selectFrom('kv').select('key').where('key', '=', key).execute();
            secondRead();
            await first; // first commits its update; ours now conflicts
          }
          await increment(trx);
        },
        { isolation: 'repeatable read', backoffMs: () => 0 },
      );
      await Promise.all([first, second]);
      expect(attemptsOfSecond).toEqual([1, 2]);
      expect(await counter(t, key)).toBe(2);
    });
  },
  ['postgres'],
);

forEachEngine(
  (t) => {
    it('ok-abandoned-begin-is-rolled-back-on-release', async () => {
      const key = `abandoned-${randomUUID()}`;
      await t.db.connection().execute(async (conn) => {
        await sql`BEGIN`.execute(conn);
        await conn
          .insertInto('kv')
          .values({ key, value: jsonb({}) })
          .execute();
      });
      expect(await t.db.selectFrom('kv').select('key').where('key', '=', key).execute()).toEqual([]);
    });
  },
  ['pglite'],
);
