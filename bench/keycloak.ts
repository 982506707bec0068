/**
 * Keycloak for `npm run bench:oidc` (issue 14): the third column of the token benchmark. Fetches
 * a Keycloak 26.x server distribution (`org.keycloak:keycloak-quarkus-dist` zip) from Maven
 * Central into `.cache/keycloak/`, checks it against Maven Central's `.sha512` (or `.sha1`),
 * unpacks it, runs `kc.sh build` once for PostgreSQL (the built distribution is cached: the build
 * takes minutes), and starts it on the local Java (17, or 21 and later: the newest found under
 * JAVA_HOME, /usr/lib/jvm and /opt) with a database of its own on the bench's PostgreSQL. A realm
 * is made headless through the admin REST API: a confidential client (client_secret_basic, PKCE
 * S256 required, ES256 ID tokens), refresh-token rotation (`revokeRefreshToken`, max reuse 0) and
 * a user with a password. Logins post the username/password form as a browser does.
 *
 * `KEYCLOAK_VERSION` pins a version (default: the newest 26.x on Maven Central);
 * `BENCH_KEYCLOAK=0` skips the column. Anything unavailable (no Java, no network, no unzip)
 * is reported as the reason the column is skipped, never as a failure of the bench.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const MAVEN = 'https://repo1.maven.org/maven2/org/keycloak/keycloak-quarkus-dist';
/** Where distributions are kept between runs (repository root `.cache/`, ignored by git). */
export const KEYCLOAK_CACHE = join(dirname(fileURLToPath(import.meta.url)), '..', '.cache', 'keycloak');

/** A running Keycloak with the bench realm. */
export interface Keycloak {
  readonly version: string;
  readonly java: string;
  /** Issuer of the bench realm. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  readonly username: string;
  readonly password: string;
  /** Resident set size of the JVM, bytes (/proc). */
  rss(): number | undefined;
  stop(): Promise<void>;
}

/** Why Keycloak cannot run here: the column is skipped with this reason. */
export class KeycloakUnavailable extends Error {
  override readonly name = 'KeycloakUnavailable';
}

/** The Java home of the newest JDK ≥ 17 found (JAVA_HOME, /usr/lib/jvm/*, /opt/*, PATH). */
async function findJava(): Promise<{ home: string | undefined; bin: string; major: number }> {
  const candidates: Array<string | undefined> = [process.env['JAVA_HOME']];
  for (const root of ['/usr/lib/jvm', '/opt'])
    try {
      for (const d of readdirSync(root)) candidates.push(join(root, d));
    } catch {
      // no such directory
    }
  const found: Array<{ home: string | undefined; bin: string; major: number }> = [];
  for (const home of [...candidates, undefined]) {
    const bin = home === undefined ? 'java' : join(home, 'bin', 'java');
    if (home !== undefined && !existsSync(bin)) continue;
    try {
      const { stderr } = await run(bin, ['-version'], { timeout: 20_000 });
      const m = /version "(\d+)(?:\.(\d+))?/.exec(stderr);
      if (!m) continue;
      // "1.8.0" is Java 8; "17.0.15" is 17.
      const major = m[1] === '1' ? Number(m[2]) : Number(m[1]);
      found.push({ home, bin, major });
    } catch {
      // not a working java
    }
  }
  // Keycloak 26 runs on Java 17 and 21 or later.
  const usable = found.filter((j) => j.major === 17 || j.major >= 21).sort((a, b) => b.major - a.major);
  if (usable.length === 0)
    throw new KeycloakUnavailable(
      found.length ? `no Java 17 or 21+ (found ${found.map((j) => j.major).join(', ')})` : 'no Java found',
    );
  return usable[0]!;
}

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new KeycloakUnavailable(`${url}: HTTP ${res.status}`);
  return res.text();
}

/** The newest 26.x release on Maven Central (or KEYCLOAK_VERSION). */
async function resolveVersion(): Promise<string> {
  const pinned = process.env['KEYCLOAK_VERSION'];
  if (pinned) return pinned;
  const cached = existsSync(KEYCLOAK_CACHE)
    ? readdirSync(KEYCLOAK_CACHE)
        .map((f) => /^keycloak-quarkus-dist-(26\.[\d.]+)\.zip$/.exec(f)?.[1])
        .filter((v): v is string => v !== undefined)
    : [];
  let versions: string[];
  try {
    const xml = await fetchText(`${MAVEN}/maven-metadata.xml`);
    versions = [...xml.matchAll(/<version>(26\.\d+\.\d+)<\/version>/g)].map((m) => m[1]!);
  } catch (e) {
    // Offline: a distribution fetched before will do.
    if (cached.length) versions = cached;
    else throw e instanceof KeycloakUnavailable ? e : new KeycloakUnavailable(`Maven Central: ${String(e)}`);
  }
  const key = (v: string): number[] => v.split('.').map(Number);
  versions.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return 0;
  });
  if (!versions.length) throw new KeycloakUnavailable('no Keycloak 26.x on Maven Central');
  return versions[versions.length - 1]!;
}

async function fileDigest(alg: 'sha1' | 'sha512', file: string): Promise<string> {
  const h = createHash(alg);
  await pipeline(createReadStream(file), h);
  return h.digest('hex');
}

/**
 * The zip of `version` in the cache, downloaded if missing and checked against Maven Central's
 * published digest (SHA-512 when published, else SHA-1) every time it is unpacked.
 */
async function distribution(version: string): Promise<string> {
  mkdirSync(KEYCLOAK_CACHE, { recursive: true });
  const name = `keycloak-quarkus-dist-${version}.zip`;
  const zip = join(KEYCLOAK_CACHE, name);
  const url = `${MAVEN}/${version}/${name}`;
  let expected: { alg: 'sha1' | 'sha512'; hex: string };
  try {
    expected = { alg: 'sha512', hex: (await fetchText(`${url}.sha512`)).trim().split(/\s+/)[0]! };
  } catch {
    try {
      expected = { alg: 'sha1', hex: (await fetchText(`${url}.sha1`)).trim().split(/\s+/)[0]! };
    } catch (e) {
      const stamp = join(KEYCLOAK_CACHE, `${name}.verified`);
      // Offline with a zip verified when it was fetched: trust the cache, not an unverified download.
      if (existsSync(zip) && existsSync(stamp)) return zip;
      throw new KeycloakUnavailable(`no digest for ${name}: ${String(e)}`);
    }
  }
  if (!existsSync(zip)) {
    process.stdout.write(`  fetching ${url}\n`);
    const res = await fetch(url, { signal: AbortSignal.timeout(600_000) });
    if (!res.ok) throw new KeycloakUnavailable(`${url}: HTTP ${res.status}`);
    // ~180 MB, once: held in memory, written under a temporary name, renamed when complete.
    const part = `${zip}.part`;
    writeFileSync(part, new Uint8Array(await res.arrayBuffer()));
    renameSync(part, zip);
  }
  const actual = await fileDigest(expected.alg, zip);
  if (actual !== expected.hex.toLowerCase()) {
    rmSync(zip, { force: true });
    throw new KeycloakUnavailable(
      `${name}: ${expected.alg} ${actual} is not Maven Central's ${expected.hex}`,
    );
  }
  writeFileSync(join(KEYCLOAK_CACHE, `${name}.verified`), `${expected.alg} ${actual}\n`);
  return zip;
}

/** The unpacked and built (for PostgreSQL) distribution of `version`; cached. */
async function built(version: string, javaHome: string | undefined): Promise<string> {
  const home = join(KEYCLOAK_CACHE, `keycloak-${version}`);
  const stamp = join(home, '.watashi-built-postgres');
  if (existsSync(stamp)) return home;
  const zip = await distribution(version);
  rmSync(home, { recursive: true, force: true });
  try {
    await run('unzip', ['-q', '-o', zip, '-d', KEYCLOAK_CACHE], { timeout: 300_000 });
  } catch (e) {
    throw new KeycloakUnavailable(`cannot unpack ${zip} (unzip): ${String(e)}`);
  }
  process.stdout.write(`  building Keycloak ${version} for PostgreSQL (once; cached in ${home})\n`);
  await run(join(home, 'bin', 'kc.sh'), ['build', '--db=postgres', '--health-enabled=true'], {
    timeout: 900_000,
    env: { ...process.env, ...(javaHome ? { JAVA_HOME: javaHome } : {}) },
  });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  return home;
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/**
 * The JVM's resident set size. kc.sh runs java as its child (it forwards SIGTERM and relaunches
 * on exit code 10), or execs it: take the `java` child when there is one.
 */
function rssOf(shPid: number | undefined): number | undefined {
  if (shPid === undefined) return undefined;
  let pid = shPid;
  try {
    for (const c of readFileSync(`/proc/${shPid}/task/${shPid}/children`, 'utf8').trim().split(/\s+/))
      if (c && readFileSync(`/proc/${c}/comm`, 'utf8').trim() === 'java') pid = Number(c);
  } catch {
    // no children file: the pid is the JVM's
  }
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Admin REST call on the master realm (Keycloak Admin REST API, /admin/realms). */
async function adminApi(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  const res = await fetch(`${base}/admin/realms${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`Keycloak admin ${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return res;
}

/**
 * Starts Keycloak on `port` with a fresh database on the server at `pgAdminUrl` and sets up the
 * bench realm. Throws {@link KeycloakUnavailable} when it cannot run here.
 */
export async function startKeycloak(options: {
  pgAdminUrl: string;
  port: number;
  managementPort: number;
}): Promise<Keycloak> {
  if (process.env['BENCH_KEYCLOAK'] === '0') throw new KeycloakUnavailable('BENCH_KEYCLOAK=0');
  const java = await findJava();
  const version = await resolveVersion();
  const home = await built(version, java.home);

  const db = `keycloak_bench_${randomBytes(6).toString('hex')}`;
  await adminQuery(options.pgAdminUrl, `CREATE DATABASE ${db}`);
  const pgUrl = new URL(options.pgAdminUrl);
  const adminPassword = randomBytes(18).toString('base64url');
  const base = `http://127.0.0.1:${options.port}`;
  const args = [
    'start',
    '--optimized',
    '--http-enabled=true',
    `--http-port=${options.port}`,
    '--http-host=127.0.0.1',
    '--hostname-strict=false',
    `--db-url=jdbc:postgresql://${pgUrl.hostname}:${pgUrl.port || '5432'}/${db}`,
    `--db-username=${decodeURIComponent(pgUrl.username || 'postgres')}`,
    ...(pgUrl.password ? [`--db-password=${decodeURIComponent(pgUrl.password)}`] : []),
    '--db-pool-max-size=20',
    // One node: no JGroups cluster discovery (a runtime option), as Watashi and bare run alone.
    '--cache=local',
    // The management interface (health) defaults to port 9000, which another run may hold.
    `--http-management-port=${options.managementPort}`,
  ];
  let child: ChildProcess | undefined;
  let log = '';
  const stop = async (): Promise<void> => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    await adminQuery(options.pgAdminUrl, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
  };
  try {
    child = spawn(join(home, 'bin', 'kc.sh'), args, {
      env: {
        ...process.env,
        ...(java.home ? { JAVA_HOME: java.home } : {}),
        KC_BOOTSTRAP_ADMIN_USERNAME: 'admin',
        KC_BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (b: Buffer): void => {
      log = (log + b.toString()).slice(-8000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    // A first start creates the schema: minutes on a busy machine (KEYCLOAK_START_SECONDS).
    const startSeconds = Number(process.env['KEYCLOAK_START_SECONDS'] ?? 900);
    const deadline = Date.now() + startSeconds * 1000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`Keycloak exited (${child.exitCode}):\n${log}`);
      if (Date.now() > deadline) throw new Error(`Keycloak did not start in ${startSeconds} s:\n${log}`);
      try {
        const r = await fetch(`${base}/realms/master/.well-known/openid-configuration`, {
          signal: AbortSignal.timeout(2000),
        });
        if (r.ok) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 1000));
    }

    const tokenRes = await fetch(`${base}/realms/master/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'admin-cli',
        username: 'admin',
        password: adminPassword,
      }).toString(),
    });
    if (!tokenRes.ok) throw new Error(`Keycloak admin login: HTTP ${tokenRes.status}`);
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;

    const realm = 'bench';
    const clientId = 'bench';
    const clientSecret = randomBytes(32).toString('base64url');
    const redirectUri = 'http://127.0.0.1/cb';
    const password = randomBytes(12).toString('base64url');
    // Rotation as Watashi and bare do: each refresh token is single use (revokeRefreshToken, max
    // reuse 0); lifetimes as Watashi's (600 s access tokens, 14-day sessions).
    await adminApi(base, token, 'POST', '', {
      realm,
      enabled: true,
      revokeRefreshToken: true,
      refreshTokenMaxReuse: 0,
      accessTokenLifespan: 600,
      ssoSessionIdleTimeout: 14 * 86_400,
      ssoSessionMaxLifespan: 14 * 86_400,
      offlineSessionIdleTimeout: 14 * 86_400,
      bruteForceProtected: false,
      sslRequired: 'none',
    });
    // ES256 ID tokens need an EC key in the realm (the default keys are RSA and HMAC).
    const { id: realmId } = (await (await adminApi(base, token, 'GET', `/${realm}`)).json()) as {
      id: string;
    };
    await adminApi(base, token, 'POST', `/${realm}/components`, {
      name: 'ecdsa-p256',
      providerId: 'ecdsa-generated',
      providerType: 'org.keycloak.keys.KeyProvider',
      parentId: realmId,
      config: { priority: ['200'], enabled: ['true'], active: ['true'], ecdsaEllipticCurveKey: ['P-256'] },
    });
    await adminApi(base, token, 'POST', `/${realm}/clients`, {
      clientId,
      enabled: true,
      protocol: 'openid-connect',
      publicClient: false,
      clientAuthenticatorType: 'client-secret',
      secret: clientSecret,
      redirectUris: [redirectUri],
      standardFlowEnabled: true,
      directAccessGrantsEnabled: false,
      consentRequired: false,
      attributes: {
        'pkce.code.challenge.method': 'S256',
        'id.token.signed.response.alg': 'ES256',
      },
    });
    await adminApi(base, token, 'POST', `/${realm}/users`, {
      username: 'resident',
      enabled: true,
      email: 'resident@example.com',
      emailVerified: true,
      firstName: 'Bench',
      lastName: 'Resident',
      requiredActions: [],
      credentials: [{ type: 'password', value: password, temporary: false }],
    });
    const pid = child.pid;
    return {
      version,
      java: `${java.major} (${java.home ?? 'PATH'})`,
      issuer: `${base}/realms/${realm}`,
      clientId,
      clientSecret,
      redirectUri,
      username: 'resident',
      password,
      rss: () => rssOf(pid),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The `action` of Keycloak's login form (`<form id="kc-form-login" … action="…">`), HTML-unescaped. */
export function loginFormAction(html: string): string | undefined {
  const form = /<form[^>]*id="kc-form-login"[^>]*>/.exec(html)?.[0];
  const action = form && /action="([^"]+)"/.exec(form)?.[1];
  return action?.replace(/&amp;/g, '&');
}
