// The revocation sweep end to end on both engines: residents of a real in-process J-LIS simulator
// enrolled with hosted cards, life events applied in the simulator, CRLs published by it and
// downloaded, verified and read through the platform's HttpJpkiBackend, and the sweep's effects
// read back from the database.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isWatashiError, toHex } from '@watashi/pki';
import type { JpkiTrustStore } from '@watashi/jpki';
import { completeEnrolment, issueEnrolment, openBasic4 } from '../../src/enrolment/index.ts';
import { HttpJpkiBackend } from '../../src/jlis/index.ts';
import { sql } from 'kysely';
import { MemoryJobQueue, PgBossJobQueue, type JobQueue } from '../../src/jobs/index.ts';
import { runSweep, SWEEP_QUEUE, type SweepResult } from '../../src/lifecycle/index.ts';
import { statusCheckedAt } from '../../src/lifecycle/coverage.ts';
import { verifyAuditChain } from '../../src/store/audit.ts';
import { jsonb } from '../../src/store/json.ts';
import { forEachEngine } from '../db/harness.ts';
import { insertPasskey } from '../db/rows.ts';
import { newResident, simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import { enrol, lifecycleDeps, OPERATOR, proofingLevel, type LifecycleDeps } from './support.ts';
import { fromBase64 } from '@watashi/pki';

let sim: TestSim;
let trust: JpkiTrustStore;
const HOUR = 3600_000;

beforeAll(async () => {
  sim = await startSim('lifecycle', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
});

afterAll(async () => {
  await sim?.close();
});

/** The simulator moves on an hour, publishes every CRL and refreshes OCSP (a new day's CRL). */
async function publish(): Promise<void> {
  sim.clock.advance(HOUR);
  await sim.s.sim.publishCrls();
  sim.s.sim.refreshOcsp();
}

/** The code and run id of the WatashiError `p` rejects with. */
async function failure(p: Promise<unknown>): Promise<{ code: string; runId: unknown }> {
  try {
    await p;
  } catch (e) {
    if (isWatashiError(e)) return { code: e.code, runId: e.detail?.['runId'] };
    throw e;
  }
  return { code: 'no error', runId: undefined };
}

forEachEngine((t) => {
  let deps: LifecycleDeps;
  beforeAll(() => {
    deps = lifecycleDeps(sim, trust, t.database);
  });
  beforeEach(() => deps.setOffset(0));
  // The queue platform instances share: pg-boss on PostgreSQL (as the platform uses; each call is
  // one instance's queue object). Embedded PGlite is one process, whose one in-process queue its
  // workers share (as the platform uses there).
  const opened: PgBossJobQueue[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((q) => q.close()));
  });
  const inProcess = new MemoryJobQueue();
  const sharedQueue = (): JobQueue => {
    if (t.database.engine === 'pglite') return inProcess;
    const q = new PgBossJobQueue({ url: t.database.url });
    opened.push(q);
    return q;
  };

  const account = (id: string) =>
    t.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  // checked_at: when the anchor's status was last confirmed, its own time or a sweep's coverage.
  const currentAnchor = (id: string) =>
    t.db
      .selectFrom('anchors')
      .selectAll()
      .select(statusCheckedAt().as('checked_at'))
      .where('account_id', '=', id)
      .where('superseded_by', 'is', null)
      .executeTakeFirstOrThrow();
  const auditTypes = async (id: string): Promise<string[]> =>
    (
      await t.db.selectFrom('audit_log').select('type').where('account_id', '=', id).orderBy('seq').execute()
    ).map((r) => r.type);
  const sweep = (o: Parameters<typeof runSweep>[1] = {}): Promise<SweepResult> =>
    runSweep(deps, { shards: 4, ...o });

  it('ok-sweep-checks-every-current-anchor-and-records-the-run', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h);
    await publish();
    const r = await sweep();
    expect(r.status).toBe('completed');
    expect(r.resumed).toBe(false);
    const current = await t.db
      .selectFrom('anchors')
      .select((eb) => eb.fn.countAll<bigint>().as('n'))
      .where('superseded_by', 'is', null)
      .executeTakeFirstOrThrow();
    expect(r.anchorsChecked).toBe(Number(current.n));
    expect(r.crls.length).toBeGreaterThanOrEqual(1);
    expect(r.crls.every((c) => c.crlNumber !== undefined && c.errorCode === undefined)).toBe(true);
    const a = await currentAnchor(id);
    expect(a.status).toBe('good');
    // The sweep wrote nothing to the unchanged anchor: its checkpoint covers it.
    expect(a.checked_at.getTime()).toBe(sim.clock.now().getTime());
    expect(a.status_checked_at.getTime()).toBeLessThan(sim.clock.now().getTime());
    const run = await t.db
      .selectFrom('sweep_runs')
      .selectAll()
      .where('id', '=', r.runId)
      .executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: 'completed', anchors_checked: BigInt(r.anchorsChecked) });
    expect(run.duration_ms).not.toBeNull();
    expect(await proofingLevel(t.db, id, deps.now())).toBe(3);
  });

  it('ok-an-anchor-created-just-before-a-run-keeps-its-own-time-until-the-next-run', async () => {
    const id = await enrol(deps, await newResident(sim));
    const own = (await currentAnchor(id)).status_checked_at;
    // Four minutes later (inside the coverage margin) J-LIS publishes and a sweep runs.
    sim.clock.advance(4 * 60_000);
    await sim.s.sim.publishCrls();
    const r = await sweep();
    expect(r.status).toBe('completed');
    const crlTime = Date.parse(r.crls[0]!.thisUpdate!);
    // The batch read it, but a row that new could have been committed after a batch passed its
    // range, so the run's checkpoint does not vouch for it: its own (older) time stands.
    expect((await currentAnchor(id)).checked_at).toEqual(own);
    expect(own.getTime()).toBeLessThan(crlTime);
    await publish();
    await sweep();
    expect((await currentAnchor(id)).checked_at.getTime()).toBe(sim.clock.now().getTime());
  });

  it('ok-move-with-consent-reanchors-and-reseals-the-new-address', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h, true);
    const old = await currentAnchor(id);
    const before = await openBasic4(deps, t.db, id);
    await sim.s.sim.lifeEvent(h.residentId, { type: 'move' });
    await publish();
    const r = await sweep();
    expect(r.status).toBe('completed');
    expect(r.revokedFound).toBeGreaterThanOrEqual(1);

    const resident = sim.s.sim.resident(h.residentId);
    const card = resident.tokens.find((x) => x.kind === 'card' && x.status === 'active')!;
    const acc = await account(id);
    expect(acc.status).toBe('live');
    const after = await openBasic4(deps, t.db, id);
    expect(after?.address).toBe(resident.address);
    expect(after?.address).not.toBe(before?.address);
    expect(after?.name).toBe(before?.name);
    const prev = await t.db
      .selectFrom('anchors')
      .selectAll()
      .where('id', '=', old.id)
      .executeTakeFirstOrThrow();
    expect(prev).toMatchObject({ status: 'revoked', revocation_reason: 'affiliationChanged' });
    const cur = await currentAnchor(id);
    expect(prev.superseded_by).toBe(cur.id);
    expect(cur).toMatchObject({ status: 'good', serial: card.signSerial, certificate_hash: null });
    expect(cur.evidence['source']).toBe('jlis_provision');
    expect(await proofingLevel(t.db, id, deps.now())).toBe(3);
    expect(await auditTypes(id)).toEqual(
      expect.arrayContaining(['anchor.revoked', 'anchor.added', 'account.attributes_updated']),
    );

    // The resident signs with the new card: the same account, the provisioned anchor completed.
    const d = await issueEnrolment(deps, { purpose: 'enrolment' });
    const done = await completeEnrolment(deps, {
      id: d.id,
      signature: { cms: await h.cms(fromBase64(d.document.bytes)) },
    });
    expect(done).toMatchObject({ accountId: id, created: false, anchorId: cur.id });
    const refreshed = await currentAnchor(id);
    expect(refreshed.certificate_hash).not.toBeNull();
  });

  it('ok-move-without-consent-needs-reproofing-and-the-level-drops', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h);
    expect(await proofingLevel(t.db, id, deps.now())).toBe(3);
    await sim.s.sim.lifeEvent(h.residentId, { type: 'move' });
    await publish();
    const r = await sweep();
    expect(r.status).toBe('completed');
    const acc = await account(id);
    expect(acc).toMatchObject({ status: 'needs_reproofing', status_reason: 'affiliationChanged' });
    expect(await currentAnchor(id)).toMatchObject({
      status: 'revoked',
      revocation_reason: 'affiliationChanged',
    });
    expect(await proofingLevel(t.db, id, deps.now())).toBe(1);
    expect(await auditTypes(id)).toEqual(
      expect.arrayContaining(['anchor.revoked', 'account.status_changed']),
    );

    // Re-proofing from inside the account restores the level.
    const rp = await issueEnrolment(deps, { purpose: 'reproofing', accountId: id });
    await completeEnrolment(deps, {
      id: rp.id,
      signature: { cms: await h.cms(fromBase64(rp.document.bytes)) },
      session: { accountId: id },
    });
    expect((await account(id)).status).toBe('live');
    expect(await proofingLevel(t.db, id, deps.now())).toBe(3);
  });

  it('ok-lost-card-is-held-then-released-when-found', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h);
    await sim.s.sim.lifeEvent(h.residentId, { type: 'lose' });
    await publish();
    await sweep();
    expect(await currentAnchor(id)).toMatchObject({
      status: 'revoked',
      revocation_reason: 'certificateHold',
    });
    expect(await account(id)).toMatchObject({ status: 'suspended', status_reason: 'certificateHold' });
    expect(await proofingLevel(t.db, id, deps.now())).toBe(1);

    await sim.s.sim.lifeEvent(h.residentId, { type: 'found' });
    await publish();
    const r = await sweep();
    expect(r.released).toBeGreaterThanOrEqual(1);
    expect(await currentAnchor(id)).toMatchObject({
      status: 'good',
      revocation_reason: null,
      revoked_at: null,
    });
    expect(await account(id)).toMatchObject({ status: 'live', status_reason: null });
    expect(await proofingLevel(t.db, id, deps.now())).toBe(3);
    expect(await auditTypes(id)).toEqual(expect.arrayContaining(['anchor.held', 'anchor.released']));
  });

  it('ok-death-closes-the-account-and-revokes-its-sessions', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h);
    const now = deps.now();
    await t.db
      .insertInto('sessions')
      .values({
        token_hash: new Uint8Array(32).fill(7).map((v, i) => (v + i + id.charCodeAt(i % id.length)) & 0xff),
        account_id: id,
        auth_time: now,
        expires_at: new Date(now.getTime() + 24 * HOUR),
      })
      .execute();
    // What the account gave out: a provider grant with a token under it, and a provider session.
    const grantId = randomUUID();
    await t.db
      .insertInto('oidc_models')
      .values([
        { model: 'Grant', id: grantId, payload: jsonb({ jti: grantId, accountId: id, clientId: 'rp-x' }) },
        {
          model: 'RefreshToken',
          id: randomUUID(),
          grant_id: grantId,
          payload: jsonb({ grantId, accountId: id }),
        },
        { model: 'Session', id: randomUUID(), payload: jsonb({ accountId: id }) },
      ])
      .execute();
    await insertPasskey(t.db, id);
    const issued = () =>
      t.db
        .selectFrom('oidc_models')
        .select('model')
        .where((eb) => eb.or([eb('grant_id', '=', grantId), eb(sql<string>`payload->>'accountId'`, '=', id)]))
        .execute();
    expect(await issued()).toHaveLength(3);
    await sim.s.sim.lifeEvent(h.residentId, { type: 'death' });
    await publish();
    await sweep();
    expect(await account(id)).toMatchObject({ status: 'closed', status_reason: 'cessationOfOperation' });
    // Grants, the tokens under them and provider sessions end with the account.
    expect(await issued()).toEqual([]);
    const passkeys = await t.db
      .selectFrom('authenticators')
      .select(['revoked_at', 'revocation_reason'])
      .where('account_id', '=', id)
      .execute();
    expect(passkeys).toHaveLength(1);
    expect(passkeys[0]!.revoked_at).not.toBeNull();
    expect(passkeys[0]!.revocation_reason).toBe('account_closed');
    const sessions = await t.db
      .selectFrom('sessions')
      .select('revoked_at')
      .where('account_id', '=', id)
      .execute();
    expect(sessions.length).toBe(1);
    expect(sessions.every((s) => s.revoked_at !== null)).toBe(true);
    expect(await proofingLevel(t.db, id, deps.now())).toBe(0);
    expect(await auditTypes(id)).toEqual(expect.arrayContaining(['anchor.revoked', 'account.closed']));
  });

  it('ok-interrupted-sweep-resumes-and-checks-each-anchor-exactly-once', async () => {
    for (let i = 0; i < 5; i++) await enrol(deps, await newResident(sim));
    await publish();
    const checkedTimes = () =>
      t.db
        .selectFrom('anchors')
        .select(['id', statusCheckedAt().as('checked_at')])
        .where('superseded_by', 'is', null)
        .execute();
    const before = await checkedTimes();
    const stop = new AbortController();
    const queue = t.engine === 'postgres' ? sharedQueue() : undefined;
    const first = await runSweep(deps, {
      shards: 8,
      batchSize: 1,
      concurrency: 1,
      ...(queue === undefined ? {} : { queue }),
      signal: stop.signal,
      onProgress: (p) => {
        if (p.anchorsChecked >= 2) stop.abort();
      },
    });
    expect(first.status).toBe('running');
    expect(first.anchorsChecked).toBeGreaterThanOrEqual(2);
    expect(first.anchorsChecked).toBeLessThan(before.length);
    // Exactly the anchors the committed batches passed are covered by this run's CRL so far.
    const midway = await checkedTimes();
    expect(midway.filter((a) => a.checked_at.getTime() === sim.clock.now().getTime())).toHaveLength(
      first.anchorsChecked,
    );

    // A new process: a new sweeper and (in-process) a new queue; the database holds the checkpoints.
    const second = await runSweep(deps, {
      shards: 8,
      batchSize: 1,
      pollMs: 100,
      queue: queue === undefined ? new MemoryJobQueue() : sharedQueue(),
    });
    expect(second).toMatchObject({ runId: first.runId, resumed: true, status: 'completed' });
    expect(second.anchorsChecked).toBe(before.length);
    const shards = await t.db
      .selectFrom('sweep_shards')
      .selectAll()
      .where('run_id', '=', first.runId)
      .execute();
    expect(shards.every((s) => s.state === 'done')).toBe(true);
    // One anchor per batch: batches beyond the anchors are the shards' final empty looks.
    const checked = shards.reduce((n, s) => n + Number(s.anchors_checked), 0);
    expect(checked).toBe(before.length);
    const after = await checkedTimes();
    // Every anchor was checked (its time moved to this CRL's) and the sum of checks is the count: once each.
    expect(after.every((a) => a.checked_at.getTime() === sim.clock.now().getTime())).toBe(true);
    expect(after.length).toBe(before.length);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true });
  });

  it('ok-two-workers-share-one-run-through-the-shared-queue', async () => {
    for (let i = 0; i < 3; i++) await enrol(deps, await newResident(sim));
    await publish();
    const current = await t.db
      .selectFrom('anchors')
      .select((eb) => eb.fn.countAll<bigint>().as('n'))
      .where('superseded_by', 'is', null)
      .executeTakeFirstOrThrow();
    // Two platform instances: each its own sweeper and queue object, one shared queue.
    const [a, b] = await Promise.all([
      runSweep(deps, {
        shards: 8,
        batchSize: 2,
        pollMs: 50,
        queue: sharedQueue(),
        workerId: 'a',
      }),
      runSweep(deps, {
        shards: 8,
        batchSize: 2,
        pollMs: 50,
        queue: sharedQueue(),
        workerId: 'b',
      }),
    ]);
    // On PostgreSQL the second joins the first's run; on PGlite (one session) the first may finish
    // before the second starts, which then sweeps again: either way every run is whole.
    if (t.engine === 'postgres') expect(a.runId).toBe(b.runId);
    for (const r of [a, b]) {
      expect(r.status).toBe('completed');
      expect(r.anchorsChecked).toBe(Number(current.n));
      if (t.engine !== 'postgres') continue;
      const states = (
        await sql<{ state: string }>`SELECT state FROM pgboss.job
          WHERE name = ${SWEEP_QUEUE} AND singleton_key LIKE ${`${r.runId}:%`}`.execute(t.db)
      ).rows.map((j) => (j.state === 'completed' ? 'done' : j.state));
      expect(states).toEqual(Array.from({ length: 8 }, () => 'done'));
    }
    // In process (PGlite): eight shard jobs per run, all done (one run or two, see above).
    if (t.engine !== 'postgres')
      expect(await inProcess.counts(SWEEP_QUEUE)).toEqual({
        queued: 0,
        running: 0,
        done: 8 * new Set([a.runId, b.runId]).size,
        failed: 0,
      });
  });

  it('fail-stale-crl-is-refused-with-crl_stale-and-nothing-is-checked', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h);
    await publish();
    const checkedBefore = (await currentAnchor(id)).checked_at;
    // Two days later the last CRL is past its nextUpdate: J-LIS did not publish (or we were cut off).
    deps.setOffset(48 * HOUR);
    const f = await failure(sweep());
    expect(f.code).toBe('crl_stale');
    const run = await t.db
      .selectFrom('sweep_runs')
      .selectAll()
      .where('id', '=', f.runId as string)
      .executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: 'failed', error_code: 'crl_stale' });
    expect((await currentAnchor(id)).checked_at).toEqual(checkedBefore);
  });

  it('fail-older-crl-is-refused-with-sweep_crl_number_regressed', async () => {
    const h = await newResident(sim);
    await enrol(deps, h);
    await publish();
    // Keep today's CRLs, publish newer ones and sweep with them …
    const info = sim.s.sim.info();
    const old = info.crls
      .filter((c) => c.purpose === 'sign')
      .map((c) => sim.s.sim.crl(c.purpose, c.generation, OPERATOR, 'liveness_check'));
    await publish();
    const ok = await sweep();
    expect(ok.status).toBe('completed');
    // … then a CRL endpoint that serves the older ones (a replay): refused by number.
    const server: Server = createServer((req, res) => {
      const i = Number((req.url ?? '').replace(/\D/g, ''));
      res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(Buffer.from(old[i]!));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const replay = new HttpJpkiBackend({
        operatorId: OPERATOR,
        now: deps.now,
        endpoints: { kind: 'standard', ocspUrl: info.ocspUrl, crlUrls: old.map((_, i) => `${base}/${i}`) },
      });
      const f = await failure(runSweep({ ...deps, backend: replay }, { shards: 2 }));
      expect(f.code).toBe('sweep_crl_number_regressed');
      const run = await t.db
        .selectFrom('sweep_runs')
        .selectAll()
        .where('id', '=', f.runId as string)
        .executeTakeFirstOrThrow();
      expect(run).toMatchObject({ status: 'failed', error_code: 'sweep_crl_number_regressed' });
      const used = await t.db.selectFrom('sweep_crls').selectAll().where('run_id', '=', run.id).execute();
      expect(used.map((u) => u.error_code)).toEqual(used.map(() => 'sweep_crl_number_regressed'));
      expect(used.every((u) => toHex(u.issuer_key_hash).length === 64)).toBe(true);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('shard bounds', () => {
  it('ok-shards-cover-the-uuid-space-in-order', async () => {
    const { shardBound } = await import('../../src/lifecycle/index.ts');
    expect(shardBound(0, 4)).toBe('00000000-0000-0000-0000-000000000000');
    expect(shardBound(1, 4)).toBe('40000000-0000-0000-0000-000000000000');
    expect(shardBound(3, 4)).toBe('c0000000-0000-0000-0000-000000000000');
  });
});
