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
import { ENGINES, openTestDatabase, type EngineName, type TestDatabase } from '../db/harness.ts';
import { toBase64 } from '@watashi/pki';
import { Client } from '../authn/support.ts';
import { cardHolder, type CardHolder, type TestSim } from '../enrolment/support.ts';

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

/**
 * The database engine(s) a browser journey runs on. Every store rule is exercised on both engines
 * by the database suites (test/db/harness.ts `forEachEngine`); a journey exercises the browser,
 * the wallet and HTTP on top of them, so each journey file names one engine — about half the
 * journeys on each, so both still carry a resident end to end — and the browser suite takes half
 * the time (docs/conventions.md "Browser journeys"). `WATASHI_E2E_ENGINES=both` runs every journey
 * on both engines (before a release, or after a change to the store).
 */
export function journeyEngines(engine: EngineName): readonly EngineName[] {
  return process.env['WATASHI_E2E_ENGINES'] === 'both' ? ENGINES : [engine];
}

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
 * PGlite snapshot, or a scratch PostgreSQL database (dropped on close). `hostedCardsUrl` points the
 * wallet's pages at another hosted-card server (`watashi card-bridge`) instead of the simulator.
 */
export async function startStack(
  seed: string,
  engine: EngineName = 'pglite',
  hostedCardsUrl?: string,
): Promise<Stack> {
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
        ...(hostedCardsUrl === undefined ? {} : { wallet: { hostedCardsUrl } }),
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

// ---- Card journeys (card.e2e, card-recovery.e2e): one set-up, shared. ----

/** The hosted cards' signing password and 4-digit user-authentication PIN in the card journeys. */
export const SIGN_PIN = 'DEMO2026';
/** The 4-digit user-authentication PIN of the card journeys' hosted cards. */
export const AUTH_PIN = '1234';

/** A resident enrolled through the API ({@link enrolledWithCard}). */
export interface EnrolledResident {
  readonly card: CardHolder;
  readonly client: Client;
  readonly accountId: string;
}

/**
 * A resident with a hosted card, enrolled through the API (the card signs the enrolment
 * document), the card's user-authentication key bound for sign-in unless `bind` is false. `sex`:
 * the basic 4 code (1 male, 2 female).
 */
export async function enrolledWithCard(
  stack: Stack,
  name: string,
  birthDate: string,
  bind = true,
  sex: '1' | '2' = '2',
): Promise<EnrolledResident> {
  const r = await stack.sim.sim.addResident({ name, birthDate, sex });
  const { card } = await stack.sim.sim.issueCard(r.id, { signPin: SIGN_PIN, authPin: AUTH_PIN });
  const sim = { url: stack.simUrl, clock: stack.clock } as unknown as TestSim;
  const holder = cardHolder(sim, r.id, card.tokenId, SIGN_PIN, AUTH_PIN);
  const client = new Client(stack.base);
  const issued = await client.post('/api/enrolments', {});
  const bytes = new Uint8Array(Buffer.from((issued.body['document'] as { bytes: string }).bytes, 'base64'));
  const signed = await holder.raw(bytes);
  const done = await client.post(`/api/enrolments/${issued.body['id'] as string}/complete`, {
    signature: toBase64(signed.signature),
    certificate: toBase64(signed.certificate),
  });
  if (done.status !== 200) throw new Error(`enrolment failed: ${JSON.stringify(done.body)}`);
  const accountId = done.body['accountId'] as string;
  if (!bind) return { card: holder, client, accountId };
  const ch = await client.post('/api/authn/card/binding/options');
  const proof = await holder.rawAuth(new Uint8Array(Buffer.from(ch.body['message'] as string, 'base64')));
  const bound = await client.post('/api/authn/card/binding', {
    challenge: ch.body['challenge'],
    certificate: toBase64(proof.certificate),
    signature: toBase64(proof.signature),
  });
  if (bound.status !== 201) throw new Error(`card binding failed: ${JSON.stringify(bound.body)}`);
  return { card: holder, client, accountId };
}

/*
 * Card steps (the hosted card's RSA signatures, the platform's checks and J-LIS's answers) take
 * seconds each, and many times that on a busy two-core machine: waits of 45 s, journeys of 120 s.
 */

/** Text of the first element matching `selector` once it is visible (45 s at most). */
export async function visibleText(page: Page, selector: string): Promise<string> {
  const l = page.locator(selector).first();
  await l.waitFor({ state: 'visible', timeout: 45_000 });
  return (await l.textContent()) ?? '';
}

/**
 * Waits until `selector`'s text contains `text`. For live regions (#status, #error), which stay on
 * the page between steps: reading them at once may still give the previous step's message on a
 * busy machine. A failure names what the page showed instead.
 */
export async function waitForText(page: Page, selector: string, text: string): Promise<void> {
  try {
    await page.waitForFunction(
      ([s, t]) => document.querySelector(s)?.textContent?.includes(t) === true,
      [selector, text] as const,
      { timeout: 45_000 },
    );
  } catch (e) {
    const shown = await page
      .evaluate(() =>
        ['#status', '#error', '#card-pin-error', '#pin-tries'].map(
          (s) => `${s}: ${document.querySelector(s)?.textContent ?? '(none)'}`,
        ),
      )
      .catch(() => []);
    throw new Error(`"${text}" never appeared in ${selector}; the page showed ${shown.join(' | ')}`, {
      cause: e,
    });
  }
}

/** Picks the hosted card on a card page (CardForm), types `pin` and sends the form. */
export async function submitCard(page: Page, card: CardHolder, pin: string): Promise<void> {
  await page.locator(`#card-${card.tokenId}`).check();
  await page.fill('#card-pin', pin);
  await page.click('#card-submit');
}
