/**
 * The OpenAPI 3.1 document of the platform's own APIs, generated from the routes' zod schemas
 * (server/schemas.ts) — the same declarations that validate requests and shape replies — and
 * served at `GET /api/openapi.json`. The OpenID Provider's endpoints are not in it: they are
 * described by its discovery document (`/oidc/.well-known/openid-configuration`, RFC 8414 / OIDC
 * Discovery 1.0).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PlatformDeps } from './context.ts';
import { withSchemas, type RouteRecord } from './schemas.ts';
import { SESSION_COOKIE } from './sessions.ts';

/** Where the document is served. */
export const OPENAPI_PATH = '/api/openapi.json';

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem document',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string', description: 'stable error code' },
    detail: { type: 'string' },
    instance: { type: 'string' },
  },
  required: ['type', 'title', 'status', 'code'],
};

const isZod = (s: unknown): s is z.ZodType => s instanceof z.ZodType;

const jsonSchema = (s: z.ZodType, io: 'input' | 'output'): Record<string, unknown> => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};

/** `/api/x/:id` → `/api/x/{id}` (OpenAPI 3.1 §4.8.2 path templating). */
export const openApiPath = (url: string): string => url.replace(/:(\w+)/g, '{$1}');

function parametersOf(r: RouteRecord): unknown[] {
  const out: unknown[] = [];
  const params = isZod(r.schema?.params)
    ? (jsonSchema(r.schema.params, 'input') as { properties?: Record<string, unknown> })
    : {};
  for (const m of openApiPath(r.url).matchAll(/\{(\w+)\}/g)) {
    const name = m[1] ?? '';
    out.push({ name, in: 'path', required: true, schema: params.properties?.[name] ?? { type: 'string' } });
  }
  if (isZod(r.schema?.querystring)) {
    const js = jsonSchema(r.schema.querystring, 'input') as {
      properties?: Record<string, unknown>;
      required?: string[];
    };
    for (const [name, schema] of Object.entries(js.properties ?? {}))
      out.push({ name, in: 'query', required: js.required?.includes(name) ?? false, schema });
  }
  return out;
}

function responsesOf(r: RouteRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const declared = (r.schema?.response ?? {}) as Record<string, unknown>;
  for (const [status, schema] of Object.entries(declared)) {
    if (status === '204' || !isZod(schema)) {
      out[status] = {
        description: schema instanceof z.ZodType ? (schema.description ?? 'no content') : 'success',
      };
      continue;
    }
    out[status] = {
      description: schema.description ?? 'success',
      content: { 'application/json': { schema: jsonSchema(schema, 'output') } },
    };
  }
  out['default'] = {
    description: 'error',
    content: { 'application/problem+json': { schema: problemSchema } },
  };
  return out;
}

/** The tag of a route: its area, the path segment after `/api` (`/api/authn/…` → `authn`). */
const tagOf = (url: string): string => /^\/api\/([^/]+)/.exec(url)?.[1] ?? 'platform';

/**
 * Builds the document from `routes`: every route under `/api/` (HEAD routes, which Fastify adds
 * for each GET, are left out).
 */
export function openApiDocument(
  routes: ReadonlyArray<RouteRecord>,
  serverUrl: string | undefined,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    if (r.method === 'HEAD' || !r.url.startsWith('/api/')) continue;
    const op: Record<string, unknown> = {
      operationId: `${r.method.toLowerCase()}${r.url.replace(/[^A-Za-z0-9]+(\w?)/g, (_m, c: string) => c.toUpperCase())}`,
      tags: [tagOf(r.url)],
      ...(r.schema?.summary === undefined ? {} : { summary: r.schema.summary }),
      ...(r.schema?.description === undefined ? {} : { description: r.schema.description }),
      parameters: parametersOf(r),
      responses: responsesOf(r),
    };
    const auth = r.config['auth'];
    if (auth === 'session') op['security'] = [{ session: [] }];
    else if (auth === 'admin') op['security'] = [{ admin: [] }];
    const body = r.schema?.body;
    const consumes = r.schema?.consumes;
    if (consumes !== undefined && consumes.length > 0)
      op['requestBody'] = {
        required: true,
        content: Object.fromEntries(
          consumes.map((t) => [t, { schema: { type: 'string', contentMediaType: t } }]),
        ),
      };
    else if (isZod(body))
      op['requestBody'] = {
        // A body schema that accepts an absent body (optionalBody) makes the body optional.
        required: !body.safeParse(null).success,
        content: { 'application/json': { schema: jsonSchema(body, 'input') } },
      };
    (paths[openApiPath(r.url)] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Watashi platform API',
      version: '0.1.0',
      description:
        'The platform’s own HTTP APIs (enrolment, authentication, the resident’s account, wallet, devices, ' +
        'operator). Errors are RFC 9457 problem documents with a stable `code`. The OpenID Provider is ' +
        'described by /oidc/.well-known/openid-configuration.',
    },
    ...(serverUrl === undefined ? {} : { servers: [{ url: serverUrl }] }),
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        admin: { type: 'http', scheme: 'bearer', description: 'the operator token (adminToken)' },
      },
    },
    paths,
  };
}

/** Registers `GET /api/openapi.json`; the document is built at the first request (all routes are registered by then). */
export function registerOpenApiRoute(app: FastifyInstance, deps: PlatformDeps): void {
  let doc: Record<string, unknown> | undefined;
  withSchemas(app).get(
    OPENAPI_PATH,
    {
      config: { auth: 'public' },
      schema: {
        summary: 'This document: the OpenAPI 3.1 description of the platform’s own APIs',
        response: { 200: z.record(z.string(), z.unknown()) },
      },
    },
    () => (doc ??= openApiDocument(app.watashiRoutes ?? [], deps.config.publicUrl)),
  );
}
