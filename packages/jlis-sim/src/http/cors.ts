/**
 * Cross-origin access to the hosted cards (Fetch Standard §3.2, "CORS protocol"). A wallet page
 * served by the platform drives a hosted card from the resident's browser, like an NFC reader
 * attached to the phone; the page and the simulator are on different origins, so the browser asks
 * first. Only routes declared with `hostedCard: true` (route metadata, never a URL prefix) answer
 * cross-origin, and only to the origins of the `cardOrigins` configuration:
 *
 * - a request without `Origin` (the CLI, tests, other servers) or from the simulator's own origin
 *   passes untouched;
 * - a request from an allowed origin gets `Access-Control-Allow-Origin: <that origin>` and
 *   `Vary: Origin` on every answer, problem documents included, so the page can read the codes;
 * - a request from any other origin is refused with a 403 problem `origin_not_allowed` before the
 *   card sees it. Browsers would hide the answer anyway, but a "simple" request (e.g. `POST
 *   /cards/{id}/session` without a body) would otherwise still reach the card;
 * - `OPTIONS` (the preflight) answers 204 with the allowed methods and the `content-type` request
 *   header, or 403 `origin_not_allowed` / `cors_method_not_allowed`.
 *
 * No credentials are involved (the simulator has no cookies), so `Access-Control-Allow-Credentials`
 * is never sent and `*` is never used: the allow-list is explicit.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problem, sendProblem } from './problem.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A hosted-card route: answers the browser origins listed in `cardOrigins` (cors.ts). */
    hostedCard?: boolean;
  }
}

/** Request headers a page may send to a hosted-card route (beyond the CORS-safelisted ones). */
const ALLOWED_REQUEST_HEADERS = ['content-type'];
/** How long a browser may cache a preflight answer (seconds). */
const PREFLIGHT_MAX_AGE = 600;

/** How one request's `Origin` relates to the allow-list. */
type OriginVerdict =
  | { readonly kind: 'none' }
  | { readonly kind: 'allowed'; readonly origin: string }
  | { readonly kind: 'refused'; readonly origin: string };

function ownOrigins(req: FastifyRequest, baseUrl: () => string): string[] {
  const out = [`${req.protocol}://${req.host}`];
  try {
    out.push(new URL(baseUrl()).origin);
  } catch (cause) {
    req.log.debug({ cause }, 'simulator base URL is not a URL');
  }
  return out;
}

/** Decides on a request's `Origin`: no CORS headers needed, allowed, or refused. */
function verdict(req: FastifyRequest, allowed: ReadonlySet<string>, baseUrl: () => string): OriginVerdict {
  const origin = req.headers.origin;
  if (origin === undefined) return { kind: 'none' };
  if (allowed.has(origin)) return { kind: 'allowed', origin };
  if (ownOrigins(req, baseUrl).includes(origin)) return { kind: 'none' };
  return { kind: 'refused', origin };
}

function refuse(reply: FastifyReply, origin: string): FastifyReply {
  return sendProblem(
    reply,
    problem(
      'origin_not_allowed',
      `origin ${origin} may not use the hosted cards (simulator configuration cardOrigins)`,
      403,
    ),
  );
}

/**
 * Installs the CORS check for hosted-card routes. Call before the routes are registered; then
 * call {@link registerPreflights} with the routes.
 */
export function installHostedCardCors(
  app: FastifyInstance,
  origins: ReadonlyArray<string>,
  baseUrl: () => string,
): void {
  const allowed = new Set(origins);
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config.hostedCard !== true || req.method === 'OPTIONS') return;
    const v = verdict(req, allowed, baseUrl);
    if (v.kind === 'refused') return refuse(reply, v.origin);
    if (v.kind === 'allowed')
      void reply.header('access-control-allow-origin', v.origin).header('vary', 'Origin');
  });
}

/** Registers one `OPTIONS` preflight route per hosted-card URL, allowing the methods declared on it. */
export function registerPreflights(
  app: FastifyInstance,
  routes: ReadonlyArray<{ readonly url: string; readonly method: string | ReadonlyArray<string> }>,
  origins: ReadonlyArray<string>,
  baseUrl: () => string,
): void {
  const allowed = new Set(origins);
  const methods = new Map<string, Set<string>>();
  for (const r of routes)
    for (const m of typeof r.method === 'string' ? [r.method] : r.method)
      (methods.get(r.url) ?? methods.set(r.url, new Set()).get(r.url)!).add(m.toUpperCase());
  for (const [url, set] of methods) {
    const list = [...set].sort();
    app.route({
      method: 'OPTIONS',
      url,
      config: { hostedCard: true },
      handler: async (req, reply) => {
        const v = verdict(req, allowed, baseUrl);
        if (v.kind === 'refused') return refuse(reply, v.origin);
        const asked = req.headers['access-control-request-method'];
        if (typeof asked === 'string' && !set.has(asked.toUpperCase()))
          return sendProblem(
            reply,
            problem('cors_method_not_allowed', `${asked} is not allowed on ${url}`, 403),
          );
        const askedHeaders = String(req.headers['access-control-request-headers'] ?? '')
          .split(',')
          .map((h) => h.trim().toLowerCase())
          .filter((h) => h !== '');
        const refused = askedHeaders.filter((h) => !ALLOWED_REQUEST_HEADERS.includes(h));
        if (refused.length > 0)
          return sendProblem(
            reply,
            problem('cors_header_not_allowed', `request headers not allowed: ${refused.join(', ')}`, 403),
          );
        if (v.kind === 'allowed') void reply.header('access-control-allow-origin', v.origin);
        return reply
          .code(204)
          .header('vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers')
          .header('access-control-allow-methods', list.join(', '))
          .header('access-control-allow-headers', ALLOWED_REQUEST_HEADERS.join(', '))
          .header('access-control-max-age', String(PREFLIGHT_MAX_AGE))
          .send();
      },
    });
  }
}
