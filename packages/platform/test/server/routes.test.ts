/**
 * Schemas at every HTTP edge (issue 16; docs/conventions.md "Declaring a route"): every route the
 * platform registers declares its zod schemas, except the non-JSON routes listed below with their
 * reason; the OpenAPI document generated from them is valid OpenAPI 3.1 (checked by an independent
 * validator, @seriousme/openapi-schema-validator) and lists every /api route.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { forEachEngine } from '../db/harness.ts';
import { createPlatform, type Platform } from '../../src/platform.ts';
import { openApiPath } from '../../src/server/openapi.ts';
import type { RouteRecord } from '../../src/server/schemas.ts';
import { SESSION_COOKIE } from '../../src/server/sessions.ts';
import { createAccount } from './support.ts';

const ADMIN_TOKEN = 'a'.repeat(40);

/**
 * Routes that answer something other than JSON, so a zod body/response schema has nothing to say.
 * Keyed `METHOD url`; each with its reason. A JSON route never belongs here.
 */
const NON_JSON: Readonly<Record<string, string>> = {
  'GET /': 'redirect to the wallet',
  'GET /wallet': 'redirect to the wallet',
  'GET /wallet/*': 'the wallet’s static files and HTML shell',
  'GET /assurance': 'HTML page of the assurance table',
  'GET /verify': 'HTML page of the signature verifier',
  'GET /verify.js': 'script of the signature verifier',
  'GET /verify.css': 'stylesheet of the signature verifier',
  'GET /metrics': 'Prometheus text exposition format',
  'GET /ca/root.crt': 'DER certificate download (RFC 5280)',
  'GET /ca/issuing.crt': 'DER certificate download (RFC 5280)',
  'GET /ca/issuing.crl': 'DER CRL download (RFC 5280)',
  'GET /ca/root.crl': 'DER CRL download (RFC 5280)',
  'POST /ca/ocsp': 'OCSP request and response are DER (RFC 6960 §A.1)',
  'GET /ca/ocsp/*': 'OCSP GET: base64 DER request in the path (RFC 6960 §A.1)',
  'POST /tsa': 'time-stamp query and reply are DER (RFC 3161 §3.4)',
  'GET /tsa/certificate': 'DER certificate download',
  'GET /oidc/*': 'oidc-provider’s own endpoints (OpenID Connect; described by its discovery document)',
  'POST /oidc/*': 'oidc-provider’s own endpoints (OpenID Connect; described by its discovery document)',
  'PUT /oidc/*': 'oidc-provider’s own endpoints (OpenID Connect; described by its discovery document)',
  'DELETE /oidc/*': 'oidc-provider’s own endpoints (OpenID Connect; described by its discovery document)',
  'OPTIONS /oidc/*': 'oidc-provider’s own endpoints (CORS preflight)',
  'GET /oidc/interaction/:uid': 'browser navigation: redirects to the wallet’s pages, or its error page',
  'GET /counter': 'HTML page of the counter (in-person verifier)',
  'GET /counter/offline': 'HTML page of the counter with no network',
  'GET /counter/counter.js': 'script of the counter page',
  'GET /counter/counter.css': 'stylesheet of the counter page',
  'GET /credentials/status/1': 'Token Status List as a signed JWT (application/statuslist+jwt)',
};

/**
 * Bad input per converted area, and the stable code its schema refusal maps to (the code each route
 * answered with before it had schemas). `session`: sent with a signed-in resident's cookie.
 */
const BAD_INPUT: ReadonlyArray<{
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly session?: true;
  /** Sent with the operator's bearer token. */
  readonly admin?: true;
  readonly code: string;
  /** 400 unless said. */
  readonly status?: number;
}> = [
  // authn: authn_request_invalid
  {
    method: 'POST',
    path: '/api/authn/passkeys/login/options',
    body: '{"accountId":"x"}',
    code: 'authn_request_invalid',
  },
  {
    method: 'POST',
    path: '/api/authn/card/login',
    body: '{"challenge":"c","certificate":"***","signature":"AAAA"}',
    code: 'authn_request_invalid',
  },
  { method: 'POST', path: '/api/authn/card/login/options', body: '[1]', code: 'authn_request_invalid' },
  {
    method: 'PATCH',
    path: '/api/authn/authenticators/not-a-uuid',
    body: '{"label":"x"}',
    session: true,
    code: 'authn_request_invalid',
  },
  // enrolment: enrolment_request_invalid
  { method: 'POST', path: '/api/enrolments', body: '{"consent":"yes"}', code: 'enrolment_request_invalid' },
  {
    method: 'POST',
    path: '/api/enrolments/x/complete',
    body: '{"cms":"***"}',
    code: 'enrolment_request_invalid',
  },
  {
    method: 'POST',
    path: '/api/enrolments/x/complete',
    body: '{"other":1}',
    code: 'enrolment_request_invalid',
  },
  { method: 'POST', path: '/api/enrolments/x/complete', body: '[]', code: 'enrolment_request_invalid' },
  // me: request_invalid, and session_not_found for a malformed session id
  { method: 'GET', path: '/api/me/sign-ins?limit=0', session: true, code: 'request_invalid' },
  { method: 'GET', path: '/api/me/sign-ins?other=1', session: true, code: 'request_invalid' },
  {
    method: 'POST',
    path: '/api/me/sessions/sign-out-everywhere',
    body: '{"refreshTokens":"all"}',
    session: true,
    code: 'request_invalid',
  },
  {
    method: 'DELETE',
    path: '/api/me/sessions/not-a-uuid',
    session: true,
    code: 'session_not_found',
    status: 404,
  },
  // lifecycle: the account-closing confirmation and the operator's codes
  {
    method: 'DELETE',
    path: '/api/me',
    body: '{"confirm":"yes"}',
    session: true,
    code: 'confirmation_required',
  },
  { method: 'DELETE', path: '/api/me', session: true, code: 'confirmation_required' },
  // devices: device_request_invalid
  {
    method: 'POST',
    path: '/api/devices/certificates',
    body: '{"csr":"AAAA","profile":"root","slot":"Phone!"}',
    session: true,
    code: 'device_request_invalid',
  },
  { method: 'GET', path: '/api/devices/certificates/XYZ/status', code: 'device_request_invalid' },
  { method: 'POST', path: '/api/devices/login', body: '{"challenge":"c"}', code: 'device_request_invalid' },
  // oidc: request_invalid
  { method: 'GET', path: '/api/me/disclosures?before=0', session: true, code: 'request_invalid' },
  { method: 'DELETE', path: '/api/me/consents/a%20b', session: true, code: 'request_invalid' },
  {
    method: 'POST',
    path: '/api/me/personas',
    body: '{"name":"","claims":[]}',
    session: true,
    code: 'request_invalid',
  },
  { method: 'GET', path: '/oidc/interaction/x/details?locale=fr', code: 'request_invalid' },
  // the operator's fee report and the signature check
  { method: 'GET', path: '/api/admin/fees?month=13', admin: true, code: 'fees_month_invalid' },
  { method: 'GET', path: '/api/admin/fees?other=1', admin: true, code: 'request_invalid' },
  {
    method: 'POST',
    path: '/api/signatures/verify',
    body: '{}',
    code: 'signature_request_invalid',
    status: 415,
  },
  {
    method: 'POST',
    path: '/api/admin/accounts/x/explode',
    body: '{"reason":"r"}',
    admin: true,
    code: 'not_found',
    status: 404,
  },
  {
    method: 'POST',
    path: '/api/admin/accounts/x/suspend',
    body: '{}',
    admin: true,
    code: 'account_reason_invalid',
  },
  {
    method: 'GET',
    path: '/api/admin/events/deliveries?status=lost',
    admin: true,
    code: 'request_invalid',
  },
  {
    method: 'POST',
    path: '/api/admin/events/deliveries/not-a-uuid/retry',
    admin: true,
    code: 'request_invalid',
  },
];

/** What `r` fails to declare, or nothing. */
function missing(r: RouteRecord): string[] {
  const s = r.schema;
  const out: string[] = [];
  if (s?.response === undefined || Object.keys(s.response as object).length === 0) out.push('response');
  if (/[:*]/.test(r.url) && s?.params === undefined) out.push('params');
  if (['POST', 'PUT', 'PATCH'].includes(r.method) && s?.body === undefined) out.push('body');
  // A handler reading the query or the body by hand without a schema for it.
  const source = String(r.handler);
  if (/\breq\.query\b/.test(source) && s?.querystring === undefined) out.push('querystring');
  if (/\breq\.body\b/.test(source) && s?.body === undefined && !out.includes('body')) out.push('body');
  return out;
}

forEachEngine((t) => {
  let p: Platform;
  let url: string;
  beforeAll(async () => {
    p = await createPlatform(
      {
        mode: 'production',
        allowInProduction: { embeddedDatabase: true },
        port: 0,
        logLevel: 'silent',
        keyStore: { kind: 'memory' },
        operations: { metricsToken: 'm'.repeat(32) },
        tsa: { policyOid: '1.2.392.999999.20.1' },
        adminToken: ADMIN_TOKEN,
        // Set so that the routes registered only with a public URL (the credential issuer and the
        // counter) are checked too.
        publicUrl: 'https://id.example.jp',
        jlis: { kind: 'standard', ocspUrl: 'http://127.0.0.1:9/ocsp', crlUrls: ['http://127.0.0.1:9/crl'] },
      },
      { database: t.database },
    );
    url = await p.listen();
  });
  afterAll(async () => {
    await p.close();
  });

  /** A live session cookie of a fresh account. */
  let cookie = '';
  beforeAll(async () => {
    const token = randomBytes(32).toString('base64url');
    await t.db
      .insertInto('sessions')
      .values({
        token_hash: new Uint8Array(createHash('sha256').update(token).digest()),
        account_id: await createAccount(t),
        auth_time: new Date(),
        acr: 'urn:watashi:ac:jp:ial3-aal2',
        amr: ['pop', 'swk', 'user'],
        expires_at: new Date(Date.now() + 3600_000),
      })
      .execute();
    cookie = `${SESSION_COOKIE}=${token}`;
  });

  const routes = (): RouteRecord[] => (p.app.watashiRoutes ?? []).filter((r) => r.method !== 'HEAD');
  const key = (r: RouteRecord): string => `${r.method} ${r.url}`;

  describe('route schemas', () => {
    it('ok-every-route-declares-its-schemas', () => {
      expect(routes().length).toBeGreaterThan(50);
      const undeclared = routes()
        .filter((r) => NON_JSON[key(r)] === undefined)
        .map((r) => ({ route: key(r), missing: missing(r) }))
        .filter((r) => r.missing.length > 0);
      expect(undeclared).toEqual([]);
    });

    it('ok-the-exception-lists-name-only-registered-routes', () => {
      const registered = new Set(routes().map(key));
      const stale = Object.keys(NON_JSON).filter((k) => !registered.has(k));
      expect(stale).toEqual([]);
      // A JSON API route is never exempt.
      expect(Object.keys(NON_JSON).filter((k) => k.includes(' /api/'))).toEqual([]);
    });

    it('ok-openapi-document-is-valid-and-lists-every-api-route', async () => {
      const res = await fetch(`${url}/api/openapi.json`);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
      expect(doc.openapi).toBe('3.1.0');
      const validator = new Validator();
      const result = await validator.validate(doc);
      expect(result.errors ?? []).toEqual([]);
      expect(result.valid).toBe(true);
      const listed = new Set(
        Object.entries(doc.paths).flatMap(([path, ops]) =>
          Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
        ),
      );
      const api = routes().filter((r) => r.url.startsWith('/api/'));
      expect(api.map((r) => `${r.method} ${openApiPath(r.url)}`).filter((k) => !listed.has(k))).toEqual([]);
      // The declared shapes are in it: a body, a path parameter and a 204.
      const persona = doc.paths['/api/me/personas/{id}'] as Record<string, Record<string, unknown>>;
      expect(JSON.stringify(persona['patch']?.['requestBody'])).toContain('"claims"');
      expect(JSON.stringify(persona['delete']?.['parameters'])).toContain('"in":"path"');
      expect(Object.keys(persona['delete']?.['responses'] as object)).toContain('204');
    });

    it('fail-schema-refusal-is-a-problem-with-the-stable-code', async () => {
      // A body that is not an object where the route takes none: 400 request_invalid, not a 500.
      const res = await fetch(`${url}/api/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '"x"',
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as { code: string }).code).toBe('request_invalid');
      // No body at all is still fine.
      expect((await fetch(`${url}/api/logout`, { method: 'POST' })).status).toBe(204);
    });

    it('fail-bad-input-keeps-each-area-stable-code', async () => {
      const got = [];
      for (const c of BAD_INPUT) {
        const res = await fetch(`${url}${c.path}`, {
          method: c.method,
          headers: {
            ...(c.body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(c.session ? { cookie } : {}),
            ...(c.admin ? { authorization: `Bearer ${ADMIN_TOKEN}` } : {}),
          },
          ...(c.body === undefined ? {} : { body: c.body }),
        });
        const body = (await res.json()) as { code?: string };
        got.push({
          route: `${c.method} ${c.path} ${c.body ?? ''}`,
          status: res.status,
          type: res.headers.get('content-type')?.split(';')[0],
          code: body.code,
        });
      }
      expect(got).toEqual(
        BAD_INPUT.map((c) => ({
          route: `${c.method} ${c.path} ${c.body ?? ''}`,
          status: c.status ?? 400,
          type: 'application/problem+json',
          code: c.code,
        })),
      );
    });
  });
});
