/**
 * The platform as one object (issue 3): `createPlatform(config, overrides?)` opens the database
 * (PGlite in `<dataDir>/db`, or PostgreSQL with `databaseUrl`) and migrates it, opens the key store,
 * builds the JPKI trust store and the J-LIS backend, builds the HTTP app and registers every
 * area's routes. `listen()` starts it and returns its URL; `close()` stops it and closes what it
 * opened (never what was passed in as an override).
 *
 * Modes (config `mode`):
 * - `production`: the pinned real J-LIS roots only (`JpkiTrustStore.production()`, plus the
 *   operator's `jlisRootFiles`, each accepted only when its SHA-256 is a compiled pin); a simulator
 *   backend is refused (`config_simulator_in_production`) and so is embedded PGlite
 *   (`config_database_required`) unless `allowInProduction` says otherwise; J-LIS must be
 *   configured (`config_jlis_required`).
 * - `simulation`: the simulator's own roots, fetched from its `/info` document (each CA
 *   certificate checked against the SHA-256 the document gives); `config_simulator_required` when
 *   J-LIS is not the simulator, `config_simulator_unreachable` when its roots cannot be fetched.
 *
 * Background work: housekeeping every `housekeepingIntervalSeconds`, event delivery to RPs every
 * `events.deliveryIntervalSeconds` (lifecycle/events), the sweep schedule, all stopped by
 * `close()`; then the job queue (`deps.jobs`: pg-boss on PostgreSQL) is stopped before the
 * database closes.
 *
 * Operations (server/health.ts, docs/operations.md): `GET /healthz`, `GET /readyz`, and `GET
 * /metrics` with `operations.metricsToken`; `close()` is the graceful shutdown (drain bounded by
 * `operations.drainTimeoutSeconds`).
 *
 * Routes of its own: `GET /health`, `GET /api/assurance/table`, `GET /assurance`, `GET /api/me`,
 * `POST /api/logout`; the operator's `GET /api/admin/fees` (jlis/routes.ts); `GET /api/openapi.json`,
 * the OpenAPI document of every `/api/` route, generated from their schemas (server/openapi.ts). Closing one's own
 * account (`DELETE /api/me`) and the operator's account actions are lifecycle/account-routes.ts.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import { fromPem, fromPemAll, parseCertificate, WatashiError, type Certificate } from '@watashi/pki';
import { JpkiTrustStore } from '@watashi/jpki';
import {
  assuranceTableHtml,
  assuranceTableJson,
  evaluateAuthenticator,
  evaluateIdentityProofing,
  type AnchorCheckStatus,
} from './assurance/index.ts';
import { parsePlatformConfig, PLACEHOLDER_TSA_POLICY, type PlatformConfig } from './config.ts';
import { registerAuthnRoutes } from './authn/index.ts';
import { authenticatorFacts } from './authn/passkeys.ts';
import { openBasic4, registerEnrolmentRoutes } from './enrolment/index.ts';
import { CachingJpkiBackend, createJpkiBackend, LedgerJpkiBackend, type JpkiBackend } from './jlis/index.ts';
import { createMemoryKeyStore, openLocalKeyStore, type KeyStore } from './keys/index.ts';
import { buildServer } from './server/app.ts';
import { registerOperationsRoutes } from './server/health.ts';
import { registerOpenApiRoute } from './server/openapi.ts';
import { emptyBody, noContent, withSchemas } from './server/schemas.ts';
import { PlatformMetrics } from './server/metrics.ts';
import type { PlatformDeps } from './server/context.ts';
import { problem } from './server/problem.ts';
import { endSession } from './server/sessions.ts';
import { openDatabase, type Database } from './store/database.ts';
import { writeAuditCheckpoint } from './store/audit-checkpoint.ts';
import { migrateToLatest } from './store/migrate.ts';
import { scheduleHousekeeping } from './store/housekeeping.ts';
import { scheduleSweep } from './lifecycle/schedule.ts';
import { provisionOptionsFrom } from './lifecycle/sweep.ts';
import { MemoryJobQueue, type JobQueue } from './jobs/job-queue.ts';
import { PgBossJobQueue } from './jobs/pgboss-job-queue.ts';
import { registerWalletRoutes } from './wallet/index.ts';
import { registerFeeRoutes } from './jlis/routes.ts';
import { registerTsaRoutes } from './tsa/index.ts';
import { registerSignatureRoutes } from './signature/index.ts';
import { scheduleArchive } from './signature/archive.ts';
import { registerOidcRoutes } from './oidc/index.ts';
import { registerEventRoutes, scheduleEventDelivery } from './lifecycle/events/index.ts';
import { statusCheckedAt } from './lifecycle/coverage.ts';
import { registerAccountStatusRoutes } from './lifecycle/account-routes.ts';
import { registerDeviceRoutes, useCaKeys } from './devices/index.ts';
import { openPkcs11SigningKeys } from './keys/index.ts';
import { registerMeRoutes } from './me/index.ts';
import { registerCredentialRoutes } from './credentials/index.ts';

/** Error codes of platform start-up. */
export type PlatformConfigErrorCode =
  /** `ca.pkcs11` is configured but its PIN variable is not set. */
  | 'config_ca_pin_missing'
  /** No J-LIS configured (and no backend override). */
  | 'config_jlis_required'
  /** Production mode with the J-LIS simulator as backend, not allowed by `allowInProduction`. */
  | 'config_simulator_in_production'
  /** Production mode on embedded PGlite, not allowed by `allowInProduction`. */
  | 'config_database_required'
  /** Simulation mode with a J-LIS that is not the simulator (its roots come from the simulator). */
  | 'config_simulator_required'
  /** Simulation mode and the simulator's roots could not be fetched or did not match /info. */
  | 'config_simulator_unreachable'
  /** A file of `jlisRootFiles` cannot be read or is not a certificate (DER or PEM). */
  | 'config_jlis_root_unreadable'
  /** `jlisRootFiles` set in simulation mode, whose roots are the simulator's only. */
  | 'config_jlis_roots_in_simulation'
  /** A file of `audit.tsaCertificates` cannot be read or holds no PEM certificate. */
  | 'config_tsa_certificate_unreadable'
  /** Production mode with the placeholder TSA policy OID (`tsa.policyOid` unset). */
  | 'config_tsa_policy_placeholder';

const configError = (
  code: PlatformConfigErrorCode,
  message: string,
  options?: { cause?: unknown; detail?: Record<string, unknown> },
): WatashiError<PlatformConfigErrorCode> => new WatashiError(code, message, options);

/** Parts a caller (tests, the CLI) can supply instead of having the platform build them. */
export interface PlatformOverrides {
  /** The platform clock (default: the system clock). */
  readonly now?: () => Date;
  /**
   * The J-LIS backend (default: from `config.jlis`). A `kind: 'simulator'` one is refused in
   * production. The platform wraps it in the fee ledger and the OCSP cache like its own.
   */
  readonly backend?: JpkiBackend;
  /** The key store (default: from `config.keyStore`). */
  readonly keys?: KeyStore;
  /** An open database (default: opened from the configuration); migrated, but not closed by `close()`. */
  readonly database?: Database;
  /** The trust store (default: from the mode). Production refuses one that is not `production`. */
  readonly trust?: JpkiTrustStore;
  /** The logger (default: pino at `config.logLevel`). */
  readonly logger?: FastifyBaseLogger;
}

/** A built platform. */
export interface Platform {
  readonly app: FastifyInstance;
  readonly deps: PlatformDeps;
  /**
   * Starts listening on `config.host:config.port` and returns the base URL. When `publicUrl` was
   * not configured it is set to this URL.
   */
  listen(): Promise<string>;
  /**
   * Graceful shutdown: `/readyz` turns 503 (draining), the background work stops (a run in
   * progress finishes its current step; job claims are released or left to expire), the server
   * stops accepting and waits for in-flight requests up to `operations.drainTimeoutSeconds`, then
   * cuts the connections still open; finally the job queue, and the database and anything else
   * the platform opened, are closed. Idempotent.
   */
  close(): Promise<void>;
  /** The platform's metrics (`GET /metrics` with `operations.metricsToken`). */
  readonly metrics: PlatformMetrics;
}

/** Refusals that need no I/O, so a bad production configuration fails before anything opens. */
function checkMode(config: PlatformConfig, overrides: PlatformOverrides): void {
  if (config.jlis === undefined && overrides.backend === undefined)
    throw configError('config_jlis_required', 'configure jlis (simulator or standard)');
  if (config.mode === 'production') {
    const simulator =
      overrides.backend?.kind === 'simulator' ||
      (overrides.backend === undefined && config.jlis?.kind === 'simulator');
    if (simulator && !config.allowInProduction.simulatorBackend)
      throw configError(
        'config_simulator_in_production',
        'production mode refuses the J-LIS simulator (set allowInProduction.simulatorBackend to override)',
      );
    if (overrides.trust !== undefined && overrides.trust.mode !== 'production')
      throw configError('config_simulator_in_production', 'production mode needs the real J-LIS roots', {
        detail: { trustMode: overrides.trust.mode },
      });
    const embedded =
      overrides.database?.engine === 'pglite' ||
      (overrides.database === undefined && config.databaseUrl === undefined);
    if (embedded && !config.allowInProduction.embeddedDatabase)
      throw configError(
        'config_database_required',
        'production mode needs PostgreSQL (databaseUrl / DATABASE_URL); embedded PGlite is for simulation',
      );
    // RFC 3161 §2.4.2: every token names the policy it was issued under; a verifier reads it as the
    // operator's promise (ETSI EN 319 421). A placeholder OID promises nothing.
    if (config.tsa.policyOid === PLACEHOLDER_TSA_POLICY)
      throw configError(
        'config_tsa_policy_placeholder',
        `production mode needs the operator's own TSA policy: set tsa.policyOid (the default ${PLACEHOLDER_TSA_POLICY} is a placeholder for simulation)`,
      );
  } else if (config.jlisRootFiles.length > 0) {
    throw configError(
      'config_jlis_roots_in_simulation',
      'jlisRootFiles are real J-LIS roots: simulation mode trusts the simulator roots only',
    );
  } else if (overrides.trust === undefined && config.jlis?.kind !== 'simulator') {
    throw configError(
      'config_simulator_required',
      'simulation mode takes its roots from the J-LIS simulator (jlis.kind: simulator)',
    );
  }
}

/** The simulator's CA certificates, from its /info document, each checked against its SHA-256. */
export async function fetchSimulatorRoots(
  baseUrl: string,
  fetchImpl: typeof fetch = fetch,
): Promise<Uint8Array[]> {
  const base = baseUrl.replace(/\/+$/, '');
  try {
    const res = await fetchImpl(`${base}/info`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`GET /info: HTTP ${res.status}`);
    const info = (await res.json()) as { caCertificates?: unknown };
    if (!Array.isArray(info.caCertificates)) throw new Error('/info lists no caCertificates');
    const out: Uint8Array[] = [];
    for (const c of info.caCertificates as Array<{ url?: unknown; sha256?: unknown }>) {
      if (typeof c.url !== 'string' || typeof c.sha256 !== 'string')
        throw new Error('bad caCertificates entry');
      const r = await fetchImpl(new URL(c.url, `${base}/`), { signal: AbortSignal.timeout(10_000) });
      if (!r.ok) throw new Error(`GET ${c.url}: HTTP ${r.status}`);
      const der = new Uint8Array(await r.arrayBuffer());
      const got = createHash('sha256').update(der).digest('hex');
      if (got !== c.sha256.replace(/[:\s]/g, '').toLowerCase())
        throw new Error(`${c.url} does not match the SHA-256 in /info`);
      out.push(der);
    }
    return out;
  } catch (cause) {
    throw configError('config_simulator_unreachable', 'cannot fetch the J-LIS simulator roots', {
      cause,
      detail: { url: base },
    });
  }
}

/**
 * Reads the operator's J-LIS root files (`jlisRootFiles`): DER as J-LIS publishes them, or PEM.
 * Whether they are trusted is the trust store's decision (compiled pins), not this function's.
 */
export async function readRootFiles(paths: ReadonlyArray<string>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const path of paths) {
    try {
      const bytes = new Uint8Array(await readFile(path));
      const text = new TextDecoder().decode(bytes);
      out.push(text.includes('-----BEGIN CERTIFICATE-----') ? fromPem(text, 'CERTIFICATE') : bytes);
    } catch (cause) {
      throw configError('config_jlis_root_unreadable', `cannot read the J-LIS root file ${path}`, {
        cause,
        detail: { path },
      });
    }
  }
  return out;
}

/**
 * Reads the TSA certificates to trust (`audit.tsaCertificates`, `--tsa-cert`): PEM files, each with
 * one or more certificates. Throws `config_tsa_certificate_unreadable`.
 */
export async function readTsaCertificates(paths: ReadonlyArray<string>): Promise<Certificate[]> {
  const out: Certificate[] = [];
  for (const path of paths) {
    try {
      const pems = fromPemAll(await readFile(path, 'utf8'), 'CERTIFICATE');
      if (pems.length === 0) throw new TypeError('no PEM certificate in the file');
      out.push(...pems.map((der) => parseCertificate(der)));
    } catch (cause) {
      throw configError('config_tsa_certificate_unreadable', `cannot read the TSA certificate file ${path}`, {
        cause,
        detail: { path },
      });
    }
  }
  return out;
}

/** Builds the platform (does not listen). */
export async function createPlatform(
  configInput: unknown,
  overrides: PlatformOverrides = {},
): Promise<Platform> {
  const config = parsePlatformConfig(configInput);
  checkMode(config, overrides);
  const now = overrides.now ?? (() => new Date());
  const opened: Array<() => Promise<void>> = [];
  let draining = false;
  let closing: Promise<void> | undefined;
  /** Stops the server (once): started first on close, awaited in its place in `opened`. */
  let stopServer: (() => Promise<void>) | undefined;
  const closeOpened = (): Promise<void> => {
    draining = true;
    closing ??= (async () => {
      // Stop accepting at once, while the background work winds down; in-flight requests may still
      // use the database and the job queue, which close after the server (reverse order).
      void stopServer?.().catch(() => undefined);
      for (const c of opened.splice(0).reverse()) await c();
    })();
    return closing;
  };
  const metrics = new PlatformMetrics();
  try {
    // Roots first: a misconfigured trust source fails before anything is opened.
    let trust = overrides.trust;
    if (trust === undefined) {
      if (config.mode === 'production')
        trust = await JpkiTrustStore.production({ roots: await readRootFiles(config.jlisRootFiles) });
      else if (config.jlis?.kind === 'simulator')
        trust = await JpkiTrustStore.simulator(await fetchSimulatorRoots(config.jlis.url));
      else throw configError('config_simulator_required', 'simulation mode needs the simulator');
    }
    // The TSA's certificates too: an unreadable file stops start-up, not the first checkpoint.
    const tsaUrl = config.audit.tsaUrl;
    const tsa =
      tsaUrl === undefined
        ? undefined
        : { url: tsaUrl, anchors: await readTsaCertificates(config.audit.tsaCertificates ?? []) };

    let database = overrides.database;
    if (database === undefined) {
      database = await openDatabase(
        config.databaseUrl === undefined
          ? { dataDir: join(config.dataDir, 'db') }
          : {
              url: config.databaseUrl,
              pool: {
                max: config.database.poolMax,
                preparedStatements: config.database.preparedStatements,
                startupParameters: config.database.startupParameters,
              },
            },
      );
      const d = database;
      opened.push(() => d.close());
    }
    await migrateToLatest(database.db);

    const keys =
      overrides.keys ??
      (config.keyStore.kind === 'memory'
        ? createMemoryKeyStore({ now })
        : openLocalKeyStore({ dir: config.keyStore.dir ?? join(config.dataDir, 'keys'), now }));

    let jlis = overrides.backend;
    if (jlis === undefined) {
      if (config.jlis === undefined) throw configError('config_jlis_required', 'configure jlis');
      // No cache inside: the OCSP cache is the decorator below, in front of the fee ledger.
      jlis = createJpkiBackend(config.jlis, { now });
    }
    // The app's logger once it exists (the backend is built before the app, but asked nothing
    // before it): where an unawaited fee-ledger write reports a failure.
    let log: FastifyBaseLogger | undefined = overrides.logger;
    const logError = (e: unknown): void => log?.error({ err: e }, 'fee ledger write failed');
    // Every query J-LIS answers is recorded in the fee ledger; fresh OCSP answers are reused
    // before it (a reuse is no query). jlis/ledger.ts, jlis/ocsp-cache.ts.
    const backend = new CachingJpkiBackend(
      new LedgerJpkiBackend(jlis, {
        db: database.db,
        now,
        fees: () => config.fees,
        trust,
        onError: (e) => logError(e),
        onRecorded: (row) => metrics.observeJlisQuery(row),
      }),
      { now, maxSeconds: config.ocspCache.maxSeconds, maxEntries: config.ocspCache.maxEntries },
    );

    // The job queue (jobs/pgboss-job-queue.ts): pg-boss on PostgreSQL, opened from the
    // database's URL with its own small pool, stopped before the database closes (closeOpened runs
    // in reverse); in-process on the embedded database (one process, docs/dependencies.md §5.5).
    let jobs: JobQueue;
    if (database.engine === 'postgres') {
      const boss = new PgBossJobQueue({
        url: database.url,
        now,
        startupParameters: config.database.startupParameters,
        expireInSeconds: config.jobs.claimSeconds,
        maintenanceIntervalSeconds: config.jobs.superviseSeconds,
        onError: (e) => log?.warn({ err: e }, 'job queue (pg-boss) background error'),
      });
      opened.push(() => boss.close());
      jobs = boss;
    } else jobs = new MemoryJobQueue({ now });

    const deps: PlatformDeps = { config, database, db: database.db, keys, backend, trust, jobs, now };
    if (config.ca.pkcs11 !== undefined) {
      // The CA's keys in a PKCS#11 token (docs/trust-service.md §1); the PIN from the environment.
      const pin = process.env[config.ca.pkcs11.pinEnv];
      if (pin === undefined || pin === '')
        throw configError('config_ca_pin_missing', `set ${config.ca.pkcs11.pinEnv} to the token's user PIN`);
      const caKeys = openPkcs11SigningKeys({
        module: config.ca.pkcs11.module,
        tokenLabel: config.ca.pkcs11.tokenLabel,
        pin,
        now,
      });
      opened.push(() => Promise.resolve(caKeys.close()));
      useCaKeys(deps, caKeys);
    }
    const app = await buildServer(deps, {
      metrics,
      ...(overrides.logger === undefined ? {} : { logger: overrides.logger }),
    });
    let serverClosed: Promise<void> | undefined;
    stopServer = () => (serverClosed ??= closeServer(app, config.operations.drainTimeoutSeconds * 1000));
    opened.push(stopServer);
    log = app.log;
    registerOperationsRoutes(app, deps, { metrics, draining: () => draining });
    // docs/conventions.md (after node-oidc-provider): an unsafe setting warns loudly, once, at start-up.
    // soft-fail enrols on an unknown revocation status, so a J-LIS outage admits revoked cards.
    if (config.mode === 'production' && config.revocationPolicy === 'soft-fail')
      app.log.warn(
        { revocationPolicy: 'soft-fail' },
        'revocationPolicy is soft-fail in production: an unknown certificate status (J-LIS unreachable or unsure) is accepted at enrolment, so a revoked or lost card can be proofed; use hard-fail',
      );
    registerPlatformRoutes(app, deps);
    registerEnrolmentRoutes(app, deps);
    registerAuthnRoutes(app, deps);
    registerWalletRoutes(app, deps);
    registerFeeRoutes(app, deps);
    await registerTsaRoutes(app, deps);
    await registerSignatureRoutes(app, deps);
    await registerOidcRoutes(app, deps);
    registerEventRoutes(app, deps);
    registerAccountStatusRoutes(app, deps);
    registerDeviceRoutes(app, deps);
    registerMeRoutes(app, deps);
    registerCredentialRoutes(app, deps);
    registerOpenApiRoute(app, deps);
    await app.ready();
    if (config.housekeepingIntervalSeconds > 0) {
      const stop = scheduleHousekeeping(deps.db, now, config.housekeepingIntervalSeconds, (e) =>
        app.log.warn({ err: e }, 'housekeeping failed'),
      );
      // Stopped before the server and the database close (closeOpened runs in reverse).
      opened.push(stop);
    }
    const checkpointDir = config.audit.checkpointDir;
    if (checkpointDir !== undefined) {
      // The audit chain's head, signed and written outside the database (store/audit-checkpoint.ts).
      // A failure (a broken chain above all) is logged as an error: it is what the checkpoint is for.
      const timer = setInterval(() => {
        writeAuditCheckpoint(deps.db, keys, checkpointDir, { now, ...(tsa ? { tsa } : {}) }).then(
          (c) => {
            app.log.info(
              {
                seq: c.seq.toString(),
                file: c.file,
                ...(c.timestamp ? { genTime: c.timestamp.genTime.toISOString() } : {}),
              },
              'audit checkpoint written',
            );
            // Written all the same, without a token (store/audit-checkpoint.ts): the operator fixes the TSA.
            if (c.timestampError)
              app.log.warn(
                { err: c.timestampError, code: c.timestampError.code, file: c.file },
                'audit checkpoint written without a time-stamp',
              );
          },
          (e: unknown) => app.log.error({ err: e }, 'audit checkpoint failed'),
        );
      }, config.audit.checkpointIntervalSeconds * 1000);
      timer.unref();
      opened.push(() => Promise.resolve(clearInterval(timer)));
    }
    if (config.events.deliveryIntervalSeconds > 0) {
      // Events to RPs (lifecycle/events): every instance delivers; rows are shared by SKIP LOCKED.
      const stop = scheduleEventDelivery(deps, config.events.deliveryIntervalSeconds, (e) =>
        app.log.warn({ err: e }, 'event delivery failed'),
      );
      opened.push(stop);
    }
    if (config.sweep.intervalHours > 0) {
      const stop = scheduleSweep(deps, {
        intervalHours: config.sweep.intervalHours,
        atHourJst: config.sweep.atHourJst,
        checkSeconds: config.sweep.checkSeconds,
        ...provisionOptionsFrom(config.sweep.provisions),
        onError: (e) => app.log.warn({ err: e }, 'scheduled sweep failed'),
        onRun: (r) => {
          const fields = {
            runId: r.runId,
            status: r.status,
            anchorsChecked: r.anchorsChecked,
            revokedFound: r.revokedFound,
            provisionsDeferred: r.provisionsDeferred,
          };
          // The operator's notice: J-LIS left provisions unanswered; those accounts wait for the retry.
          if (r.provisionsDeferred > 0)
            app.log.warn(fields, 'scheduled sweep finished; J-LIS provisions deferred to the retry job');
          else app.log.info(fields, 'scheduled sweep finished');
        },
      });
      opened.push(stop);
    }
    // Archive time-stamps of the signatures made from the wallet, renewed before they weaken.
    opened.push(
      scheduleArchive(
        deps,
        (r) => app.log.info(r, 'signature archive renewed'),
        (e) => app.log.warn({ err: e }, 'signature archive failed'),
      ),
    );

    return {
      app,
      deps,
      metrics,
      async listen() {
        const url = await app.listen({ host: config.host, port: config.port });
        config.publicUrl ??= url;
        return url;
      },
      close: closeOpened,
    };
  } catch (e) {
    await closeOpened();
    throw e;
  }
}

/**
 * Stops `app` accepting connections and waits for its in-flight requests, at most `drainMs`; then
 * the connections still open are cut, so shutdown ends within the supervisor's stop timeout.
 * Idle keep-alive connections are closed at once (Fastify's `forceCloseConnections: 'idle'`).
 */
async function closeServer(app: FastifyInstance, drainMs: number): Promise<void> {
  const closed = app.close();
  let timer: NodeJS.Timeout | undefined;
  const expired = await Promise.race([
    closed.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), drainMs);
    }),
  ]);
  clearTimeout(timer);
  if (expired) {
    app.log.warn({ drainTimeoutMs: drainMs }, 'drain timeout: closing the connections still open');
    app.server.closeAllConnections();
    await closed;
  }
}

/** The anchor status the assurance engine understands (hold = revoked with certificateHold). */
function anchorCheckStatus(
  a: { status: string; revocation_reason: string | null; not_after: Date },
  now: Date,
): AnchorCheckStatus {
  if (a.status === 'revoked') return a.revocation_reason === 'certificateHold' ? 'hold' : 'revoked';
  if (a.not_after.getTime() <= now.getTime()) return 'expired';
  return a.status === 'good' ? 'good' : 'unknown';
}

const healthView = z.object({
  status: z.literal('ok'),
  mode: z.enum(['production', 'simulation']),
  database: z.enum(['pglite', 'postgres']),
  jlis: z.string(),
});
const reasonView = z.object({
  code: z.string(),
  en: z.string(),
  ja: z.string(),
  source: z.string(),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});
const meView = z.object({
  account: z.object({
    id: z.string(),
    status: z.string(),
    statusChangedAt: z.string(),
    createdAt: z.string(),
    proofingMethod: z.string().nullable(),
    proofedAt: z.string().nullable(),
  }),
  identityProofing: z.object({
    level: z.number().int(),
    reasons: z.array(reasonView).readonly(),
    reproofingWouldHelp: z.boolean(),
    evidenceCheckedAt: z.string().nullable(),
  }),
  anchor: z
    .object({ purpose: z.string(), variant: z.string(), status: z.string(), notAfter: z.string() })
    .nullable(),
  authenticators: z.array(
    z.object({
      id: z.string(),
      type: z.string(),
      label: z.string().nullable(),
      createdAt: z.string(),
      lastUsedAt: z.string().nullable(),
      level: z.number().int(),
      amr: z.array(z.string()).readonly(),
      reasons: z.array(reasonView).readonly(),
    }),
  ),
  session: z.object({
    id: z.string(),
    authTime: z.string(),
    acr: z.string().nullable(),
    amr: z.array(z.string()).readonly(),
    authenticatorId: z.string().nullable(),
  }),
});
const attributesView = z.object({
  verified: z
    .object({
      name: z.string(),
      address: z.string(),
      dateOfBirth: z.string(),
      era: z.number().int(),
      sex: z.string(),
      substituteCharacters: z.boolean(),
      source: z.string(),
      verifiedAt: z.string().nullable(),
      lastCheckedAt: z.string().nullable(),
    })
    .nullable(),
});

/** The platform's own routes (health, assurance table, the resident's account, logout). */
export function registerPlatformRoutes(app: FastifyInstance, deps: PlatformDeps): void {
  const routes = withSchemas(app);
  routes.get(
    '/health',
    {
      config: { auth: 'public', rateLimit: false },
      schema: { summary: 'Liveness with the mode and the engines in use', response: { 200: healthView } },
    },
    async (_req, reply) => {
      try {
        await sql`SELECT 1`.execute(deps.db);
      } catch (cause) {
        throw new WatashiError('service_unavailable', 'the database does not answer', {
          cause,
          detail: { status: 503 },
        });
      }
      return reply.send({
        status: 'ok',
        mode: deps.config.mode,
        database: deps.database.engine,
        jlis: deps.backend.kind,
      });
    },
  );

  routes.get(
    '/api/assurance/table',
    {
      config: { auth: 'public' },
      schema: {
        summary: 'The published assurance table (levels, acr values, their sources)',
        // Sent as its pretty-printed text (assuranceTableJson), so this schema documents it only.
        response: {
          200: z
            .looseObject({ id: z.string(), version: z.string(), date: z.string() })
            .describe('assurance/table.ts ASSURANCE_TABLE'),
        },
      },
    },
    async (_req, reply) =>
      (reply as FastifyReply)
        .type('application/json; charset=utf-8')
        .header('cache-control', 'public, max-age=3600')
        .send(assuranceTableJson()),
  );

  app.get('/assurance', { config: { auth: 'public' } }, (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(
        `<!doctype html>\n<html lang="ja">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>保証レベル対応表 / Watashi assurance levels</title>\n</head>\n<body>\n<main>\n${assuranceTableHtml()}\n<p><a href="/api/assurance/table">JSON</a></p>\n</main>\n</body>\n</html>\n`,
      ),
  );

  routes.get(
    '/api/me',
    {
      config: { auth: 'session' },
      schema: {
        summary: 'The signed-in resident’s account, proofing level, authenticators and session',
        response: { 200: meView },
      },
    },
    async (req) => {
      const session = req.session;
      if (session === null) throw problem('session_required', 401, 'sign in first');
      const now = deps.now();
      const account = await deps.db
        .selectFrom('accounts')
        .select(['id', 'status', 'status_changed_at', 'proofing_method', 'proofed_at', 'created_at'])
        .where('id', '=', session.accountId)
        .executeTakeFirst();
      if (account === undefined)
        throw problem('session_required', 401, 'the account of this session is gone');
      const anchor = await deps.db
        .selectFrom('anchors')
        .select(['purpose', 'variant', 'status', 'revocation_reason', 'not_after'])
        .select(statusCheckedAt().as('status_checked_at'))
        .where('account_id', '=', account.id)
        .where('superseded_by', 'is', null)
        .orderBy('created_at', 'desc')
        .executeTakeFirst();
      const proofing = evaluateIdentityProofing(
        {
          ...(anchor === undefined
            ? {}
            : {
                anchor: {
                  kind: anchor.purpose === 'sign' ? ('jpki-sign' as const) : ('jpki-auth' as const),
                  status: anchorCheckStatus(anchor, now),
                  lastCheckedAt: anchor.status_checked_at,
                  ...(anchor.revocation_reason === null ? {} : { reason: anchor.revocation_reason }),
                },
              }),
          reproofingRequired: account.status === 'needs_reproofing',
          ...(account.proofed_at === null ? {} : { proofedAt: account.proofed_at }),
        },
        now,
      );
      const authenticators = await deps.db
        .selectFrom('authenticators')
        .selectAll()
        .where('account_id', '=', account.id)
        .where('revoked_at', 'is', null)
        .orderBy('created_at', 'asc')
        .execute();
      return {
        account: {
          id: account.id,
          status: account.status,
          statusChangedAt: account.status_changed_at.toISOString(),
          createdAt: account.created_at.toISOString(),
          proofingMethod: account.proofing_method,
          proofedAt: account.proofed_at?.toISOString() ?? null,
        },
        identityProofing: {
          level: proofing.level,
          reasons: proofing.reasons,
          reproofingWouldHelp: proofing.reproofingWouldHelp,
          evidenceCheckedAt: proofing.evidenceCheckedAt?.toISOString() ?? null,
        },
        anchor:
          anchor === undefined
            ? null
            : {
                purpose: anchor.purpose,
                variant: anchor.variant,
                status: anchorCheckStatus(anchor, now),
                notAfter: anchor.not_after.toISOString(),
              },
        authenticators: authenticators.map((a) => {
          const assessed = evaluateAuthenticator(authenticatorFacts(a, a.user_verified));
          return {
            id: a.id,
            type: a.type,
            label: a.label,
            createdAt: a.created_at.toISOString(),
            lastUsedAt: a.last_used_at?.toISOString() ?? null,
            level: assessed.level,
            amr: assessed.amr,
            reasons: assessed.reasons,
          };
        }),
        session: {
          id: session.id,
          authTime: session.authTime.toISOString(),
          acr: session.acr,
          amr: session.amr,
          authenticatorId: session.authenticatorId,
        },
      };
    },
  );

  /**
   * The resident's own verified attributes (the basic 4 information read from the card at the last
   * proofing), unsealed for the signed-in resident only and never cached. Relying parties never use
   * this route: they receive claims through OpenID Connect, with consent.
   */
  routes.get(
    '/api/me/attributes',
    {
      config: { auth: 'session' },
      schema: {
        summary: 'The resident’s own verified basic 4 information (never cached)',
        response: { 200: attributesView },
      },
    },
    async (req, reply) => {
      const session = req.session;
      if (session === null)
        throw new WatashiError('session_required', 'sign in first', { detail: { status: 401 } });
      const b4 = await openBasic4(deps, deps.db, session.accountId);
      void reply.header('cache-control', 'no-store');
      if (b4 === undefined) return { verified: null };
      const anchor = await deps.db
        .selectFrom('anchors')
        .select(['created_at'])
        .select(statusCheckedAt().as('status_checked_at'))
        .where('account_id', '=', session.accountId)
        .where('purpose', '=', 'sign')
        .where('superseded_by', 'is', null)
        .orderBy('created_at', 'desc')
        .executeTakeFirst();
      return {
        verified: {
          name: b4.name,
          address: b4.address,
          dateOfBirth: b4.dateOfBirth.date,
          era: b4.dateOfBirth.era,
          sex: b4.sex,
          substituteCharacters: b4.nameSubstitute.includes('1') || b4.addressSubstitute.includes('1'),
          source: 'jpki-sign',
          verifiedAt: anchor?.created_at.toISOString() ?? null,
          lastCheckedAt: anchor?.status_checked_at?.toISOString() ?? null,
        },
      };
    },
  );

  routes.post(
    '/api/logout',
    {
      config: { auth: 'public' },
      schema: { summary: 'Sign out (ends this session)', body: emptyBody, response: { 204: noContent } },
    },
    async (req, reply) => {
      await endSession(deps, req, reply);
      return reply.code(204).send();
    },
  );
}
