import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { WatashiError } from '@watashi/pki';
import { forEachEngine } from '../db/harness.ts';
import { buildServer } from '../../src/server/app.ts';
import { problem } from '../../src/server/problem.ts';
import { endSession, SESSION_COOKIE, startSession } from '../../src/server/sessions.ts';
import type { PlatformDeps } from '../../src/server/context.ts';
import { registerFeeRoutes } from '../../src/jlis/routes.ts';
import { cookieFrom, createAccount, listen, testDeps } from './support.ts';

const ADMIN = 'a'.repeat(40);

async function testApp(deps: PlatformDeps): Promise<FastifyInstance> {
  const app = await buildServer(deps);
  app.route({
    method: 'POST',
    url: '/t/echo',
    config: { auth: 'public' },
    schema: { body: z.strictObject({ n: z.number().int() }) },
    handler: (req) => ({ got: req.body }),
  });
  app.post('/t/parse', { config: { auth: 'public' } }, (req) =>
    z.strictObject({ a: z.string() }).parse(req.body),
  );
  app.get('/t/watashi', { config: { auth: 'public' } }, () => {
    throw new WatashiError('path_revoked', 'the certificate is revoked');
  });
  app.get('/t/with-status', { config: { auth: 'public' } }, () => {
    throw new WatashiError('enrolment_nonce_replayed', 'used', { detail: { status: 409 } });
  });
  app.get('/t/platform', { config: { auth: 'public' } }, () => {
    throw problem('thing_gone', 410, 'the thing is gone', { thing: 't1' });
  });
  app.get('/t/crash', { config: { auth: 'public' } }, () => {
    throw new Error('secret internals at /srv/x.ts:12');
  });
  app.get('/t/internal', { config: { auth: 'public' } }, () => {
    throw new WatashiError('key_store_decrypt_failed', 'key material details');
  });
  app.post('/t/login', { config: { auth: 'public' } }, async (req, reply) => {
    const { accountId } = z.strictObject({ accountId: z.uuid() }).parse(req.body);
    const s = await startSession(deps, reply, { accountId, acr: 'urn:x', amr: ['hwk'] });
    return { id: s.id, session: req.session };
  });
  app.post('/t/logout', { config: { auth: 'public' } }, async (req, reply) => ({
    ended: await endSession(deps, req, reply),
  }));
  app.get('/t/me', { config: { auth: 'session' } }, (req) => ({
    accountId: req.session?.accountId,
    amr: req.session?.amr,
  }));
  app.get('/t/admin', { config: { auth: 'admin' } }, () => ({ ok: true }));
  registerFeeRoutes(app, deps);
  app.post('/t/auth', { config: { auth: 'public', rateLimit: 'authentication' } }, () => ({ ok: true }));
  app.get('/t/unlimited', { config: { auth: 'public', rateLimit: false } }, () => ({ ok: true }));
  return app;
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function expectProblem(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, type: `urn:watashi:problem:${code}` });
  expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+|stack/);
  return body;
}

forEachEngine((t) => {
  let app: FastifyInstance;
  let url: string;
  let deps: PlatformDeps;
  beforeAll(async () => {
    deps = await testDeps(t, {
      adminToken: ADMIN,
      bodyLimitBytes: 2048,
      rateLimits: {
        authentication: { max: 3, windowSeconds: 3600 },
        default: { max: 1000, windowSeconds: 60 },
      },
    });
    app = await testApp(deps);
    url = await listen(app);
  });
  afterAll(async () => {
    await app.close();
  });

  describe('problems', () => {
    it('ok-valid-body', async () => {
      const res = await fetch(`${url}/t/echo`, json({ n: 1 }));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ got: { n: 1 } });
    });

    it('fail-schema-invalid-request_invalid', async () => {
      await expectProblem(await fetch(`${url}/t/echo`, json({ n: 'x' })), 400, 'request_invalid');
      await expectProblem(await fetch(`${url}/t/echo`, json({ n: 1, extra: true })), 400, 'request_invalid');
    });

    it('fail-zod-parse-in-handler-request_invalid', async () => {
      const p = await expectProblem(await fetch(`${url}/t/parse`, json({ a: 1 })), 400, 'request_invalid');
      expect(p['detail']).toMatch(/^invalid request: a:/);
    });

    it('fail-malformed-json-request_invalid', async () => {
      await expectProblem(
        await fetch(`${url}/t/echo`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{',
        }),
        400,
        'request_invalid',
      );
    });

    it('fail-unsupported-media-type', async () => {
      await expectProblem(
        await fetch(`${url}/t/echo`, {
          method: 'POST',
          headers: { 'content-type': 'text/xml' },
          body: '<a/>',
        }),
        415,
        'media_type_unsupported',
      );
    });

    it('fail-unknown-route-not_found', async () => {
      const p = await expectProblem(await fetch(`${url}/nope?x=1`), 404, 'not_found');
      expect(p['detail']).toBe('no route GET /nope');
    });

    it('fail-oversized-body-body_too_large', async () => {
      await expectProblem(
        await fetch(`${url}/t/echo`, json({ n: 1, pad: 'x'.repeat(4096) })),
        413,
        'body_too_large',
      );
    });

    it('fail-watashi-error-mapped-by-code', async () => {
      const p = await expectProblem(await fetch(`${url}/t/watashi`), 403, 'path_revoked');
      expect(p['detail']).toBe('the certificate is revoked');
    });

    it('fail-watashi-error-detail-status', async () => {
      await expectProblem(await fetch(`${url}/t/with-status`), 409, 'enrolment_nonce_replayed');
    });

    it('fail-platform-error-with-extra', async () => {
      const p = await expectProblem(await fetch(`${url}/t/platform`), 410, 'thing_gone');
      expect(p['thing']).toBe('t1');
    });

    it('fail-crash-internal_error-without-leak', async () => {
      const res = await fetch(`${url}/t/crash`);
      const p = await expectProblem(res, 500, 'internal_error');
      expect(p['detail']).toBe('internal error');
      expect(JSON.stringify(p)).not.toContain('secret');
      expect(p['instance']).toBe(`urn:watashi:request:${res.headers.get('x-request-id') ?? ''}`);
    });

    it('fail-server-side-watashi-error-keeps-code-hides-message', async () => {
      const p = await expectProblem(await fetch(`${url}/t/internal`), 500, 'key_store_decrypt_failed');
      expect(p['detail']).toBe('internal error');
    });
  });

  describe('request ids and headers', () => {
    it('ok-request-id-echoed-or-generated', async () => {
      const a = await fetch(`${url}/t/unlimited`, { headers: { 'x-request-id': 'abc-123' } });
      expect(a.headers.get('x-request-id')).toBe('abc-123');
      const b = await fetch(`${url}/t/unlimited`, { headers: { 'x-request-id': 'x'.repeat(65) } });
      expect(b.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('ok-security-headers', async () => {
      const res = await fetch(`${url}/t/unlimited`);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      // Not over https: no HSTS.
      expect(res.headers.get('strict-transport-security')).toBeNull();
      // Problems carry them too.
      expect((await fetch(`${url}/nope`)).headers.get('content-security-policy')).toBe(csp);
    });
  });

  describe('sessions', () => {
    it('fail-session-required', async () => {
      await expectProblem(await fetch(`${url}/t/me`), 401, 'session_required');
      await expectProblem(
        await fetch(`${url}/t/me`, { headers: { cookie: `${SESSION_COOKIE}=${'A'.repeat(43)}` } }),
        401,
        'session_required',
      );
      await expectProblem(
        await fetch(`${url}/t/me`, { headers: { cookie: `${SESSION_COOKIE}=not-a-token` } }),
        401,
        'session_required',
      );
    });

    it('ok-start-session-cookie-hash-only-logout', async () => {
      const accountId = await createAccount(t);
      const res = await fetch(`${url}/t/login`, json({ accountId }));
      expect(res.status).toBe(200);
      const started = (await res.json()) as { id: string; session: { accountId: string } };
      expect(started.session.accountId).toBe(accountId);
      const raw = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? '';
      expect(raw).toMatch(/; HttpOnly/);
      expect(raw).toMatch(/; SameSite=Lax/);
      expect(raw).toMatch(/; Path=\//);
      expect(raw).not.toMatch(/; Secure/);
      expect(raw).toMatch(/; Max-Age=28800/);
      const cookie = cookieFrom(res, SESSION_COOKIE) ?? '';
      const token = cookie.split('=')[1] ?? '';
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      const row = await t.db
        .selectFrom('sessions')
        .selectAll()
        .where('id', '=', started.id)
        .executeTakeFirstOrThrow();
      const { createHash } = await import('node:crypto');
      expect(Buffer.from(row.token_hash).equals(createHash('sha256').update(token).digest())).toBe(true);
      expect(JSON.stringify(row)).not.toContain(token);
      expect(row.expires_at.getTime() - row.created_at.getTime()).toBe(8 * 3600 * 1000);

      const me = await fetch(`${url}/t/me`, { headers: { cookie } });
      expect(await me.json()).toEqual({ accountId, amr: ['hwk'] });

      const out = await fetch(`${url}/t/logout`, { method: 'POST', headers: { cookie } });
      expect(await out.json()).toEqual({ ended: true });
      expect(out.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=;`))).toBe(true);
      await expectProblem(await fetch(`${url}/t/me`, { headers: { cookie } }), 401, 'session_required');
    });

    it('fail-expired-session', async () => {
      const accountId = await createAccount(t);
      const res = await fetch(`${url}/t/login`, json({ accountId }));
      const cookie = cookieFrom(res, SESSION_COOKIE) ?? '';
      const { id } = (await res.json()) as { id: string };
      await t.db
        .updateTable('sessions')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('id', '=', id)
        .execute();
      await expectProblem(await fetch(`${url}/t/me`, { headers: { cookie } }), 401, 'session_required');
    });

    it('fail-closed-account-session', async () => {
      const accountId = await createAccount(t);
      const res = await fetch(`${url}/t/login`, json({ accountId }));
      const cookie = cookieFrom(res, SESSION_COOKIE) ?? '';
      expect((await fetch(`${url}/t/me`, { headers: { cookie } })).status).toBe(200);
      await t.db.updateTable('accounts').set({ status: 'closed' }).where('id', '=', accountId).execute();
      await expectProblem(await fetch(`${url}/t/me`, { headers: { cookie } }), 401, 'session_required');
    });
  });

  describe('admin', () => {
    it('fail-admin-no-token-401', async () => {
      const res = await fetch(`${url}/t/admin`);
      await expectProblem(res, 401, 'admin_required');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      await expectProblem(
        await fetch(`${url}/t/admin`, { headers: { authorization: `Basic ${ADMIN}` } }),
        401,
        'admin_required',
      );
    });

    it('ok-admin-fees-report-of-a-jst-month-and-bad-month-is-400', async () => {
      const auth = { headers: { authorization: `Bearer ${ADMIN}` } };
      await expectProblem(await fetch(`${url}/api/admin/fees?month=2031-04`), 401, 'admin_required');
      await t.db
        .insertInto('fee_ledger')
        .values({
          at: new Date('2031-03-31T15:00:00Z'), // 00:00 JST on 1 April
          method: 'ocsp',
          purpose: 'signature_verification',
          certificate: 'sign',
          client_id: 'rp-admin',
          account_id: null,
          price_yen: 20,
          outcome: 'good',
          error_code: null,
          backend: 'simulator',
        })
        .execute();
      const res = await fetch(`${url}/api/admin/fees?month=2031-04`, auth);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        month: '2031-04',
        timezone: 'Asia/Tokyo',
        lines: [{ clientId: 'rp-admin', purpose: 'signature_verification', queries: 1, failed: 0, yen: 20 }],
        total: { queries: 1, yen: 20 },
      });
      const march = (await (await fetch(`${url}/api/admin/fees?month=2031-03`, auth)).json()) as {
        total: unknown;
      };
      expect(march.total).toEqual({ queries: 0, yen: 0 });
      await expectProblem(await fetch(`${url}/api/admin/fees?month=2031-4`, auth), 400, 'fees_month_invalid');
    });

    it('fail-admin-wrong-token-403', async () => {
      await expectProblem(
        await fetch(`${url}/t/admin`, { headers: { authorization: `Bearer ${ADMIN}x` } }),
        403,
        'admin_forbidden',
      );
      await expectProblem(
        await fetch(`${url}/t/admin`, { headers: { authorization: 'Bearer short' } }),
        403,
        'admin_forbidden',
      );
    });

    it('ok-admin-token', async () => {
      const res = await fetch(`${url}/t/admin`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true });
    });
  });

  describe('rate limits', () => {
    it('fail-authentication-route-rate_limited', async () => {
      for (let i = 0; i < 3; i++) expect((await fetch(`${url}/t/auth`, { method: 'POST' })).status).toBe(200);
      const res = await fetch(`${url}/t/auth`, { method: 'POST' });
      const p = await expectProblem(res, 429, 'rate_limited');
      expect(typeof p['retryAfterSeconds']).toBe('number');
      expect(res.headers.get('retry-after')).not.toBeNull();
      // Other buckets are unaffected.
      expect((await fetch(`${url}/t/unlimited`)).status).toBe(200);
      expect((await fetch(`${url}/t/echo`, json({ n: 2 }))).status).toBe(200);
    });
  });

  describe('route guard', () => {
    it('fail-route-without-auth-refused', async () => {
      const other = await buildServer(deps);
      expect(() => other.get('/x', () => 'x')).toThrow(/declares no config\.auth/);
      expect(() => other.get('/y', { config: { auth: 'everyone' as never } }, () => 'y')).toThrow(
        /declares no config\.auth/,
      );
      await other.close();
    });
  });
});
