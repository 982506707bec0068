/**
 * Operations endpoints (issue 14; docs/operations.md):
 *
 * - `GET /healthz` — liveness: the process answers. No dependency is asked, so a database outage
 *   never makes a supervisor restart healthy processes.
 * - `GET /readyz` — readiness: the database (`SELECT 1`), the key store (a seal and open round
 *   trip) and J-LIS (a TCP connection to its OCSP or simulator address — never a query, which
 *   J-LIS would bill) are checked at once, each bounded by `operations.readinessTimeoutMs`. 200
 *   when every required check is up and the instance is not shutting down, else 503. The body
 *   names each check's status and nothing secret (no URL, no host, no error text).
 * - `GET /metrics` — Prometheus exposition (server/metrics.ts), only when
 *   `operations.metricsToken` is configured, and then only with that bearer token.
 *
 * None of them is rate-limited: probes and scrapers come often from one address.
 */
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import type { PlatformDeps } from './context.ts';
import { bearerOf, tokenMatches } from './app.ts';
import { problem } from './problem.ts';
import { withSchemas } from './schemas.ts';
import { TimeoutError, withTimeout, type PlatformMetrics } from './metrics.ts';

/** The status of one readiness check. */
export interface ReadinessCheck {
  readonly status: 'up' | 'down' | 'not_configured';
  /** Whether a `down` makes the instance not ready. */
  readonly required: boolean;
  /** How long the check took (up to the timeout). */
  readonly latencyMs: number;
  /** Why it is down: `timeout` or `error` (never the error's text, which may name hosts). */
  readonly reason?: 'timeout' | 'error';
}

/** The body of `/readyz`. */
export interface Readiness {
  readonly status: 'ready' | 'not_ready';
  /** True once shutdown began: the instance finishes what it has and takes nothing new. */
  readonly draining: boolean;
  readonly checks: {
    readonly database: ReadinessCheck;
    readonly keyStore: ReadinessCheck;
    readonly jlis: ReadinessCheck;
  };
}

/** What the operations routes need besides the deps. */
export interface OperationsState {
  readonly metrics?: PlatformMetrics | undefined;
  /** True once shutdown began (readiness then fails, so load balancers stop sending). */
  readonly draining: () => boolean;
}

const PROBE_AAD = new TextEncoder().encode('watashi:readyz');
const PROBE_TEXT = new TextEncoder().encode('ready');

async function check(
  required: boolean,
  timeoutMs: number,
  run: () => Promise<unknown>,
): Promise<ReadinessCheck> {
  const started = performance.now();
  const latencyMs = (): number => Math.round(performance.now() - started);
  try {
    await withTimeout(run(), timeoutMs);
    return { status: 'up', required, latencyMs: latencyMs() };
  } catch (e) {
    const reason = e instanceof TimeoutError ? 'timeout' : 'error';
    return { status: 'down', required, latencyMs: latencyMs(), reason };
  }
}

/** The host and port a J-LIS reachability probe connects to, from the configuration. */
export function jlisProbeTarget(config: PlatformDeps['config']): { host: string; port: number } | undefined {
  const jlis = config.jlis;
  if (jlis === undefined) return undefined;
  const u = new URL(jlis.kind === 'simulator' ? jlis.url : jlis.ocspUrl);
  const port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
  // URL keeps IPv6 literals in brackets; net.connect wants them bare.
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/** Opens a TCP connection to `target` and closes it at once (no request is sent). */
function tcpReachable(target: { host: string; port: number }, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new TimeoutError(timeoutMs));
    });
    socket.once('error', (e) => {
      socket.destroy();
      reject(e);
    });
  });
}

/** Runs the readiness checks (see the module comment). */
export async function readiness(deps: PlatformDeps, state: OperationsState): Promise<Readiness> {
  const ops = deps.config.operations;
  const timeoutMs = ops.readinessTimeoutMs;
  const target = jlisProbeTarget(deps.config);
  const [database, keyStore, jlis] = await Promise.all([
    check(true, timeoutMs, () => sql`SELECT 1`.execute(deps.db)),
    check(true, timeoutMs, async () => {
      const box = await deps.keys.seal(PROBE_TEXT, PROBE_AAD);
      await deps.keys.open(box, PROBE_AAD);
    }),
    target === undefined
      ? Promise.resolve<ReadinessCheck>({ status: 'not_configured', required: false, latencyMs: 0 })
      : check(ops.jlisRequired, timeoutMs, () => tcpReachable(target, timeoutMs)),
  ]);
  const checks = { database, keyStore, jlis };
  const draining = state.draining();
  const ok = !draining && Object.values(checks).every((c) => !c.required || c.status !== 'down');
  return { status: ok ? 'ready' : 'not_ready', draining, checks };
}

/** Registers `/healthz`, `/readyz` and (with a metrics token) `/metrics`. */
export function registerOperationsRoutes(
  app: FastifyInstance,
  deps: PlatformDeps,
  state: OperationsState,
): void {
  const config = { auth: 'public', rateLimit: false } as const;
  const routes = withSchemas(app);
  routes.get(
    '/healthz',
    {
      config,
      schema: {
        summary: 'Liveness (the process answers)',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async (_req, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }),
  );
  const check = z.object({
    status: z.enum(['up', 'down', 'not_configured']),
    required: z.boolean(),
    latencyMs: z.number(),
    reason: z.enum(['timeout', 'error']).optional(),
  });
  const readinessView = z.object({
    status: z.enum(['ready', 'not_ready']),
    draining: z.boolean(),
    checks: z.object({ database: check, keyStore: check, jlis: check }),
  });
  routes.get(
    '/readyz',
    {
      config,
      schema: {
        summary: 'Readiness: the database, the key store and J-LIS (503 when not ready or draining)',
        response: { 200: readinessView, 503: readinessView },
      },
    },
    async (_req, reply) => {
      const r = await readiness(deps, state);
      return reply
        .code(r.status === 'ready' ? 200 : 503)
        .header('cache-control', 'no-store')
        .send(r);
    },
  );
  const token = deps.config.operations.metricsToken;
  const metrics = state.metrics;
  if (token === undefined || metrics === undefined) return;
  app.get('/metrics', { config }, async (req, reply) => {
    const presented = bearerOf(req);
    if (presented === undefined) {
      void reply.header('www-authenticate', 'Bearer realm="watashi-metrics"');
      throw problem('metrics_token_required', 401, 'the metrics bearer token is required');
    }
    if (!tokenMatches(presented, token))
      throw problem('metrics_token_forbidden', 403, 'the metrics token is not accepted');
    const text = await metrics.render(deps.database, deps.now(), deps.config.operations.readinessTimeoutMs);
    return reply.type(metrics.contentType).header('cache-control', 'no-store').send(text);
  });
}
