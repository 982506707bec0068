/**
 * A scheduled sweep outlives the instance working it (issue 14, docs/scaling.md "Sweeps across
 * instances"): real `watashi serve` processes on one PostgreSQL with the schedule on
 * (`sweep.checkSeconds: 1`) and short job claims (`jobs.claimSeconds`, `jobs.superviseSeconds`).
 * The first instance starts the slot's run; J-LIS's latest-basic-4 answers are held (a proxy in
 * front of the simulator) so that it is caught mid-run, then it is killed with SIGKILL. The two
 * others, which were only looking, take the run over once its claim lapses and finish it: every
 * anchor is checked once, every moved resident is re-anchored once (one audit event of each kind,
 * one paid provision in the platform's fee ledger and on J-LIS's own meter), and the run finishes
 * once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBase64 } from '@watashi/pki';
import type { Schema } from '../../src/store/schema.ts';
import { createScratchDatabase, type ScratchDatabase } from '../db/postgres.ts';
import { testPostgresAdminUrl } from '../db/harness.ts';
import { newResident, startSim, type TestSim } from '../enrolment/support.ts';
import { freePort, startChild, waitFor, type Child } from './processes.ts';

const BIN = fileURLToPath(new URL('../../../cli/bin/watashi.mjs', import.meta.url));
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const OPERATOR = 'watashi-takeover';
const CLAIM_SECONDS = 3;
const SUPERVISE_SECONDS = 1;
const CHECK_SECONDS = 1;

/**
 * A proxy in front of the simulator that holds latest-basic-4 requests while `holding`: a held
 * request never reaches J-LIS (it is dropped when released), so nothing is metered for it.
 */
interface HoldingProxy {
  readonly url: string;
  holding: boolean;
  readonly held: ServerResponse[];
  close(): Promise<void>;
}

async function holdingProxy(target: string): Promise<HoldingProxy> {
  const held: ServerResponse[] = [];
  const p: HoldingProxy = {
    url: '',
    holding: false,
    held,
    close: () => new Promise((r) => server.close(() => r())),
  };
  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (p.holding && (req.url ?? '').includes('/basic4/latest')) {
      held.push(res);
      return;
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && k !== 'host' && k !== 'connection' && k !== 'content-length')
        headers.set(k, v);
    const body = chunks.length === 0 ? undefined : Buffer.concat(chunks);
    const up = await fetch(`${target}${req.url ?? '/'}`, {
      method: req.method ?? 'GET',
      headers,
      ...(body === undefined || req.method === 'GET' || req.method === 'HEAD' ? {} : { body }),
    });
    const out = Buffer.from(await up.arrayBuffer());
    const h: Record<string, string> = {};
    up.headers.forEach((v, k) => {
      if (k !== 'content-encoding' && k !== 'transfer-encoding' && k !== 'content-length') h[k] = v;
    });
    res.writeHead(up.status, h).end(out);
  };
  const server: Server = createServer((req, res) => {
    forward(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no proxy address');
  return Object.assign(p, { url: `http://127.0.0.1:${addr.port}` });
}

/** The fields of the enrolment answers this test reads. */
interface Body {
  id?: string;
  document?: { bytes: string };
  consentDocument?: string;
  accountId?: string;
}

/** One JSON request to an instance. */
async function post(base: string, path: string, body: unknown): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Body) };
}

describe('a scheduled sweep whose instance is killed mid-run (postgres)', () => {
  let sim: TestSim;
  let proxy: HoldingProxy;
  let scratch: ScratchDatabase;
  let check: Kysely<Schema>;
  let dir: string;
  const children: Child[] = [];

  /** Writes a config file: the schedule on or off. */
  const config = (name: string, schedule: boolean): string => {
    const file = join(dir, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        mode: 'simulation',
        host: '127.0.0.1',
        publicUrl: 'http://127.0.0.1:1',
        logLevel: 'warn',
        databaseUrl: scratch.url,
        database: { poolMax: 3 },
        jobs: { claimSeconds: CLAIM_SECONDS, superviseSeconds: SUPERVISE_SECONDS },
        jlis: { kind: 'simulator', url: proxy.url, operatorId: OPERATOR },
        keyStore: { kind: 'local', dir: join(dir, 'keys') },
        rateLimits: { enabled: false },
        sweep: schedule ? { intervalHours: 24, checkSeconds: CHECK_SECONDS } : { intervalHours: 0 },
        dataDir: join(dir, 'data'),
      }),
    );
    return file;
  };

  /** Starts `watashi serve` and waits for /health. */
  const serve = async (file: string): Promise<{ child: Child; base: string }> => {
    const port = await freePort();
    const child = startChild(
      process.execPath,
      [BIN, 'serve', '--config', file, '--port', String(port)],
      {},
      REPO,
    );
    children.push(child);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      `instance on ${port}`,
      async () => {
        if (child.process.exitCode !== null) throw new Error(`instance exited: ${child.output()}`);
        try {
          return (await fetch(`${base}/health`)).status === 200;
        } catch {
          return false;
        }
      },
      150_000,
    );
    return { child, base };
  };

  beforeAll(async () => {
    sim = await startSim('sweep-takeover', new Date());
    proxy = await holdingProxy(sim.url);
    scratch = await createScratchDatabase(await testPostgresAdminUrl());
    check = new Kysely<Schema>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: scratch.url, max: 2 }) }),
    });
    dir = mkdtempSync(join(tmpdir(), 'watashi-takeover-'));
  }, 60_000);

  afterAll(async () => {
    for (const c of children) await c.stop();
    for (const r of proxy?.held ?? []) r.destroy();
    await proxy?.close();
    await check?.destroy();
    await scratch?.drop();
    await sim?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('ok-another-instance-finishes-the-run-each-anchor-once', async () => {
    // Residents enrol on an instance without the schedule (so that no run is due before they exist);
    // a third of them consent to the latest-basic-4 provision and then move.
    const enroller = await serve(config('enrol', false));
    const movers: string[] = [];
    const all: string[] = [];
    for (let i = 0; i < 9; i++) {
      const card = await newResident(sim);
      const consent = i % 3 === 0;
      const issued = await post(enroller.base, '/api/enrolments', { consent });
      expect(issued.status, JSON.stringify(issued.body)).toBe(201);
      sim.clock.set(new Date());
      const cms = await card.cms(new Uint8Array(Buffer.from(issued.body.document?.bytes ?? '', 'base64')));
      const consentCms = consent
        ? await card.cms(new Uint8Array(Buffer.from(issued.body.consentDocument ?? '', 'base64')))
        : undefined;
      const done = await post(enroller.base, `/api/enrolments/${issued.body.id ?? ''}/complete`, {
        cms: toBase64(cms),
        ...(consentCms === undefined ? {} : { consentCms: toBase64(consentCms) }),
      });
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      const accountId = done.body.accountId ?? '';
      all.push(accountId);
      if (consent) {
        movers.push(accountId);
        await sim.s.sim.lifeEvent(card.residentId, { type: 'move' });
      }
    }
    await enroller.child.stop();
    sim.clock.set(new Date());
    await sim.s.sim.publishCrls();
    const anchorsBefore = await check
      .selectFrom('anchors')
      .select('id')
      .where('superseded_by', 'is', null)
      .execute();

    // Instance A starts the slot's run and is caught asking J-LIS for a mover's new certificate.
    proxy.holding = true;
    const a = await serve(config('schedule', true));
    await waitFor('A to be mid-run', () => proxy.held.length > 0, 60_000);
    const [run] = await check.selectFrom('sweep_runs').selectAll().execute();
    expect(run?.status).toBe('running');
    // B and C look every second but leave the run to A while A's claim is renewed.
    const b = await serve(config('schedule', true));
    const c = await serve(config('schedule', true));
    await a.child.stop('SIGKILL');
    const killedAt = Date.now();
    proxy.holding = false;
    // A's requests never reached J-LIS: nothing was metered for them.
    for (const r of proxy.held.splice(0)) r.destroy();

    await waitFor(
      'the run to finish on another instance',
      async () => {
        const r = await check
          .selectFrom('sweep_runs')
          .select('status')
          .where('id', '=', run!.id)
          .executeTakeFirstOrThrow();
        return r.status !== 'running';
      },
      120_000,
    );
    const tookMs = Date.now() - killedAt;
    console.info(
      `sweep-takeover: run finished ${tookMs} ms after the kill (claim ${CLAIM_SECONDS} s, supervise ${SUPERVISE_SECONDS} s, check ${CHECK_SECONDS} s)`,
    );
    expect(b.child.process.exitCode).toBeNull();
    expect(c.child.process.exitCode).toBeNull();

    const finished = await check.selectFrom('sweep_runs').selectAll().execute();
    expect(finished.map((r) => [r.id, r.status, r.actor])).toEqual([
      [run!.id, 'completed', 'system:schedule'],
    ]);
    // Every anchor current at the start was checked, and once: the shards' counts add up to it.
    expect(Number(finished[0]!.anchors_checked)).toBe(anchorsBefore.length);
    const shards = await check.selectFrom('sweep_shards').selectAll().where('run_id', '=', run!.id).execute();
    expect(shards.every((s) => s.state === 'done')).toBe(true);
    expect(shards.reduce((n, s) => n + Number(s.anchors_checked), 0)).toBe(anchorsBefore.length);
    expect(Number(finished[0]!.revoked_found)).toBe(movers.length);

    // Each mover re-anchored once: one superseded signing anchor and one current one.
    for (const id of movers) {
      const anchors = await check
        .selectFrom('anchors')
        .select(['superseded_by'])
        .where('account_id', '=', id)
        .where('purpose', '=', 'sign')
        .execute();
      expect(anchors.filter((x) => x.superseded_by === null)).toHaveLength(1);
      expect(anchors.filter((x) => x.superseded_by !== null)).toHaveLength(1);
    }
    // No audit event of the sweep twice for an account, none missing for a mover; one finish.
    const audit = await check
      .selectFrom('audit_log')
      .select(['account_id', 'type'])
      .where('actor', 'in', ['system:schedule', 'system:sweep'])
      .execute();
    const seen = new Map<string, number>();
    for (const e of audit)
      seen.set(`${e.account_id ?? '-'} ${e.type}`, (seen.get(`${e.account_id ?? '-'} ${e.type}`) ?? 0) + 1);
    expect([...seen].filter(([, n]) => n > 1)).toEqual([]);
    for (const id of movers) expect(audit.filter((e) => e.account_id === id).length).toBeGreaterThan(0);
    for (const id of all.filter((x) => !movers.includes(x)))
      expect(audit.filter((e) => e.account_id === id)).toEqual([]);
    expect(audit.filter((e) => e.type === 'sweep.finished')).toHaveLength(1);

    // One paid provision per mover, in the platform's ledger and on J-LIS's own meter.
    const provisions = await check
      .selectFrom('fee_ledger')
      .select(['outcome'])
      .where('method', '=', 'provision')
      .execute();
    expect(provisions.map((p) => p.outcome)).toEqual(movers.map(() => 'provided'));
    const metered = sim.s.sim
      .fees({ operatorId: OPERATOR })
      .rows.filter((f) => f.item === 'provision')
      .reduce((n, f) => n + f.count, 0);
    expect(metered).toBe(movers.length);
  }, 300_000);
});
