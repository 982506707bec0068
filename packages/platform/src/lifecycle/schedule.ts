/**
 * The scheduled revocation sweep (issue 5: "Schedule it daily by default"; docs/architecture.md §3.4: one CRL
 * download a day). Every platform instance looks every `checkSeconds` (the first look one period
 * after start, so a restart never sweeps at once) whether a run is due:
 *
 * - without `atHourJst`: when no run ever started, or the last one started `intervalHours` ago;
 * - with `atHourJst` (0–23, Japan time, like J-LIS's calendar): the slots are that hour every
 *   `intervalHours` counted from 00:00 JST on 1 January 1970; a run is due when no run started
 *   since the latest slot. `intervalHours: 24, atHourJst: 6` sweeps at 06:00 JST daily.
 *
 * Only one instance runs it: a due slot is a job in the platform's queue (`deps.jobs`: pg-boss on
 * PostgreSQL) keyed by the slot (`sweep:<slot>`, unique per queue), claimed with `FOR UPDATE SKIP
 * LOCKED` by one instance; the others find it created or taken. The handler looks again before
 * starting (another instance may have just finished the slot's run), and the sweep itself joins a
 * run already in progress. On the embedded database (one process) the queue is in memory;
 * `sweep_runs` still decides what is due, so a restart does not repeat a run.
 */
import { sql } from 'kysely';
import type { Database } from '../store/database.ts';
import { MemoryJobQueue, type JobQueue } from './job-queue.ts';
import { PgBossJobQueue } from './pgboss-job-queue.ts';
import {
  runSweep,
  Sweeper,
  SWEEP_PROVISION_QUEUE,
  type SweepDeps,
  type SweepOptions,
  type SweepResult,
} from './sweep.ts';
import { repeatEvery } from '../server/repeat.ts';

/** The queue of scheduled runs (one job per slot). */
export const SWEEP_SCHEDULE_QUEUE = 'sweep.schedule';

const HOUR_MS = 3600_000;
const JST_OFFSET_MS = 9 * HOUR_MS;

/** Schedule settings (config `sweep`). */
export interface SweepSchedule {
  /** Hours between runs; 0: never. */
  readonly intervalHours: number;
  /** Align runs to this hour of the day, Japan time. */
  readonly atHourJst?: number | undefined;
}

/**
 * The slot a run is due for at `now`, or undefined when none is due. `lastStart` is the start of
 * the newest run in `sweep_runs`.
 */
export function dueSweepSlot(
  schedule: SweepSchedule,
  lastStart: Date | undefined,
  now: Date,
): Date | undefined {
  if (!(schedule.intervalHours > 0)) return undefined;
  const interval = schedule.intervalHours * HOUR_MS;
  if (schedule.atHourJst === undefined) {
    if (lastStart === undefined) return now;
    const slot = lastStart.getTime() + interval;
    return slot <= now.getTime() ? new Date(slot) : undefined;
  }
  // Slots: atHourJst:00 JST + k·interval. The latest one at or before now:
  const origin = schedule.atHourJst * HOUR_MS - JST_OFFSET_MS;
  const slot = origin + Math.floor((now.getTime() - origin) / interval) * interval;
  return lastStart === undefined || lastStart.getTime() < slot ? new Date(slot) : undefined;
}

/** What the scheduler needs. */
export interface SweepScheduleDeps extends SweepDeps {
  readonly database: Database;
  /** The platform's job queue; without one, a look opens its own (pg-boss on PostgreSQL). */
  readonly jobs?: JobQueue;
}

/** Options of {@link scheduleSweep}. */
export interface ScheduleSweepOptions extends SweepSchedule {
  /** Seconds between looks (the first look is one period after start). */
  readonly checkSeconds: number;
  /** Shards of a scheduled run (default 16). */
  readonly shards?: number;
  /** A look or a run failed (the next look is tried on schedule). */
  readonly onError: (e: unknown) => void;
  /** A scheduled run ended (completed, partial, or stopped). */
  readonly onRun?: (r: SweepResult) => void;
  /** Circuit breaker of the provisions (config `sweep.provisions`). */
  readonly breaker?: SweepOptions['breaker'];
  /** Provision concurrency, deadline and timeout (config `sweep.provisions`). */
  readonly provisions?: SweepOptions['provisions'];
}

async function lastStart(deps: SweepScheduleDeps): Promise<Date | undefined> {
  const r = await deps.db
    .selectFrom('sweep_runs')
    .select(sql<Date | null>`max(started_at)`.as('at'))
    .executeTakeFirst();
  return r?.at ?? undefined;
}

/**
 * Looks once: when a run is due, enqueues its slot's job and works the schedule queue (see the
 * module comment). Returns the run this instance made, if any.
 */
export async function runScheduledSweep(
  deps: SweepScheduleDeps,
  options: Omit<ScheduleSweepOptions, 'checkSeconds' | 'onError'> & {
    readonly queue?: JobQueue;
    readonly signal?: AbortSignal;
  },
): Promise<SweepResult | undefined> {
  const given = options.queue ?? deps.jobs;
  // Each look also works the retry jobs of provisions J-LIS left unanswered (sweep.ts): one
  // instance claims each, after the breaker's cool-down.
  if (given !== undefined)
    await given.drain(
      SWEEP_PROVISION_QUEUE,
      new Sweeper(
        deps,
        options.breaker === undefined ? {} : { breaker: options.breaker },
      ).provisionRetryHandler({
        actor: 'system:schedule',
        ...(options.provisions === undefined ? {} : { provisions: options.provisions }),
      }),
      { concurrency: 1, ...(options.signal === undefined ? {} : { signal: options.signal }) },
    );
  const slot = dueSweepSlot(options, await lastStart(deps), deps.now());
  if (slot === undefined) return undefined;
  if (given !== undefined) return runSlot(deps, options, slot, given);
  if (deps.database.engine !== 'postgres')
    return runSlot(deps, options, slot, new MemoryJobQueue({ now: deps.now }));
  const queue = new PgBossJobQueue({ url: deps.database.url, now: deps.now });
  try {
    return await runSlot(deps, options, slot, queue);
  } finally {
    await queue.close();
  }
}

async function runSlot(
  deps: SweepScheduleDeps,
  options: Omit<ScheduleSweepOptions, 'checkSeconds' | 'onError'> & { readonly signal?: AbortSignal },
  slot: Date,
  queue: JobQueue,
): Promise<SweepResult | undefined> {
  await queue.enqueue(
    SWEEP_SCHEDULE_QUEUE,
    { slot: slot.toISOString() },
    { key: `sweep:${slot.toISOString()}`, maxAttempts: 3 },
  );
  let result: SweepResult | undefined;
  await queue.drain<{ slot: string }>(
    SWEEP_SCHEDULE_QUEUE,
    async (_job, ctx) => {
      // Another instance may have run this slot between our look and our claim.
      if (dueSweepSlot(options, await lastStart(deps), deps.now()) === undefined) return;
      result = await runSweep(deps, {
        queue,
        actor: 'system:schedule',
        signal: ctx.signal,
        ...(options.shards === undefined ? {} : { shards: options.shards }),
        ...(options.breaker === undefined ? {} : { breaker: options.breaker }),
        ...(options.provisions === undefined ? {} : { provisions: options.provisions }),
      });
      options.onRun?.(result);
    },
    { concurrency: 1, ...(options.signal === undefined ? {} : { signal: options.signal }) },
  );
  return result;
}

/**
 * Looks every `checkSeconds` (first look after one period) until stopped; returns the stop
 * function, which aborts a run in progress after its current batches (the run stays `running`
 * and the next look, here or on another instance, resumes it). The timer does not keep the
 * process alive.
 */
export function scheduleSweep(deps: SweepScheduleDeps, options: ScheduleSweepOptions): () => Promise<void> {
  if (!(options.intervalHours > 0)) return () => Promise.resolve();
  return repeatEvery(
    options.checkSeconds,
    (signal) => runScheduledSweep(deps, { ...options, signal }),
    options.onError,
  );
}
