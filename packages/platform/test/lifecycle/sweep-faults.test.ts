// The revocation sweep against a faulty J-LIS (issue 21, items 2–4), on both engines: residents
// of a real in-process J-LIS simulator who consented to re-anchoring move house, the simulator
// publishes the CRL, and the sweep asks J-LIS for their latest basic 4 information through the
// platform's HttpJpkiBackend and fee ledger — while J-LIS is frozen (a proxy that accepts the
// provision requests and never answers), refusing connections (nothing listens on its port), or
// the sweep crashes between J-LIS's answer and the batch's commit (a trigger fails the checkpoint).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JpkiTrustStore } from '@watashi/jpki';
import { HttpJpkiBackend, LedgerJpkiBackend } from '../../src/jlis/index.ts';
import { MemoryJobQueue } from '../../src/jobs/index.ts';
import { runSweep, Sweeper, SWEEP_PROVISION_QUEUE, type SweepOptions } from '../../src/lifecycle/index.ts';
import { statusCheckedAt } from '../../src/lifecycle/coverage.ts';
import { verifyAuditChain } from '../../src/store/audit.ts';
import { forEachEngine } from '../db/harness.ts';
import { newResident, simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import { enrol, lifecycleDeps, OPERATOR, proofingLevel, type LifecycleDeps } from './support.ts';

let sim: TestSim;
let trust: JpkiTrustStore;
const HOUR = 3600_000;

beforeAll(async () => {
  sim = await startSim('lifecycle-faults', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
});

afterAll(async () => {
  await sim?.close();
});

/**
 * J-LIS as the platform reaches it: a proxy in front of the simulator. `frozen`: provision
 * requests are accepted and never answered; `closed`: nothing listens on the port (connections
 * are refused); `pass`: forwarded.
 */
class JlisProxy {
  mode: 'pass' | 'frozen' = 'pass';
  /** Provision requests that reached the proxy while frozen, and those forwarded to J-LIS. */
  frozenHits = 0;
  forwarded = 0;
  readonly #held: ServerResponse[] = [];
  #server: Server | undefined;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async open(): Promise<void> {
    const server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening (new connections are refused) and drops what it held. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const r of this.#held.splice(0)) r.socket?.destroy();
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Thaws: held requests are dropped (their clients gave up long ago), new ones forwarded. */
  thaw(): void {
    this.mode = 'pass';
    for (const r of this.#held.splice(0)) r.socket?.destroy();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const provision = req.url?.startsWith('/basic4/') === true;
    if (provision && this.mode === 'frozen') {
      this.frozenHits++;
      this.#held.push(res);
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k)) headers[k] = v;
    const r = await fetch(`${sim.url}${req.url ?? '/'}`, {
      method: req.method ?? 'GET',
      headers,
      ...(chunks.length === 0 ? {} : { body: Buffer.concat(chunks) }),
    });
    if (provision) this.forwarded++;
    const body = Buffer.from(await r.arrayBuffer());
    res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/octet-stream' });
    res.end(body);
  }
}

forEachEngine((t) => {
  let base: LifecycleDeps;
  let proxy: JlisProxy;
  let deps: LifecycleDeps;
  beforeAll(() => {
    base = lifecycleDeps(sim, trust, t.database);
  });
  afterEach(async () => {
    await proxy?.close();
  });

  /** The platform's deps with J-LIS behind the proxy, every query in the fee ledger. */
  const throughProxy = async (): Promise<LifecycleDeps> => {
    proxy = new JlisProxy();
    await proxy.open();
    const inner = new HttpJpkiBackend({
      endpoints: { kind: 'simulator', baseUrl: proxy.url },
      operatorId: OPERATOR,
      now: base.now,
    });
    // The CRLs' and CAs' URLs come from J-LIS's /info (the simulator itself): read it now, so a
    // closed proxy only cuts off the provisions.
    await inner.fetchCrl(trust.list()[0]!.certificate);
    return {
      ...base,
      backend: new LedgerJpkiBackend(inner, {
        db: t.db,
        now: base.now,
        fees: () => base.config.fees,
        trust,
      }),
    };
  };

  /** `n` residents with the latest-basic-4 consent who then move: their CRL says affiliationChanged. */
  const movers = async (n: number): Promise<string[]> => {
    const ids: string[] = [];
    // Earlier tests moved the clock on: J-LIS's pre-produced OCSP answers are renewed first.
    sim.s.sim.refreshOcsp();
    for (let i = 0; i < n; i++) {
      const h = await newResident(sim);
      ids.push(await enrol(base, h, true));
      await sim.s.sim.lifeEvent(h.residentId, { type: 'move' });
    }
    sim.clock.advance(HOUR);
    await sim.s.sim.publishCrls();
    sim.s.sim.refreshOcsp();
    return ids;
  };

  const state = async (ids: string[]) =>
    Promise.all(
      ids.map(async (id) => {
        const acc = await t.db
          .selectFrom('accounts')
          .select(['status', 'proofing_level'])
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        const anchor = await t.db
          .selectFrom('anchors')
          .select(['id', 'status', 'revocation_reason', 'serial'])
          .select(statusCheckedAt().as('checked_at'))
          .where('account_id', '=', id)
          .where('superseded_by', 'is', null)
          .where('purpose', '=', 'sign')
          .executeTakeFirstOrThrow();
        const audit = await t.db
          .selectFrom('audit_log')
          .select('type')
          .where('account_id', '=', id)
          .orderBy('seq')
          .execute();
        const notices = await t.db
          .selectFrom('account_notices')
          .select('kind')
          .where('account_id', '=', id)
          .execute();
        return { acc, anchor, audit: audit.map((a) => a.type), notices: notices.length };
      }),
    );

  /** The fee ledger's provision rows about these accounts. */
  const provisionFees = (ids: string[]) =>
    t.db
      .selectFrom('fee_ledger')
      .select(['account_id', 'outcome', 'error_code', 'price_yen'])
      .where('method', '=', 'provision')
      .where('account_id', 'in', ids)
      .execute();

  const faulty: SweepOptions = {
    shards: 1,
    provisions: { provisionConcurrency: 2, provisionDeadlineMs: 1500 },
    breaker: { failures: 2, cooldownMs: 60_000 },
  };

  /**
   * After a sweep that J-LIS failed: nothing about the movers changed, the run says what it left,
   * and once J-LIS is back the retry job asks for each certificate exactly once and applies the
   * answers (re-anchored on the new card, attributes resealed).
   */
  const expectDeferredThenRetried = async (
    ids: string[],
    r: Awaited<ReturnType<typeof runSweep>>,
    before: Awaited<ReturnType<typeof state>>,
    queue: MemoryJobQueue,
    sweeper: Sweeper,
  ): Promise<void> => {
    expect(r.status).toBe('completed');
    expect(r.provisionsDeferred).toBe(ids.length);
    const after = await state(ids);
    for (const [i, a] of after.entries()) {
      const b = before[i]!;
      // Item 3: the account and its anchor as they were; no RP event, no notice, no level drop.
      expect(a.acc).toEqual(b.acc);
      expect(a.anchor.status).toBe('good');
      expect(a.anchor.id).toBe(b.anchor.id);
      expect(a.audit).toEqual(b.audit);
      expect(a.notices).toBe(0);
      expect(await proofingLevel(t.db, ids[i]!, deps.now())).toBe(3);
      // The run does not vouch for an anchor whose change it could not apply (fail closed).
      expect(a.anchor.checked_at).toEqual(b.anchor.checked_at);
    }
    const events = await t.db
      .selectFrom('audit_log')
      .select(['type', 'payload'])
      .where('type', '=', 'sweep.provisions_deferred')
      .execute();
    expect(events.some((e) => e.payload['runId'] === r.runId)).toBe(true);
    const deferred = await t.db
      .selectFrom('sweep_provisions')
      .select(['state', 'change'])
      .where('run_id', '=', r.runId)
      .execute();
    expect(deferred.map((d) => d.state)).toEqual(ids.map(() => 'deferred'));

    // J-LIS is back; the breaker's cool-down passes; the retry job runs.
    proxy.thaw();
    if (proxy.port !== 0 && (await isClosed(proxy))) await proxy.open();
    const forwardedBefore = proxy.forwarded;
    base.setOffset(0);
    sim.clock.advance(61_000);
    const drained = await queue.drain(SWEEP_PROVISION_QUEUE, sweeper.provisionRetryHandler());
    expect(drained).toEqual({ completed: 1, errors: 0 });
    expect(proxy.forwarded - forwardedBefore).toBe(ids.length);
    const fees = await provisionFees(ids);
    expect(fees.filter((f) => f.outcome === 'provided')).toHaveLength(ids.length);
    for (const [i, a] of (await state(ids)).entries()) {
      expect(a.acc.status).toBe('live');
      expect(a.anchor.id).not.toBe(before[i]!.anchor.id);
      expect(a.audit).toEqual(
        expect.arrayContaining(['anchor.revoked', 'anchor.added', 'account.attributes_updated']),
      );
    }
    expect(
      await t.db.selectFrom('sweep_provisions').select('serial').where('run_id', '=', r.runId).execute(),
    ).toEqual([]);
    // Exactly once: nothing is left to retry, and the next sweep asks J-LIS nothing more.
    expect(await sweeper.retryDeferred()).toEqual({ applied: 0, dropped: 0, deferred: 0 });
    sim.clock.advance(HOUR);
    await sim.s.sim.publishCrls();
    const next = await runSweep(deps, { shards: 1 });
    expect(next.provisionsDeferred).toBe(0);
    expect(proxy.forwarded - forwardedBefore).toBe(ids.length);
    expect(await provisionFees(ids)).toHaveLength(fees.length);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true });
  };

  const isClosed = async (p: JlisProxy): Promise<boolean> => {
    try {
      await fetch(`${p.url}/info`);
      return false;
    } catch {
      return true;
    }
  };

  describe('J-LIS frozen during a sweep', () => {
    it(
      'fail-frozen-jlis-the-run-ends-at-its-deadline-changes-no-account-and-the-retry-asks-once',
      { timeout: 180_000 },
      async () => {
        deps = await throughProxy();
        const ids = await movers(3);
        const before = await state(ids);
        proxy.mode = 'frozen';
        const queue = new MemoryJobQueue({ now: deps.now });
        const r = await runSweep(deps, { ...faulty, queue });
        // Two requests went out (the concurrency) and timed out at the deadline; the breaker opened
        // and the deadline passed, so the third was deferred without waiting on J-LIS.
        expect(proxy.frozenHits).toBe(2);
        const fees = await provisionFees(ids);
        expect(fees.map((f) => f.error_code)).toEqual(['jlis_unavailable', 'jlis_unavailable']);
        await expectDeferredThenRetried(ids, r, before, queue, new Sweeper(deps));
      },
    );
  });

  describe('J-LIS refusing connections during a sweep', () => {
    it(
      'fail-refused-connections-change-no-account-and-the-retry-asks-once',
      { timeout: 180_000 },
      async () => {
        deps = await throughProxy();
        const ids = await movers(3);
        const before = await state(ids);
        await proxy.close();
        const queue = new MemoryJobQueue({ now: deps.now });
        const sweeper = new Sweeper(deps, { breaker: faulty.breaker! });
        // One at a time, so that the count is exact (with more in flight, those already sent count too).
        const r = await sweeper.run({
          ...faulty,
          provisions: { provisionConcurrency: 1, provisionDeadlineMs: 60_000 },
          queue,
        });
        // Two refused (the breaker's threshold); the breaker then deferred the rest at once.
        const fees = await provisionFees(ids);
        expect(fees.map((f) => f.error_code)).toEqual(['jlis_unavailable', 'jlis_unavailable']);
        expect(sweeper.breakerState).toBe('open');
        await expectDeferredThenRetried(ids, r, before, queue, sweeper);
      },
    );
  });

  describe('a crash between the provision and the batch commit', () => {
    it('ok-the-resumed-run-reuses-the-answer-and-adds-no-second-fee-row', { timeout: 180_000 }, async () => {
      deps = await throughProxy();
      const ids = await movers(2);
      const before = await state(ids);
      // The batch's checkpoint fails (as a process killed right before its commit would lose it).
      await sql`CREATE FUNCTION test_fail_checkpoint() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'injected crash before the batch commit'; END $$`.execute(t.db);
      await sql`CREATE TRIGGER test_fail_checkpoint BEFORE UPDATE ON sweep_shards FOR EACH ROW
        EXECUTE FUNCTION test_fail_checkpoint()`.execute(t.db);
      let first;
      try {
        first = await runSweep(deps, { shards: 1, waitMs: 0, queue: new MemoryJobQueue({ now: deps.now }) });
      } finally {
        await sql`DROP TRIGGER test_fail_checkpoint ON sweep_shards`.execute(t.db);
        await sql`DROP FUNCTION test_fail_checkpoint()`.execute(t.db);
      }
      expect(first.status).toBe('running');
      // J-LIS was paid once per certificate; the batch rolled back, so nothing changed yet.
      expect((await provisionFees(ids)).map((f) => f.outcome)).toEqual(['provided', 'provided']);
      const after = await state(ids);
      expect(after.map((a) => a.acc)).toEqual(before.map((b) => b.acc));
      expect(after.map((a) => a.anchor.id)).toEqual(before.map((b) => b.anchor.id));
      // The answers are held durably, sealed (no basic 4 information in clear).
      const held = await t.db
        .selectFrom('sweep_provisions')
        .selectAll()
        .where('run_id', '=', first.runId)
        .where('account_id', 'in', ids)
        .execute();
      expect(held.map((h) => h.state)).toEqual(['answered', 'answered']);
      for (const h of held) expect(Buffer.from(h.ciphertext!).toString('latin1')).not.toMatch(/address|name/);

      // A new process (new sweeper, new queue) resumes the run: it reads the answers back.
      const forwarded = proxy.forwarded;
      const second = await runSweep(deps, { shards: 1, queue: new MemoryJobQueue({ now: deps.now }) });
      expect(second).toMatchObject({ runId: first.runId, resumed: true, status: 'completed' });
      expect(proxy.forwarded).toBe(forwarded);
      const fees = await provisionFees(ids);
      expect(fees).toHaveLength(2);
      expect(fees.reduce((n, f) => n + f.price_yen, 0)).toBe(2 * base.config.fees.provision);
      for (const [i, a] of (await state(ids)).entries()) {
        expect(a.acc.status).toBe('live');
        expect(a.anchor.id).not.toBe(before[i]!.anchor.id);
      }
      // Cleaned up once applied.
      expect(
        await t.db
          .selectFrom('sweep_provisions')
          .select('serial')
          .where('run_id', '=', first.runId)
          .execute(),
      ).toEqual([]);
    });
  });
});
