/**
 * Prometheus metrics of one platform instance (issue 14; docs/operations.md lists them with the
 * alerts to set). Counters and histograms are moved by the code that does the work (the HTTP
 * server's onResponse hook, the fee ledger's `onRecorded`); the state kept in the database — the
 * sweep's progress, the RP event outbox — is read when Prometheus scrapes, with a short timeout,
 * so a scrape never waits long on a sick database (`watashi_metrics_database_up` then says 0).
 *
 * Exposition: `GET /metrics` on the main port, only with `operations.metricsToken` configured and
 * presented as a bearer token (registerOperationsRoutes in server/health.ts).
 */
import { sql } from 'kysely';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../store/database.ts';
import type { FeeMethod } from '../store/schema.ts';

/** A J-LIS query as the fee ledger recorded it (jlis/ledger.ts `onRecorded`). */
export interface RecordedJlisQuery {
  readonly method: FeeMethod;
  readonly outcome: string;
  readonly priceYen: number;
}

/** Which business outcome a route's response counts towards (see {@link PlatformMetrics.observeRequest}). */
const OUTCOME_ROUTES: ReadonlyMap<string, { kind: 'login' | 'enrolment'; label: string }> = new Map([
  ['POST /api/authn/passkeys/login', { kind: 'login', label: 'passkey' }],
  ['POST /api/authn/card/login', { kind: 'login', label: 'card' }],
  ['POST /api/enrolments/:id/complete', { kind: 'enrolment', label: 'enrolment' }],
  ['POST /api/enrolments/reproofing/:id/complete', { kind: 'enrolment', label: 'reproofing' }],
]);

/** The platform's metrics and the registry Prometheus scrapes. */
export class PlatformMetrics {
  /** The registry of this platform (not prom-client's global one: two platforms in one process stay apart). */
  readonly registry = new Registry();
  readonly #http: Histogram<'method' | 'route' | 'status_class'>;
  readonly #logins: Counter<'method' | 'outcome'>;
  readonly #enrolments: Counter<'kind' | 'outcome'>;
  readonly #jlisQueries: Counter<'method' | 'outcome'>;
  readonly #jlisYen: Counter<'method'>;
  readonly #dbUp: Gauge;
  readonly #sweepLastSuccess: Gauge;
  readonly #sweepRunning: Gauge;
  readonly #sweepChecked: Gauge;
  readonly #sweepShards: Gauge<'state'>;
  readonly #deliveries: Gauge<'status'>;
  readonly #deliveryLag: Gauge;
  readonly #pool: Gauge<'state'>;
  readonly #poolMax: Gauge;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#http = new Histogram({
      name: 'watashi_http_request_duration_seconds',
      help: 'HTTP request latency by route pattern (not the raw URL) and status class.',
      labelNames: ['method', 'route', 'status_class'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#logins = new Counter({
      name: 'watashi_logins_total',
      help: 'Sign-ins by method (passkey, card) and outcome (success or the problem code).',
      labelNames: ['method', 'outcome'],
      registers,
    });
    this.#enrolments = new Counter({
      name: 'watashi_enrolments_total',
      help: 'Completed enrolments and re-proofings by outcome (success or the problem code).',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.#jlisQueries = new Counter({
      name: 'watashi_jlis_queries_total',
      help: 'Queries passed on to J-LIS (fee ledger rows) by method and outcome.',
      labelNames: ['method', 'outcome'],
      registers,
    });
    this.#jlisYen = new Counter({
      name: 'watashi_jlis_yen_total',
      help: 'Yen recorded in the fee ledger by this instance, by method.',
      labelNames: ['method'],
      registers,
    });
    this.#dbUp = new Gauge({
      name: 'watashi_metrics_database_up',
      help: '1 when the database answered the last scrape, else 0 (the database-derived gauges are then stale).',
      registers,
    });
    this.#sweepLastSuccess = new Gauge({
      name: 'watashi_sweep_last_success_timestamp_seconds',
      help: 'Unix time the last completed revocation sweep finished (0: never).',
      registers,
    });
    this.#sweepRunning = new Gauge({
      name: 'watashi_sweep_running',
      help: '1 while a revocation sweep run is in progress (any instance).',
      registers,
    });
    this.#sweepChecked = new Gauge({
      name: 'watashi_sweep_anchors_checked',
      help: 'Anchors checked so far by the newest sweep run.',
      registers,
    });
    this.#sweepShards = new Gauge({
      name: 'watashi_sweep_shards',
      help: 'Shards of the newest sweep run by state (done, total).',
      labelNames: ['state'],
      registers,
    });
    this.#deliveries = new Gauge({
      name: 'watashi_event_deliveries',
      help: 'RP event deliveries in the outbox by status (pending; dead = dead letters).',
      labelNames: ['status'],
      registers,
    });
    this.#deliveryLag = new Gauge({
      name: 'watashi_event_delivery_lag_seconds',
      help: 'Age of the oldest pending RP event delivery (0 when none is pending).',
      registers,
    });
    this.#pool = new Gauge({
      name: 'watashi_db_pool_connections',
      help: 'Database connections of this instance by state (total, idle, waiting = callers queued for one).',
      labelNames: ['state'],
      registers,
    });
    this.#poolMax = new Gauge({
      name: 'watashi_db_pool_max',
      help: 'Largest number of connections the pool opens.',
      registers,
    });
  }

  /** Counts one finished HTTP request (`route`: the route pattern, or undefined when none matched). */
  observeRequest(r: {
    method: string;
    route: string | undefined;
    status: number;
    seconds: number;
    problemCode: string | undefined;
  }): void {
    const route = r.route ?? 'unmatched';
    this.#http.observe(
      { method: r.method, route, status_class: `${Math.floor(r.status / 100)}xx` },
      r.seconds,
    );
    const outcomeRoute = OUTCOME_ROUTES.get(`${r.method} ${route}`);
    if (outcomeRoute === undefined) return;
    const outcome = r.status < 400 ? 'success' : (r.problemCode ?? `http_${r.status}`);
    if (outcomeRoute.kind === 'login') this.#logins.inc({ method: outcomeRoute.label, outcome });
    else this.#enrolments.inc({ kind: outcomeRoute.label, outcome });
  }

  /** Counts a J-LIS query the fee ledger recorded. */
  observeJlisQuery(q: RecordedJlisQuery): void {
    this.#jlisQueries.inc({ method: q.method, outcome: q.outcome });
    this.#jlisYen.inc({ method: q.method }, q.priceYen);
  }

  /**
   * The exposition text: the database-derived gauges are refreshed first (each scrape, bounded by
   * `timeoutMs`), then everything is rendered.
   */
  async render(database: Database, now: Date, timeoutMs: number): Promise<string> {
    const pool = database.poolStats();
    this.#pool.set({ state: 'total' }, pool.total);
    this.#pool.set({ state: 'idle' }, pool.idle);
    this.#pool.set({ state: 'waiting' }, pool.waiting);
    this.#poolMax.set(pool.max);
    try {
      await withTimeout(this.#refresh(database, now), timeoutMs);
      this.#dbUp.set(1);
    } catch {
      this.#dbUp.set(0);
    }
    return this.registry.metrics();
  }

  /** The content type of {@link render}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  async #refresh(database: Database, now: Date): Promise<void> {
    const { db } = database;
    const success = await db
      .selectFrom('sweep_runs')
      .select(sql<Date | null>`max(finished_at)`.as('at'))
      .where('status', '=', 'completed')
      .executeTakeFirst();
    this.#sweepLastSuccess.set(success?.at == null ? 0 : success.at.getTime() / 1000);
    const newest = await db
      .selectFrom('sweep_runs')
      .select(['id', 'status', 'anchors_checked', 'shard_count'])
      .orderBy('started_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    this.#sweepRunning.set(newest?.status === 'running' ? 1 : 0);
    this.#sweepChecked.set(newest === undefined ? 0 : Number(newest.anchors_checked));
    let done = 0;
    if (newest !== undefined) {
      const r = await db
        .selectFrom('sweep_shards')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('run_id', '=', newest.id)
        .where('state', '=', 'done')
        .executeTakeFirst();
      done = r?.n ?? 0;
    }
    this.#sweepShards.set({ state: 'done' }, done);
    this.#sweepShards.set({ state: 'total' }, newest?.shard_count ?? 0);
    const outbox = await db
      .selectFrom('event_deliveries')
      .select([
        sql<number>`count(*) FILTER (WHERE status = 'pending')::int`.as('pending'),
        sql<number>`count(*) FILTER (WHERE status = 'dead')::int`.as('dead'),
        sql<Date | null>`min(created_at) FILTER (WHERE status = 'pending')`.as('oldest'),
      ])
      .where('status', 'in', ['pending', 'dead'])
      .executeTakeFirst();
    this.#deliveries.set({ status: 'pending' }, outbox?.pending ?? 0);
    this.#deliveries.set({ status: 'dead' }, outbox?.dead ?? 0);
    const oldest = outbox?.oldest;
    this.#deliveryLag.set(oldest == null ? 0 : Math.max(0, (now.getTime() - oldest.getTime()) / 1000));
  }
}

/** What {@link withTimeout} rejects with when the time is up. */
export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** `p`, or a {@link TimeoutError} after `ms` (the work itself goes on; its result is ignored). */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  // A rejection of `p` after the timeout is nobody's to handle: swallow it here.
  p.catch(() => undefined);
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(ms)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
