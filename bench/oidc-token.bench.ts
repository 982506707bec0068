/**
 * `npm run bench:oidc` — the token endpoint of Watashi's OpenID Provider against bare
 * oidc-provider, measured in the same run (issue 4, "Performance": ≥ 80 % of bare), and complete
 * passkey logins per second.
 *
 * Grant type: **refresh_token** on both, not authorization_code. A code lives 60 s and a Watashi
 * code costs a whole passkey login to make, so enough codes for a few seconds at full rate cannot
 * be made beforehand; a refresh grant runs the same token-endpoint machinery (client_secret_basic
 * authentication, grant lookup, account lookup, a new opaque access token, a new ES256-signed ID
 * token, and — rotation being on in both — a new refresh token replacing the used one), so each
 * of the `BENCH_CONCURRENCY` (default 16) keep-alive connections follows its own chain of rotated
 * tokens. The chains come from real code + PKCE logins (scope `openid offline_access`,
 * `prompt=consent`) driven with openid-client.
 *
 * - (a) **bare**: oidc-provider 9 as installed (the version Watashi uses), its in-memory adapter,
 *   one client (client_secret_basic, ES256 ID tokens), PKCE required, refresh-token rotation,
 *   public subjects, a minimal login + consent interaction, on node:http.
 * - (b) **Watashi**: the whole platform (createPlatform, as packages/platform/test/oidc does) on a
 *   scratch PostgreSQL database created for this run and dropped after it (127.0.0.1:5432,
 *   `WATASHI_TEST_PG_URL`, or a private cluster), a resident enrolled with a simulator card and
 *   signed in with a software passkey, an RP registered through the registry.
 *
 * - (c) **Keycloak** (optional, issue 14): a current 26.x server distribution (bench/keycloak.ts
 *   fetches it from Maven Central, checks its digest, builds it once for PostgreSQL and caches it
 *   in `.cache/keycloak/`) on the local Java, with a database of its own on the same PostgreSQL;
 *   realm, confidential client (client_secret_basic, PKCE S256, ES256 ID tokens) and a user with
 *   a password made through its admin REST API; rotation as above (`revokeRefreshToken`, max
 *   reuse 0). Logins post its username/password form (it has no JPKI). Without Java or the
 *   distribution the column is skipped with the reason; `BENCH_KEYCLOAK=0` skips it.
 *
 * Resident memory: Watashi's is this process's RSS after its measurements (the platform, and
 * the load worker's thread, which has to live somewhere); Keycloak's is its JVM's.
 *
 * The load generator runs in a worker thread (bench/oidc-token-load.ts) so that it has its own
 * event loop; the OP has the main thread. Each measurement warms up for a second, then runs
 * `BENCH_SECONDS` (default 5).
 *
 * Complete logins (Watashi only): `BENCH_LOGIN_CONCURRENCY` (default 4) residents, each in a loop:
 * passkey sign-in (options, assertion by the software authenticator, verification → a new Watashi
 * session), authorize with PKCE, consent when asked, callback, code → tokens with openid-client's
 * ID token validation. The clients run in the OP's process (they share its thread), so this
 * figure is a lower bound. Figures only, no assertions.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import Provider, { type Configuration } from 'oidc-provider';
import { sql } from 'kysely';
import pg from 'pg';
import { addRelyingParty } from '../packages/platform/src/oidc/registry.ts';
import { openDatabase } from '../packages/platform/src/store/database.ts';
import { migrateToLatest } from '../packages/platform/src/store/migrate.ts';
import type { TestPlatform } from '../packages/platform/test/authn/support.ts';
import {
  createScratchDatabase,
  findPostgres,
  startPrivateCluster,
  type PrivateCluster,
} from '../packages/platform/test/db/postgres.ts';
import { simTrust, startSim } from '../packages/platform/test/enrolment/support.ts';
import { startPgBouncer } from '../packages/platform/test/scale/pgbouncer.ts';
import {
  authorizationUrl,
  Browser,
  client,
  exchange,
  freePort,
  login,
  passkeyResident,
  startOidcPlatform,
  type PasskeyResident,
  type TestRp,
} from '../packages/platform/test/oidc/support.ts';
import { KeycloakUnavailable, loginFormAction, startKeycloak } from './keycloak.ts';
import type { LoadInput, LoadResult } from './oidc-token-load.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? '5');
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? '16');
const LOGIN_CONCURRENCY = Number(process.env['BENCH_LOGIN_CONCURRENCY'] ?? '4');
const WARMUP_SECONDS = 1;
const TARGET = 0.8;
/** `BENCH_CPU_PROFILE=<file>`: V8 CPU profile of the OP's thread during Watashi's token measurement. */
const CPU_PROFILE = process.env['BENCH_CPU_PROFILE'];
/** `BENCH_TRACE=1`: print the SQL statements of one Watashi refresh grant, with their times. */
const TRACE = process.env['BENCH_TRACE'] === '1';
/** `BENCH_PGBOUNCER=1`: also Watashi with unnamed statements, and through PgBouncer (transaction mode). */
const PGBOUNCER = process.env['BENCH_PGBOUNCER'] === '1';

/**
 * Statements sent to PostgreSQL by this process (every pg.Client query: Kysely's and BEGIN /
 * COMMIT), counted while `counting` is set, so that the figures can say how many round trips one
 * token request costs. With `trace` set, each statement is also recorded with its time.
 */
const statements = { counting: false, count: 0, trace: undefined as string[] | undefined };
{
  const query = Reflect.get(pg.Client.prototype, 'query') as (this: pg.Client, ...args: unknown[]) => unknown;
  pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]): unknown {
    if (statements.counting) statements.count++;
    const trace = statements.trace;
    const result = query.apply(this, args);
    if (trace !== undefined && result instanceof Promise) {
      const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: unknown }).text);
      const start = performance.now();
      void result.then(
        () => trace.push(`${(performance.now() - start).toFixed(2).padStart(7)} ms  ${text.slice(0, 160)}`),
        () => trace.push(`failed   ${text.slice(0, 160)}`),
      );
    }
    return result;
  } as typeof pg.Client.prototype.query;
}

/**
 * CPU time in milliseconds, from /proc (Linux): of this process's main thread — the OP's, the
 * load generator has its own — and of every `postgres` process on this machine. Unlike requests
 * per second, CPU per request does not change when other work shares the machine. Undefined
 * where /proc cannot say.
 */
function cpuNow(): { op: number; opKernel: number; postgres: number } | undefined {
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const userAndKernel = (stat: string): [number, number] => {
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [Number(f[11]), Number(f[12])];
  };
  const ticks = (stat: string): number => userAndKernel(stat).reduce((a, b) => a + b);
  try {
    const [opUser, opKernel] = userAndKernel(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8'));
    const op = opUser + opKernel;
    let postgres = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.includes('(postgres)')) postgres += ticks(stat);
      } catch {
        // gone meanwhile
      }
    }
    const msPerTick = 10; // USER_HZ is 100 on Linux
    return { op: op * msPerTick, opKernel: opKernel * msPerTick, postgres: postgres * msPerTick };
  } catch {
    return undefined;
  }
}

/** Token-endpoint figures of one OP. */
interface TokenFigures {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  /** Requests including the warm-up. */
  readonly allRequests: number;
  /** Statements sent to PostgreSQL per token request (Watashi only). */
  readonly statementsPerRequest?: number;
  /** CPU milliseconds per request, warm-up included: the OP's thread and PostgreSQL's processes. */
  readonly cpuPerRequest?: { op: number; opKernel: number; postgres: number };
}

/** The q-quantile (0 < q ≤ 1) of sorted values, nearest rank. */
function quantile(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Runs the load worker against `tokenEndpoint` with one refresh-token chain per connection. */
function measureTokens(input: Omit<LoadInput, 'seconds' | 'warmupSeconds'>): Promise<TokenFigures> {
  const workerData: LoadInput = { ...input, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS };
  return new Promise((resolve, reject) => {
    // A worker does not get the tsx loader registered with --import (Node 20): its entry loads it.
    const load = new URL('./oidc-token-load.ts', import.meta.url).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = `import { tsImport } from ${JSON.stringify(tsx)}; await tsImport(${JSON.stringify(load)}, ${JSON.stringify(load)});`;
    const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(entry)}`), { workerData });
    w.once('error', reject);
    const cpu0 = cpuNow();
    w.once('message', (r: LoadResult) => {
      const cpu1 = cpuNow();
      const sorted = Float64Array.from(r.latenciesMs).sort();
      resolve({
        ...(cpu0 === undefined || cpu1 === undefined
          ? {}
          : {
              cpuPerRequest: {
                op: (cpu1.op - cpu0.op) / r.allRequests,
                opKernel: (cpu1.opKernel - cpu0.opKernel) / r.allRequests,
                postgres: (cpu1.postgres - cpu0.postgres) / r.allRequests,
              },
            }),
        perSecond: r.requests / r.seconds,
        p50: quantile(sorted, 0.5),
        p99: quantile(sorted, 0.99),
        requests: r.requests,
        errors: r.errors,
        firstError: r.firstError,
        allRequests: r.allRequests,
      });
      void w.terminate();
    });
  });
}

/** `n` refresh tokens from `n` code + PKCE logins of `b`'s user at `rp`. */
async function refreshTokens(b: Browser, rp: TestRp, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const { tokens } = await login(b, rp, { scope: 'openid offline_access', prompt: 'consent' });
    if (tokens.refresh_token === undefined) throw new Error('no refresh token issued');
    out.push(tokens.refresh_token);
  }
  return out;
}

/** Complete-login figures of one OP. */
interface LoginFigures {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly logins: number;
  readonly failures: number;
  readonly firstFailure: string | undefined;
}

/**
 * Runs each of `loops` (one complete login per call) over and over, all at once: warm-up, then
 * `SECONDS` measured. A failed login counts as a failure, warm-up included.
 */
async function measureLogins(loops: ReadonlyArray<() => Promise<void>>): Promise<LoginFigures> {
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  const run = async (once: () => Promise<void>, until: number, measure: boolean): Promise<void> => {
    while (performance.now() < until) {
      const start = performance.now();
      try {
        await once();
        if (measure) latencies.push(performance.now() - start);
      } catch (e) {
        failures++;
        firstFailure ??= String(e);
      }
    }
  };
  await Promise.all(loops.map((once) => run(once, performance.now() + WARMUP_SECONDS * 1000, false)));
  const start = performance.now();
  await Promise.all(loops.map((once) => run(once, start + SECONDS * 1000, true)));
  const seconds = (performance.now() - start) / 1000;
  const sorted = latencies.sort((x, y) => x - y);
  return {
    perSecond: latencies.length / seconds,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    logins: latencies.length,
    failures,
    firstFailure,
  };
}

/** openid-client configuration of a client_secret_basic client. */
function rpConfig(issuer: string, clientId: string, secret: string) {
  return client.discovery(
    new URL(issuer),
    clientId,
    { id_token_signed_response_alg: 'ES256' },
    client.ClientSecretBasic(secret),
    { execute: [client.allowInsecureRequests] },
  );
}

/** (a) Bare oidc-provider on node:http; returns its token-endpoint figures. */
async function bare(): Promise<{ tokens: TokenFigures; logins: LoginFigures }> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const redirectUri = `${issuer}/cb`;
  const secret = randomBytes(32).toString('base64url');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const configuration: Configuration = {
    clients: [
      {
        client_id: 'bench',
        client_secret: secret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'bench' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'offline_access'],
    pkce: { required: () => true },
    rotateRefreshToken: () => true,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    // The lifetimes Watashi uses (packages/platform/src/oidc/provider.ts).
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 900,
      Grant: 14 * 86_400,
      RefreshToken: 14 * 86_400,
      Session: 14 * 86_400,
    },
  };
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();
  // The smallest interaction: log the bench user in, then grant what the client asked for.
  const interaction = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(req, res, { login: { accountId: 'bench-user' } });
      return;
    }
    const grant = new provider.Grant({
      accountId: details.session!.accountId,
      clientId: String(details.params['client_id']),
    });
    grant.addOIDCScope(String(details.params['scope']));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  };
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/interaction/'))
      interaction(req, res).catch((e: unknown) => {
        res.statusCode = 500;
        res.end(String(e));
      });
    else void callback(req, res);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  try {
    const config = await rpConfig(issuer, 'bench', secret);
    const tokens = await refreshTokens(
      new Browser(),
      { clientId: 'bench', redirectUri, config },
      CONCURRENCY,
    );
    const figures = await measureTokens({
      tokenEndpoint: config.serverMetadata().token_endpoint!,
      clientId: 'bench',
      clientSecret: secret,
      refreshTokens: tokens,
    });
    // Complete logins through the same front channel (a new user agent each time: login and
    // consent interactions, both answered at once — there is no authenticator to drive).
    const rp: TestRp = { clientId: 'bench', redirectUri, config };
    const logins = await measureLogins(
      Array.from(
        { length: Math.max(1, LOGIN_CONCURRENCY) },
        () => () => login(new Browser(), rp).then(() => undefined),
      ),
    );
    return { tokens: figures, logins };
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

/**
 * How Watashi reaches PostgreSQL (`BENCH_PGBOUNCER=1` adds the last two, docs/scaling.md):
 * `direct` as by default; `unnamed`: direct with `database.preparedStatements: false`;
 * `pgbouncer`: through PgBouncer (transaction mode, 10 server connections) with prepared
 * statements and startup parameters off, as an operator must run it with PgBouncer 1.18.
 */
type Route = 'direct' | 'unnamed' | 'pgbouncer';

/** (b) Watashi on PostgreSQL: token-endpoint figures and complete logins per second. */
async function watashi(
  route: Route = 'direct',
): Promise<{ tokens: TokenFigures; logins: LoginFigures; rss: number }> {
  let cluster: PrivateCluster | undefined;
  let admin = await findPostgres();
  if (admin === undefined) {
    cluster = await startPrivateCluster();
    admin = cluster.url;
  }
  const scratch = await createScratchDatabase(admin);
  const bouncer = route === 'pgbouncer' ? await startPgBouncer(admin, { defaultPoolSize: 10 }) : undefined;
  // Migrated straight on PostgreSQL; the platform then runs over the route measured.
  const direct = await openDatabase({ url: scratch.url, pool: { max: 2 } });
  await migrateToLatest(direct.db).finally(() => direct.close());
  const database = await openDatabase({
    url: bouncer === undefined ? scratch.url : bouncer.url(new URL(scratch.url).pathname.slice(1)),
    pool: {
      max: 10,
      ...(route === 'direct' ? {} : { preparedStatements: false }),
      ...(route === 'pgbouncer' ? { startupParameters: false } : {}),
    },
  });
  const sim = await startSim('bench-oidc', new Date(Math.floor(Date.now() / 1000) * 1000));
  let p: (TestPlatform & { issuer: string }) | undefined;
  try {
    const trust = await simTrust(sim);
    p = await startOidcPlatform({ engine: 'postgres', database, db: database.db }, sim, trust);
    const redirectUri = `${p.url}/rp/cb`;
    const added = await addRelyingParty(p.deps, {
      name: 'Bench RP',
      purpose: 'ベンチマーク / benchmark',
      redirectUris: [redirectUri],
      tokenEndpointAuthMethod: 'client_secret_basic',
      allowedClaims: [],
    });
    const clientId = added.relyingParty.clientId;
    const secret = added.clientSecret!;
    const rp: TestRp = { clientId, redirectUri, config: await rpConfig(p.issuer, clientId, secret) };
    const residents: PasskeyResident[] = [];
    for (let i = 0; i < Math.max(1, LOGIN_CONCURRENCY); i++) residents.push(await passkeyResident(p, sim));
    const chains = await refreshTokens(new Browser(residents[0]!.client.cookie), rp, CONCURRENCY + 1);
    if (TRACE) {
      // One grant on its own, statement by statement (the chain it starts is not measured).
      statements.trace = [];
      await client.refreshTokenGrant(rp.config, chains.pop()!);
      await new Promise((r) => setTimeout(r, 50));
      process.stdout.write(
        `  one Watashi refresh grant, ${statements.trace.length} statements:\n${statements.trace.map((t) => `    ${t}\n`).join('')}`,
      );
      statements.trace = undefined;
    } else chains.pop();
    statements.count = 0;
    statements.counting = true;
    const inspector = CPU_PROFILE === undefined ? undefined : new Session();
    if (inspector !== undefined) {
      inspector.connect();
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.start');
    }
    const measured = await measureTokens({
      tokenEndpoint: rp.config.serverMetadata().token_endpoint!,
      clientId,
      clientSecret: secret,
      refreshTokens: chains,
    });
    statements.counting = false;
    if (inspector !== undefined) {
      const { profile } = await inspector.post('Profiler.stop');
      writeFileSync(CPU_PROFILE!, JSON.stringify(profile));
      inspector.disconnect();
    }
    // Counted over warm-up and measurement alike; the load worker reports both request counts.
    const tokens = { ...measured, statementsPerRequest: statements.count / measured.allRequests };
    if (TRACE) {
      // Statistics are sent by backends at the end of their transactions, within 0.5 s or so.
      await new Promise((r) => setTimeout(r, 1000));
      const { rows } = await sql<{ upd: string; hot: string }>`
        SELECT n_tup_upd::text AS upd, n_tup_hot_upd::text AS hot
          FROM pg_stat_user_tables WHERE relname = 'oidc_models'`.execute(database.db);
      console.log(`  oidc_models: ${rows[0]?.hot} of ${rows[0]?.upd} updates in place (HOT)`);
    }

    // Complete logins: passkey sign-in → authorize → consent (when asked) → callback → tokens.
    const logins = await measureLogins(
      residents.map((r) => {
        const b = new Browser();
        return async () => {
          b.setWatashi(await r.login());
          await login(b, rp);
        };
      }),
    );
    return { tokens, logins, rss: process.memoryUsage().rss };
  } finally {
    await p?.close();
    await sim.close();
    await database.close();
    await bouncer?.stop();
    await scratch.drop();
    await cluster?.stop();
  }
}

/** One Keycloak login as a browser does it: authorize, post the login form, code → tokens. */
async function keycloakLogin(rp: TestRp, username: string, password: string, scope: string) {
  const b = new Browser();
  const started = await authorizationUrl(rp, { scope });
  const form = await b.request(started.url.href);
  const html = await form.text();
  const action = loginFormAction(html);
  if (form.status !== 200 || action === undefined)
    throw new Error(`Keycloak: no login form (HTTP ${form.status}) ${html.slice(0, 200)}`);
  const posted = await b.request(action, {
    method: 'POST',
    body: new URLSearchParams({ username, password, credentialId: '' }),
  });
  const location = posted.headers.get('location');
  if (posted.status !== 302 || location === null || !location.startsWith(rp.redirectUri))
    throw new Error(`Keycloak: the login did not redirect to the client (HTTP ${posted.status})`);
  return exchange(rp, started, new URL(location));
}

/** (c) Keycloak on PostgreSQL, or the reason it could not run. */
async function keycloak(): Promise<
  { tokens: TokenFigures; logins: LoginFigures; rss: number | undefined; about: string } | { skipped: string }
> {
  let cluster: PrivateCluster | undefined;
  let admin = await findPostgres();
  if (admin === undefined) {
    cluster = await startPrivateCluster();
    admin = cluster.url;
  }
  let kc: Awaited<ReturnType<typeof startKeycloak>> | undefined;
  try {
    kc = await startKeycloak({ pgAdminUrl: admin, port: await freePort(), managementPort: await freePort() });
    const rp: TestRp = {
      clientId: kc.clientId,
      redirectUri: kc.redirectUri,
      config: await rpConfig(kc.issuer, kc.clientId, kc.clientSecret),
    };
    const { username, password } = kc;
    // Each chain from its own login (its own SSO session), scope as on the other two OPs.
    const chains: string[] = [];
    for (let i = 0; i < CONCURRENCY; i++) {
      const t = await keycloakLogin(rp, username, password, 'openid offline_access');
      if (t.refresh_token === undefined) throw new Error('Keycloak issued no refresh token');
      chains.push(t.refresh_token);
    }
    // CPU per request is read for this process's main thread, which is not Keycloak's: left out.
    const { cpuPerRequest: _notKeycloaks, ...tokens } = await measureTokens({
      tokenEndpoint: rp.config.serverMetadata().token_endpoint!,
      clientId: kc.clientId,
      clientSecret: kc.clientSecret,
      refreshTokens: chains,
    });
    const logins = await measureLogins(
      Array.from(
        { length: Math.max(1, LOGIN_CONCURRENCY) },
        () => () => keycloakLogin(rp, username, password, 'openid').then(() => undefined),
      ),
    );
    return { tokens, logins, rss: kc.rss(), about: `Keycloak ${kc.version} on Java ${kc.java}` };
  } catch (e) {
    if (e instanceof KeycloakUnavailable) return { skipped: e.message };
    throw e;
  } finally {
    await kc?.stop();
    await cluster?.stop();
  }
}

const mib = (bytes: number | undefined): string =>
  bytes === undefined ? '?' : `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

function line(name: string, f: TokenFigures): string {
  return (
    `  ${name.padEnd(28)} ${f.perSecond.toFixed(0).padStart(6)} req/s   p50 ${f.p50.toFixed(1).padStart(6)} ms` +
    `   p99 ${f.p99.toFixed(1).padStart(6)} ms   (${f.requests} requests, ${f.errors} errors` +
    `${f.statementsPerRequest === undefined ? '' : `, ${f.statementsPerRequest.toFixed(1)} SQL statements per request`}` +
    `${f.cpuPerRequest === undefined ? '' : `; CPU per request: OP thread ${f.cpuPerRequest.op.toFixed(2)} ms (${f.cpuPerRequest.opKernel.toFixed(2)} in the kernel)${f.statementsPerRequest === undefined ? '' : `, PostgreSQL ${f.cpuPerRequest.postgres.toFixed(2)} ms`}`}` +
    `${f.firstError === undefined ? '' : `; first: ${f.firstError}`})\n`
  );
}

function loginLine(name: string, f: LoginFigures): string {
  return (
    `  ${name.padEnd(28)} ${f.perSecond.toFixed(1).padStart(6)} /s      p50 ${f.p50.toFixed(1).padStart(6)} ms` +
    `   p99 ${f.p99.toFixed(1).padStart(6)} ms   (${f.logins} logins, ${f.failures} failed` +
    `${f.firstFailure === undefined ? '' : `; first: ${f.firstFailure}`})\n`
  );
}

async function main(): Promise<void> {
  process.stdout.write(
    `token endpoint, refresh_token grant (client_secret_basic, rotation, ES256 ID token), ` +
      `${CONCURRENCY} keep-alive connections, ${SECONDS} s after ${WARMUP_SECONDS} s warm-up\n`,
  );
  const a = await bare();
  process.stdout.write(line('(a) bare oidc-provider', a.tokens));
  const b = await watashi();
  process.stdout.write(line('(b) Watashi on PostgreSQL', b.tokens));
  const ratio = b.tokens.perSecond / a.tokens.perSecond;
  process.stdout.write(
    `  Watashi / bare: ${(ratio * 100).toFixed(0)} % of the requests per second (target ≥ ${TARGET * 100} %), ` +
      `p99 ${(b.tokens.p99 / a.tokens.p99).toFixed(2)}× bare's\n`,
  );
  const c = await keycloak();
  if ('skipped' in c) process.stdout.write(`  (c) Keycloak: skipped — ${c.skipped}\n`);
  else {
    process.stdout.write(line('(c) Keycloak on PostgreSQL', c.tokens));
    process.stdout.write(
      `  Watashi / Keycloak: ${((b.tokens.perSecond / c.tokens.perSecond) * 100).toFixed(0)} % of the requests per second, ` +
        `p99 ${(b.tokens.p99 / c.tokens.p99).toFixed(2)}× Keycloak's (${c.about})\n`,
    );
  }
  process.stdout.write(
    `complete logins (code + PKCE, consent, code exchange with ID token validation), ` +
      `${LOGIN_CONCURRENCY} at a time, clients in the OP's process\n`,
  );
  process.stdout.write(loginLine('(a) bare, no authenticator', a.logins));
  process.stdout.write(loginLine('(b) Watashi, passkey', b.logins));
  if (!('skipped' in c)) {
    process.stdout.write(loginLine('(c) Keycloak, password form', c.logins));
    process.stdout.write(
      `  Watashi / Keycloak: ${((b.logins.perSecond / c.logins.perSecond) * 100).toFixed(0)} % of the logins per second\n`,
    );
  }
  process.stdout.write(
    `resident memory: Watashi (platform process, with the load worker) ${mib(b.rss)}` +
      `${'skipped' in c ? '' : `, Keycloak JVM ${mib(c.rss)} (${((b.rss / (c.rss ?? NaN)) * 100).toFixed(0)} %)`}\n`,
  );
  let failedMore = 0;
  if (PGBOUNCER) {
    // The cost of running behind PgBouncer 1.18 in transaction mode (docs/scaling.md).
    const u = await watashi('unnamed');
    process.stdout.write(line('(d) Watashi, unnamed stmts', u.tokens));
    const p = await watashi('pgbouncer');
    process.stdout.write(line('(e) Watashi via PgBouncer', p.tokens));
    process.stdout.write(
      `  unnamed / prepared: ${((u.tokens.perSecond / b.tokens.perSecond) * 100).toFixed(0)} %, ` +
        `PgBouncer (transaction mode) / direct: ${((p.tokens.perSecond / b.tokens.perSecond) * 100).toFixed(0)} % ` +
        `of the requests per second; p99 ${(p.tokens.p99 / b.tokens.p99).toFixed(2)}× direct's\n`,
    );
    failedMore = u.tokens.errors + p.tokens.errors;
  }
  // Fail loudly: a figure with failed requests behind it is not a figure.
  const failed =
    a.tokens.errors +
    b.tokens.errors +
    a.logins.failures +
    b.logins.failures +
    failedMore +
    ('skipped' in c ? 0 : c.tokens.errors + c.logins.failures);
  if (failed > 0) {
    process.stderr.write(`bench:oidc FAILED: ${failed} requests or logins failed (see above)\n`);
    process.exitCode = 1;
  }
}

await main();
