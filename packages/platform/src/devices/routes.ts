/**
 * Device certificate HTTP API and the CA's publication points (docs/trust-service.md).
 *
 * Resident (session):
 * - `GET  /api/devices` → `{devices: DeviceView[]}`
 * - `POST /api/devices/certificates` `{csr, profile, slot, label?, keyStorage, tokenModel?}` → 201
 *   `{device, activation: {challenge, message, expiresAt}, replaced: []}` (fresh sign-in needed)
 * - `POST /api/devices/change` — the same body; needs a card proof in this session; revokes every
 *   live certificate of the slot (superseded) and issues the new one in one transaction
 * - `POST /api/devices/certificates/:serial/activate` `{challenge, signature}` → DeviceView
 * - `POST /api/devices/certificates/:serial/revoke` `{lost?}` → DeviceView
 *
 * Public:
 * - `GET  /api/devices/certificates/:serial/status` → `{status, reason?, at?}` (what a device asks
 *   when it starts: a revoked certificate means "erase the key")
 * - `POST /api/devices/login/options` → `{challenge, message, expiresAt}`;
 *   `POST /api/devices/login` `{challenge, certificate, signature}` → login result, session cookie
 * - `GET  /ca/root.crt`, `/ca/issuing.crt` (DER), `/ca/root.crl`, `/ca/issuing.crl` (DER),
 *   `POST /ca/ocsp` (application/ocsp-request), `GET /ca/ocsp/<base64 request>` (RFC 6960 A.1)
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { startLoginSession } from '../authn/context.ts';
import type { PlatformDeps, SessionContext } from '../server/context.ts';
import { emptyBody, invalidAs, loginResult, optionalBody, withSchemas } from '../server/schemas.ts';
import { platformCa } from './ca.ts';
import { deviceError } from './errors.ts';
import {
  activateDeviceCertificate,
  crlEntries,
  deviceLoginChallenge,
  deviceStatus,
  issueDeviceCertificate,
  listDevices,
  nextCrlNumber,
  revokeDevice,
  verifyDeviceLogin,
} from './service.ts';

const base64 = z
  .string()
  .min(1)
  .max(16_384)
  .regex(/^[A-Za-z0-9+/_-]+={0,2}$/);
const issueBody = z.strictObject({
  csr: base64,
  profile: z.enum(['watashi-device-sign', 'watashi-device-auth']),
  slot: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/),
  label: z.string().trim().min(1).max(64).optional(),
  keyStorage: z.enum(['webcrypto', 'pkcs11']),
  tokenModel: z.string().trim().min(1).max(64).optional(),
});
const activateBody = z.strictObject({ challenge: z.string().min(1).max(256), signature: base64 });
const revokeBody = optionalBody(z.strictObject({ lost: z.boolean().optional() }));
const loginBody = z.strictObject({
  challenge: z.string().min(1).max(256),
  certificate: base64,
  signature: base64,
});
const serialParams = z.strictObject({ serial: z.string().regex(/^[1-9a-f][0-9a-f]{0,39}$/) });

/** A schema refusal keeps the area's code (devices/errors.ts). */
const invalid = invalidAs((detail) => deviceError('device_request_invalid', detail));

const deviceView = z.object({
  serial: z.string(),
  slot: z.string(),
  profile: z.enum(['watashi-device-sign', 'watashi-device-auth']),
  label: z.string().nullable(),
  state: z.enum(['pending', 'active', 'revoked']),
  keyStorage: z.enum(['webcrypto', 'pkcs11']),
  notAfter: z.string(),
  createdAt: z.string(),
  activatedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  revocationReason: z.string().nullable(),
  certificate: z.string(),
});
const challengeView = z.object({ challenge: z.string(), message: z.string(), expiresAt: z.string() });
const issuedView = z.object({
  device: deviceView,
  activation: challengeView,
  replaced: z.array(z.string()).readonly(),
});
const statusView = z.object({
  status: z.enum(['good', 'hold', 'revoked', 'unknown']),
  reason: z.string().optional(),
  at: z.string().optional(),
});

function sessionOf(req: FastifyRequest): SessionContext {
  if (req.session === null) throw new Error('devices: session route without a session');
  return req.session;
}

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

/** Registers the device routes and the CA's publication points. */
export function registerDeviceRoutes(app: FastifyInstance, deps: PlatformDeps): void {
  const session = { auth: 'session' as const, rateLimit: 'default' as const };
  const publicAuth = { auth: 'public' as const, rateLimit: 'authentication' as const };
  const publication = { auth: 'public' as const, rateLimit: 'default' as const };

  const routes = withSchemas(app);
  routes.get(
    '/api/devices',
    {
      config: session,
      schema: {
        summary: 'The resident’s device certificates',
        response: { 200: z.object({ devices: z.array(deviceView) }) },
      },
    },
    async (req) => ({
      devices: await listDevices(deps, sessionOf(req).accountId),
    }),
  );
  const issue =
    (replace: boolean) =>
    async (req: FastifyRequest & { body: z.output<typeof issueBody> }, reply: FastifyReply) => {
      const body = req.body;
      const issued = await issueDeviceCertificate(deps, {
        session: sessionOf(req),
        csr: bytes(body.csr),
        profile: body.profile,
        slot: body.slot,
        keyStorage: body.keyStorage,
        replace,
        ...(body.label === undefined ? {} : { label: body.label }),
        ...(body.tokenModel === undefined ? {} : { tokenModel: body.tokenModel }),
      });
      return reply.code(201).send(issued);
    };
  routes.post(
    '/api/devices/certificates',
    {
      config: session,
      schema: {
        summary: 'Issue an inactive device certificate for a CSR',
        body: issueBody,
        response: { 201: issuedView },
      },
      schemaErrorFormatter: invalid,
    },
    issue(false),
  );
  routes.post(
    '/api/devices/change',
    {
      config: session,
      schema: {
        summary: 'Change device: replace the slot’s certificates (needs a card proof)',
        body: issueBody,
        response: { 201: issuedView },
      },
      schemaErrorFormatter: invalid,
    },
    issue(true),
  );
  routes.post(
    '/api/devices/certificates/:serial/activate',
    {
      config: session,
      schema: {
        summary: 'Activate a certificate by proof of possession of its key',
        params: serialParams,
        body: activateBody,
        response: { 200: deviceView },
      },
      schemaErrorFormatter: invalid,
    },
    async (req) =>
      activateDeviceCertificate(deps, {
        session: sessionOf(req),
        serial: req.params.serial,
        challenge: req.body.challenge,
        signature: bytes(req.body.signature),
      }),
  );
  routes.post(
    '/api/devices/certificates/:serial/revoke',
    {
      config: session,
      schema: {
        summary: 'Revoke a device certificate (lost: keyCompromise)',
        params: serialParams,
        body: revokeBody,
        response: { 200: deviceView },
      },
      schemaErrorFormatter: invalid,
    },
    async (req) => {
      const s = sessionOf(req);
      return revokeDevice(deps, {
        accountId: s.accountId,
        serial: req.params.serial,
        lost: req.body.lost ?? false,
        actor: `account:${s.accountId}`,
      });
    },
  );
  routes.get(
    '/api/devices/certificates/:serial/status',
    {
      config: publication,
      schema: {
        summary: 'The status of a device certificate (what a device asks when it starts)',
        params: serialParams,
        response: { 200: statusView },
      },
      schemaErrorFormatter: invalid,
    },
    async (req) => {
      const st = await deviceStatus(deps, BigInt(`0x${req.params.serial}`));
      return st.type === 'revoked'
        ? { status: 'revoked' as const, reason: st.reason, at: st.at.toISOString() }
        : st.type === 'hold'
          ? { status: 'hold' as const }
          : { status: st.type };
    },
  );
  routes.post(
    '/api/devices/login/options',
    {
      config: publicAuth,
      schema: {
        summary: 'A challenge for signing in with a device certificate',
        body: emptyBody,
        response: { 200: challengeView },
      },
      schemaErrorFormatter: invalid,
    },
    async () => deviceLoginChallenge(deps),
  );
  routes.post(
    '/api/devices/login',
    {
      config: publicAuth,
      schema: {
        summary: 'Sign in with a device certificate',
        body: loginBody,
        response: { 200: loginResult },
      },
      schemaErrorFormatter: invalid,
    },
    async (req, reply) => {
      const body = req.body;
      const login = await verifyDeviceLogin(deps, {
        challenge: body.challenge,
        certificate: bytes(body.certificate),
        signature: bytes(body.signature),
      });
      const { session: started, context } = await startLoginSession(deps, reply, login);
      return {
        accountId: login.accountId,
        authenticatorId: login.authenticatorId,
        acr: context.acr,
        amr: context.amr,
        ial: context.ial,
        aal: context.aal,
        expiresAt: started.expiresAt.toISOString(),
      };
    },
  );

  // The CA's publication points (stable URLs named in every certificate's AIA and CRL DP).
  const der = (type: string, body: Uint8Array, reply: FastifyReply) =>
    reply.type(type).header('cache-control', 'no-cache').send(Buffer.from(body));
  app.get('/ca/root.crt', { config: publication }, async (_req, reply) =>
    der('application/pkix-cert', (await platformCa(deps)).root.der, reply),
  );
  app.get('/ca/issuing.crt', { config: publication }, async (_req, reply) =>
    der('application/pkix-cert', (await platformCa(deps)).issuing.der, reply),
  );
  app.get('/ca/issuing.crl', { config: publication }, async (_req, reply) => {
    const ca = await platformCa(deps);
    const now = deps.now();
    const crl = await ca.crl({
      entries: await crlEntries(deps),
      crlNumber: await nextCrlNumber(deps, 'issuing'),
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 3600_000),
    });
    return der('application/pkix-crl', crl, reply);
  });
  app.get('/ca/root.crl', { config: publication }, async (_req, reply) => {
    const ca = await platformCa(deps);
    const now = deps.now();
    const crl = await ca.rootCrl({
      crlNumber: await nextCrlNumber(deps, 'root'),
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 7 * 86_400_000),
    });
    return der('application/pkix-crl', crl, reply);
  });
  // OCSP over HTTP (RFC 6960 Appendix A.1): POST with the DER request, or GET with it base64'd in the path.
  app.register((scope, _options, done) => {
    scope.addContentTypeParser(
      'application/ocsp-request',
      { parseAs: 'buffer', bodyLimit: 16 * 1024 },
      (_r, body, done) => done(null, body),
    );
    const answer = async (request: Uint8Array, reply: FastifyReply) => {
      const ca = await platformCa(deps);
      const now = deps.now();
      const response = await ca.ocsp(request, (serial) => deviceStatus(deps, serial), now, 300);
      return reply
        .type('application/ocsp-response')
        .header('cache-control', 'no-cache')
        .send(Buffer.from(response));
    };
    scope.post('/ca/ocsp', { config: publication }, async (req, reply) =>
      answer(Buffer.isBuffer(req.body) ? new Uint8Array(req.body) : new Uint8Array(0), reply),
    );
    scope.get('/ca/ocsp/*', { config: publication }, async (req, reply) => {
      const raw = (req.params as { '*': string })['*'];
      let request: Uint8Array;
      try {
        request = new Uint8Array(Buffer.from(decodeURIComponent(raw), 'base64'));
      } catch {
        request = new Uint8Array(0);
      }
      return answer(request, reply);
    });
    done();
  });
}
