import { describe, expect, it } from 'vitest';
import { isWatashiError } from '@watashi/pki';
import { pglitePool } from './pglite-pool.ts';
import type { PgliteSession } from './pglite-pool.ts';

/** A fake single session that records statements and can be told it is inside a transaction. */
function fakeSession() {
  const log: string[] = [];
  let inTransaction = false;
  let closed = false;
  const session = {
    query: (text: string) => {
      log.push(text);
      if (/^BEGIN/i.test(text)) inTransaction = true;
      if (/^(COMMIT|ROLLBACK)/i.test(text)) inTransaction = false;
      if (text === 'FAIL') return Promise.reject(Object.assign(new Error('boom'), { code: '22012' }));
      if (text.startsWith('UPDATE'))
        return Promise.resolve({ rows: [], fields: [], command: 'UPDATE', rowCount: 3 });
      return Promise.resolve({ rows: [{ x: 1 }], fields: [], affectedRows: 0 });
    },
    isInTransaction: () => inTransaction,
    close: () => {
      closed = true;
      return Promise.resolve();
    },
  };
  return { session: session as unknown as PgliteSession, log, isClosed: () => closed };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('pglitePool', () => {
  it('ok-one-lease-at-a-time-in-fifo-order', async () => {
    const { session } = fakeSession();
    const pool = pglitePool(session, { acquireTimeoutMs: 1000 });
    const order: string[] = [];
    const a = await pool.connect();
    const pb = pool.connect().then((c) => (order.push('b'), c));
    const pc = pool.connect().then((c) => (order.push('c'), c));
    await tick();
    expect(order).toEqual([]); // nobody else while a holds the session
    a.release();
    const b = await pb;
    await tick();
    expect(order).toEqual(['b']);
    b.release();
    (await pc).release();
    expect(order).toEqual(['b', 'c']);
  });

  it('ok-command-and-row-count-like-pg', async () => {
    const { session } = fakeSession();
    const pool = pglitePool(session, { acquireTimeoutMs: 1000 });
    const c = await pool.connect();
    expect(await c.query('UPDATE t SET x = 1', [])).toEqual({ command: 'UPDATE', rowCount: 3, rows: [] });
    // Without a command tag from PGlite: derived from the statement, count from affectedRows.
    expect(await c.query('  delete from t', [])).toMatchObject({ command: 'DELETE', rowCount: 0 });
    c.release();
  });

  it('fail-query-error-propagates-and-release-frees-the-session', async () => {
    const { session } = fakeSession();
    const pool = pglitePool(session, { acquireTimeoutMs: 1000 });
    const c = await pool.connect();
    await expect(c.query('FAIL', [])).rejects.toMatchObject({ code: '22012' });
    c.release();
    const next = await pool.connect(); // would time out if the failed lease were still held
    next.release();
  });

  it('fail-release-twice-and-query-after-release', async () => {
    const { session } = fakeSession();
    const pool = pglitePool(session, { acquireTimeoutMs: 1000 });
    const c = await pool.connect();
    c.release();
    expect(() => c.release()).toThrow(TypeError);
    await expect(c.query('SELECT 1', [])).rejects.toThrow(TypeError);
  });

  it('fail-store-busy-after-acquire-timeout-and-queue-stays-sound', async () => {
    const { session } = fakeSession();
    const pool = pglitePool(session, { acquireTimeoutMs: 30 });
    const a = await pool.connect();
    const error = await pool.connect().catch((e: unknown) => e);
    expect(isWatashiError(error, 'store_busy')).toBe(true);
    a.release();
    // The timed-out waiter was removed: the next caller gets the session at once.
    const b = await pool.connect();
    b.release();
  });

  it('ok-open-transaction-rolled-back-before-handoff', async () => {
    const { session, log } = fakeSession();
    const pool = pglitePool(session, { acquireTimeoutMs: 1000 });
    const a = await pool.connect();
    await a.query('BEGIN', []);
    const pb = pool.connect();
    a.release();
    const b = await pb;
    expect(log).toEqual(['BEGIN', 'ROLLBACK']);
    b.release();
  });

  it('ok-end-waits-for-holder-then-refuses', async () => {
    const { session, isClosed } = fakeSession();
    const pool = pglitePool(session, { acquireTimeoutMs: 1000 });
    const a = await pool.connect();
    const ended = pool.end();
    await tick();
    expect(isClosed()).toBe(false);
    a.release();
    await ended;
    expect(isClosed()).toBe(true);
    await expect(pool.connect()).rejects.toThrow(TypeError);
  });
});
