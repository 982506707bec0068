import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPem, isWatashiError } from '@watashi/pki';
import { pino } from 'pino';
import { JpkiTrustStore } from '@watashi/jpki';
import { createSimulator, type RunningSimulator } from '@watashi/jlis-sim';
import { forEachEngine, testPostgresAdminUrl } from '../db/harness.ts';
import { createScratchDatabase } from '../db/postgres.ts';
import { insertPasskey } from '../db/rows.ts';
import { ASSURANCE_TABLE } from '../../src/assurance/index.ts';
import { parsePlatformConfig } from '../../src/config.ts';
import { createJpkiBackend } from '../../src/jlis/index.ts';
import { createMemoryKeyStore } from '../../src/keys/index.ts';
import { createPlatform, fetchSimulatorRoots, type Platform } from '../../src/platform.ts';
import { SESSION_COOKIE } from '../../src/server/sessions.ts';
import { createAccount } from './support.ts';

/** A real J-LIS root (signca03), as the repository's fixture holds it. */
const REAL_ROOT = new URL('../../../jpki/test/fixtures/trust/sign_ca_2023.pem', import.meta.url).pathname;

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'watashi-platform-'));
  dirs.push(d);
  return d;
};

let sim: RunningSimulator;
let simUrl: string;
beforeAll(async () => {
  sim = await createSimulator({
    dataDir: tempDir(),
    port: 0,
    seed: 'server-core',
    schedule: false,
    logLevel: 'silent',
  });
  simUrl = await sim.listen();
});
afterAll(async () => {
  await sim.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    const v = await p;
    if (typeof v === 'object' && v !== null && 'close' in v) await (v as Platform).close();
  } catch (e) {
    return isWatashiError(e) ? e.code : `not a WatashiError: ${String(e)}`;
  }
  return 'resolved';
};

const simConfig = () => ({
  mode: 'simulation' as const,
  port: 0,
  logLevel: 'silent' as const,
  keyStore: { kind: 'memory' as const },
  jlis: { kind: 'simulator' as const, url: simUrl },
});

/** Inserts a live session for `accountId` and returns its cookie. */
async function sessionCookie(p: Platform, accountId: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await p.deps.db
    .insertInto('sessions')
    .values({
      token_hash: new Uint8Array(createHash('sha256').update(token).digest()),
      account_id: accountId,
      auth_time: new Date(),
      acr: 'urn:watashi:ac:jp:ial3:aal2',
      amr: ['pop', 'swk', 'user'],
      expires_at: new Date(Date.now() + 3600_000),
    })
    .execute();
  return `${SESSION_COOKIE}=${token}`;
}

forEachEngine((t) => {
  let p: Platform;
  let url: string;
  beforeAll(async () => {
    p = await createPlatform(simConfig(), { database: t.database });
    url = await p.listen();
  });
  afterAll(async () => {
    await p.close();
  });

  it('ok-simulation-trusts-the-simulator-roots-only', async () => {
    expect(p.deps.trust.mode).toBe('simulator');
    const roots = await fetchSimulatorRoots(simUrl);
    expect(roots.length).toBeGreaterThanOrEqual(2);
    for (const r of roots) expect(p.deps.trust.has(r)).toBe(true);
    expect(p.deps.backend.kind).toBe('simulator');
    expect(p.deps.config.publicUrl).toBe(url);
  });

  it('ok-health', async () => {
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ok',
      mode: 'simulation',
      database: t.engine,
      jlis: 'simulator',
    });
  });

  it('ok-assurance-table-json', async () => {
    const res = await fetch(`${url}/api/assurance/table`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(ASSURANCE_TABLE)));
  });

  it('ok-assurance-html', async () => {
    const res = await fetch(`${url}/assurance`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('class="watashi-assurance"');
    expect(html).toContain(`data-version="${ASSURANCE_TABLE.version}"`);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    // The simulator's origin is allowed for hosted cards in simulation.
    expect(res.headers.get('content-security-policy')).toContain(new URL(simUrl).origin);
  });

  it('fail-me-session_required', async () => {
    const res = await fetch(`${url}/api/me`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('session_required');
  });

  it('ok-me-levels-and-authenticators-no-basic4', async () => {
    const accountId = await createAccount(t);
    await insertPasskey(p.deps.db, accountId);
    const cookie = await sessionCookie(p, accountId);
    const res = await fetch(`${url}/api/me`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const me = (await res.json()) as {
      account: { id: string; status: string };
      identityProofing: { level: number; reasons: Array<{ code: string }> };
      anchor: unknown;
      authenticators: Array<{ type: string; level: number; label: string; amr: string[] }>;
      session: { amr: string[] };
    };
    expect(me.account).toMatchObject({ id: accountId, status: 'live' });
    expect(me.identityProofing.level).toBe(0);
    expect(me.anchor).toBeNull();
    expect(me.authenticators).toHaveLength(1);
    expect(me.authenticators[0]).toMatchObject({ type: 'passkey', label: 'phone', level: 2 });
    expect(me.authenticators[0]?.amr).toContain('swk');
    expect(me.session.amr).toEqual(['pop', 'swk', 'user']);
    const text = JSON.stringify(me);
    for (const k of [
      'name',
      'address',
      'birth',
      'sex',
      'basic4',
      'person_key',
      'public_key',
      'credential_id',
    ])
      expect(text).not.toContain(`"${k}"`);
  });

  it('ok-me-attributes-only-for-the-resident-no-store', async () => {
    const accountId = await createAccount(t);
    const other = await createAccount(t);
    const basic4 = {
      name: '渡辺\u3000結衣',
      nameSubstitute: '00000',
      dateOfBirth: { era: 4, date: '1992-03-04' },
      sex: '2',
      address: '京都府京都市左京区吉田本町',
      addressSubstitute: '0'.repeat(13),
    };
    const box = await p.deps.keys.seal(
      new TextEncoder().encode(JSON.stringify(basic4)),
      new TextEncoder().encode(accountId),
    );
    await p.deps.db
      .insertInto('basic4')
      .values({
        account_id: accountId,
        alg: box.alg,
        key_id: box.keyId,
        nonce: box.nonce,
        ciphertext: box.ciphertext,
        updated_at: new Date(),
      })
      .execute();
    expect((await fetch(`${url}/api/me/attributes`)).status).toBe(401);
    const res = await fetch(`${url}/api/me/attributes`, {
      headers: { cookie: await sessionCookie(p, accountId) },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(((await res.json()) as { verified: unknown }).verified).toMatchObject({
      name: '渡辺\u3000結衣',
      address: '京都府京都市左京区吉田本町',
      dateOfBirth: '1992-03-04',
      sex: '2',
      substituteCharacters: false,
    });
    // Another resident sees only their own (here: nothing verified yet).
    const theirs = await fetch(`${url}/api/me/attributes`, {
      headers: { cookie: await sessionCookie(p, other) },
    });
    expect(await theirs.json()).toEqual({ verified: null });
  });

  it('ok-logout-ends-session', async () => {
    const accountId = await createAccount(t);
    const cookie = await sessionCookie(p, accountId);
    expect((await fetch(`${url}/api/me`, { headers: { cookie } })).status).toBe(200);
    const out = await fetch(`${url}/api/logout`, { method: 'POST', headers: { cookie } });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=;`))).toBe(true);
    expect((await fetch(`${url}/api/me`, { headers: { cookie } })).status).toBe(401);
    // Logging out without a session is harmless.
    expect((await fetch(`${url}/api/logout`, { method: 'POST' })).status).toBe(204);
  });

  it('ok-enrolment-routes-registered', async () => {
    const res = await fetch(`${url}/api/enrolments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ unexpected: 1 }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('fail-production-refuses-simulator-backend', async () => {
    expect(
      await codeOf(createPlatform({ ...simConfig(), mode: 'production' }, { database: t.database })),
    ).toBe('config_simulator_in_production');
    const backend = createJpkiBackend({ kind: 'simulator', url: simUrl, operatorId: 'x' });
    expect(
      await codeOf(
        createPlatform(
          {
            ...simConfig(),
            mode: 'production',
            jlis: { kind: 'standard', ocspUrl: `${simUrl}/ocsp`, crlUrls: [`${simUrl}/crl`] },
          },
          { database: t.database, backend },
        ),
      ),
    ).toBe('config_simulator_in_production');
  });

  it('fail-production-refuses-simulator-roots', async () => {
    const trust = await JpkiTrustStore.simulator(await fetchSimulatorRoots(simUrl));
    expect(
      await codeOf(
        createPlatform(
          {
            ...simConfig(),
            mode: 'production',
            allowInProduction: { embeddedDatabase: true },
            jlis: { kind: 'standard', ocspUrl: `${simUrl}/ocsp`, crlUrls: [`${simUrl}/crl`] },
          },
          { database: t.database, trust },
        ),
      ),
    ).toBe('config_simulator_in_production');
  });

  it('ok-production-real-roots-with-standard-backend', async () => {
    const q = await createPlatform(
      {
        ...simConfig(),
        mode: 'production',
        allowInProduction: { embeddedDatabase: true },
        jlis: { kind: 'standard', ocspUrl: 'http://127.0.0.1:9/ocsp', crlUrls: ['http://127.0.0.1:9/crl'] },
        tsa: { policyOid: '1.2.392.999999.20.1' },
      },
      { database: t.database },
    );
    try {
      expect(q.deps.trust.mode).toBe('production');
      const roots = await fetchSimulatorRoots(simUrl);
      for (const r of roots) expect(q.deps.trust.has(r)).toBe(false);
    } finally {
      await q.close();
    }
  });

  const prodConfig = (over: Record<string, unknown> = {}) => ({
    ...simConfig(),
    mode: 'production' as const,
    allowInProduction: { embeddedDatabase: true },
    jlis: {
      kind: 'standard' as const,
      ocspUrl: 'http://127.0.0.1:9/ocsp',
      crlUrls: ['http://127.0.0.1:9/crl'],
    },
    tsa: { policyOid: '1.2.392.999999.20.1' },
    ...over,
  });

  it('fail-production-refuses-the-placeholder-tsa-policy-at-start-up', async () => {
    const { tsa: _tsa, ...noPolicy } = prodConfig();
    expect(await codeOf(createPlatform(noPolicy, { database: t.database }))).toBe(
      'config_tsa_policy_placeholder',
    );
  });

  it('fail-production-unpinned-root-file-is-refused-at-start-up', async () => {
    const dir = tempDir();
    // The simulator's own root, as DER and as PEM, and a file that is not there.
    const info = sim.sim.info().caCertificates[0]!;
    const der = sim.sim.caCertificate(info.purpose, info.generation);
    writeFileSync(join(dir, 'sim.cer'), der);
    writeFileSync(
      join(dir, 'sim.pem'),
      `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64')}\n-----END CERTIFICATE-----\n`,
    );
    for (const f of ['sim.cer', 'sim.pem'])
      expect(
        await codeOf(createPlatform(prodConfig({ jlisRootFiles: [join(dir, f)] }), { database: t.database })),
      ).toBe('trust_root_unpinned');
    expect(
      await codeOf(
        createPlatform(prodConfig({ jlisRootFiles: [join(dir, 'missing.cer')] }), { database: t.database }),
      ),
    ).toBe('config_jlis_root_unreadable');
    // Simulation mode trusts the simulator's roots only: real root files are a configuration error.
    expect(
      await codeOf(createPlatform({ ...simConfig(), jlisRootFiles: [REAL_ROOT] }, { database: t.database })),
    ).toBe('config_jlis_roots_in_simulation');
  });

  it('ok-production-pinned-root-file-is-trusted', async () => {
    const q = await createPlatform(prodConfig({ jlisRootFiles: [REAL_ROOT] }), { database: t.database });
    try {
      expect(q.deps.trust.has(fromPem(readFileSync(REAL_ROOT, 'utf8'), 'CERTIFICATE'))).toBe(true);
    } finally {
      await q.close();
    }
  });

  it('ok-production-soft-fail-warns-once-at-start-up', async () => {
    const start = async (revocationPolicy: 'soft-fail' | 'hard-fail') => {
      const lines: Array<{ level: number; msg: string }> = [];
      const logger = pino(
        { level: 'info' },
        { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) },
      );
      const q = await createPlatform(prodConfig({ revocationPolicy }), { database: t.database, logger });
      await q.close();
      return lines.filter((l) => l.level === 40 && /soft-fail/.test(l.msg));
    };
    expect(await start('soft-fail')).toHaveLength(1);
    expect(await start('hard-fail')).toHaveLength(0);
  });
});

describe('configuration', () => {
  it('fail-unknown-key-config_invalid', async () => {
    expect(await codeOf(createPlatform({ ...simConfig(), colour: 'blue' }))).toBe('config_invalid');
    expect(() => parsePlatformConfig({ rateLimits: { default: { max: 0, windowSeconds: 1 } } })).toThrow(
      /at rateLimits\.default\.max/,
    );
    expect(() => parsePlatformConfig({ rateLimits: { default: { max: 0, windowSeconds: 1 } } })).toThrow(
      expect.objectContaining({ code: 'config_invalid' }),
    );
    expect(() => parsePlatformConfig({ adminToken: 'short' })).toThrow(
      expect.objectContaining({ code: 'config_invalid' }),
    );
    expect(() => parsePlatformConfig({ keyStore: { kind: 'hsm' } })).toThrow(
      expect.objectContaining({ code: 'config_invalid' }),
    );
  });

  it('ok-defaults-documented', () => {
    const c = parsePlatformConfig({});
    expect(c.sessionTtlSeconds).toBe(28_800);
    expect(c.rateLimits).toEqual({
      enabled: true,
      default: { max: 600, windowSeconds: 60 },
      authentication: { max: 30, windowSeconds: 60 },
    });
    expect(c.keyStore).toEqual({ kind: 'local', refreshSeconds: 60 });
    expect(c.allowInProduction).toEqual({ simulatorBackend: false, embeddedDatabase: false });
  });

  it('fail-production-requires-postgres', async () => {
    expect(
      await codeOf(
        createPlatform({
          ...simConfig(),
          mode: 'production',
          jlis: { kind: 'standard', ocspUrl: 'http://127.0.0.1:9/ocsp', crlUrls: ['http://127.0.0.1:9/crl'] },
        }),
      ),
    ).toBe('config_database_required');
  });

  it('fail-no-jlis-config_jlis_required', async () => {
    expect(await codeOf(createPlatform({ mode: 'simulation', logLevel: 'silent' }))).toBe(
      'config_jlis_required',
    );
  });

  it('fail-simulation-needs-simulator', async () => {
    expect(
      await codeOf(
        createPlatform({
          ...simConfig(),
          jlis: { kind: 'standard', ocspUrl: 'http://127.0.0.1:9/ocsp', crlUrls: ['http://127.0.0.1:9/crl'] },
        }),
      ),
    ).toBe('config_simulator_required');
  });

  it('fail-simulator-unreachable', async () => {
    expect(
      await codeOf(
        createPlatform({
          ...simConfig(),
          dataDir: tempDir(),
          jlis: { kind: 'simulator', url: 'http://127.0.0.1:9' },
        }),
      ),
    ).toBe('config_simulator_unreachable');
  });

  it('ok-default-pglite-in-data-dir-and-local-keys-survive-restart', async () => {
    const dataDir = tempDir();
    const config = { ...simConfig(), dataDir, keyStore: { kind: 'local' as const } };
    const a = await createPlatform(config);
    const box = await a.deps.keys.seal(new TextEncoder().encode('x'), new TextEncoder().encode('y'));
    const accountId = await a.deps.db
      .insertInto('accounts')
      .values({ person_key: new Uint8Array(32), person_key_id: 'k', status: 'live' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await a.close();
    expect(statSync(join(dataDir, 'keys')).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(join(dataDir, 'keys')))
      expect(statSync(join(dataDir, 'keys', f)).mode & 0o777).toBe(0o600);
    const b = await createPlatform(config);
    try {
      expect(b.deps.database.engine).toBe('pglite');
      expect(new TextDecoder().decode(await b.deps.keys.open(box, new TextEncoder().encode('y')))).toBe('x');
      const row = await b.deps.db
        .selectFrom('accounts')
        .select('id')
        .where('id', '=', accountId.id)
        .executeTakeFirst();
      expect(row?.id).toBe(accountId.id);
    } finally {
      await b.close();
    }
  });

  it('ok-production-on-postgres-by-url', async () => {
    const scratch = await createScratchDatabase(await testPostgresAdminUrl());
    try {
      const q = await createPlatform(
        {
          mode: 'production',
          port: 0,
          logLevel: 'silent',
          databaseUrl: scratch.url,
          keyStore: { kind: 'memory' },
          jlis: { kind: 'standard', ocspUrl: 'http://127.0.0.1:9/ocsp', crlUrls: ['http://127.0.0.1:9/crl'] },
          tsa: { policyOid: '1.2.392.999999.20.1' },
        },
        { keys: createMemoryKeyStore() },
      );
      const u = await q.listen();
      expect(await (await fetch(`${u}/health`)).json()).toMatchObject({
        mode: 'production',
        database: 'postgres',
        jlis: 'standard',
      });
      await q.close();
    } finally {
      await scratch.drop();
    }
  });
});
