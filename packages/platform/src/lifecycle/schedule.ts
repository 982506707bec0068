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
 *
 * The slot's job is also the lease of the instance working the run (issue 14): its claim is
 * renewed while the run goes on. When that instance is killed, the claim lapses (the queue's
 * `expireInSeconds`, config `jobs.claimSeconds`), pg-boss's supervisor (`jobs.superviseSeconds`)
 * puts the job back for a retry, and every look — on any instance, whether a slot is due or not —
 * works the schedule queue, so the next look anywhere claims the job and resumes the run where its
 * last committed batches left it (sweep.ts: the shard jobs the dead process held lapse the same
 * way; each anchor is still checked once). A stopped run (the schedule's stop, SIGTERM) fails its
 * job likewise, so it is resumed too. The resume therefore starts at most claim expiry +
 * supervisor interval + retry delay (≤ 2^attempt s) + `checkSeconds` after the kill.
 */
import { sql } from 'kysely';
import type { Database } from '../store/database.ts';
import { MemoryJobQueue, type JobQueue } from '../jobs/job-queue.ts';
import { PgBossJobQueue } from '../jobs/pgboss-job-queue.ts';
import {
  runSweep,
  Sweeper,
  SWEEP_PROVISION_QUEUE,
  type SweepDeps,
  type SweepOptions,
  type SweepResult,
} from './sweep.ts';
import { repeatEvery } from '../server/repeat.ts';
import { lifecycleError } from './errors.ts';

/** The queue of scheduled runs (one job per slot). */
export const SWEEP_SCHEDULE_QUEUE = 'sweep.schedule';

/** The audit actor (and `sweep_runs.actor`) of scheduled runs. */
const SCHEDULE_ACTOR = 'system:schedule';

/** Attempts of a slot's job: each kill or stop of the instance working its run uses one. */
const SCHEDULE_ATTEMPTS = 10;

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
        actor: SCHEDULE_ACTOR,
        ...(options.provisions === undefined ? {} : { provisions: options.provisions }),
      }),
      { concurrency: 1, ...(options.signal === undefined ? {} : { signal: options.signal }) },
    );
  const slot = dueSweepSlot(options, await lastStart(deps), deps.now());
  // Without the platform's queue a look opens its own: only worth it when a run is due or one is
  // left unfinished (a killed or stopped instance's slot job may be waiting for its retry).
  if (given !== undefined) return runSlot(deps, options, slot, given);
  if (slot === undefined && (await scheduledRun(deps)) === undefined) return undefined;
  if (deps.database.engine !== 'postgres')
    return runSlot(deps, options, slot, new MemoryJobQueue({ now: deps.now }));
  const queue = new PgBossJobQueue({ url: deps.database.url, now: deps.now });
  try {
    return await runSlot(deps, options, slot, queue);
  } finally {
    await queue.close();
  }
}

/** The id of a run started by the schedule and still `running` (to be resumed), if any. */
async function scheduledRun(deps: SweepScheduleDeps): Promise<string | undefined> {
  const r = await deps.db
    .selectFrom('sweep_runs')
    .select('id')
    .where('status', '=', 'running')
    .where('actor', '=', SCHEDULE_ACTOR)
    .executeTakeFirst();
  return r?.id;
}

async function runSlot(
  deps: SweepScheduleDeps,
  options: Omit<ScheduleSweepOptions, 'checkSeconds' | 'onError'> & { readonly signal?: AbortSignal },
  slot: Date | undefined,
  queue: JobQueue,
): Promise<SweepResult | undefined> {
  if (slot !== undefined)
    await queue.enqueue(
      SWEEP_SCHEDULE_QUEUE,
      { slot: slot.toISOString() },
      // Each kill or stop of the instance working the run costs an attempt (see the module comment).
      { key: `sweep:${slot.toISOString()}`, maxAttempts: SCHEDULE_ATTEMPTS },
    );
  else if (deps.database.engine !== 'postgres') {
    // The embedded database has one process and an in-memory queue: a run left open by an
    // earlier process (restarted mid-run) has no job any more; give it one.
    const open = await scheduledRun(deps);
    if (open !== undefined)
      await queue.enqueue(
        SWEEP_SCHEDULE_QUEUE,
        { runId: open },
        { key: `resume:${open}`, maxAttempts: SCHEDULE_ATTEMPTS },
      );
  }
  let result: SweepResult | undefined;
  // Drained on every look, due or not: a slot job whose worker died comes back here for a retry.
  await queue.drain(
    SWEEP_SCHEDULE_QUEUE,
    async (_job, ctx) => {
      // Another instance may have run this slot between our look and our claim; a run the schedule
      // started and nobody finished (its worker was killed or stopped) is resumed.
      if (
        dueSweepSlot(options, await lastStart(deps), deps.now()) === undefined &&
        (await scheduledRun(deps)) === undefined
      )
        return;
      result = await runSweep(deps, {
        queue,
        actor: SCHEDULE_ACTOR,
        signal: ctx.signal,
        ...(options.shards === undefined ? {} : { shards: options.shards }),
        ...(options.breaker === undefined ? {} : { breaker: options.breaker }),
        ...(options.provisions === undefined ? {} : { provisions: options.provisions }),
      });
      options.onRun?.(result);
      // Stopped before the end: the job goes back to the queue, so that the next look (here after
      // a restart, or on another instance) resumes the run rather than waiting for the next slot.
      if (result.status === 'running')
        throw lifecycleError('sweep_interrupted', 'the scheduled sweep was stopped before the end', {
          detail: { runId: result.runId },
        });
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
