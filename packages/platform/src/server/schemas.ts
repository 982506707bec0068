/**
 * Schemas at the HTTP edge (docs/conventions.md "Declaring a route"). Every platform route declares
 * its `params`, `querystring`, `body` and `response` as zod schemas in Fastify's own `schema` route
 * option; the zod type provider (fastify-type-provider-zod, wired in app.ts) then
 *
 * - validates the request before the handler runs (no hand parsing: `req.body` is the parsed,
 *   typed value),
 * - encodes the reply through the response schema of its status (zod objects drop undeclared
 *   members, so nothing undeclared leaves; a reply that does not match is a 500, never a leak),
 * - and feeds the OpenAPI document (server/openapi.ts, `GET /api/openapi.json`).
 *
 * A request the schemas refuse is a 400 `request_invalid` problem, unless the route names its
 * area's stable code with `schemaErrorFormatter: invalidAs(…)`.
 */
import type { FastifyInstance, FastifySchema, FastifySchemaValidationError, RouteOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

declare module 'fastify' {
  interface FastifySchema {
    /** One line for the OpenAPI document (the operation's summary). */
    summary?: string;
    /** Longer text for the OpenAPI document. */
    description?: string;
    /** Request body media types other than JSON (e.g. `application/pdf`), for the OpenAPI document. */
    consumes?: readonly string[];
  }
  interface FastifyInstance {
    /** Every route registered on this app, in order (recorded by {@link recordRoutes}). */
    watashiRoutes?: RouteRecord[];
  }
}

/** A registered route as the OpenAPI document and the route tests see it. */
export interface RouteRecord {
  readonly method: string;
  readonly url: string;
  readonly schema: FastifySchema | undefined;
  readonly config: Readonly<Record<string, unknown>>;
  /** The handler, for the tests' check that what it reads is declared. */
  readonly handler: RouteOptions['handler'];
}

/**
 * `app` with the zod type provider: route options' `schema` members are zod schemas and the
 * handler's `req.params`, `req.query`, `req.body` and its return value are typed from them. The
 * zod compilers are set on `app` too (buildServer sets them already), so an area's routes work on
 * any Fastify instance, e.g. a test's bare one. Call it while registering routes, before `ready`.
 */
export function withSchemas(app: FastifyInstance) {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  return app.withTypeProvider<ZodTypeProvider>();
}

/**
 * A `schemaErrorFormatter` (route option) answering a refused request with the area's own error:
 * `make(detail)` builds it (e.g. `(d) => authnError('authn_request_invalid', d)`), so a schema
 * failure keeps the stable code the route answered with before it had a schema.
 */
export function invalidAs(
  make: (detail: string, part: string) => Error,
): (errors: FastifySchemaValidationError[], part: string) => Error {
  return (errors, part) => {
    const first = errors[0];
    const where = first?.instancePath && first.instancePath !== '/' ? `${first.instancePath} ` : '';
    return make(`invalid request ${part}: ${where}${first?.message ?? 'rejected'}`.trim(), part);
  };
}

/**
 * A JSON body whose members are all optional: an absent body (Fastify hands the validator `null`)
 * reads as `{}`, as the routes read it before they had schemas.
 */
export function optionalBody<T extends z.ZodType<Record<string, unknown>>>(schema: T) {
  return z.preprocess((v) => v ?? {}, schema);
}

/**
 * The body of a POST that takes none: absent or any JSON object, whose members are ignored (as the
 * route ignored them before it had a schema).
 */
export const emptyBody = optionalBody(z.object({})).describe('no body needed');

/**
 * What every sign-in route answers (passkey, card, device certificate): the session's account,
 * authenticator, levels and expiry.
 */
export const loginResult = z.object({
  accountId: z.string(),
  authenticatorId: z.string(),
  acr: z.string().nullable(),
  amr: z.array(z.string()).readonly(),
  ial: z.number().int(),
  aal: z.number().int(),
  expiresAt: z.string(),
});

/** The response schema of a 204 (no body). */
export const noContent = z.void().describe('no content');

/**
 * Records every route of `app` (and of its child plugins) in `app.watashiRoutes`. Called once by
 * buildServer, before any route is registered.
 */
export function recordRoutes(app: FastifyInstance): void {
  const routes: RouteRecord[] = [];
  app.decorate('watashiRoutes', routes);
  app.addHook('onRoute', (route) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method])
      routes.push({
        method: String(method).toUpperCase(),
        url: route.url,
        schema: route.schema,
        config: (route.config ?? {}) as Record<string, unknown>,
        handler: route.handler,
      });
  });
}
