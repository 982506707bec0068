// People's account status changes (lifecycle/account-status.ts, account-routes.ts), end to end on
// both engines: the real platform over HTTP, residents of an in-process J-LIS simulator signed in
// with a software passkey, RPs driven by openid-client. A resident closes their own private ID
// (DELETE /api/me: confirmation and a recent sign-in required; data erased; tokens refused; events
// queued; the same card enrols afresh), and an operator suspends, resumes and closes (function and
// admin API), with the state machine's refusals.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JpkiTrustStore } from '@watashi/jpki';
import { completeEnrolment, issueEnrolment } from '../../src/enrolment/index.ts';
import {
  changeAccountStatus,
  listNotices,
  registerAccountStatusRoutes,
  RISC,
  BACKCHANNEL_LOGOUT_EVENT,
} from '../../src/lifecycle/index.ts';
import { buildServer } from '../../src/server/app.ts';
import { verifyAuditChain } from '../../src/store/audit.ts';
import { fromBase64 } from '@watashi/pki';
import { forEachEngine } from '../db/harness.ts';
import { simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import { Client, type TestPlatform } from '../authn/support.ts';
import {
  Browser,
  client,
  login,
  oauthError,
  passkeyResident,
  registerRp,
  startOidcPlatform,
  type PasskeyResident,
  type TestRp,
} from '../oidc/support.ts';
import type { RequestOptionsJSON } from '../support/soft-authenticator.ts';

let sim: TestSim;
let trust: JpkiTrustStore;
const ADMIN = 'c'.repeat(40);
const MINUTE = 60_000;

beforeAll(async () => {
  sim = await startSim('account-status', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
});
afterAll(async () => {
  await sim?.close();
});

forEachEngine((t) => {
  let p: TestPlatform & { issuer: string };
  beforeAll(async () => {
    p = await startOidcPlatform(t, sim, trust);
  });
  afterAll(async () => {
    await p?.close();
  });

  /** An RP with every event channel (the receiver is never reached: the rows are what we check). */
  const eventfulRp = (): Promise<TestRp> =>
    registerRp(p, {
      eventsEndpoint: 'http://127.0.0.1:9/events',
      backchannelLogoutUri: 'http://127.0.0.1:9/logout',
    });
  /** A resident signed in to `rp` with a refresh token. */
  async function signedIn(rp: TestRp): Promise<{ r: PasskeyResident; refresh: string; access: string }> {
    const r = await passkeyResident(p, sim);
    const { tokens } = await login(new Browser(r.client.cookie), rp, {
      scope: 'openid profile offline_access',
      prompt: 'consent',
    });
    return { r, refresh: tokens.refresh_token!, access: tokens.access_token };
  }
  const deliveries = (clientId: string) =>
    t.db
      .selectFrom('event_deliveries')
      .select(['channel', 'event_type', 'payload', 'subject'])
      .where('client_id', '=', clientId)
      .orderBy('created_at')
      .execute();
  const account = (id: string) =>
    t.db
      .selectFrom('accounts')
      .select(['status', 'status_reason', 'person_key', 'person_key_id'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  /** A passkey sign-in of `r` from a fresh browser: its status and problem code. */
  async function passkeyLogin(r: PasskeyResident): Promise<{ status: number; code: unknown }> {
    const c = new Client(p.url);
    const o = await c.post('/api/authn/passkeys/login/options');
    const res = await c.post('/api/authn/passkeys/login', {
      response: r.auth.get(o.body as unknown as RequestOptionsJSON),
    });
    return { status: res.status, code: res.body['code'] };
  }

  describe('the resident closes their private ID', () => {
    it('ok-close-erases-ends-sessions-refuses-tokens-queues-rp-events-and-the-card-enrols-afresh', async () => {
      const rp = await eventfulRp();
      const { r, refresh, access } = await signedIn(rp);
      expect((await r.client.post('/api/me/personas', { name: 'adult', claims: ['over_20'] })).status).toBe(
        201,
      );
      const cookie = r.client.cookie!;
      const other = new Client(p.url);
      other.cookie = cookie;

      const res = await r.client.req('DELETE', '/api/me', { confirm: 'close' });
      expect(res.status, JSON.stringify(res.body)).toBe(204);
      expect(r.client.cookie).toBeUndefined();

      // Every session ended: the old cookie is refused.
      expect((await other.req('GET', '/api/me')).status).toBe(401);
      expect(
        await t.db
          .selectFrom('sessions')
          .select('id')
          .where('account_id', '=', r.accountId)
          .where('revoked_at', 'is', null)
          .execute(),
      ).toEqual([]);
      // The RP's tokens are refused.
      expect(await oauthError(client.refreshTokenGrant(rp.config, refresh))).toBe('invalid_grant');
      const userinfo = await fetch(rp.config.serverMetadata().userinfo_endpoint!, {
        headers: { authorization: `Bearer ${access}` },
      });
      expect(userinfo.status).toBe(401);
      // Nor can the passkey sign in: it was revoked with the account.
      expect(await passkeyLogin(r)).toEqual({ status: 401, code: 'authn_authenticator_revoked' });

      // The account: closed at the resident's request, data erased, records kept.
      const a = await account(r.accountId);
      expect(a).toMatchObject({
        status: 'closed',
        status_reason: 'resident_request',
        person_key_id: 'erased',
      });
      expect(Buffer.from(a.person_key).equals(Buffer.alloc(32))).toBe(true);
      const count = async (table: 'basic4' | 'personas' | 'anchors') =>
        (await t.db.selectFrom(table).select('account_id').where('account_id', '=', r.accountId).execute())
          .length;
      expect(await count('basic4')).toBe(0);
      expect(await count('personas')).toBe(0);
      // The anchors (card serials) go too: the audit log's `anchor.added` keeps the verification.
      expect(await count('anchors')).toBe(0);
      expect(
        await t.db
          .selectFrom('audit_log')
          .select('seq')
          .where('account_id', '=', r.accountId)
          .where('type', '=', 'anchor.added')
          .execute(),
      ).toHaveLength(1);
      const consents = await t.db
        .selectFrom('oidc_consents')
        .select(['withdrawn_at', 'claims'])
        .where('account_id', '=', r.accountId)
        .execute();
      expect(consents.length).toBeGreaterThan(0);
      expect(consents.every((c) => c.withdrawn_at !== null)).toBe(true);
      const authenticators = await t.db
        .selectFrom('authenticators')
        .select(['revoked_at', 'revocation_reason'])
        .where('account_id', '=', r.accountId)
        .execute();
      expect(authenticators.every((x) => x.revocation_reason === 'account_closed')).toBe(true);
      const models = await t.db
        .selectFrom('oidc_models')
        .select('model')
        .where(sql<string>`payload->>'accountId'`, '=', r.accountId)
        .execute();
      expect(models).toEqual([]);

      // The RP is told: RISC account-purged and a back-channel logout, by pairwise sub only.
      const queued = await deliveries(rp.clientId);
      expect(queued.map((d) => [d.channel, d.event_type]).sort()).toEqual(
        [
          ['logout', BACKCHANNEL_LOGOUT_EVENT],
          ['push', RISC.accountPurged],
        ].sort(),
      );
      expect(JSON.stringify(queued)).not.toContain(r.accountId);
      expect((await listNotices(t.db, r.accountId))[0]).toMatchObject({
        kind: 'closed',
        reason: 'resident_request',
      });

      // Audited with the sweep's event type, ids and counts only; the chain verifies.
      const [closed] = await t.db
        .selectFrom('audit_log')
        .select(['actor', 'payload'])
        .where('account_id', '=', r.accountId)
        .where('type', '=', 'account.closed')
        .execute();
      expect(closed).toMatchObject({
        actor: `account:${r.accountId}`,
        payload: {
          by: 'resident',
          from: 'live',
          to: 'closed',
          reason: 'resident_request',
          erased: { sealedAttributes: 1, personas: 1, personKey: 1, anchors: 1 },
        },
      });
      expect((closed!.payload['sessionsRevoked'] as number) >= 1).toBe(true);
      expect((closed!.payload['grantsRevoked'] as number) >= 1).toBe(true);
      expect((await verifyAuditChain(t.db)).ok).toBe(true);

      // Closed is terminal.
      await expect(
        changeAccountStatus(p.deps, { action: 'close', by: 'operator', accountId: r.accountId, reason: 'x' }),
      ).rejects.toMatchObject({ code: 'account_already_closed' });

      // The same card enrols afresh: a new account, not the closed one.
      const issued = await issueEnrolment(p.deps, { purpose: 'enrolment' });
      const again = await completeEnrolment(p.deps, {
        id: issued.id,
        signature: { cms: await r.card.cms(fromBase64(issued.document.bytes)) },
      });
      expect(again.accountId).not.toBe(r.accountId);
      expect((await account(again.accountId)).status).toBe('live');
    });

    it('fail-closing-without-the-confirmation-changes-nothing', async () => {
      const r = await passkeyResident(p, sim);
      const none = await r.client.req('DELETE', '/api/me');
      expect(none.status).toBe(400);
      expect(none.body['code']).toBe('confirmation_required');
      const wrong = await r.client.req('DELETE', '/api/me', { confirm: 'yes' });
      expect(wrong.status).toBe(400);
      expect(wrong.body['code']).toBe('confirmation_required');
      expect((await account(r.accountId)).status).toBe('live');
      expect((await r.client.req('GET', '/api/me')).status).toBe(200);
      expect((await new Client(p.url).req('DELETE', '/api/me', { confirm: 'close' })).status).toBe(401);
    });

    it('fail-a-stale-sign-in-must-authenticate-again-then-closes', async () => {
      const r = await passkeyResident(p, sim);
      try {
        p.setNow(new Date(Date.now() + 10 * MINUTE));
        const stale = await r.client.req('DELETE', '/api/me', { confirm: 'close' });
        expect(stale.status).toBe(403);
        expect(stale.body).toMatchObject({ code: 'reauthentication_required', maxAuthAgeSeconds: 300 });
        expect((await account(r.accountId)).status).toBe('live');
        await r.login();
        expect((await r.client.req('DELETE', '/api/me', { confirm: 'close' })).status).toBe(204);
        expect((await account(r.accountId)).status).toBe('closed');
      } finally {
        p.setNow(new Date());
      }
    });
  });

  describe('an operator suspends, resumes and closes', () => {
    it('ok-suspend-refuses-login-and-tokens-resume-restores-them-with-rp-events', async () => {
      const rp = await eventfulRp();
      const { r, refresh } = await signedIn(rp);
      const suspended = await changeAccountStatus(p.deps, {
        action: 'suspend',
        by: 'operator',
        accountId: r.accountId,
        reason: 'abuse report 1234',
      });
      expect(suspended).toMatchObject({ from: 'live', to: 'suspended', reason: 'operator' });
      expect(suspended.sessionsRevoked).toBeGreaterThanOrEqual(1);
      expect((await r.client.req('GET', '/api/me')).status).toBe(401);
      expect(await passkeyLogin(r)).toEqual({ status: 403, code: 'authn_account_unavailable' });
      expect(await oauthError(client.refreshTokenGrant(rp.config, refresh))).toBe('invalid_grant');
      await expect(
        changeAccountStatus(p.deps, {
          action: 'suspend',
          by: 'operator',
          accountId: r.accountId,
          reason: 'again',
        }),
      ).rejects.toMatchObject({ code: 'account_already_suspended' });

      const resumed = await changeAccountStatus(p.deps, {
        action: 'resume',
        by: 'operator',
        accountId: r.accountId,
        reason: 'report closed',
      });
      expect(resumed).toMatchObject({ from: 'suspended', to: 'live', reason: null });
      // The refresh token was not used up by the refusal: it works again, and so does the passkey.
      expect((await client.refreshTokenGrant(rp.config, refresh)).access_token).toBeDefined();
      expect((await passkeyLogin(r)).status).toBe(200);
      await expect(
        changeAccountStatus(p.deps, {
          action: 'resume',
          by: 'operator',
          accountId: r.accountId,
          reason: 'x',
        }),
      ).rejects.toMatchObject({ code: 'account_resume_refused' });

      const queued = await deliveries(rp.clientId);
      expect(queued.map((d) => d.event_type)).toEqual([RISC.accountDisabled, RISC.accountEnabled]);
      expect(queued[0]!.payload).toEqual({ watashi_reason: 'operator' });
      // The operator's words stay in the audit log: not in events, not in notices.
      expect(JSON.stringify(queued)).not.toContain('abuse');
      const notices = await listNotices(t.db, r.accountId);
      expect(notices.map((n) => [n.kind, n.reason])).toEqual([
        ['released', 'operator'],
        ['suspended', 'operator'],
      ]);
      expect(notices[1]!.title.en).toMatch(/operator suspended/);
      expect(JSON.stringify(notices)).not.toContain('abuse');
      const audit = await t.db
        .selectFrom('audit_log')
        .select(['actor', 'type', 'payload'])
        .where('account_id', '=', r.accountId)
        .where('type', '=', 'account.status_changed')
        .orderBy('seq')
        .execute();
      expect(audit.map((a) => [a.actor, a.payload['to'], a.payload['note']])).toEqual([
        ['operator:cli', 'suspended', 'abuse report 1234'],
        ['operator:cli', 'live', 'report closed'],
      ]);
      expect((await verifyAuditChain(t.db)).ok).toBe(true);
    });

    it('fail-a-lost-card-suspension-is-not-resumed-by-an-operator', async () => {
      const r = await passkeyResident(p, sim);
      // What the sweep does on a certificateHold (lifecycle/sweep.ts).
      await t.db
        .updateTable('anchors')
        .set({ status: 'revoked', revocation_reason: 'certificateHold', revoked_at: new Date() })
        .where('account_id', '=', r.accountId)
        .where('purpose', '=', 'sign')
        .execute();
      await t.db
        .updateTable('accounts')
        .set({ status: 'suspended', status_reason: 'certificateHold' })
        .where('id', '=', r.accountId)
        .execute();
      const op = { by: 'operator', accountId: r.accountId, reason: 'resident called' } as const;
      await expect(changeAccountStatus(p.deps, { ...op, action: 'resume' })).rejects.toMatchObject({
        code: 'account_hold_resume_refused',
      });
      // An operator's suspension outlasts the hold; lifting it leaves the hold in force.
      expect(await changeAccountStatus(p.deps, { ...op, action: 'suspend' })).toMatchObject({
        from: 'suspended',
        to: 'suspended',
        reason: 'operator',
      });
      expect(await changeAccountStatus(p.deps, { ...op, action: 'resume' })).toMatchObject({
        to: 'suspended',
        reason: 'certificateHold',
      });
      expect((await account(r.accountId)).status_reason).toBe('certificateHold');
    });

    it('ok-resume-after-a-revocation-meanwhile-asks-for-re-proofing', async () => {
      const r = await passkeyResident(p, sim);
      const op = { by: 'operator', accountId: r.accountId, reason: 'case 7' } as const;
      await changeAccountStatus(p.deps, { ...op, action: 'suspend' });
      await t.db
        .updateTable('anchors')
        .set({ status: 'revoked', revocation_reason: 'affiliationChanged', revoked_at: new Date() })
        .where('account_id', '=', r.accountId)
        .where('purpose', '=', 'sign')
        .execute();
      expect(await changeAccountStatus(p.deps, { ...op, action: 'resume' })).toMatchObject({
        to: 'needs_reproofing',
        reason: 'affiliationChanged',
      });
      expect((await listNotices(t.db, r.accountId)).map((n) => n.kind).sort()).toEqual([
        'released',
        'reproofing_required',
        'suspended',
      ]);
    });

    it('fail-refusals-of-the-state-machine-and-the-input', async () => {
      const r = await passkeyResident(p, sim);
      const op = { by: 'operator', accountId: r.accountId } as const;
      await expect(
        changeAccountStatus(p.deps, { ...op, action: 'suspend', reason: ' ' }),
      ).rejects.toMatchObject({
        code: 'account_reason_invalid',
      });
      await expect(
        changeAccountStatus(p.deps, { ...op, action: 'suspend', reason: 'two\nlines' }),
      ).rejects.toMatchObject({ code: 'account_reason_invalid' });
      await expect(
        changeAccountStatus(p.deps, { ...op, action: 'suspend', reason: 'x'.repeat(201) }),
      ).rejects.toMatchObject({ code: 'account_reason_invalid' });
      await expect(
        changeAccountStatus(p.deps, { ...op, accountId: 'nope', action: 'close', reason: 'x' }),
      ).rejects.toMatchObject({ code: 'account_id_invalid' });
      await expect(
        changeAccountStatus(p.deps, { ...op, accountId: randomUUID(), action: 'close', reason: 'x' }),
      ).rejects.toMatchObject({ code: 'account_not_found' });
      // The resident cannot close over an operator's suspension (a legal hold, perhaps).
      await changeAccountStatus(p.deps, { ...op, action: 'suspend', reason: 'court order 5' });
      await expect(
        changeAccountStatus(p.deps, { action: 'close', by: 'resident', accountId: r.accountId }),
      ).rejects.toMatchObject({ code: 'account_close_refused' });
      // The operator can; without erase the data stays (evidence), and the card stays refused.
      const closed = await changeAccountStatus(p.deps, { ...op, action: 'close', reason: 'court order 5' });
      expect(closed).toMatchObject({ from: 'suspended', to: 'closed', reason: 'operator', erased: null });
      expect(
        await t.db.selectFrom('basic4').select('account_id').where('account_id', '=', r.accountId).execute(),
      ).toHaveLength(1);
      const issued = await issueEnrolment(p.deps, { purpose: 'enrolment' });
      await expect(
        completeEnrolment(p.deps, {
          id: issued.id,
          signature: { cms: await r.card.cms(fromBase64(issued.document.bytes)) },
        }),
      ).rejects.toMatchObject({ code: 'enrolment_account_closed' });
    });

    it('ok-admin-api-with-the-operator-token', async () => {
      const rp = await eventfulRp();
      const { r, refresh } = await signedIn(rp);
      const deps = { ...p.deps, config: { ...p.deps.config, adminToken: ADMIN } };
      const app = await buildServer(deps);
      registerAccountStatusRoutes(app, deps);
      await app.ready();
      try {
        const post = (path: string, body: unknown, token: string | null = ADMIN) =>
          app.inject({
            method: 'POST',
            url: path,
            headers: token === null ? {} : { authorization: `Bearer ${token}` },
            payload: body as Record<string, unknown>,
          });
        const url = (action: string) => `/api/admin/accounts/${r.accountId}/${action}`;
        expect((await post(url('suspend'), { reason: 'x' }, null)).statusCode).toBe(401);
        expect((await post(url('suspend'), { reason: 'x' }, 'd'.repeat(40))).statusCode).toBe(403);
        const noReason = await post(url('suspend'), {});
        expect(noReason.statusCode).toBe(400);
        expect(noReason.json()).toMatchObject({ code: 'account_reason_invalid' });
        expect((await post(url('erase'), { reason: 'x' })).statusCode).toBe(404);
        const missing = await post(`/api/admin/accounts/${randomUUID()}/suspend`, { reason: 'x' });
        expect(missing.statusCode).toBe(404);
        expect(missing.json()).toMatchObject({ code: 'account_not_found' });

        const s = await post(url('suspend'), { reason: 'phone call 42' });
        expect(s.statusCode, s.body).toBe(200);
        expect(s.json()).toMatchObject({ accountId: r.accountId, from: 'live', to: 'suspended' });
        const twice = await post(url('suspend'), { reason: 'phone call 42' });
        expect(twice.statusCode).toBe(409);
        expect(twice.json()).toMatchObject({ code: 'account_already_suspended' });
        const c = await post(url('close'), { reason: 'resident asked by phone, call 43', erase: true });
        expect(c.statusCode, c.body).toBe(200);
        expect(c.json()).toMatchObject({
          to: 'closed',
          reason: 'resident_request',
          erased: { sealedAttributes: 1 },
        });
        const again = await post(url('close'), { reason: 'x' });
        expect(again.statusCode).toBe(409);
        expect(again.json()).toMatchObject({ code: 'account_already_closed' });
        expect(await oauthError(client.refreshTokenGrant(rp.config, refresh))).toBe('invalid_grant');
        const actors = await t.db
          .selectFrom('audit_log')
          .select('actor')
          .where('account_id', '=', r.accountId)
          .where('type', 'in', ['account.status_changed', 'account.closed'])
          .execute();
        expect(actors.map((a) => a.actor)).toEqual(['operator:api', 'operator:api']);
      } finally {
        await app.close();
      }
    });
  });
});
