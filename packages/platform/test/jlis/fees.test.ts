// The fee ledger and the monthly report on both engines: a real in-process J-LIS simulator, the
// platform's HttpJpkiBackend wrapped as createPlatform wraps it (OCSP cache → fee ledger → HTTP),
// residents enrolled with hosted cards, a sweep, a provision after a move.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isWatashiError, parseCertificate, type Certificate } from '@watashi/pki';
import type { JpkiTrustStore } from '@watashi/jpki';
import { platformConfigSchema } from '../../src/config.ts';
import {
  CachingJpkiBackend,
  createJpkiBackend,
  feeReport,
  LedgerJpkiBackend,
  parseFeeMonth,
} from '../../src/jlis/index.ts';
import { runSweep } from '../../src/lifecycle/index.ts';
import { forEachEngine } from '../db/harness.ts';
import { newResident, simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import { enrol, lifecycleDeps, type LifecycleDeps } from '../lifecycle/support.ts';

let sim: TestSim;
let trust: JpkiTrustStore;
const HOUR = 3600_000;
const FEES = platformConfigSchema.parse({}).fees;

beforeAll(async () => {
  sim = await startSim('fees', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
});

afterAll(async () => {
  await sim?.close();
});

async function publish(): Promise<void> {
  sim.clock.advance(HOUR);
  await sim.s.sim.publishCrls();
  sim.s.sim.refreshOcsp();
}

const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

describe('parseFeeMonth (Japan time)', () => {
  it('ok-month-bounds-are-jst-midnights', () => {
    const m = parseFeeMonth('2026-11');
    expect(m.from.toISOString()).toBe('2026-10-31T15:00:00.000Z');
    expect(m.to.toISOString()).toBe('2026-11-30T15:00:00.000Z');
    const dec = parseFeeMonth('2026-12');
    expect(dec.to.toISOString()).toBe('2026-12-31T15:00:00.000Z');
  });

  it.each(['2026-13', '2026-00', '2026-1', '26-01', '1999-12', '2026-11-01', '', 'November'])(
    'fail-month-%j-is-fees_month_invalid',
    (bad) => {
      let code = 'no error';
      try {
        parseFeeMonth(bad);
      } catch (e) {
        if (isWatashiError(e)) code = e.code;
      }
      expect(code).toBe('fees_month_invalid');
    },
  );
});

forEachEngine((t) => {
  let deps: LifecycleDeps;
  let backend: CachingJpkiBackend;
  beforeAll(() => {
    const base = lifecycleDeps(sim, trust, t.database);
    const inner = createJpkiBackend(base.config.jlis!, { now: base.now });
    backend = new CachingJpkiBackend(
      new LedgerJpkiBackend(inner, { db: t.db, now: base.now, fees: () => FEES, trust }),
      { now: base.now, maxSeconds: 60, maxEntries: 100 },
    );
    deps = { ...base, backend };
  });
  beforeEach(async () => {
    deps.setOffset(0);
    await t.db.deleteFrom('fee_ledger').execute();
  });
  const ledger = () => t.db.selectFrom('fee_ledger').selectAll().orderBy('id').execute();

  it('ok-enrolment-records-one-ocsp-check-of-a-signing-certificate', async () => {
    const h = await newResident(sim);
    await enrol(deps, h, true);
    const rows = await ledger();
    expect(rows.map((r) => [r.method, r.purpose, r.certificate, r.price_yen, r.outcome])).toEqual([
      ['ocsp', 'signature_verification', 'sign', 20, 'good'],
      ['consent_registration', 'provision', 'sign', 0, 'ok'],
    ]);
    expect(rows.every((r) => r.client_id === null && r.backend === 'simulator')).toBe(true);
  });

  it('ok-sweep-records-one-free-crl-download-per-ca-and-a-provision-after-a-move', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h, true);
    await publish();
    await t.db.deleteFrom('fee_ledger').execute();
    await runSweep(deps, { shards: 2 });
    const crls = await ledger();
    expect(crls.length).toBeGreaterThanOrEqual(1);
    expect(crls.every((r) => r.method === 'crl' && r.purpose === 'liveness_check' && r.price_yen === 0)).toBe(
      true,
    );
    expect(crls.length).toBe(new Set(crls.map((r) => r.certificate)).size);

    await sim.s.sim.lifeEvent(h.residentId, { type: 'move' });
    await publish();
    await t.db.deleteFrom('fee_ledger').execute();
    await runSweep(deps, { shards: 2 });
    const prov = (await ledger()).filter((r) => r.method === 'provision');
    expect(prov).toHaveLength(1);
    expect(prov[0]).toMatchObject({
      purpose: 'provision',
      account_id: id,
      outcome: 'provided',
      price_yen: 20,
      client_id: null,
    });
  });

  it('ok-a-provision-asked-inside-the-enrolment-transaction-is-recorded-without-deadlock', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h, true);
    await sim.s.sim.lifeEvent(h.residentId, { type: 'move' });
    sim.s.sim.refreshOcsp();
    await t.db.deleteFrom('fee_ledger').execute();
    // The new certificate's enrolment finds the account through J-LIS's link (a provision asked
    // while the enrolment holds its transaction): on PGlite an awaited ledger write would wait
    // for that very transaction.
    const t0 = Date.now();
    expect(await enrol(deps, h)).toBe(id);
    expect(Date.now() - t0).toBeLessThan(20_000);
    let rows = await ledger();
    for (let i = 0; i < 50 && !rows.some((r) => r.method === 'provision'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      rows = await ledger();
    }
    expect(rows.filter((r) => r.method === 'provision')).toMatchObject([
      { account_id: id, outcome: 'provided', price_yen: 20 },
    ]);
  });

  it('ok-an-ocsp-answer-is-reused-until-the-cap-then-asked-again', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h);
    const anchor = await t.db
      .selectFrom('anchors')
      .selectAll()
      .where('account_id', '=', id)
      .executeTakeFirstOrThrow();
    const { certificate } = await h.raw(new Uint8Array([1]));
    const cert = parseCertificate(certificate);
    const issuer: Certificate = trust
      .anchors('sign')
      .find((a) => Buffer.from(sha256(a.spki)).equals(Buffer.from(anchor.issuer_key_hash)))!;
    // The enrolment's own check (one row) is reused: no second query.
    expect((await ledger()).map((r) => r.method)).toEqual(['ocsp']);
    const a = await backend.ocspStatus(cert, issuer, { clientId: 'rp-1', accountId: id, acceptCached: true });
    deps.setOffset(30_000);
    const b = await backend.ocspStatus(cert, issuer, { clientId: 'rp-1', accountId: id, acceptCached: true });
    expect(b).toBe(a);
    expect((await ledger()).length).toBe(1);
    // Past the configured cap (60 s from when it was obtained): asked again, and recorded.
    deps.setOffset(61_000);
    const c = await backend.ocspStatus(cert, issuer, { clientId: 'rp-1', accountId: id, acceptCached: true });
    expect(c).not.toBe(a);
    const rows = await ledger();
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ method: 'ocsp', client_id: 'rp-1', account_id: id, price_yen: 20 });
    deps.setOffset(62_000);
    expect(await backend.ocspStatus(cert, issuer, { acceptCached: true })).toBe(c);
    expect((await ledger()).length).toBe(2);
    // Identity proofing does not accept a cached answer: asked again, and recorded.
    expect(await backend.ocspStatus(cert, issuer)).not.toBe(c);
    expect((await ledger()).length).toBe(3);
  });

  it('ok-a-failed-query-is-recorded-at-no-charge-unless-configured', async () => {
    const dead = createJpkiBackend(
      {
        kind: 'standard',
        ocspUrl: 'http://127.0.0.1:9/ocsp',
        crlUrls: ['http://127.0.0.1:9/crl'],
        operatorId: 'x',
      },
      { now: deps.now, timeoutMs: 2000 },
    );
    const issuer = trust.anchors('sign')[0]!;
    for (const charge of [false, true]) {
      const b = new LedgerJpkiBackend(dead, {
        db: t.db,
        now: deps.now,
        fees: () => ({ ...FEES, chargeFailedQueries: charge }),
        trust,
      });
      await expect(b.fetchCrl(issuer, { purpose: 'liveness_check' })).rejects.toThrow();
    }
    const rows = await ledger();
    expect(rows.map((r) => [r.method, r.outcome, r.price_yen])).toEqual([
      ['crl', 'error', 0],
      ['crl', 'error', FEES.crl],
    ]);
    expect(rows.every((r) => r.error_code !== null)).toBe(true);
  });

  it('ok-report-totals-per-rp-and-purpose-within-the-jst-month', async () => {
    const row = (
      at: string,
      method: 'ocsp' | 'crl' | 'provision',
      purpose: string,
      clientId: string | null,
      yen: number,
      outcome = 'good',
    ) => ({
      at: new Date(at),
      method,
      purpose: purpose as 'signature_verification',
      certificate: 'sign' as const,
      client_id: clientId,
      account_id: null,
      price_yen: yen,
      outcome,
      error_code: outcome === 'error' ? 'jlis_unavailable' : null,
      backend: 'simulator',
    });
    await t.db
      .insertInto('fee_ledger')
      .values([
        // 23:59:59.999 JST on 31 October: October's.
        row('2026-10-31T14:59:59.999Z', 'ocsp', 'signature_verification', 'rp-a', 20),
        // 00:00 JST on 1 November: November's.
        row('2026-10-31T15:00:00.000Z', 'ocsp', 'signature_verification', 'rp-a', 20),
        row('2026-11-15T03:00:00.000Z', 'ocsp', 'signature_verification', 'rp-a', 20),
        row('2026-11-15T03:00:00.000Z', 'ocsp', 'signature_verification', 'rp-a', 0, 'error'),
        row('2026-11-16T03:00:00.000Z', 'ocsp', 'signature_verification', 'rp-b', 2),
        row('2026-11-16T03:00:00.000Z', 'crl', 'liveness_check', null, 0, 'ok'),
        row('2026-11-17T03:00:00.000Z', 'provision', 'provision', null, 20, 'provided'),
        row('2026-11-18T03:00:00.000Z', 'provision', 'provision', null, 0, 'no_new_certificate'),
        // 23:59:59.999 JST on 30 November: November's; 00:00 JST on 1 December: December's.
        row('2026-11-30T14:59:59.999Z', 'ocsp', 'liveness_check', null, 20),
        row('2026-11-30T15:00:00.000Z', 'ocsp', 'liveness_check', null, 20),
      ])
      .execute();
    const nov = await feeReport(t.db, '2026-11');
    expect(nov.timezone).toBe('Asia/Tokyo');
    expect(nov.lines).toEqual([
      { clientId: null, purpose: 'liveness_check', queries: 2, failed: 0, yen: 20 },
      { clientId: null, purpose: 'provision', queries: 2, failed: 0, yen: 20 },
      { clientId: 'rp-a', purpose: 'signature_verification', queries: 3, failed: 1, yen: 40 },
      { clientId: 'rp-b', purpose: 'signature_verification', queries: 1, failed: 0, yen: 2 },
    ]);
    expect(nov.total).toEqual({ queries: 8, yen: 82 });
    expect(nov.methods).toEqual([
      { method: 'crl', queries: 1, yen: 0 },
      { method: 'ocsp', queries: 5, yen: 62 },
      { method: 'provision', queries: 2, yen: 20 },
    ]);
    expect((await feeReport(t.db, '2026-10')).total).toEqual({ queries: 1, yen: 20 });
    expect((await feeReport(t.db, '2026-12')).total).toEqual({ queries: 1, yen: 20 });
    expect((await feeReport(t.db, '2027-01')).lines).toEqual([]);
  });
});
