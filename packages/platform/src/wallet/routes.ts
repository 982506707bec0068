/**
 * The wallet in the browser (issue 17): the PWA of packages/wallet, served from its build
 * (spa.ts) under `/wallet/`:
 *
 * - `GET /`, `GET /wallet` → 302 `/wallet/` (the wallet's home; the service worker's scope)
 * - `GET /wallet/<file of the build>` — scripts, styles, `sw.js`, the manifest, icons
 * - `GET /wallet/<anything else>` — the shell (`index.html`); the wallet's router shows the page
 *   (or its own not-found page)
 * - a browser's GET for HTML at any unknown path → the shell with 404 (server/app.ts)
 *
 * All routes are `auth: 'public'` with the default rate limit; the data comes from the
 * session-protected APIs.
 *
 * CSP: the server's policy (server/app.ts) allows the wallet's own scripts and styles (no inline
 * script or style) and, in simulation, the simulator's origin in `connect-src`. When
 * `wallet.hostedCardsUrl` names another origin (the simulator as the browser reaches it differs
 * from the URL the platform uses), the pages — and only the pages — get that origin added to
 * `connect-src`; nothing is loosened globally.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { walletDistDir } from '@watashi/wallet';
import type { PlatformDeps } from '../server/context.ts';
import { WalletSpa } from './spa.ts';

/** What the wallet routes need (`walletDir`: the wallet's build; default packages/wallet/dist). */
export type WalletDeps = Pick<PlatformDeps, 'config'> & { readonly walletDir?: string };

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

/** Registers the wallet: the PWA and its not-found page. */
export function registerWalletRoutes(app: FastifyInstance, deps: WalletDeps): void {
  const spa = new WalletSpa(deps.walletDir ?? walletDistDir);
  const page = { auth: 'public' as const, rateLimit: 'default' as const };

  /** The canonical-origin redirect and the hosted cards' origin in `connect-src`; true if redirected. */
  const prepare = (req: FastifyRequest, reply: FastifyReply): boolean => {
    const canonical = canonicalPageUrl(deps.config.publicUrl, req.host, req.url);
    if (canonical !== undefined) {
      void reply.redirect(canonical, 302);
      return true;
    }
    const cards = hostedCardsUrl(deps.config);
    if (cards !== undefined) {
      const csp = reply.getHeader('content-security-policy');
      if (typeof csp === 'string')
        void reply.header('content-security-policy', withConnectSrc(csp, new URL(cards).origin));
    }
    return false;
  };

  app.get('/', { config: page }, (_req, reply) => reply.redirect('/wallet/', 302));
  app.get('/wallet', { config: page }, (_req, reply) => reply.redirect('/wallet/', 302));
  app.get('/wallet/*', { config: page }, async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (await spa.sendFile(req, reply, path)) return reply;
    // A file the build does not have is not a page.
    if (path.startsWith('/wallet/assets/')) return reply.callNotFound();
    if (prepare(req, reply)) return reply;
    await spa.sendShell(reply, 200, hostedCardsUrl(deps.config));
    return reply;
  });
  app.watashiHtmlNotFound = async (req, reply) => {
    if (prepare(req, reply)) return true;
    await spa.sendShell(reply, 404, hostedCardsUrl(deps.config));
    return true;
  };
  // Unsafe configurations warn loudly at run time (docs/conventions.md, after node-oidc-provider).
  app.addHook('onListen', (done) => {
    const { publicUrl, host, port } = deps.config;
    const warning = ipPublicUrlWarning(
      publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    );
    if (warning !== undefined) app.log.warn(warning);
    done();
  });
}
