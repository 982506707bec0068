/**
 * The Fastify application of the simulator, in explicit load order: body parsers and limits,
 * error and not-found handlers (RFC 9457 problems), the hosted cards' CORS check, the routes and
 * their preflights.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Simulator } from '../simulator.ts';
import { installHostedCardCors, registerPreflights } from './cors.ts';
import { openApiDocument } from './openapi.ts';
import { problem, problemOf, sendProblem } from './problem.ts';
import { registerRoutes } from './routes.ts';

/** Builds (does not start) the HTTP app for `sim`. */
export function buildApp(sim: Simulator): FastifyInstance {
  // Typed as Fastify's base logger so the app type stays FastifyInstance (pino's Logger is wider).
  const logger: FastifyBaseLogger = sim.ctx.log.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: logger,
    // Per-request log lines would dominate the OCSP hot path; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: sim.config.bodyLimitBytes,
    // JSON bodies reach zod as plain objects; no prototype-polluting keys.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });

  // 1. Binary bodies: OCSP requests (RFC 6960 Appendix A.1) and raw C-APDUs.
  app.addContentTypeParser(
    ['application/ocsp-request', 'application/octet-stream'],
    { parseAs: 'buffer' },
    (_req, body, done) => {
      done(null, body);
    },
  );

  // 2. Errors → problem documents; unknown routes → 404 problem.
  app.setErrorHandler((err, req, reply) => {
    const p = problemOf(err);
    if (p.status >= 500) req.log.error({ err }, 'request failed');
    return sendProblem(reply, p);
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, problem('not_found', `no route ${req.method} ${req.url.split('?')[0] ?? ''}`, 404)),
  );

  // 3. Cross-origin access to the hosted cards, for the origins of `cardOrigins` only (cors.ts).
  const baseUrl = (): string => sim.baseUrl;
  installHostedCardCors(app, sim.config.cardOrigins, baseUrl);

  // 4. Routes, then the preflight (OPTIONS) of every hosted-card URL.
  let doc: Record<string, unknown> | undefined;
  const routes = registerRoutes(app, sim, () => (doc ??= openApiDocument(routes, sim.baseUrl)));
  registerPreflights(
    app,
    routes.filter((r) => r.hostedCard === true),
    sim.config.cardOrigins,
    baseUrl,
  );
  return app;
}
