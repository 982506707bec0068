/**
 * End-to-end support: the J-LIS simulator and the platform (`createPlatform`, embedded PGlite from
 * the test snapshot) over real HTTP on loopback, and Debian's Chromium driven by playwright-core
 * with a CDP virtual authenticator (docs/dependencies.md §5.3). Nothing is mocked.
 *
 * The platform is served as `http://localhost:<port>`: a WebAuthn RP ID must be a host name, never
 * an IP address, and localhost is a secure context. Its port is chosen before anything starts,
 * because the simulator must know the wallet's origin (`cardOrigins`) when it starts and the
 * platform must know the simulator's URL when it starts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { createSimulator, fixedClock, type ManualClock, type RunningSimulator } from '@watashi/jlis-sim';
import { createPlatform, type Platform } from '../../src/platform.ts';
import { openTestDatabase, type EngineName, type TestDatabase } from '../db/harness.ts';

/** Chromium from Debian (docs/dependencies.md §1.5); never a downloaded browser. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** The flags every e2e browser runs with. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A free TCP port on 127.0.0.1 (closed again at once; used right after). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** The simulator and the platform, wired as `npm start` wires them. */
export interface Stack {
  readonly sim: RunningSimulator;
  readonly simUrl: string;
  readonly clock: ManualClock;
  readonly platform: Platform;
  /** The wallet's base URL, `http://localhost:<port>`. */
  readonly base: string;
  close(): Promise<void>;
}

/**
 * Starts the simulator (allowing the wallet's origin) and the platform on `engine`: a migrated
 * PGlite snapshot, or a scratch PostgreSQL database (dropped on close).
 */
export async function startStack(seed: string, engine: EngineName = 'pglite'): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'watashi-e2e-'));
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const clock = fixedClock(new Date(Math.floor(Date.now() / 1000) * 1000));
  const sim = await createSimulator(
    { dataDir: dir, port: 0, seed, schedule: false, logLevel: 'silent', cardOrigins: [base] },
    { clock },
  );
  let db: TestDatabase | undefined;
  try {
    const simUrl = await sim.listen();
    db = await openTestDatabase(engine);
    const platform = await createPlatform(
      {
        mode: 'simulation',
        host: '127.0.0.1',
        port,
        publicUrl: base,
        logLevel: 'silent',
        keyStore: { kind: 'memory' },
        jlis: { kind: 'simulator', url: simUrl, operatorId: 'watashi-e2e' },
        // One browser on 127.0.0.1 plays every resident of a file: the production bucket (30
        // sign-ins a minute per address) refused a journey's last steps on a busy machine, where the
        // minute held more of the file's sign-ins. The limiter itself is tested in server.test.ts.
        rateLimits: { authentication: { max: 10_000, windowSeconds: 60 } },
      },
      { database: db.database, now: () => clock.now() },
    );
    await platform.listen();
    const opened = db;
    return {
      sim,
      simUrl,
      clock,
      platform,
      base,
      async close() {
        await platform.close();
        await opened.close();
        await sim.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await db?.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** A browser with a fresh profile, one page, and a CTAP2 platform authenticator on that page. */
export interface TestBrowser {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly cdp: CDPSession;
  readonly authenticatorId: string;
  /** Console errors that are Content-Security-Policy violations, and uncaught page errors. */
  readonly problems: string[];
  close(): Promise<void>;
}

/**
 * Launches Chromium with a fresh user-data-dir and a virtual authenticator (WebAuthn domain of CDP);
 * `extraArgs` adds flags (e.g. a fake camera fed from a file, test/e2e/y4m.ts).
 */
export async function launchBrowser(extraArgs: readonly string[] = []): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'watashi-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    locale: 'ja-JP',
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return {
      context,
      page,
      cdp,
      authenticatorId,
      problems,
      async close() {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}
