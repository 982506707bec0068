// `watashi rp add|list|show|remove` in process against an embedded database and a local key
// store in a temporary data directory: registration output, the sealed secret (opened by the
// registry with the same key store), listing, removal and the exit codes of refusals.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { isWatashiError } from '@watashi/pki';
import { openDatabase, openLocalKeyStore } from '@watashi/platform/cli';
import { clientMetadata } from '../../platform/src/oidc/index.ts';
import { registerRpCommands } from '../src/commands/rp.ts';
import { exitCodeFor } from '../src/exit-codes.ts';
import { seedDataDir } from '../../platform/test/db/snapshot.ts';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'watashi-cli-rp-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs the rp commands in process; returns the exit code and stdout. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const program = new Command('watashi').exitOverride();
  registerRpCommands(program);
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

describe('rp', () => {
  const dir = tempDir();
  const store = ['--data-dir', dir];
  beforeAll(() => seedDataDir(join(dir, 'db')));

  it('ok-add-client-secret-basic-prints-the-secret-once-and-stores-it-sealed', async () => {
    const r = await run([
      'rp',
      'add',
      ...store,
      '--json',
      '--client-id',
      'city-portal',
      '--name',
      '前橋市ポータル',
      '--purpose',
      '行政手続のため',
      '--redirect-uri',
      'https://portal.city.example/cb',
      '--auth',
      'client_secret_basic',
      '--claims',
      'name,over_20',
      '--min-acr',
      'urn:watashi:ac:jp:ial3-aal2',
    ]);
    expect(r.code, r.err).toBe(0);
    const body = JSON.parse(r.out) as Record<string, unknown>;
    expect(body).toMatchObject({
      clientId: 'city-portal',
      tokenEndpointAuthMethod: 'client_secret_basic',
      allowedClaims: ['name', 'over_20'],
      minAcr: 'urn:watashi:ac:jp:ial3-aal2',
      sectorIdentifier: 'city-portal',
    });
    const secret = body['clientSecret'] as string;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const database = await openDatabase({ dataDir: join(dir, 'db') });
    try {
      const row = await database.db
        .selectFrom('relying_parties')
        .selectAll()
        .where('client_id', '=', 'city-portal')
        .executeTakeFirstOrThrow();
      expect(Buffer.from(row.secret_ciphertext!).toString('utf8')).not.toContain(secret);
      const meta = await clientMetadata(
        { db: database.db, keys: openLocalKeyStore({ dir: join(dir, 'keys') }) },
        'city-portal',
      );
      expect(meta?.['client_secret']).toBe(secret);
    } finally {
      await database.close();
    }
    // Never shown again.
    const shown = await run(['rp', 'show', 'city-portal', ...store, '--json']);
    expect(shown.out).not.toContain(secret);
  }, 120_000); // the first command creates and migrates the embedded database

  it('ok-add-private-key-jwt-with-a-jwks-file-then-list-and-show', async () => {
    const jwks = join(dir, 'rp-jwks.json');
    writeFileSync(
      jwks,
      JSON.stringify({
        keys: [
          {
            kty: 'EC',
            crv: 'P-256',
            x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
            y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
            kid: 'rp-1',
          },
        ],
      }),
    );
    const r = await run([
      'rp',
      'add',
      ...store,
      '--name',
      'Shop',
      '--purpose',
      'age check',
      '--redirect-uri',
      'https://shop.example/cb',
      '--redirect-uri',
      'https://shop.example/cb2',
      '--jwks-file',
      jwks,
      '--claims',
      'over_20',
      '--dpop',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('private_key_jwt');
    expect(r.out).not.toContain('client_secret ');
    const list = await run(['rp', 'list', ...store, '--json']);
    const rps = JSON.parse(list.out) as Array<Record<string, unknown>>;
    expect(rps.map((x) => x['name'])).toEqual(['前橋市ポータル', 'Shop']);
    const human = await run(['rp', 'list', ...store]);
    expect(human.out).toContain('client_id');
    const shop = rps[1]!;
    expect(shop).toMatchObject({
      dpopBoundAccessTokens: true,
      redirectUris: ['https://shop.example/cb', 'https://shop.example/cb2'],
    });
    const shown = await run(['rp', 'show', String(shop['clientId']), ...store]);
    expect(shown.out).toContain('age check');
  });

  it('ok-remove-then-gone-from-list-but-shown-as-removed', async () => {
    expect((await run(['rp', 'remove', 'city-portal', ...store])).code).toBe(0);
    const list = JSON.parse((await run(['rp', 'list', ...store, '--json'])).out) as Array<
      Record<string, unknown>
    >;
    expect(list.map((x) => x['clientId'])).not.toContain('city-portal');
    const all = JSON.parse((await run(['rp', 'list', '--all', ...store, '--json'])).out) as Array<
      Record<string, unknown>
    >;
    expect(all.find((x) => x['clientId'] === 'city-portal')?.['disabledAt']).toEqual(expect.any(String));
  });

  it('fail-exit-codes', async () => {
    // Removed client_ids are never reused: conflict (8).
    const again = await run([
      'rp',
      'add',
      ...store,
      '--client-id',
      'city-portal',
      '--name',
      'x',
      '--purpose',
      'y',
      '--redirect-uri',
      'https://x.example/cb',
      '--auth',
      'client_secret_basic',
    ]);
    expect(again.code, again.err).toBe(8);
    // Invalid registration: bad input (3).
    const bad = await run([
      'rp',
      'add',
      ...store,
      '--name',
      'x',
      '--purpose',
      'y',
      '--redirect-uri',
      'http://evil.example/cb',
      '--auth',
      'client_secret_basic',
    ]);
    expect(bad.code).toBe(3);
    expect(bad.err).toContain('rp_invalid');
    const noKeys = await run([
      'rp',
      'add',
      ...store,
      '--name',
      'x',
      '--purpose',
      'y',
      '--redirect-uri',
      'https://x.example/cb',
    ]);
    expect(noKeys.code).toBe(3);
    const claim = await run([
      'rp',
      'add',
      ...store,
      '--name',
      'x',
      '--purpose',
      'y',
      '--redirect-uri',
      'https://x.example/cb',
      '--auth',
      'client_secret_basic',
      '--claims',
      'my_number',
    ]);
    expect(claim.code).toBe(3);
    // Unknown client: not found (5).
    expect((await run(['rp', 'show', 'nope', ...store])).code).toBe(5);
    expect((await run(['rp', 'remove', 'nope', ...store])).code).toBe(5);
  });
  it('fail-embedded-database-open-in-a-running-platform-is-refused-with-exit-8', async () => {
    // `npm start` holds the data directory; a second PGlite on the same files would corrupt them.
    const database = await openDatabase({ dataDir: join(dir, 'db') });
    try {
      const r = await run(['rp', 'list', ...store, '--json']);
      expect(r.code).toBe(8);
      expect(r.err).toContain('[store_in_use]');
      expect(r.err).toContain(String(process.pid));
    } finally {
      await database.close();
    }
    expect((await run(['rp', 'list', ...store, '--json'])).code).toBe(0);
  });
});
