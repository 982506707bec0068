/**
 * Authentication HTTP API (docs/architecture.md §3.2). Bodies are parsed with zod in the handler (strict
 * objects); errors are `authn_*` WatashiErrors with the HTTP status in `detail.status`, rendered
 * as RFC 9457 problem documents by the server.
 *
 * Passkeys (WebAuthn; `response` is the browser's RegistrationResponseJSON /
 * AuthenticationResponseJSON as produced by @simplewebauthn/browser):
 * - `POST /api/authn/passkeys/registration/options` (session) → PublicKeyCredentialCreationOptionsJSON
 * - `POST /api/authn/passkeys/registration` (session) `{response, label?}` → 201 authenticator
 * - `POST /api/authn/passkeys/login/options` (public) `{accountId?}` → PublicKeyCredentialRequestOptionsJSON
 * - `POST /api/authn/passkeys/login` (public) `{response}` → 200 login result, session cookie set
 *
 * Card user-authentication certificate (the card signs `message`, see card.ts):
 * - `POST /api/authn/card/binding/options` (session) → `{challenge, message, expiresAt}`
 * - `POST /api/authn/card/binding` (session) `{challenge, certificate, signature}` → 201 authenticator
 * - `POST /api/authn/card/login/options` (public) → `{challenge, message, expiresAt}`
 * - `POST /api/authn/card/login` (public) `{challenge, certificate, signature}` → 200 login result
 *
 * Step-up has no route here: the wallet's step-up page reads it from the interaction it belongs to
 * (`GET /oidc/interaction/:uid/details`, oidc/interaction-api.ts; the rule: authn/step-up.ts).
 *
 * Managing authenticators (session):
 * - `GET /api/authn/authenticators` → `{authenticators: […]}`
 * - `PATCH /api/authn/authenticators/:id` `{label}` → authenticator
 * - `POST /api/authn/authenticators/:id/revoke` `{force?}` → `{revoked, sessionsEnded}`
 *
 * A login result: `{accountId, authenticatorId, acr, amr, ial, aal, expiresAt}`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { PlatformDeps, SessionContext } from '../server/context.ts';
import { SESSION_COOKIE } from '../server/sessions.ts';
import { bindCard, cardChallenge, verifyCardLogin, type CardChallenge } from './card.ts';
import { startLoginSession } from './context.ts';
import { authnError } from './errors.ts';
import { listAuthenticators, renameAuthenticator, revokeAuthenticator } from './manage.ts';
import {
  passkeyAuthenticationOptions,
  passkeyRegistrationOptions,
  registerPasskey,
  verifyPasskeyLogin,
} from './passkeys.ts';
import type { AuthenticatorFacts } from '../assurance/evaluate.ts';

const base64 = z
  .string()
  .min(1)
  .max(65_536)
  .regex(/^[A-Za-z0-9+/_-]+={0,2}$/);
const label = z.string().trim().min(1).max(64);
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);

const registrationBody = z.strictObject({ response: z.unknown(), label: label.optional() });
const loginOptionsBody = z.strictObject({ accountId: uuid.optional() });
const loginBody = z.strictObject({ response: z.unknown() });
const cardBody = z.strictObject({
  challenge: z.string().min(1).max(256),
  certificate: base64,
  signature: base64,
  label: label.optional(),
});
const renameBody = z.strictObject({ label });
const revokeBody = z.strictObject({ force: z.boolean().optional() });
const idParams = z.strictObject({ id: uuid });

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value ?? {});
  if (!r.success)
    throw authnError('authn_request_invalid', `invalid request: ${r.error.issues[0]?.message ?? ''}`);
  return r.data;
}

function sessionOf(req: FastifyRequest): SessionContext {
  if (req.session === null) throw new Error('auth: session route without a session');
  return req.session;
}

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

const challengeView = (c: CardChallenge) => ({
  challenge: c.challenge,
  message: c.message,
  expiresAt: c.expiresAt.toISOString(),
});

async function loggedIn(
  deps: PlatformDeps,
  reply: FastifyReply,
  login: { accountId: string; authenticator: { id: string }; facts: AuthenticatorFacts },
) {
  const { session, context } = await startLoginSession(deps, reply, {
    accountId: login.accountId,
    authenticatorId: login.authenticator.id,
    facts: login.facts,
  });
  return {
    accountId: login.accountId,
    authenticatorId: login.authenticator.id,
    acr: context.acr,
    amr: context.amr,
    ial: context.ial,
    aal: context.aal,
    expiresAt: session.expiresAt.toISOString(),
  };
}

/** Registers the authentication routes. */
export function registerAuthnRoutes(app: FastifyInstance, deps: PlatformDeps): void {
  const session = { auth: 'session' as const, rateLimit: 'default' as const };
  const publicAuth = { auth: 'public' as const, rateLimit: 'authentication' as const };

  app.post('/api/authn/passkeys/registration/options', { config: session }, async (req) =>
    passkeyRegistrationOptions(deps, sessionOf(req).accountId),
  );
  app.post('/api/authn/passkeys/registration', { config: session }, async (req, reply) => {
    const body = parse(registrationBody, req.body);
    const view = await registerPasskey(deps, {
      accountId: sessionOf(req).accountId,
      response: body.response,
      ...(body.label === undefined ? {} : { label: body.label }),
    });
    return reply.code(201).send(view);
  });
  app.post('/api/authn/passkeys/login/options', { config: publicAuth }, async (req) => {
    const body = parse(loginOptionsBody, req.body);
    return passkeyAuthenticationOptions(
      deps,
      body.accountId === undefined ? {} : { accountId: body.accountId },
    );
  });
  app.post('/api/authn/passkeys/login', { config: publicAuth }, async (req, reply) => {
    const body = parse(loginBody, req.body);
    return loggedIn(deps, reply, await verifyPasskeyLogin(deps, { response: body.response }));
  });

  app.post('/api/authn/card/binding/options', { config: session }, async (req) =>
    challengeView(await cardChallenge(deps, 'card_binding', sessionOf(req).accountId)),
  );
  app.post('/api/authn/card/binding', { config: session }, async (req, reply) => {
    const body = parse(cardBody, req.body);
    const view = await bindCard(deps, {
      accountId: sessionOf(req).accountId,
      proof: {
        challenge: body.challenge,
        certificate: bytes(body.certificate),
        signature: bytes(body.signature),
      },
      ...(body.label === undefined ? {} : { label: body.label }),
    });
    return reply.code(201).send(view);
  });
  app.post('/api/authn/card/login/options', { config: publicAuth }, async () =>
    challengeView(await cardChallenge(deps, 'card_login')),
  );
  app.post('/api/authn/card/login', { config: publicAuth }, async (req, reply) => {
    const body = parse(cardBody, req.body);
    const login = await verifyCardLogin(deps, {
      challenge: body.challenge,
      certificate: bytes(body.certificate),
      signature: bytes(body.signature),
    });
    return loggedIn(deps, reply, login);
  });

  app.get('/api/authn/authenticators', { config: session }, async (req) => ({
    authenticators: await listAuthenticators(deps, sessionOf(req).accountId),
  }));
  app.patch('/api/authn/authenticators/:id', { config: session }, async (req) => {
    const { id } = parse(idParams, req.params);
    const body = parse(renameBody, req.body);
    return renameAuthenticator(deps, { accountId: sessionOf(req).accountId, id, label: body.label });
  });
  app.post('/api/authn/authenticators/:id/revoke', { config: session }, async (req, reply) => {
    const { id } = parse(idParams, req.params);
    const body = parse(revokeBody, req.body);
    const s = sessionOf(req);
    const r = await revokeAuthenticator(deps, {
      accountId: s.accountId,
      id,
      ...(body.force === undefined ? {} : { force: body.force }),
    });
    // The current session was opened with it: it has just ended; clear the cookie too.
    if (s.authenticatorId === id) void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return r;
  });
}
