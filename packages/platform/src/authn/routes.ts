/**
 * Authentication HTTP API (docs/architecture.md §3.2). Each route declares its zod schemas
 * (server/schemas.ts; request objects strict); a refused request is `authn_request_invalid`; errors are `authn_*` WatashiErrors with the HTTP status in `detail.status`, rendered
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
import { emptyBody, invalidAs, loginResult, optionalBody, withSchemas } from '../server/schemas.ts';
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
const loginOptionsBody = optionalBody(z.strictObject({ accountId: uuid.optional() }));
const loginBody = z.strictObject({ response: z.unknown() });
const cardBody = z.strictObject({
  challenge: z.string().min(1).max(256),
  certificate: base64,
  signature: base64,
  label: label.optional(),
});
const renameBody = z.strictObject({ label });
const revokeBody = optionalBody(z.strictObject({ force: z.boolean().optional() }));
const idParams = z.strictObject({ id: uuid });

/** A schema refusal keeps the area's code (authn/errors.ts). */
const invalid = invalidAs((detail) => authnError('authn_request_invalid', detail));

/** An authenticator as its owner sees it (passkeys.ts `AuthenticatorView`). */
const authenticatorView = z.object({
  id: z.string(),
  type: z.enum(['passkey', 'device_cert', 'card_auth']),
  label: z.string().nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  synced: z.boolean(),
  backedUp: z.boolean(),
  attestation: z.string().nullable(),
  aaguid: z.string().nullable(),
  userVerified: z.boolean(),
  revokedAt: z.string().nullable(),
});
const challengeResult = z.object({ challenge: z.string(), message: z.string(), expiresAt: z.string() });
/**
 * WebAuthn options as SimpleWebAuthn builds them (PublicKeyCredentialCreationOptionsJSON /
 * PublicKeyCredentialRequestOptionsJSON, WebAuthn L3 §5.4 / §5.5): passed through whole.
 */
const webauthnOptions = z.looseObject({ challenge: z.string(), timeout: z.number().optional() });

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
  const routes = withSchemas(app);

  routes.post(
    '/api/authn/passkeys/registration/options',
    {
      config: session,
      schema: {
        summary: 'Options for registering a passkey (navigator.credentials.create)',
        body: emptyBody,
        response: { 200: webauthnOptions },
      },
      schemaErrorFormatter: invalid,
    },
    // Spread: SimpleWebAuthn's interface as a plain object, which the loose schema passes through.
    async (req) => ({ ...(await passkeyRegistrationOptions(deps, sessionOf(req).accountId)) }),
  );
  routes.post(
    '/api/authn/passkeys/registration',
    {
      config: session,
      schema: { summary: 'Register a passkey', body: registrationBody, response: { 201: authenticatorView } },
      schemaErrorFormatter: invalid,
    },
    async (req, reply) => {
      const body = req.body;
      const view = await registerPasskey(deps, {
        accountId: sessionOf(req).accountId,
        response: body.response,
        ...(body.label === undefined ? {} : { label: body.label }),
      });
      return reply.code(201).send(view);
    },
  );
  routes.post(
    '/api/authn/passkeys/login/options',
    {
      config: publicAuth,
      schema: {
        summary: 'Options for signing in with a passkey (navigator.credentials.get)',
        body: loginOptionsBody,
        response: { 200: webauthnOptions },
      },
      schemaErrorFormatter: invalid,
    },
    async (req) => {
      const body = req.body;
      return {
        ...(await passkeyAuthenticationOptions(
          deps,
          body.accountId === undefined ? {} : { accountId: body.accountId },
        )),
      };
    },
  );
  routes.post(
    '/api/authn/passkeys/login',
    {
      config: publicAuth,
      schema: { summary: 'Sign in with a passkey', body: loginBody, response: { 200: loginResult } },
      schemaErrorFormatter: invalid,
    },
    async (req, reply) =>
      loggedIn(deps, reply, await verifyPasskeyLogin(deps, { response: req.body.response })),
  );

  routes.post(
    '/api/authn/card/binding/options',
    {
      config: session,
      schema: {
        summary: 'A challenge for binding the card’s user-authentication certificate',
        body: emptyBody,
        response: { 200: challengeResult },
      },
      schemaErrorFormatter: invalid,
    },
    async (req) => challengeView(await cardChallenge(deps, 'card_binding', sessionOf(req).accountId)),
  );
  routes.post(
    '/api/authn/card/binding',
    {
      config: session,
      schema: {
        summary: 'Bind the card’s user-authentication certificate as an authenticator',
        body: cardBody,
        response: { 201: authenticatorView },
      },
      schemaErrorFormatter: invalid,
    },
    async (req, reply) => {
      const body = req.body;
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
    },
  );
  routes.post(
    '/api/authn/card/login/options',
    {
      config: publicAuth,
      schema: {
        summary: 'A challenge for signing in with the card',
        body: emptyBody,
        response: { 200: challengeResult },
      },
      schemaErrorFormatter: invalid,
    },
    async () => challengeView(await cardChallenge(deps, 'card_login')),
  );
  routes.post(
    '/api/authn/card/login',
    {
      config: publicAuth,
      schema: { summary: 'Sign in with the card', body: cardBody, response: { 200: loginResult } },
      schemaErrorFormatter: invalid,
    },
    async (req, reply) => {
      const body = req.body;
      const login = await verifyCardLogin(deps, {
        challenge: body.challenge,
        certificate: bytes(body.certificate),
        signature: bytes(body.signature),
      });
      return loggedIn(deps, reply, login);
    },
  );

  routes.get(
    '/api/authn/authenticators',
    {
      config: session,
      schema: {
        summary: 'The resident’s live authenticators',
        response: { 200: z.object({ authenticators: z.array(authenticatorView) }) },
      },
    },
    async (req) => ({
      authenticators: await listAuthenticators(deps, sessionOf(req).accountId),
    }),
  );
  routes.patch(
    '/api/authn/authenticators/:id',
    {
      config: session,
      schema: {
        summary: 'Rename an authenticator',
        params: idParams,
        body: renameBody,
        response: { 200: authenticatorView },
      },
      schemaErrorFormatter: invalid,
    },
    async (req) =>
      renameAuthenticator(deps, {
        accountId: sessionOf(req).accountId,
        id: req.params.id,
        label: req.body.label,
      }),
  );
  routes.post(
    '/api/authn/authenticators/:id/revoke',
    {
      config: session,
      schema: {
        summary: 'Revoke an authenticator (ends the sessions opened with it)',
        params: idParams,
        body: revokeBody,
        response: { 200: z.object({ revoked: authenticatorView, sessionsEnded: z.number().int() }) },
      },
      schemaErrorFormatter: invalid,
    },
    async (req, reply) => {
      const { id } = req.params;
      const body = req.body;
      const s = sessionOf(req);
      const r = await revokeAuthenticator(deps, {
        accountId: s.accountId,
        id,
        ...(body.force === undefined ? {} : { force: body.force }),
      });
      // The current session was opened with it: it has just ended; clear the cookie too.
      if (s.authenticatorId === id) void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return r;
    },
  );
}
