/**
 * OpenAPI 3.1 document generated from the route declarations (the same zod schemas that validate
 * requests and shape responses), served at `/openapi.json`.
 */
import { z } from 'zod';
import type { AnyRoute } from './route.ts';

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem document',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string', description: 'stable error code' },
    detail: { type: 'string' },
  },
  required: ['type', 'title', 'status', 'code'],
};

const jsonSchema = (s: z.ZodType, io: 'input' | 'output'): Record<string, unknown> => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};

function parametersOf(r: AnyRoute): unknown[] {
  const out: unknown[] = [];
  const path = r.openapiPath ?? r.url.replace(/:(\w+)/g, '{$1}');
  for (const m of path.matchAll(/\{(\w+)\}/g))
    out.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
  if (r.query) {
    const js = jsonSchema(r.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, schema] of Object.entries(js.properties ?? {})) {
      out.push({ name, in: 'query', required: js.required?.includes(name) ?? false, schema });
    }
  }
  return out;
}

/** Builds the OpenAPI document for `routes`. */
export function openApiDocument(routes: ReadonlyArray<AnyRoute>, serverUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.openapiPath ?? r.url.replace(/:(\w+)/g, '{$1}');
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      parameters: parametersOf(r),
      responses: {
        [String(r.status ?? 200)]: {
          description: 'success',
          content:
            'binary' in r.response
              ? { [r.response.binary]: { schema: { type: 'string', contentMediaType: r.response.binary } } }
              : { 'application/json': { schema: jsonSchema(r.response, 'output') } },
        },
        default: { description: 'error', content: { 'application/problem+json': { schema: problemSchema } } },
      },
    };
    const content: Record<string, unknown> = {};
    if (r.body) content['application/json'] = { schema: jsonSchema(r.body, 'input') };
    for (const t of r.requestBinary ?? []) content[t] = { schema: { type: 'string', contentMediaType: t } };
    if (Object.keys(content).length) op['requestBody'] = { required: true, content };
    (paths[path] ??= {})[r.method.toString().toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'J-LIS simulator (JPKI-SIM) — development and test only',
      version: '0.1.0',
      description:
        'Behaves towards a platform operator like J-LIS: CA certificates, CRLs, an RFC 6960 OCSP responder, ' +
        'latest basic 4 information with consent, a fee meter, hosted virtual cards. NOT J-LIS; its roots are O=JPKI-SIM. ' +
        'Operators are identified by the X-Operator-Id header or the basic-auth user name; the check purpose by ' +
        'X-Check-Purpose or ?purpose= (signature_verification | liveness_check).',
    },
    servers: [{ url: serverUrl }],
    paths,
  };
}
