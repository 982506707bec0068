// OCSP at sensitive moments on both engines against the simulator: the single-anchor check reuses
// a fresh answer (no second J-LIS query, no ledger row), applies the sweep's effects for a held
// card and for a move with consent, bills the RP it was made for, and changes nothing when J-LIS
// cannot answer (fail closed: the level is what the last evidence supports).
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { isWatashiError } from '@watashi/pki';
import type { JpkiTrustStore } from '@watashi/jpki';
import { platformConfigSchema } from '../../src/config.ts';
import { CachingJpkiBackend, createJpkiBackend, LedgerJpkiBackend } from '../../src/jlis/index.ts';
import { checkAnchorNow } from '../../src/lifecycle/index.ts';
import { forEachEngine } from '../db/harness.ts';
import { newResident, simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import { enrol, lifecycleDeps, proofingLevel, type LifecycleDeps } from './support.ts';

let sim: TestSim;
let trust: JpkiTrustStore;
const FEES = platformConfigSchema.parse({}).fees;

beforeAll(async () => {
  sim = await startSim('anchor-check', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
});

afterAll(async () => {
  await sim?.close();
});

forEachEngine((t) => {
  let deps: LifecycleDeps;
  beforeAll(() => {
    const base = lifecycleDeps(sim, trust, t.database);
    const inner = createJpkiBackend(base.config.jlis!, { now: base.now });
    const backend = new CachingJpkiBackend(
      new LedgerJpkiBackend(inner, { db: t.db, now: base.now, fees: () => FEES, trust }),
      { now: base.now, maxSeconds: 60, maxEntries: 100 },
    );
    deps = { ...base, backend };
  });
  beforeEach(() => deps.setOffset(0));
  const ledgerOf = (accountId: string) =>
    t.db.selectFrom('fee_ledger').selectAll().where('account_id', '=', accountId).orderBy('id').execute();
  const account = (id: string) =>
    t.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const anchorsOf = (id: string) =>
    t.db.selectFrom('anchors').selectAll().where('account_id', '=', id).orderBy('created_at').execute();

  it('ok-a-fresh-answer-is-reused-and-costs-nothing', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h);
    const r = await checkAnchorNow(deps, id, { clientId: 'rp-top' });
    expect(r).toMatchObject({ checked: true, status: 'good', changed: false });
    // The enrolment's answer (recorded without an account: none existed yet) was reused.
    expect(await ledgerOf(id)).toEqual([]);
    deps.setOffset(61_000);
    await checkAnchorNow(deps, id, { clientId: 'rp-top' });
    const rows = await ledgerOf(id);
    expect(rows.map((x) => [x.method, x.purpose, x.client_id, x.price_yen, x.outcome])).toEqual([
      ['ocsp', 'signature_verification', 'rp-top', 20, 'good'],
    ]);
    expect(await proofingLevel(t.db, id, deps.now())).toBe(3);
  });

  it('ok-a-held-card-suspends-the-account-at-once-and-the-level-drops', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h);
    expect(await proofingLevel(t.db, id, deps.now())).toBe(3);
    await sim.s.sim.lifeEvent(h.residentId, { type: 'lose' });
    sim.s.sim.refreshOcsp();
    // Still within the cached answer's life: nothing is asked, nothing changes.
    expect(await checkAnchorNow(deps, id, { clientId: 'rp-top' })).toMatchObject({ status: 'good' });
    deps.setOffset(61_000);
    const r = await checkAnchorNow(deps, id, { clientId: 'rp-top' });
    expect(r).toMatchObject({ checked: true, status: 'revoked', reason: 'certificateHold', changed: true });
    const [a] = await anchorsOf(id);
    expect(a).toMatchObject({ status: 'revoked', revocation_reason: 'certificateHold' });
    expect(await account(id)).toMatchObject({ status: 'suspended', status_reason: 'certificateHold' });
    expect(await proofingLevel(t.db, id, deps.now())).toBeLessThan(3);
    const audit = await t.db
      .selectFrom('audit_log')
      .select(['type', 'actor', 'payload'])
      .where('account_id', '=', id)
      .orderBy('seq')
      .execute();
    const held = audit.find((e) => e.type === 'anchor.held');
    expect(held?.actor).toBe('system:ocsp');
    expect(held?.payload).toMatchObject({ source: 'ocsp', runId: null });
    expect(audit.map((e) => e.type)).toContain('account.status_changed');
    expect((await ledgerOf(id)).map((x) => x.client_id)).toEqual(['rp-top']);
    // Asked again later: the same answer changes nothing more.
    deps.setOffset(130_000);
    expect(await checkAnchorNow(deps, id)).toMatchObject({ status: 'revoked', changed: false });
  });

  it('ok-a-move-with-consent-reanchors-from-jlis-billed-to-the-rp', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h, true);
    await sim.s.sim.lifeEvent(h.residentId, { type: 'move' });
    sim.s.sim.refreshOcsp();
    deps.setOffset(61_000);
    const r = await checkAnchorNow(deps, id, { clientId: 'rp-top' });
    expect(r).toMatchObject({ status: 'revoked', reason: 'affiliationChanged', changed: true });
    expect((await account(id)).status).toBe('live');
    const anchors = await anchorsOf(id);
    expect(anchors).toHaveLength(2);
    expect(anchors[0]!.superseded_by).toBe(anchors[1]!.id);
    const rows = await ledgerOf(id);
    expect(rows.map((x) => [x.method, x.client_id, x.outcome, x.price_yen])).toEqual([
      ['ocsp', 'rp-top', 'revoked', 20],
      ['provision', 'rp-top', 'provided', 20],
    ]);
  });

  it('ok-an-enrolment-with-a-held-card-is-refused-and-suspends-the-account-it-anchors', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h);
    await sim.s.sim.lifeEvent(h.residentId, { type: 'lose' });
    sim.s.sim.refreshOcsp();
    deps.setOffset(61_000);
    let code = 'no error';
    try {
      await enrol(deps, h);
    } catch (e) {
      if (isWatashiError(e)) code = e.code;
    }
    expect(code).toBe('enrolment_certificate_on_hold');
    expect(await account(id)).toMatchObject({ status: 'suspended', status_reason: 'certificateHold' });
    const [a] = await anchorsOf(id);
    expect(a).toMatchObject({ status: 'revoked', revocation_reason: 'certificateHold' });
    const held = await t.db
      .selectFrom('audit_log')
      .select(['actor'])
      .where('account_id', '=', id)
      .where('type', '=', 'anchor.held')
      .execute();
    expect(held).toEqual([{ actor: 'system:enrolment' }]);
  });

  it('fail-closed-when-jlis-cannot-answer-nothing-changes', async () => {
    const h = await newResident(sim);
    const id = await enrol(deps, h);
    const dead = new LedgerJpkiBackend(
      createJpkiBackend(
        {
          kind: 'standard',
          ocspUrl: 'http://127.0.0.1:9/ocsp',
          crlUrls: ['http://127.0.0.1:9/crl'],
          operatorId: 'x',
        },
        { now: deps.now, timeoutMs: 2000 },
      ),
      { db: t.db, now: deps.now, fees: () => FEES, trust },
    );
    const before = await anchorsOf(id);
    const r = await checkAnchorNow({ ...deps, backend: dead }, id, { clientId: 'rp-top' });
    expect(r).toMatchObject({ checked: false, changed: false, errorCode: 'jlis_unavailable' });
    expect(await anchorsOf(id)).toEqual(before);
    expect((await ledgerOf(id)).map((x) => [x.outcome, x.error_code, x.price_yen])).toEqual([
      ['error', 'jlis_unavailable', 0],
    ]);
  });
});
