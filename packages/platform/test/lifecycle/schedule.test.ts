// The scheduled sweep: when a run is due (with and without a Japan-time hour), and a real run
// started by the schedule on both engines against the simulator, through pg-boss on PostgreSQL;
// a scheduled run stopped mid-way is resumed by the next look (issue 14: its slot job is retried).
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JpkiTrustStore } from '@watashi/jpki';
import { MemoryJobQueue, PgBossJobQueue } from '../../src/jobs/index.ts';
import {
  dueSweepSlot,
  runScheduledSweep,
  scheduleSweep,
  SWEEP_SCHEDULE_QUEUE,
} from '../../src/lifecycle/index.ts';
import { forEachEngine } from '../db/harness.ts';
import { newResident, simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import { enrol, lifecycleDeps, type LifecycleDeps } from './support.ts';

const H = 3600_000;

describe('dueSweepSlot', () => {
  const now = new Date('2026-11-10T12:00:00Z'); // 21:00 JST
  it('ok-first-run-is-due-at-once-and-then-after-the-interval', () => {
    expect(dueSweepSlot({ intervalHours: 24 }, undefined, now)).toEqual(now);
    expect(dueSweepSlot({ intervalHours: 24 }, new Date(now.getTime() - 23 * H), now)).toBeUndefined();
    expect(dueSweepSlot({ intervalHours: 24 }, new Date(now.getTime() - 24 * H), now)).toEqual(now);
  });
  it('ok-zero-interval-is-off', () => {
    expect(dueSweepSlot({ intervalHours: 0 }, undefined, now)).toBeUndefined();
  });
  it('ok-at-hour-jst-aligns-the-slots-to-japan-time', () => {
    // 06:00 JST on 10 November = 2026-11-09T21:00Z.
    const slot = new Date('2026-11-09T21:00:00Z');
    expect(dueSweepSlot({ intervalHours: 24, atHourJst: 6 }, undefined, now)).toEqual(slot);
    expect(dueSweepSlot({ intervalHours: 24, atHourJst: 6 }, new Date('2026-11-09T20:59:59Z'), now)).toEqual(
      slot,
    );
    expect(
      dueSweepSlot({ intervalHours: 24, atHourJst: 6 }, new Date('2026-11-09T21:00:01Z'), now),
    ).toBeUndefined();
    // 05:59 JST: the previous day's slot.
    expect(
      dueSweepSlot({ intervalHours: 24, atHourJst: 6 }, undefined, new Date('2026-11-09T20:59:00Z')),
    ).toEqual(new Date('2026-11-08T21:00:00Z'));
  });
});

let sim: TestSim;
let trust: JpkiTrustStore;

beforeAll(async () => {
  sim = await startSim('schedule', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
});

afterAll(async () => {
  await sim?.close();
});

forEachEngine((t) => {
  let deps: LifecycleDeps;
  beforeAll(() => {
    deps = lifecycleDeps(sim, trust, t.database);
  });

  it('ok-the-schedule-runs-a-sweep-once-per-slot', async () => {
    const h = await newResident(sim);
    await enrol(deps, h);
    const runs: string[] = [];
    const errors: unknown[] = [];
    const stop = scheduleSweep(deps, {
      intervalHours: 24,
      checkSeconds: 1,
      shards: 2,
      onError: (e) => errors.push(e),
      onRun: (r) => runs.push(r.status),
    });
    try {
      const deadline = Date.now() + 30_000;
      while (runs.length === 0 && errors.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      // Two more looks: nothing is due until the interval has passed.
      await new Promise((r) => setTimeout(r, 2500));
    } finally {
      await stop();
    }
    expect(errors).toEqual([]);
    expect(runs).toEqual(['completed']);
    const rows = await t.db.selectFrom('sweep_runs').selectAll().execute();
    expect(rows.map((r) => [r.actor, r.status])).toEqual([['system:schedule', 'completed']]);
    if (t.engine === 'postgres') {
      // The slot's job went through pg-boss (each look opened its own queue: no platform here).
      const jobs = await sql<{ singleton_key: string; state: string }>`
        SELECT singleton_key, state FROM pgboss.job WHERE name = ${SWEEP_SCHEDULE_QUEUE}`.execute(t.db);
      expect(jobs.rows.map((j) => [j.singleton_key.startsWith('sweep:'), j.state])).toEqual([
        [true, 'completed'],
      ]);
    }
    // A day later the next slot is due, and only once.
    // (The platform's clock is the simulator's.)
    try {
      sim.clock.advance(24 * 3600_000 + 1000);
      await sim.s.sim.publishCrls();
      sim.s.sim.refreshOcsp();
      deps.setOffset(0);
      const r = await runScheduledSweep(deps, { intervalHours: 24, shards: 2 });
      expect(r?.status).toBe('completed');
      expect(await runScheduledSweep(deps, { intervalHours: 24, shards: 2 })).toBeUndefined();
    } finally {
      deps.setOffset(0);
    }
    expect(await t.db.selectFrom('sweep_runs').selectAll().execute()).toHaveLength(2);
  });
  it('ok-a-stopped-scheduled-run-is-resumed-by-the-next-look', async () => {
    // The next slot (a day after the previous test's runs); the run is stopped right after its CRL
    // is downloaded, before any shard is worked.
    sim.clock.advance(2 * 24 * 3600_000);
    await sim.s.sim.publishCrls();
    sim.s.sim.refreshOcsp();
    deps.setOffset(0);
    const stop = new AbortController();
    const inner = deps.backend;
    const backend = new Proxy(inner, {
      get(target, key, receiver) {
        if (key === 'fetchCrl')
          return async (...args: Parameters<typeof inner.fetchCrl>) => {
            const crl = await inner.fetchCrl(...args);
            stop.abort();
            return crl;
          };
        const v: unknown = Reflect.get(target, key, receiver);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    // The look that resumes has a queue of its own: another instance's on PostgreSQL, a restarted
    // process's (empty) in-memory queue on the embedded database.
    const newQueue = () =>
      t.database.engine === 'postgres'
        ? new PgBossJobQueue({ url: t.database.url })
        : new MemoryJobQueue({ now: deps.now });
    const queue = newQueue();
    const other = newQueue();
    try {
      const before = await t.db.selectFrom('sweep_runs').select('id').execute();
      const first = await runScheduledSweep(
        { ...deps, backend },
        { intervalHours: 24, shards: 2, queue, signal: stop.signal },
      );
      expect(first?.status).toBe('running');
      const anchors = await t.db
        .selectFrom('anchors')
        .select('id')
        .where('superseded_by', 'is', null)
        .execute();
      // No slot is due any more (a run started for it), yet the next look resumes the open run once
      // its job's retry is due (1–2 s: pg-boss on the database's clock, the memory queue on ours).
      let resumed: Awaited<ReturnType<typeof runScheduledSweep>>;
      for (let i = 0; i < 40 && resumed === undefined; i++) {
        await new Promise((r) => setTimeout(r, 250));
        sim.clock.advance(500);
        resumed = await runScheduledSweep(deps, { intervalHours: 24, shards: 2, queue: other });
      }
      expect(resumed?.runId).toBe(first?.runId);
      expect(resumed?.resumed).toBe(true);
      expect(resumed?.status).toBe('completed');
      expect(resumed?.anchorsChecked).toBe(anchors.length);
      const after = await t.db.selectFrom('sweep_runs').select(['id', 'status']).execute();
      expect(after).toHaveLength(before.length + 1);
      expect(after.filter((r) => r.status === 'running')).toEqual([]);
      // Finished once.
      const finished = await t.db
        .selectFrom('audit_log')
        .select('payload')
        .where('type', '=', 'sweep.finished')
        .execute();
      expect(finished.filter((f) => JSON.stringify(f.payload).includes(first?.runId ?? '?'))).toHaveLength(1);
    } finally {
      for (const q of [queue, other]) await (q as { close?: () => Promise<void> }).close?.();
      deps.setOffset(0);
    }
  });
});
