/**
 * The wallet pages (issue 3; the full wallet PWA is a later issue):
 *
 * - `GET /` — landing page; `GET /wallet` → 302 `/`
 * - `GET /wallet/enrol` — enrol with a hosted card of the J-LIS simulator (docs/architecture.md §3.1)
 * - `GET /wallet/login` — sign in with a passkey (§3.2)
 * - `GET /wallet/passkeys` — register, list and revoke passkeys
 * - `GET /wallet/personas` — create, edit and delete personas (`/api/me/personas`, docs/architecture.md §3.3)
 * - `GET /wallet/consents` — the services holding a consent, and withdrawal (`/api/me/consents`)
 * - `GET /wallet/disclosures` — what each service received, newest first (`/api/me/disclosures`)
 * - `GET /wallet/account` — who am I: `/api/me`, proofing level, authenticators, sign out
 * - `GET /wallet/app.js`, `GET /wallet/wallet.css` — the one script (bundle.ts) and stylesheet
 *
 * Every page is static HTML; the data comes from the session-protected APIs, called by the
 * script. All routes are `auth: 'public'` with the default rate limit.
 *
 * CSP: the server's policy (server/app.ts) already allows the pages' own script and style and, in
 * simulation, the simulator's origin in `connect-src`. When `wallet.hostedCardsUrl` names another
 * origin (the simulator as the browser reaches it differs from the URL the platform uses), the
 * pages — and only the pages — get that origin added to `connect-src`; nothing is loosened globally.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PlatformDeps } from '../server/context.ts';
import { builtAsset, walletBundle, type BuiltAsset } from './bundle.ts';
import { walletPage, type WalletPageId } from './pages.ts';

/** What the wallet routes need. */
export type WalletDeps = Pick<PlatformDeps, 'config'>;

/** The hosted cards' base URL the pages use (no trailing slash), or undefined. */
export function hostedCardsUrl(config: WalletDeps['config']): string | undefined {
  const url =
    config.wallet.hostedCardsUrl ?? (config.jlis?.kind === 'simulator' ? config.jlis.url : undefined);
  return url?.replace(/\/+$/, '');
}

/** `connect-src` of a CSP header value with `origin` added (unchanged when already present). */
export function withConnectSrc(csp: string, origin: string): string {
  const parts = csp.split(';').map((p) => p.trim());
  const i = parts.findIndex((p) => /^connect-src(\s|$)/i.test(p));
  if (i < 0) return [...parts.filter((p) => p !== ''), `connect-src 'self' ${origin}`].join('; ');
  const sources = (parts[i] ?? '').split(/\s+/).slice(1);
  if (sources.includes(origin)) return csp;
  parts[i] = ['connect-src', ...sources, origin].join(' ');
  return parts.filter((p) => p !== '').join('; ');
}

const LOOPBACK_IP = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/;

/**
 * The wallet's canonical URL for a page requested at a loopback IP while the public URL is
 * `localhost` on the same port (the development setup), else undefined. Passkeys are bound to
 * the public origin (an IP address can never be a WebAuthn RP ID) and the simulator lets only that
 * origin drive its cards, so the pages must be opened there. Only this one case is redirected: a
 * reverse proxy's Host rewriting can never cause a loop.
 */
export function canonicalPageUrl(
  publicUrl: string | undefined,
  host: string,
  path: string,
): string | undefined {
  if (publicUrl === undefined) return undefined;
  const pub = new URL(publicUrl);
  if (pub.hostname !== 'localhost') return undefined;
  const m = /^(.*?)(?::(\d+))?$/.exec(host);
  const hostname = m?.[1] ?? '';
  const port = m?.[2] ?? '';
  if (!LOOPBACK_IP.test(hostname) || port !== pub.port) return undefined;
  // Only a path of this origin: never `//other.example` (an open redirect).
  return `${pub.origin}${path.startsWith('/') && !path.startsWith('//') ? path : '/'}`;
}

/** Says loudly when passkeys cannot work: a public URL whose host is an IP address. */
export function ipPublicUrlWarning(publicUrl: string): string | undefined {
  let u: URL;
  try {
    u = new URL(publicUrl);
  } catch {
    return undefined; // not a URL: the configuration schema reports it
  }
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(u.hostname) && !u.hostname.startsWith('[')) return undefined;
  return `publicUrl ${publicUrl} is an IP address: browsers refuse passkeys there (a WebAuthn RP ID must be a host name); use http://localhost${u.port === '' ? '' : `:${u.port}`} or a domain name`;
}

function sendAsset(req: FastifyRequest, reply: FastifyReply, a: BuiltAsset, type: string): FastifyReply {
  void reply.header('etag', a.etag).header('cache-control', 'no-cache').type(type);
  if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
  return reply.send(a.body);
}

/** Registers the wallet pages and assets. */
export function registerWalletRoutes(app: FastifyInstance, deps: WalletDeps): void {
  const bundle = walletBundle();
  let css: BuiltAsset | undefined;
  const page = { auth: 'public' as const, rateLimit: 'default' as const };

  const sendPage = (req: FastifyRequest, reply: FastifyReply, id: WalletPageId): FastifyReply => {
    const canonical = canonicalPageUrl(deps.config.publicUrl, req.host, req.url);
    if (canonical !== undefined) return reply.redirect(canonical, 302);
    const cards = hostedCardsUrl(deps.config);
    if (cards !== undefined) {
      const csp = reply.getHeader('content-security-policy');
      if (typeof csp === 'string')
        void reply.header('content-security-policy', withConnectSrc(csp, new URL(cards).origin));
    }
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(walletPage(id, { hostedCardsUrl: cards }));
  };

  app.get('/', { config: page }, (req, reply) => sendPage(req, reply, 'home'));
  app.get('/wallet', { config: page }, (_req, reply) => reply.redirect('/', 302));
  app.get('/wallet/enrol', { config: page }, (req, reply) => sendPage(req, reply, 'enrol'));
  app.get('/wallet/login', { config: page }, (req, reply) => sendPage(req, reply, 'login'));
  app.get('/wallet/passkeys', { config: page }, (req, reply) => sendPage(req, reply, 'passkeys'));
  app.get('/wallet/personas', { config: page }, (req, reply) => sendPage(req, reply, 'personas'));
  app.get('/wallet/consents', { config: page }, (req, reply) => sendPage(req, reply, 'consents'));
  app.get('/wallet/disclosures', { config: page }, (req, reply) => sendPage(req, reply, 'disclosures'));
  app.get('/wallet/account', { config: page }, (req, reply) => sendPage(req, reply, 'account'));

  // Unsafe configurations warn loudly at run time (docs/conventions.md, after node-oidc-provider).
  app.addHook('onListen', (done) => {
    const { publicUrl, host, port } = deps.config;
    const warning = ipPublicUrlWarning(
      publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    );
    if (warning !== undefined) app.log.warn(warning);
    done();
  });

  app.get('/wallet/app.js', { config: page }, async (req, reply) =>
    sendAsset(req, reply, await bundle(), 'text/javascript; charset=utf-8'),
  );
  app.get('/wallet/wallet.css', { config: page }, (req, reply) => {
    css ??= builtAsset(readFileSync(new URL('./wallet.css', import.meta.url)));
    return sendAsset(req, reply, css, 'text/css; charset=utf-8');
  });
}
