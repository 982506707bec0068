// `watashi account suspend|resume|close` in process (main(), as the bin does) against an embedded
// database and a local key store in a temporary data directory: the state machine with its exit
// codes, human and JSON output, the RP's events queued in the outbox, the audit actor and chain.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase, verifyAuditChain } from '@watashi/platform/cli';
import { RISC } from '../../platform/src/lifecycle/index.ts';
import { cleanup, json, run, tempDir } from './helpers.ts';
import { seedDataDir } from '../../platform/test/db/snapshot.ts';

const dir = tempDir('watashi-cli-account-');
const store = ['--data-dir', dir];
const live = randomUUID();
const held = randomUUID();

/** Runs `fn` on the embedded database of `dir` (closed again: the CLI opens it itself). */
async function withDb<T>(fn: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>): Promise<T> {
  const database = await openDatabase({ dataDir: join(dir, 'db') });
  try {
    await migrateToLatest(database.db);
    return await fn(database.db);
  } finally {
    await database.close();
  }
}

// Each command opens the embedded database (seconds on a loaded machine).
describe('account', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    await seedDataDir(join(dir, 'db'));
    const rp = await run(
      'rp',
      'add',
      ...store,
      '--client-id',
      'bank',
      '--name',
      'Bank',
      '--purpose',
      'KYC',
      '--redirect-uri',
      'https://bank.example/cb',
      '--auth',
      'client_secret_basic',
      '--events-endpoint',
      'https://bank.example/ssf/events',
    );
    expect(rp.code, rp.err).toBe(0);
    await withDb(async (db) => {
      const now = new Date();
      const account = (id: string, status: 'live' | 'suspended', reason: string | null) => ({
        id,
        status,
        status_reason: reason,
        person_key: new Uint8Array(32).fill(7),
        person_key_id: 'test',
        created_at: now,
        updated_at: now,
      });
      await db
        .insertInto('accounts')
        .values([account(live, 'live', null), account(held, 'suspended', 'certificateHold')])
        .execute();
      await db
        .insertInto('oidc_consents')
        .values({
          account_id: live,
          client_id: 'bank',
          grant_id: 'grant-1',
          claims: ['name'],
          residence: 'prefecture',
          scopes: ['openid'],
          granted_at: now,
        })
        .execute();
    });
  }, 240_000);
  afterAll(cleanup);

  it('ok-suspend-resume-close-with-events-and-audit-and-the-refusals', async () => {
    expect((await run('account', 'suspend', live, ...store)).code).toBe(2);

    const s = await run('account', 'suspend', live, '--reason', 'abuse report 1', '--json', ...store);
    expect(s.code, s.err).toBe(0);
    expect(json(s)).toMatchObject({
      accountId: live,
      from: 'live',
      to: 'suspended',
      reason: 'operator',
      deliveries: 1,
    });
    const again = await run('account', 'suspend', live, '--reason', 'again', ...store);
    expect(again.code).toBe(8);
    expect(again.err).toContain('account_already_suspended');

    const r = await run('account', 'resume', live, '--reason', 'report 1 closed', ...store);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/status\s+suspended → live/);
    expect((await run('account', 'resume', live, '--reason', 'x', ...store)).code).toBe(8);

    const c = await run(
      'account',
      'close',
      live,
      '--reason',
      'resident asked by phone, call 9',
      '--erase',
      ...store,
    );
    expect(c.code, c.err).toBe(0);
    expect(c.out).toMatch(/status\s+live → closed \(resident_request\)/);
    expect(c.out).toMatch(/grants revoked\s+1/);
    expect(c.out).toMatch(/erased\s+sealedAttributes 0, personas 0, anchors 0/);
    const closedAgain = await run('account', 'close', live, '--reason', 'x', ...store);
    expect(closedAgain.code).toBe(8);
    expect(closedAgain.err).toContain('account_already_closed');

    const hold = await run('account', 'resume', held, '--reason', 'card found?', ...store);
    expect(hold.code).toBe(8);
    expect(hold.err).toContain('account_hold_resume_refused');
    expect((await run('account', 'close', randomUUID(), '--reason', 'x', ...store)).code).toBe(5);
    expect((await run('account', 'close', 'not-a-uuid', '--reason', 'x', ...store)).code).toBe(3);
    expect((await run('account', 'suspend', held, '--reason', 'a\nb', ...store)).code).toBe(3);
    expect((await run('account', 'erase', live, '--reason', 'x', ...store)).code).toBe(2);

    await withDb(async (db) => {
      const events = await db
        .selectFrom('event_deliveries')
        .select(['event_type', 'subject'])
        .where('client_id', '=', 'bank')
        .orderBy('created_at')
        .execute();
      expect(events.map((e) => e.event_type)).toEqual([
        RISC.accountDisabled,
        RISC.accountEnabled,
        RISC.accountPurged,
      ]);
      // One pairwise subject for the RP, never the account id.
      expect(new Set(events.map((e) => e.subject)).size).toBe(1);
      expect(events[0]!.subject).not.toBe(live);
      const audit = await db
        .selectFrom('audit_log')
        .select(['actor', 'type'])
        .where('account_id', '=', live)
        .orderBy('seq')
        .execute();
      expect(audit).toEqual([
        { actor: 'operator:cli', type: 'account.status_changed' },
        { actor: 'operator:cli', type: 'account.status_changed' },
        { actor: 'operator:cli', type: 'account.closed' },
      ]);
      expect((await verifyAuditChain(db)).ok).toBe(true);
    });
  });
});
