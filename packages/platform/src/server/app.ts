/**
 * The platform's Fastify application (issue 3), in explicit load order:
 *
 * 1. Fastify with pino logging (cookies, authorization and set-cookie redacted), request ids
 *    (`X-Request-Id` when well-formed, else a UUID; echoed on every response), the body limit,
 *    prototype-poisoning refused, the zod type provider (each route's zod schemas validate its
 *    request and encode its reply: server/schemas.ts), every route recorded for the OpenAPI
 *    document (server/openapi.ts).
 * 2. Error and not-found handlers: everything is an RFC 9457 problem (problem.ts).
 * 3. The route guard (`onRoute`): every route must declare `config.auth` ('public' | 'session' |
 *    'admin') or startup fails; each route gets, in order, its rate limiter (`default` or
 *    `authentication` bucket), the session lookup (cookie `watashi_session`) and its
 *    authorisation check ('session' → 401 `session_required`; 'admin' → 401 `admin_required` /
 *    403 `admin_forbidden`).
 * 4. Plugins: @fastify/cookie, @fastify/rate-limit (buckets only, applied by the guard),
 *    @fastify/helmet (CSP allowing the wallet pages' own scripts and styles only).
 *
 * Routes are registered by the caller (platform.ts) after `buildServer` resolves.
 */
import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { pino, type DestinationStream, type LoggerOptions } from 'pino';
import type { PlatformDeps, RouteAuth } from './context.ts';
import { problem, problemDocument, problemOf, sendProblem } from './problem.ts';
import { lookupSession, SESSION_COOKIE } from './sessions.ts';
import type { PlatformMetrics } from './metrics.ts';
import { currentRequestId, runInRequest } from './request-context.ts';
import { recordRoutes } from './schemas.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by {@link allowPublicRoutes}: routes of this instance without `config.auth` are public. */
    watashiRouteAuthDefault?: RouteAuth;
    /**
     * Set by the wallet (wallet/routes.ts): answers a browser's GET for HTML at an unknown path with
     * the wallet's not-found page; resolves with false when it did not answer.
     */
    watashiHtmlNotFound?: (req: FastifyRequest, reply: FastifyReply) => Promise<boolean>;
  }
  interface FastifyRequest {
    /** The problem code the request was answered with (error handler), for metrics and logs. */
    watashiProblemCode: string | undefined;
  }
  interface FastifyContextConfig {
    /** The bucket a route declared (`rateLimit` itself is handed to @fastify/rate-limit as false). */
    watashiRateLimit?: 'authentication' | 'default' | false;
  }
}

/** Options of {@link buildServer}. */
export interface BuildServerOptions {
  /** A logger to use instead of the one built from `config.logLevel`. */
  readonly logger?: FastifyBaseLogger;
  /** Where each finished request is counted (server/metrics.ts); none: nothing is counted. */
  readonly metrics?: PlatformMetrics;
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;

/** Paths the logger hides (never logged: session tokens, admin tokens). */
export const LOG_REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization',
];

/**
 * The pino logger for a platform configuration (to standard output, or `destination`). A line
 * logged while a request is being served names it (`reqId`) even when the code logged through the
 * app's logger rather than `req.log` (the fee ledger, the job queue); `req.log` lines carry it
 * already as a binding and are left alone.
 */
export function platformLogger(
  level: PlatformDeps['config']['logLevel'],
  destination?: DestinationStream,
): FastifyBaseLogger {
  const options: LoggerOptions = {
    level,
    base: { service: 'watashi-platform' },
    redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
    mixin: (_merge, _level, logger) => {
      const reqId = currentRequestId();
      return reqId === undefined || 'reqId' in logger.bindings() ? {} : { reqId };
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/**
 * Marks an (encapsulated) instance whose routes cannot carry `config.auth` themselves — e.g.
 * @fastify/static's file routes — as public. Use inside a child plugin only.
 */
export function allowPublicRoutes(instance: FastifyInstance): void {
  instance.decorate('watashiRouteAuthDefault', 'public');
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison of a presented token with the configured one (hashes equalise lengths). */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(sha256(presented), sha256(expected));
}

/** The bearer token of the request's Authorization header, if any (RFC 6750 §2.1). */
export function bearerOf(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(h);
  return m?.[1];
}

/** Builds (does not start) the platform app: plugins, handlers and the route guard; no routes. */
export async function buildServer(
  deps: PlatformDeps,
  options: BuildServerOptions = {},
): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: options.logger ?? platformLogger(config.logLevel),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && REQUEST_ID_RE.test(h) ? h : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: false },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Every route is recorded for the OpenAPI document and the route tests (server/schemas.ts).
  recordRoutes(app);

  // 1. Every response names its request, and the work done for it knows the request's id (the
  //    audit records it writes carry it: store/audit.ts). The context is entered twice: body
  //    parsing resumes from the socket's callbacks, outside the context the first hook set.
  app.decorateRequest('watashiProblemCode', undefined);
  app.addHook('onRequest', (req, reply, done) => {
    void reply.header('x-request-id', req.id);
    runInRequest({ requestId: req.id }, done);
  });
  app.addHook('preHandler', (req, _reply, done) => {
    runInRequest({ requestId: req.id }, done);
  });
  const { metrics } = options;
  if (metrics !== undefined)
    app.addHook('onResponse', async (req, reply) => {
      metrics.observeRequest({
        method: req.method,
        // The route pattern (`/api/enrolments/:id/complete`), never the raw URL: bounded labels.
        route: req.routeOptions.url,
        status: reply.statusCode,
        seconds: reply.elapsedTime / 1000,
        problemCode: req.watashiProblemCode,
      });
    });

  // 2. Errors and unknown routes → problem documents.
  app.setErrorHandler((err, req, reply) => {
    const p = problemOf(err);
    req.watashiProblemCode = p.code;
    if (p.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: p.code, status: p.status }, 'request refused');
    return sendProblem(reply, { ...p, instance: `urn:watashi:request:${req.id}` });
  });
  app.setNotFoundHandler(async (req, reply) => {
    req.watashiProblemCode = 'not_found';
    // A person's browser gets a page in their language (the wallet's), an API client a problem.
    if (
      req.method === 'GET' &&
      /\btext\/html\b/.test(req.headers.accept ?? '') &&
      app.watashiHtmlNotFound !== undefined &&
      (await app.watashiHtmlNotFound(req, reply))
    )
      return reply;
    return sendProblem(reply, {
      ...problemDocument('not_found', 404, `no route ${req.method} ${req.url.split('?')[0] ?? ''}`),
      instance: `urn:watashi:request:${req.id}`,
    });
  });

  // 3. The route guard. Added before @fastify/rate-limit so it runs before that plugin's onRoute
  //    hook, which only understands object configurations: the guard applies the buckets itself.
  app.decorateRequest('session', null);
  type Hook = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  let limiters: { default: Hook; authentication: Hook } | undefined;
  const sessionHook: Hook = async (req) => {
    req.session = null;
    const token = req.cookies[SESSION_COOKIE];
    if (token === undefined || token === '') return;
    req.session = await lookupSession(deps, token);
  };
  const requireSession: Hook = (req) =>
    req.session === null
      ? Promise.reject(problem('session_required', 401, 'sign in first'))
      : Promise.resolve();
  const requireAdmin = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const presented = bearerOf(req);
    if (presented === undefined) {
      void reply.header('www-authenticate', 'Bearer realm="watashi-admin"');
      throw problem('admin_required', 401, 'an operator bearer token is required');
    }
    if (config.adminToken === undefined || !tokenMatches(presented, config.adminToken))
      throw problem('admin_forbidden', 403, 'the operator token is not accepted');
  };
  app.addHook('onRoute', function guard(this: FastifyInstance, route) {
    const routeConfig = (route.config ?? {}) as { auth?: RouteAuth; rateLimit?: unknown };
    const auth = routeConfig.auth ?? this.watashiRouteAuthDefault;
    if (auth !== 'public' && auth !== 'session' && auth !== 'admin')
      throw new TypeError(
        `route ${String(route.method)} ${route.url} declares no config.auth ('public' | 'session' | 'admin')`,
      );
    const bucket = routeConfig.rateLimit;
    if (bucket !== undefined && bucket !== false && bucket !== 'default' && bucket !== 'authentication')
      throw new TypeError(
        `route ${route.url}: config.rateLimit must be 'default', 'authentication' or false`,
      );
    const hooks: Hook[] = [];
    if (config.rateLimits.enabled && bucket !== false) {
      limiters ??= {
        default: <Hook>this.rateLimit({
          max: config.rateLimits.default.max,
          timeWindow: config.rateLimits.default.windowSeconds * 1000,
        }),
        authentication: <Hook>this.rateLimit({
          max: config.rateLimits.authentication.max,
          timeWindow: config.rateLimits.authentication.windowSeconds * 1000,
        }),
      };
      hooks.push(bucket === 'authentication' ? limiters.authentication : limiters.default);
    }
    hooks.push(sessionHook);
    if (auth === 'session') hooks.push(requireSession);
    if (auth === 'admin') hooks.push(requireAdmin);
    const existing =
      route.onRequest === undefined
        ? []
        : Array.isArray(route.onRequest)
          ? route.onRequest
          : [route.onRequest];
    route.onRequest = [...hooks, ...existing];
    // The declared bucket stays readable as `watashiRateLimit`; @fastify/rate-limit sees `false`.
    route.config = {
      ...routeConfig,
      auth,
      rateLimit: false,
      watashiRateLimit: bucket ?? 'default',
    };
  });

  // 4. Plugins.
  await app.register(cookie);
  await app.register(rateLimit, {
    global: false,
    keyGenerator: (req) => req.ip,
    errorResponseBuilder: (_req, ctx) =>
      problem('rate_limited', 429, `too many requests; retry in ${ctx.after}`, {
        retryAfterSeconds: Math.ceil(ctx.ttl / 1000),
      }),
  });
  const connectSrc = ["'self'"];
  if (config.jlis?.kind === 'simulator') connectSrc.push(new URL(config.jlis.url).origin);
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc,
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(config.publicUrl?.startsWith('https:') === true ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: config.publicUrl?.startsWith('https:') === true ? { maxAge: 31_536_000 } : false,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
  });
  return app;
}
