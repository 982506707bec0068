/**
 * HTTP routes of the credential issuer and the counter (docs/credentials.md).
 *
 * OpenID for Verifiable Credential Issuance 1.0 (pre-authorized code flow, §3.5):
 * - `GET  /.well-known/openid-credential-issuer` — issuer metadata (§12.2)
 * - `GET  /.well-known/oauth-authorization-server/credentials` — the token endpoint's metadata
 *   (RFC 8414 §3, the issuer is its own authorization server for the pre-authorized grant)
 * - `GET  /.well-known/jwt-vc-issuer` — SD-JWT VC issuer metadata with the JWKS
 * - `POST /api/credentials/offer` (session) → `{credential_offer, credential_offer_uri}` (§4.1)
 * - `POST /credentials/token` (form) `grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code`
 * - `POST /credentials/nonce` → `{c_nonce}` (§7)
 * - `POST /credentials/credential` (Bearer) `{credential_configuration_id, proofs: {jwt: [..]}}` (§8)
 * - `GET  /credentials/status/1` — the Token Status List (`application/statuslist+jwt`)
 * - `GET  /credentials/types/resident-attributes` — the `vct` type metadata
 * - `GET  /api/credentials` (session) — the resident's credentials and their status
 *
 * OpenID for Verifiable Presentations 1.0 at the counter:
 * - `GET  /counter` (+ `counter.js`, `counter.css`) — the counter page
 * - `GET  /counter/offline` — the counter page with no network (script: `/wallet/counter-offline.js`)
 * - `POST /api/counter/requests` → `{pollId, uri, svg, expiresAt}`
 * - `GET  /api/counter/requests/:pollId` → pending / expired / the result
 * - `POST /counter/response` (form, direct_post §8.2) `vp_token`, `state`
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { renderSVG } from 'uqr';
import { z } from 'zod';
import type { PlatformDeps, SessionContext } from '../server/context.ts';
import { emptyBody, invalidAs, withSchemas } from '../server/schemas.ts';
import { COUNTER_CSS, COUNTER_HTML, COUNTER_JS, COUNTER_OFFLINE_HTML } from './counter-page.ts';
import { credentialError } from './errors.ts';
import { consumeExchange, createExchange } from './exchanges.ts';
import {
  CONFIGURATION_ID,
  credentialStatuses,
  issueCredential,
  issuerJwks,
  issuerUrls,
  statusListToken,
  STATUS_LIST_TTL,
} from './issuer.ts';
import { CREDENTIAL_CLAIMS } from './issuer.ts';
import { CLAIMS } from '../oidc/claims.ts';
import { acceptPresentation, createPresentationRequest, presentationResult } from './verifier.ts';

/** The grant type of OpenID4VCI 1.0 §3.5. */
export const PRE_AUTHORIZED_GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
const CODE_SECONDS = 300;
const TOKEN_SECONDS = 300;
const NONCE_SECONDS = 300;

const tokenBody = z.object({
  grant_type: z.literal(PRE_AUTHORIZED_GRANT),
  'pre-authorized_code': z.string().min(16).max(256),
});
const credentialBody = z.object({
  credential_configuration_id: z.literal(CONFIGURATION_ID),
  proofs: z.strictObject({ jwt: z.array(z.string().min(1).max(8192)).length(1) }),
});
const responseBody = z.object({
  vp_token: z.string().min(1).max(65_536),
  state: z.string().min(16).max(256),
});
const pollParams = z.strictObject({ pollId: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/) });

function sessionOf(req: FastifyRequest): SessionContext {
  if (req.session === null) throw new Error('credentials: session route without a session');
  return req.session;
}

/** Registers the issuer's and the counter's routes. */
export function registerCredentialRoutes(untyped: FastifyInstance, deps: PlatformDeps): void {
  // Credentials name the issuer by its public URL; without one there is no issuer to be.
  if (deps.config.publicUrl === undefined) return;
  const app = withSchemas(untyped);
  const invalid = invalidAs((d) => credentialError('credential_request_invalid', d));
  const session = { auth: 'session' as const, rateLimit: 'default' as const };
  const open = { auth: 'public' as const, rateLimit: 'default' as const };
  const urls = issuerUrls(deps.config.publicUrl);
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

  app.get(
    '/.well-known/openid-credential-issuer',
    {
      config: open,
      schema: {
        summary: 'SD-JWT VC issuer metadata (OpenID4VCI 1.0 §12.2)',
        response: { 200: z.looseObject({}) },
      },
    },
    () => ({
      credential_issuer: urls.issuer,
      authorization_servers: [`${urls.issuer}/credentials`],
      credential_endpoint: urls.credential,
      nonce_endpoint: urls.nonce,
      display: [
        { name: '民間ID', locale: 'ja' },
        { name: 'Watashi', locale: 'en' },
      ],
      credential_configurations_supported: {
        [CONFIGURATION_ID]: {
          format: 'dc+sd-jwt',
          vct: urls.vct,
          cryptographic_binding_methods_supported: ['jwk'],
          credential_signing_alg_values_supported: ['ES256'],
          proof_types_supported: { jwt: { proof_signing_alg_values_supported: ['ES256'] } },
          credential_metadata: {
            display: [
              { name: '本人確認済みの属性', locale: 'ja' },
              { name: 'Verified attributes', locale: 'en' },
            ],
            claims: CREDENTIAL_CLAIMS.map((c) => ({
              path: [c],
              display: [
                { name: CLAIMS[c].ja, locale: 'ja' },
                { name: CLAIMS[c].en, locale: 'en' },
              ],
            })),
          },
        },
      },
    }),
  );
  app.get(
    '/.well-known/oauth-authorization-server/credentials',
    {
      config: open,
      schema: {
        summary: 'SD-JWT VC token endpoint metadata (RFC 8414)',
        response: { 200: z.looseObject({}) },
      },
    },
    () => ({
      issuer: `${urls.issuer}/credentials`,
      token_endpoint: urls.token,
      grant_types_supported: [PRE_AUTHORIZED_GRANT],
      'pre-authorized_grant_anonymous_access_supported': true,
    }),
  );
  app.get(
    '/.well-known/jwt-vc-issuer',
    {
      config: open,
      schema: { summary: 'SD-JWT VC issuer metadata with the JWKS', response: { 200: z.looseObject({}) } },
    },
    async () => ({
      issuer: urls.issuer,
      jwks: await issuerJwks(deps.keys),
    }),
  );
  app.get(
    '/credentials/types/resident-attributes',
    {
      config: open,
      schema: { summary: 'SD-JWT VC type metadata of the vct', response: { 200: z.looseObject({}) } },
    },
    () => ({
      vct: urls.vct,
      name: '民間ID 本人確認済みの属性 (Watashi verified attributes)',
      claims: CREDENTIAL_CLAIMS.map((c) => ({
        path: [c],
        sd: 'always',
        display: [
          { locale: 'ja', label: CLAIMS[c].ja },
          { locale: 'en', label: CLAIMS[c].en },
        ],
      })),
    }),
  );

  app.post(
    '/api/credentials/offer',
    {
      config: session,
      schema: {
        summary: 'A credential offer with a pre-authorized code (OpenID4VCI 1.0 §4.1)',
        body: emptyBody,
        response: {
          200: z.object({ credential_offer: z.looseObject({}), credential_offer_uri: z.string() }),
        },
      },
      schemaErrorFormatter: invalid,
    },
    async (req, reply) => {
      const s = sessionOf(req);
      const code = await createExchange(deps.db, {
        kind: 'pre_authorized_code',
        accountId: s.accountId,
        now: deps.now(),
        ttlSeconds: CODE_SECONDS,
      });
      const offer = {
        credential_issuer: urls.issuer,
        credential_configuration_ids: [CONFIGURATION_ID],
        grants: { [PRE_AUTHORIZED_GRANT]: { 'pre-authorized_code': code } },
      };
      noStore(reply);
      return {
        credential_offer: offer,
        credential_offer_uri: `openid-credential-offer://?credential_offer=${encodeURIComponent(JSON.stringify(offer))}`,
      };
    },
  );
  app.get(
    '/api/credentials',
    {
      config: session,
      schema: {
        summary: 'The signed-in resident’s credentials and their status',
        response: {
          200: z.object({
            credentials: z.array(
              z.object({
                id: z.string(),
                issuedAt: z.string(),
                expiresAt: z.string(),
                status: z.enum(['valid', 'revoked', 'suspended']),
              }),
            ),
          }),
        },
      },
    },
    async (req, reply) => {
      const s = sessionOf(req);
      const rows = await deps.db
        .selectFrom('credentials')
        .select(['id', 'status_index', 'issued_at', 'expires_at'])
        .where('account_id', '=', s.accountId)
        .where('expires_at', '>', deps.now())
        .orderBy('issued_at', 'desc')
        .execute();
      const statuses = new Map((await credentialStatuses(deps)).map((x) => [x.index, x.status]));
      noStore(reply);
      return {
        credentials: rows.map((r) => ({
          id: r.id,
          issuedAt: r.issued_at.toISOString(),
          expiresAt: r.expires_at.toISOString(),
          status:
            (['valid', 'revoked', 'suspended'] as const)[statuses.get(r.status_index) ?? 1] ?? 'revoked',
        })),
      };
    },
  );

  app.register((scope, _options, done) => {
    // OAuth endpoints take application/x-www-form-urlencoded (RFC 6749 §4.1.3, OpenID4VP §8.2).
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 128 * 1024 },
      (_r, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    const typed = withSchemas(scope);
    typed.post(
      '/credentials/token',
      {
        config: open,
        schema: {
          summary: 'Token endpoint of the pre-authorized code grant (OpenID4VCI 1.0 §6)',
          body: tokenBody,
          response: {
            200: z.object({
              access_token: z.string(),
              token_type: z.literal('Bearer'),
              expires_in: z.number(),
            }),
          },
        },
        schemaErrorFormatter: invalid,
      },
      async (req, reply) => {
        const body = req.body;
        const now = deps.now();
        const grant = await consumeExchange(deps.db, {
          kind: 'pre_authorized_code',
          value: body['pre-authorized_code'],
          now,
        });
        if (grant?.account_id == null)
          throw credentialError(
            'credential_grant_invalid',
            'the pre-authorized code is unknown, used or expired',
          );
        const accessToken = await createExchange(deps.db, {
          kind: 'access_token',
          accountId: grant.account_id,
          now,
          ttlSeconds: TOKEN_SECONDS,
        });
        noStore(reply);
        return { access_token: accessToken, token_type: 'Bearer' as const, expires_in: TOKEN_SECONDS };
      },
    );
    typed.post(
      '/counter/response',
      {
        config: open,
        schema: {
          summary: 'The wallet’s presentation (OpenID4VP 1.0 §8.2 direct_post)',
          body: responseBody,
          response: { 200: z.object({ outcome: z.enum(['verified', 'refused']) }) },
        },
        schemaErrorFormatter: invalid,
      },
      async (req) => {
        const body = req.body;
        const result = await acceptPresentation(deps, { state: body.state, vpToken: body.vp_token });
        return { outcome: result.outcome };
      },
    );
    done();
  });

  app.post(
    '/credentials/nonce',
    {
      config: open,
      schema: {
        summary: 'A fresh c_nonce (OpenID4VCI 1.0 §7)',
        body: emptyBody,
        response: { 200: z.object({ c_nonce: z.string() }) },
      },
      schemaErrorFormatter: invalid,
    },
    async (_req, reply) => {
      const c_nonce = await createExchange(deps.db, {
        kind: 'c_nonce',
        accountId: null,
        now: deps.now(),
        ttlSeconds: NONCE_SECONDS,
      });
      noStore(reply);
      return { c_nonce };
    },
  );

  app.post(
    '/credentials/credential',
    {
      config: open,
      schema: {
        summary: 'The credential for a key proof (OpenID4VCI 1.0 §8)',
        body: credentialBody,
        response: { 200: z.object({ credentials: z.array(z.object({ credential: z.string() })) }) },
      },
      schemaErrorFormatter: invalid,
    },
    async (req, reply) => {
      const auth = /^Bearer ([A-Za-z0-9_-]{16,256})$/.exec(req.headers.authorization ?? '');
      if (auth === null)
        throw credentialError('credential_token_invalid', 'a Bearer access token is required');
      const body = req.body;
      const now = deps.now();
      // The key proof (OpenID4VCI 1.0 Appendix F.1) first: it costs nothing and changes nothing.
      let holderJwk: JWK;
      let nonce: unknown;
      try {
        const { payload, protectedHeader } = await jwtVerify(body.proofs.jwt[0]!, EmbeddedJWK, {
          typ: 'openid4vci-proof+jwt',
          audience: urls.issuer,
          algorithms: ['ES256'],
          currentDate: now,
          maxTokenAge: '5m',
          clockTolerance: 60,
        });
        holderJwk = protectedHeader.jwk as JWK;
        nonce = payload.nonce;
      } catch (e) {
        throw credentialError('credential_proof_invalid', 'the key proof does not verify', e);
      }
      if (holderJwk.kty !== 'EC' || holderJwk.crv !== 'P-256' || 'd' in holderJwk)
        throw credentialError('credential_proof_invalid', 'the holder key must be a public P-256 key');
      const token = await consumeExchange(deps.db, { kind: 'access_token', value: auth[1]!, now });
      if (token?.account_id == null)
        throw credentialError('credential_token_invalid', 'the access token is unknown, used or expired');
      if (
        typeof nonce !== 'string' ||
        (await consumeExchange(deps.db, { kind: 'c_nonce', value: nonce, now })) === undefined
      )
        throw credentialError(
          'credential_nonce_invalid',
          'the proof needs a fresh c_nonce from the nonce endpoint',
        );
      const issued = await issueCredential(deps, { accountId: token.account_id, holderJwk });
      noStore(reply);
      return { credentials: [{ credential: issued.credential }] };
    },
  );

  app.get(
    '/credentials/status/1',
    { config: { auth: 'public' as const, rateLimit: false as const } },
    async (_req, reply) =>
      reply
        .type('application/statuslist+jwt')
        .header('cache-control', `max-age=${STATUS_LIST_TTL}`)
        .send(await statusListToken(deps)),
  );

  // The counter.
  app.get('/counter', { config: open }, (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(COUNTER_HTML),
  );
  app.get('/counter/offline', { config: open }, (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(COUNTER_OFFLINE_HTML),
  );
  app.get('/counter/counter.js', { config: open }, (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').send(COUNTER_JS),
  );
  app.get('/counter/counter.css', { config: open }, (_req, reply) =>
    reply.type('text/css; charset=utf-8').send(COUNTER_CSS),
  );
  app.post(
    '/api/counter/requests',
    {
      config: open,
      schema: {
        summary: 'Start a counter request: the OpenID4VP URI for the QR and its SVG',
        body: emptyBody,
        response: {
          200: z.object({ pollId: z.string(), uri: z.string(), expiresAt: z.string(), svg: z.string() }),
        },
      },
      schemaErrorFormatter: invalid,
    },
    async (_req, reply) => {
      const r = await createPresentationRequest(deps);
      noStore(reply);
      return { ...r, svg: renderSVG(r.uri, { ecc: 'L', border: 2 }) };
    },
  );
  app.get(
    '/api/counter/requests/:pollId',
    {
      config: open,
      schema: {
        summary: 'The counter’s poll: pending, expired, or the result (only the requested claim)',
        params: pollParams,
        response: {
          200: z.object({
            status: z.enum(['pending', 'expired', 'done']),
            outcome: z.enum(['verified', 'refused']).optional(),
            over20: z.boolean().optional(),
            issuer: z.string().optional(),
            issuedAt: z.string().optional(),
            checkedAt: z.string().optional(),
            reason: z.string().optional(),
          }),
        },
      },
      schemaErrorFormatter: invalid,
    },
    async (req, reply) => {
      const { pollId } = req.params;
      noStore(reply);
      return presentationResult(deps, pollId);
    },
  );
}
