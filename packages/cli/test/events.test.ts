// `watashi rp add --events-endpoint --webhook-url` and `watashi events list|retry` in process
// against an embedded database and a local key store in a temporary data directory: the webhook
// secret is printed once and stored sealed, `rp show` never shows it, and a dead delivery is
// listed and retried (exit codes of refusals included).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { isWatashiError } from '@watashi/pki';
import { openDatabase } from '@watashi/platform/cli';
import { jsonb } from '../../platform/src/store/index.ts';
import { registerEventsCommands } from '../src/commands/events.ts';
import { registerRpCommands } from '../src/commands/rp.ts';
import { exitCodeFor } from '../src/exit-codes.ts';
import { seedDataDir } from '../../platform/test/db/snapshot.ts';

const dir = mkdtempSync(join(tmpdir(), 'watashi-cli-events-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => seedDataDir(join(dir, 'db')));
const store = ['--data-dir', dir];

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const program = new Command('watashi').exitOverride();
  registerRpCommands(program);
  registerEventsCommands(program);
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  };
  try {
    await program.parseAsync(['node', 'watashi', ...argv]);
    return { code: 0, out, err: '' };
  } catch (e) {
    if (isWatashiError(e)) return { code: exitCodeFor(e.code), out, err: `${e.message} [${e.code}]` };
    throw e;
  } finally {
    process.stdout.write = write;
  }
}

// Each command opens the embedded database (seconds on a loaded machine).
describe('events', { timeout: 180_000 }, () => {
  it('ok-rp-add-with-a-webhook-prints-its-secret-once-and-show-never-does', async () => {
    const r = await run([
      'rp',
      'add',
      ...store,
      '--json',
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
      '--webhook-url',
      'https://bank.example/hooks/watashi',
    ]);
    expect(r.code, r.err).toBe(0);
    const body = JSON.parse(r.out) as Record<string, unknown>;
    expect(body).toMatchObject({
      eventsEndpoint: 'https://bank.example/ssf/events',
      webhookUrl: 'https://bank.example/hooks/watashi',
    });
    const secret = body['webhookSecret'] as string;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const database = await openDatabase({ dataDir: join(dir, 'db') });
    try {
      const row = await database.db
        .selectFrom('relying_parties')
        .selectAll()
        .where('client_id', '=', 'bank')
        .executeTakeFirstOrThrow();
      expect(row.webhook_secret_ciphertext).not.toBeNull();
      expect(Buffer.from(row.webhook_secret_ciphertext!).toString('utf8')).not.toContain(secret);
    } finally {
      await database.close();
    }
    const shown = await run(['rp', 'show', 'bank', ...store]);
    expect(shown.out).toContain('https://bank.example/ssf/events');
    expect(shown.out).toContain('https://bank.example/hooks/watashi');
    expect(shown.out).not.toContain(secret);
    const bad = await run([
      'rp',
      'add',
      ...store,
      '--name',
      'X',
      '--purpose',
      'p',
      '--redirect-uri',
      'https://x.example/cb',
      '--auth',
      'client_secret_basic',
      '--webhook-url',
      'http://x.example/hook',
    ]);
    expect(bad.code).toBe(3);
    expect(bad.err).toContain('rp_invalid');
  });

  it('ok-events-list-shows-a-dead-delivery-and-retry-makes-it-pending', async () => {
    const database = await openDatabase({ dataDir: join(dir, 'db') });
    const now = new Date();
    let id: string;
    try {
      const row = await database.db
        .insertInto('event_deliveries')
        .values({
          event_id: crypto.randomUUID(),
          client_id: 'bank',
          channel: 'push',
          target: 'https://bank.example/ssf/events',
          event_type: 'https://schemas.openid.net/secevent/risc/event-type/account-disabled',
          subject: 'pairwise-sub',
          payload: jsonb({}),
          occurred_at: now,
          status: 'dead',
          attempts: 10,
          next_attempt_at: now,
          last_error: 'http_503',
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      id = row.id;
    } finally {
      await database.close();
    }
    const listed = await run(['events', 'list', ...store, '--status', 'dead']);
    expect(listed.code, listed.err).toBe(0);
    expect(listed.out).toContain(id);
    expect(listed.out).toContain('account-disabled');
    expect(listed.out).toContain('http_503');
    expect(listed.out).not.toContain('pairwise-sub');
    const retried = await run(['events', 'retry', id, ...store]);
    expect(retried.code, retried.err).toBe(0);
    const pending = JSON.parse(
      (await run(['events', 'list', ...store, '--status', 'pending', '--json'])).out,
    ) as Array<Record<string, unknown>>;
    expect(pending).toEqual([expect.objectContaining({ id, status: 'pending', attempts: 0 })]);
    expect((await run(['events', 'retry', id, ...store])).code).toBe(8);
    expect((await run(['events', 'retry', crypto.randomUUID(), ...store])).code).toBe(5);
  });
});
