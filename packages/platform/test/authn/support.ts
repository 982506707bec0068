/**
 * Test support for authentication: the real platform (`createPlatform`) over real HTTP on the
 * test database, an HTTP client with a cookie jar, and residents enrolled through the real
 * enrolment code with hosted cards of an in-process J-LIS simulator.
 */
import { createHash, randomBytes } from 'node:crypto';
import { toBase64 } from '@watashi/pki';
import type { JpkiTrustStore } from '@watashi/jpki';
import { createJpkiBackend } from '../../src/jlis/index.ts';
import { completeEnrolment, issueEnrolment } from '../../src/enrolment/index.ts';
import { createPlatform } from '../../src/platform.ts';
import type { KeyStore } from '../../src/keys/key-store.ts';
import type { PlatformDeps } from '../../src/server/context.ts';
import { SESSION_COOKIE } from '../../src/server/sessions.ts';
import type { EngineContext } from '../db/harness.ts';
import { newResident, type CardHolder, type TestSim } from '../enrolment/support.ts';

export const PUBLIC_URL = 'https://watashi.example';
export const ORIGIN = 'https://watashi.example';

/** A platform under test. */
export interface TestPlatform {
  readonly deps: PlatformDeps;
  readonly url: string;
  setNow(d: Date): void;
  /** Replaces the JpkiBackend (a fresh one has no OCSP cache). */
  freshBackend(): void;
  close(): Promise<void>;
}

/** The real platform (createPlatform) on the test database, listening on 127.0.0.1. */
export async function startPlatform(
  t: EngineContext,
  sim: TestSim,
  trust: JpkiTrustStore,
  options: { readonly keys?: KeyStore } = {},
): Promise<TestPlatform> {
  let now = sim.clock.now();
  const jlis = { kind: 'simulator' as const, url: sim.url, operatorId: 'watashi-test' };
  const backend = () => createJpkiBackend(jlis, { now: () => now });
  const p = await createPlatform(
    {
      mode: 'simulation',
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
      keyStore: { kind: 'memory' },
      jlis,
      publicUrl: PUBLIC_URL,
      // Many sign-ins from one address in a suite: the limiter has its own tests (test/server).
      rateLimits: { enabled: false },
    },
    {
      database: t.database,
      trust,
      backend: backend(),
      now: () => now,
      // Another instance of the same deployment shares the key directory (docs/scaling.md).
      ...(options.keys ? { keys: options.keys } : {}),
    },
  );
  const url = await p.listen();
  return {
    deps: p.deps,
    url,
    setNow: (d) => (now = d),
    freshBackend: () => ((p.deps as { backend: PlatformDeps['backend'] }).backend = backend()),
    close: () => p.close(),
  };
}

/** Starts a session for `accountId` as enrolment does right after creating the account. */
export async function sessionCookie(deps: PlatformDeps, accountId: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const now = deps.now();
  await deps.db
    .insertInto('sessions')
    .values({
      token_hash: new Uint8Array(createHash('sha256').update(token).digest()),
      account_id: accountId,
      auth_time: now,
      amr: [],
      created_at: now,
      last_seen_at: now,
      expires_at: new Date(now.getTime() + 3600_000),
    })
    .execute();
  return `${SESSION_COOKIE}=${token}`;
}

/** An HTTP client with a cookie jar (one browser). */
export class Client {
  cookie: string | undefined;
  constructor(readonly base: string) {}

  async req(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.cookie === undefined ? {} : { cookie: this.cookie }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [name, value] = pair!.split('=');
      if (name === SESSION_COOKIE) this.cookie = value === '' ? undefined : `${name}=${value}`;
    }
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  }

  post(path: string, body: unknown = {}) {
    return this.req('POST', path, body);
  }
}

/** An enrolled resident: the account, the card, and a signed-in client. */
export interface Resident {
  readonly accountId: string;
  readonly card: CardHolder;
  readonly client: Client;
}

/** Enrols a new resident with a hosted card (real enrolment code) and signs a client in. */
export async function enrolResident(p: TestPlatform, sim: TestSim): Promise<Resident> {
  const card = await newResident(sim);
  const issued = await issueEnrolment(p.deps, { purpose: 'enrolment' });
  const doc = Buffer.from(issued.document.bytes, 'base64');
  const cms = await card.cms(new Uint8Array(doc));
  const done = await completeEnrolment(p.deps, { id: issued.id, signature: { cms } });
  const client = new Client(p.url);
  client.cookie = await sessionCookie(p.deps, done.accountId);
  return { accountId: done.accountId, card, client };
}

export { toBase64 };
