/**
 * The OpenID Provider's HTTP edge in the platform's Fastify app (issue 4).
 *
 * Mounting: every `/oidc/*` request not matched by a more specific route goes to oidc-provider's
 * Koa handler (`provider.callback()`) through `reply.hijack()` — docs/dependencies.md §5.1 — inside a
 * Fastify route, so the route guard still applies (`auth: 'public'`, rate-limit bucket). The body
 * is left unread for oidc-provider, which parses its own. The provider is built on first use,
 * because the issuer comes from `publicUrl`, which `listen()` may only set then.
 *
 * Interactions (oidc-provider's `interactions.url`): `GET /oidc/interaction/:uid`, one module per
 * step — login.ts (reuse the Watashi session, step up, or refuse) and consent-step.ts (the consent
 * page and its POST); interaction.ts holds what they share. When the resident must sign in, the
 * interaction answers with a 303 to the wallet's sign-in page:
 *
 *     /wallet/login?return_to=<path>[&acr_values=<space-separated>][&step_up=authentication|proofing][&prompt=login]
 *
 * `return_to` is always a same-origin path `/oidc/interaction/<uid>`; the wallet signs the
 * resident in (passkey, card…) and then navigates to it. The wallet must accept only paths
 * under `/oidc/interaction/` there (no open redirect). `acr_values` lists what would satisfy
 * the RP; `step_up=proofing` means the identity level is short (re-proof with the card).
 *
 * Around oidc-provider's own endpoints, hooks.ts: the disclosure audit at the token and userinfo
 * endpoints, RP-initiated logout ending the Watashi session, and the form_post CSP.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type Provider from 'oidc-provider';
import type { PlatformDeps } from '../server/context.ts';
import { isPlatformError } from '../server/problem.ts';
import { activationSeconds, signingOrder } from '../keys/rotation.ts';
import { toConsentPage } from './consent-step.ts';
import { registerConsentRoutes } from './consents.ts';
import { registerDisclosureRoutes } from './disclosures.ts';
import { disclosureAudit, formPostCsp, logoutPropagation } from './hooks.ts';
import { interactionOf, toWallet, uidParams } from './interaction.ts';
import { walletErrorUrl, type WalletErrorKind } from './locales.ts';
import { registerInteractionApi } from './interaction-api.ts';
import { loginStep } from './login.ts';
import { registerPersonaRoutes } from './personas.ts';
import { registerApprovalRoutes } from './approvals.ts';
import { registerCrossDeviceRoutes } from './cross-device.ts';
import { createOidcProvider, OIDC_PREFIX } from './provider.ts';

export { WALLET_LOGIN_PATH } from './interaction.ts';

/** Sends a browser to the wallet's error page (its own language setting applies there). */
function toErrorPage(reply: FastifyReply, kind: WalletErrorKind, code: string): FastifyReply {
  return reply.header('cache-control', 'no-store').redirect(walletErrorUrl(kind, code, undefined), 303);
}

/** The OpenID Provider mounted in an app. */
export interface MountedOidc {
  /** The provider (built on first call). */
  provider(): Promise<Provider>;
}

/** Registers the OpenID Provider (catch-all mount and interaction routes). */
export async function registerOidcRoutes(app: FastifyInstance, deps: PlatformDeps): Promise<MountedOidc> {
  // The provider and its Koa handler, rebuilt when the signing keys in the key store change: an
  // instance reads them again on the first request at least `keyStore.refreshSeconds` after it last
  // did (keys/rotation.ts), so a key added on a shared key directory by `watashi keys rotate` is
  // published by every instance answering requests within that time. State lives in the database
  // and in cookies signed under the store's MAC secret, so a request finishes on the provider it
  // began on and the next one may run on the new one.
  interface Built {
    readonly provider: Provider;
    readonly callback: ReturnType<Provider['callback']>;
    readonly kids: string;
  }
  const refreshMs = deps.config.keyStore.refreshSeconds * 1000;
  let current: Promise<Built> | undefined;
  let checkedAt = 0;
  const build = async (previous: Promise<Built> | undefined): Promise<Built> => {
    const stored = (await deps.keys.signingKeys?.('oidc')) ?? [];
    const keys = signingOrder(stored, deps.now(), activationSeconds(deps.config.keyStore.refreshSeconds));
    const kids = keys.map((k) => k.keyId).join(' ');
    const before = await previous?.catch(() => undefined);
    if (before !== undefined && before.kids === kids) return before;
    const p = await createOidcProvider(deps, {
      outer: [disclosureAudit(deps), logoutPropagation(deps), formPostCsp()],
      ...(stored.length === 0 ? {} : { keys }),
    });
    // oidc-provider answers its own failures with server_error; the operator sees why here.
    p.on('server_error', (_ctx: unknown, err: unknown) => app.log.error({ err }, 'oidc: server error'));
    if (before !== undefined) app.log.info({ kids }, 'oidc: signing keys changed, provider rebuilt');
    return { provider: p, callback: p.callback(), kids };
  };
  const built = (): Promise<Built> => {
    const t = performance.now();
    if (current !== undefined && t - checkedAt < refreshMs) return current;
    checkedAt = t;
    const next = build(current);
    current = next;
    next.catch(() => {
      // A failed build is retried by the next request.
      if (current === next) current = undefined;
    });
    return next;
  };
  const provider = async (): Promise<Provider> => (await built()).provider;

  // oidc-provider's own endpoints, body unread.
  await app.register((scope, _opts, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => {
      done(null);
    });
    scope.route({
      method: ['GET', 'POST', 'OPTIONS', 'DELETE', 'PUT'],
      url: `${OIDC_PREFIX}/*`,
      config: { auth: 'public', rateLimit: 'default' },
      handler: async (req, reply) => {
        const { callback: cb } = await built();
        const raw = req.raw as IncomingMessage & { originalUrl?: string };
        const url = raw.url ?? '/';
        // oidc-provider derives its mount path from originalUrl minus url (docs/dependencies.md §5.1).
        raw.originalUrl = url;
        raw.url = url.slice(OIDC_PREFIX.length) || '/';
        await reply.hijack();
        await new Promise<void>((resolve) => {
          reply.raw.once('finish', resolve);
          reply.raw.once('close', resolve);
          void cb(raw, reply.raw);
        });
      },
    });
    done();
  });

  // Interactions: the steps hand over to the wallet's pages.
  app.get(
    `${OIDC_PREFIX}/interaction/:uid`,
    { config: { auth: 'public', rateLimit: 'authentication' } },
    async (req, reply) => {
      const parsed = uidParams.safeParse(req.params);
      if (!parsed.success) return toErrorPage(reply, 'bad-request', 'request_invalid');
      const p = await provider();
      let found: Awaited<ReturnType<typeof interactionOf>>;
      try {
        found = await interactionOf(p, req, reply, parsed.data.uid);
      } catch (e) {
        // A browser arrives here: the wallet's error page, not a problem document (issue 17).
        if (!isPlatformError(e)) throw e;
        return toErrorPage(
          reply,
          e.extra['service'] === 'unregistered' ? 'unknown-service' : 'expired',
          e.code,
        );
      }
      const { details, client } = found;
      if (details.prompt.name === 'login') return loginStep(deps, p, req, reply, details, client);
      if (details.prompt.name === 'consent') {
        const s = req.session;
        if (s === null || s.accountId !== details.session?.accountId)
          return toWallet(p, req, reply, details, { prompt: 'login' });
        return toConsentPage(reply, details);
      }
      return toErrorPage(reply, 'bad-request', 'oidc_interaction_unsupported');
    },
  );

  registerInteractionApi(app, deps, provider);
  registerPersonaRoutes(app, deps);
  registerConsentRoutes(app, deps);
  registerDisclosureRoutes(app, deps);
  registerApprovalRoutes(app, deps, provider);
  registerCrossDeviceRoutes(app, deps, provider);

  return { provider };
}
