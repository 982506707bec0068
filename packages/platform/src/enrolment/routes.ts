/**
 * Enrolment HTTP API (docs/architecture.md §3.1). Each route declares its zod schemas
 * (server/schemas.ts: strict request objects, unknown keys refused as `enrolment_request_invalid`)
 * and its reply schema, so nothing undeclared leaves.
 *
 * - `POST /api/enrolments` (public, authentication rate limit) `{consent?: boolean}` → 201
 *   `{id, document: {bytes, rendering, content}, consentDocument?, expiresAt}`
 * - `POST /api/enrolments/reproofing` (session) — the same for the signed-in account
 * - `POST /api/enrolments/:id/complete` (public) `{cms} | {signature, certificate}` (base64), plus
 *   optional `consentCms` → 200 `{accountId, created, proofingLevel, consentId?, acr}`; signs the
 *   resident in (session cookie), so a passkey can be registered at once
 * - `POST /api/enrolments/reproofing/:id/complete` (session) — completes a re-proofing document
 *
 * Errors are `enrolment_*` WatashiErrors with the HTTP status in `detail.status` (errors.ts); the
 * server's problem handler renders them as RFC 9457 documents.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { fromBase64 } from '@watashi/pki';
import type { PlatformDeps } from '../server/context.ts';
import { invalidAs, optionalBody, withSchemas } from '../server/schemas.ts';
import { ENROLMENT_SIGNATURE_FACTS, loginContext } from '../authn/context.ts';
import { startSession } from '../server/sessions.ts';
import {
  completeEnrolment,
  issueEnrolment,
  type CompletedEnrolment,
  type IssuedEnrolment,
} from './enrolment.ts';
import { enrolmentError } from './errors.ts';
import type { EnrolmentSignature } from './verify-enrolment-signature.ts';

const base64 = z
  .string()
  .min(1)
  .max(65_536)
  .regex(/^[A-Za-z0-9+/_-]+={0,2}$/);

const issueBody = optionalBody(z.strictObject({ consent: z.boolean().optional() }));
const completeBody = z.strictObject({
  cms: base64.optional(),
  signature: base64.optional(),
  certificate: base64.optional(),
  consentCms: base64.optional(),
});
const idParams = z.strictObject({ id: z.string().min(1).max(128) });

/** A schema refusal keeps the area's code (enrolment/errors.ts). */
const invalid = invalidAs((detail) => enrolmentError('enrolment_request_invalid', detail));

const issuedView = z.object({
  id: z.string(),
  document: z.object({
    bytes: z.string(),
    rendering: z.string(),
    content: z.object({
      type: z.literal('watashi/enrolment-document'),
      version: z.literal(1),
      purpose: z.enum(['enrolment', 'reproofing']),
      operator: z.object({ id: z.string(), url: z.string() }),
      account: z.string().optional(),
      attributes: z.array(z.enum(['name', 'address', 'birthDate', 'sex'])).readonly(),
      termsVersion: z.string(),
      terms: z.object({ ja: z.string(), en: z.string() }),
      nonce: z.string(),
      issuedAt: z.string(),
      expiresAt: z.string(),
    }),
  }),
  consentDocument: z.string().optional(),
  expiresAt: z.string(),
});
const completedView = z.object({
  accountId: z.string(),
  created: z.boolean(),
  proofingLevel: z.number().int(),
  consentId: z.string().optional(),
  acr: z.string().nullable(),
});

/**
 * Decodes a field the schema let through. The pattern cannot see every invalid length (`A`,
 * `AAAAA`, `A=`: RFC 4648 §4 has no 1-character final quantum), and `atob` refuses those with a
 * DOMException, which would have reached the client as a 500.
 */
function base64Field(field: string, value: string): Uint8Array {
  try {
    return fromBase64(value);
  } catch (cause) {
    throw enrolmentError('enrolment_request_invalid', `invalid request: ${field} is not base64`, { cause });
  }
}

/** The signature of a complete request: `{cms}` or `{signature, certificate}`, nothing else. */
export function signatureOf(body: z.output<typeof completeBody>): EnrolmentSignature {
  if (body.cms !== undefined && body.signature === undefined && body.certificate === undefined)
    return { cms: base64Field('cms', body.cms) };
  if (body.cms === undefined && body.signature !== undefined && body.certificate !== undefined)
    return {
      signature: base64Field('signature', body.signature),
      certificate: base64Field('certificate', body.certificate),
    };
  throw enrolmentError('enrolment_request_invalid', 'give either cms, or signature and certificate');
}

/** The signature and the optional signed consent of a complete body its schema accepted. */
function completeInput(body: z.output<typeof completeBody>): {
  signature: EnrolmentSignature;
  consentCms?: Uint8Array;
} {
  return {
    signature: signatureOf(body),
    ...(body.consentCms === undefined ? {} : { consentCms: base64Field('consentCms', body.consentCms) }),
  };
}

/**
 * The body of `POST …/complete` from its JSON, read as the route reads it (its schema, then the
 * signature's shape): the signature and the optional signed consent. Refusals are
 * `enrolment_request_invalid` (the fuzz suite drives this).
 */
export function parseCompleteBody(value: unknown): {
  signature: EnrolmentSignature;
  consentCms?: Uint8Array;
} {
  const r = completeBody.safeParse(value ?? {});
  if (!r.success)
    throw enrolmentError('enrolment_request_invalid', `invalid request: ${r.error.issues[0]?.message ?? ''}`);
  return completeInput(r.data);
}

const issued = (e: IssuedEnrolment) => ({
  id: e.id,
  document: { bytes: e.document.bytes, rendering: e.document.rendering, content: e.document.content },
  ...(e.consentDocument === undefined ? {} : { consentDocument: e.consentDocument }),
  expiresAt: e.expiresAt.toISOString(),
});

const completed = (c: CompletedEnrolment, acr: string | null) => ({
  accountId: c.accountId,
  created: c.created,
  proofingLevel: c.proofingLevel,
  ...(c.consentId === undefined ? {} : { consentId: c.consentId }),
  acr,
});

/** Registers the enrolment routes. */
export function registerEnrolmentRoutes(app: FastifyInstance, deps: PlatformDeps): void {
  const routes = withSchemas(app);
  const complete = async (
    req: FastifyRequest,
    reply: FastifyReply,
    input: { id: string; body: z.output<typeof completeBody> },
    reproofing: boolean,
  ) => {
    const done = await completeEnrolment(deps, {
      id: input.id,
      ...completeInput(input.body),
      // A public completion by a signed-in resident: the session may confirm the same person.
      session: req.session,
    });
    // The signature was just made with the card and its PIN: sign the resident in (a re-proofing
    // keeps its session; a fresh enrolment or a re-proofing by a signed-out resident gets one).
    const context = await loginContext(deps, done.accountId, ENROLMENT_SIGNATURE_FACTS);
    if (!reproofing)
      await startSession(deps, reply, {
        accountId: done.accountId,
        authenticatorId: null,
        acr: context.acr,
        amr: context.amr,
        authTime: deps.now(),
      });
    return reply.code(200).send(completed(done, context.acr));
  };
  routes.route({
    method: 'POST',
    url: '/api/enrolments',
    config: { auth: 'public', rateLimit: 'authentication' },
    schema: {
      summary: 'Issue an enrolment document to sign with the card',
      body: issueBody,
      response: { 201: issuedView },
    },
    schemaErrorFormatter: invalid,
    handler: async (req, reply) => {
      const e = await issueEnrolment(deps, { purpose: 'enrolment', consent: req.body.consent === true });
      return reply.code(201).send(issued(e));
    },
  });
  routes.route({
    method: 'POST',
    url: '/api/enrolments/reproofing',
    config: { auth: 'session', rateLimit: 'authentication' },
    schema: {
      summary: 'Issue a re-proofing document for the signed-in account',
      body: issueBody,
      response: { 201: issuedView },
    },
    schemaErrorFormatter: invalid,
    handler: async (req, reply) => {
      if (req.session === null) throw enrolmentError('enrolment_wrong_account', 'sign in to re-proof');
      const e = await issueEnrolment(deps, {
        purpose: 'reproofing',
        accountId: req.session.accountId,
        consent: req.body.consent === true,
      });
      return reply.code(201).send(issued(e));
    },
  });
  routes.route({
    method: 'POST',
    url: '/api/enrolments/:id/complete',
    config: { auth: 'public', rateLimit: 'authentication' },
    bodyLimit: deps.config.bodyLimitBytes,
    schema: {
      summary: 'Complete an enrolment with the card’s signature (signs the resident in)',
      params: idParams,
      body: completeBody,
      response: { 200: completedView },
    },
    schemaErrorFormatter: invalid,
    handler: (req, reply) => complete(req, reply, { id: req.params.id, body: req.body }, false),
  });
  routes.route({
    method: 'POST',
    url: '/api/enrolments/reproofing/:id/complete',
    config: { auth: 'session', rateLimit: 'authentication' },
    bodyLimit: deps.config.bodyLimitBytes,
    schema: {
      summary: 'Complete a re-proofing with the new card’s signature',
      params: idParams,
      body: completeBody,
      response: { 200: completedView },
    },
    schemaErrorFormatter: invalid,
    handler: (req, reply) => complete(req, reply, { id: req.params.id, body: req.body }, true),
  });
}
