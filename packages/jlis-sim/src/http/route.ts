/**
 * Schema-first routes (docs/conventions.md §13): each route declares its zod schemas once; the same
 * declaration validates the request, strips undeclared response fields (zod objects drop unknown
 * keys) and feeds the OpenAPI document (`openapi.ts`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { z } from 'zod';
import { simError } from '../errors.ts';

/** A route declaration. */
export interface RouteSpec<
  P extends z.ZodType,
  Q extends z.ZodType,
  B extends z.ZodType,
  R extends z.ZodType,
> {
  readonly method: HTTPMethods;
  /** Fastify URL pattern (`:param`). */
  readonly url: string;
  /** OpenAPI path when it differs (e.g. `/ca/{purpose}/{generation}.cer`). */
  readonly openapiPath?: string;
  readonly summary: string;
  readonly tag: 'operator' | 'cards' | 'admin' | 'meta';
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /** JSON response schema, or a binary content type. */
  readonly response: R | { readonly binary: string };
  /** Request body content types other than JSON. */
  readonly requestBinary?: ReadonlyArray<string>;
  readonly status?: number;
  /** A hosted-card route: browsers of the `cardOrigins` configuration may call it (cors.ts). */
  readonly hostedCard?: boolean;
  readonly handler: (input: {
    params: z.output<P>;
    query: z.output<Q>;
    body: z.output<B>;
    req: FastifyRequest;
    reply: FastifyReply;
  }) => unknown;
}

/** Everything registered, for the OpenAPI document. */
export type AnyRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType, z.ZodType>;

function parse<T extends z.ZodType>(schema: T | undefined, value: unknown, where: string): z.output<T> {
  if (!schema) return value as z.output<T>;
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw simError(
      'request_invalid',
      `invalid ${where}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'rejected'}`,
    );
  }
  return r.data;
}

/** Registers `spec` on `app` and records it in `registry`. */
export function route<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
  app: FastifyInstance,
  registry: AnyRoute[],
  spec: RouteSpec<P, Q, B, R>,
): void {
  registry.push(spec);
  app.route({
    method: spec.method,
    url: spec.url,
    config: { hostedCard: spec.hostedCard === true },
    handler: async (req, reply) => {
      const params = parse(spec.params, req.params, 'path parameters');
      const query = parse(spec.query, req.query, 'query');
      const body = parse(spec.body, req.body, 'body');
      const out = await spec.handler({ params, query, body, req, reply });
      if (reply.sent) return reply;
      if ('binary' in spec.response) {
        return reply
          .code(spec.status ?? 200)
          .type(spec.response.binary)
          .send(Buffer.from(out as Uint8Array));
      }
      return reply.code(spec.status ?? 200).send(spec.response.parse(out));
    },
  });
}
