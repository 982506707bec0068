// The scheduled sweep: when a run is due (with and without a Japan-time hour), and a real run
// started by the schedule on both engines against the simulator, through pg-boss on PostgreSQL.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JpkiTrustStore } from '@watashi/jpki';
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
});
