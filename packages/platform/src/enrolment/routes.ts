/**
 * Enrolment HTTP API (docs/architecture.md §3.1). Bodies are parsed with zod in the handler (strict objects:
 * unknown keys are refused) and responses built field by field, so nothing undeclared leaves.
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

const issueBody = z.strictObject({ consent: z.boolean().optional() });
const completeBody = z.strictObject({
  cms: base64.optional(),
  signature: base64.optional(),
  certificate: base64.optional(),
  consentCms: base64.optional(),
});
const idParams = z.strictObject({ id: z.string().min(1).max(128) });

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value ?? {});
  if (!r.success)
    throw enrolmentError('enrolment_request_invalid', `invalid request: ${r.error.issues[0]?.message ?? ''}`);
  return r.data;
}

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

/**
 * The body of `POST …/complete` as the route reads it (after Fastify's JSON parse): the signature
 * and the optional signed consent. Refusals are `enrolment_request_invalid`.
 */
export function parseCompleteBody(value: unknown): {
  signature: EnrolmentSignature;
  consentCms?: Uint8Array;
} {
  const body = parse(completeBody, value);
  return {
    signature: signatureOf(body),
    ...(body.consentCms === undefined ? {} : { consentCms: base64Field('consentCms', body.consentCms) }),
  };
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
  const complete = async (req: FastifyRequest, reply: FastifyReply, reproofing: boolean) => {
    const { id } = parse(idParams, req.params);
    const done = await completeEnrolment(deps, {
      id,
      ...parseCompleteBody(req.body),
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
  app.route({
    method: 'POST',
    url: '/api/enrolments',
    config: { auth: 'public', rateLimit: 'authentication' },
    handler: async (req, reply) => {
      const body = parse(issueBody, req.body);
      const e = await issueEnrolment(deps, { purpose: 'enrolment', consent: body.consent === true });
      return reply.code(201).send(issued(e));
    },
  });
  app.route({
    method: 'POST',
    url: '/api/enrolments/reproofing',
    config: { auth: 'session', rateLimit: 'authentication' },
    handler: async (req, reply) => {
      const body = parse(issueBody, req.body);
      if (req.session === null) throw enrolmentError('enrolment_wrong_account', 'sign in to re-proof');
      const e = await issueEnrolment(deps, {
        purpose: 'reproofing',
        accountId: req.session.accountId,
        consent: body.consent === true,
      });
      return reply.code(201).send(issued(e));
    },
  });
  app.route({
    method: 'POST',
    url: '/api/enrolments/:id/complete',
    config: { auth: 'public', rateLimit: 'authentication' },
    bodyLimit: deps.config.bodyLimitBytes,
    handler: (req, reply) => complete(req, reply, false),
  });
  app.route({
    method: 'POST',
    url: '/api/enrolments/reproofing/:id/complete',
    config: { auth: 'session', rateLimit: 'authentication' },
    bodyLimit: deps.config.bodyLimitBytes,
    handler: (req, reply) => complete(req, reply, true),
  });
}
