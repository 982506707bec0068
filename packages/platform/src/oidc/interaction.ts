/**
 * What the OpenID Provider's interaction steps share (login.ts, consent-step.ts, interaction-api.ts):
 * loading an interaction and its client, the CSRF token bound to the interaction and the Watashi
 * session, finishing an interaction, and the hand-over to the wallet's sign-in page.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { PlatformDeps } from '../server/context.ts';
import { problem } from '../server/problem.ts';
import { pickUiLocale } from './locales.ts';
import { OIDC_PREFIX } from './provider.ts';

/** Where residents sign in (the wallet's login page). */
export const WALLET_LOGIN_PATH = '/wallet/login';
/** The wallet's step-up page: what a service asks for beyond the current sign-in, and the ways to it. */
export const WALLET_STEP_UP_PATH = '/wallet/step-up';
/** The wallet's consent page (`/wallet/consent/<uid>`). */
export const WALLET_CONSENT_PATH = '/wallet/consent';

/** An interaction as oidc-provider returns it. */
export type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** Route parameters naming an interaction. */
export const uidParams = z.strictObject({ uid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });

/** The interaction's own path (oidc-provider's `interactions.url`). */
export const interactionPath = (uid: string): string => `${OIDC_PREFIX}/interaction/${uid}`;

/** CSRF token of a consent form: HMAC over the interaction uid and the Watashi session id. */
export async function csrfToken(deps: PlatformDeps, uid: string, sessionId: string): Promise<string> {
  const { mac } = await deps.keys.mac(
    'oidc-consent-csrf',
    new TextEncoder().encode(`${uid}\u0000${sessionId}`),
  );
  return Buffer.from(mac).toString('base64url');
}

/** Constant-time string comparison. */
export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Hand-over to the wallet's sign-in page, and what it is told. */
export interface WalletLoginOptions {
  acrValues?: readonly string[];
  stepUp?: 'authentication' | 'proofing';
  prompt?: 'login';
}

/**
 * The wallet's sign-in URL for an interaction (see routes.ts for its parameters); `lang` is the
 * language the RP's `ui_locales` picked (locales.ts), for the wallet to show its pages in.
 */
export function walletLoginUrl(uid: string, options: WalletLoginOptions, locale?: string): string {
  const q = new URLSearchParams({ return_to: interactionPath(uid) });
  if (options.acrValues !== undefined && options.acrValues.length > 0)
    q.set('acr_values', options.acrValues.join(' '));
  if (options.stepUp !== undefined) q.set('step_up', options.stepUp);
  if (options.prompt !== undefined) q.set('prompt', options.prompt);
  if (locale !== undefined) q.set('lang', locale);
  // A step-up (the resident is signed in but falls short) is explained on its own page first.
  return `${options.stepUp === undefined ? WALLET_LOGIN_PATH : WALLET_STEP_UP_PATH}?${q.toString()}`;
}

/** Finishes the interaction with `result` and redirects to oidc-provider's resume (303). */
export async function finish(
  provider: Provider,
  req: FastifyRequest,
  reply: FastifyReply,
  result: Parameters<Provider['interactionResult']>[2],
  merge: boolean,
): Promise<FastifyReply> {
  const url = await provider.interactionResult(req.raw, reply.raw, result, {
    mergeWithLastSubmission: merge,
  });
  return reply.header('cache-control', 'no-store').redirect(url, 303);
}

/** Marker saved on the interaction when the resident is sent to the wallet: which session fell short. */
export const STEP_UP_MARK = 'watashi_wallet_login';

/** Records that this interaction sent the resident to sign in (with the session they had), then redirects. */
export async function toWallet(
  provider: Provider,
  req: FastifyRequest,
  reply: FastifyReply,
  details: Details,
  options: WalletLoginOptions,
): Promise<FastifyReply> {
  await provider.interactionResult(
    req.raw,
    reply.raw,
    { [STEP_UP_MARK]: { sessionId: req.session?.id ?? null } },
    { mergeWithLastSubmission: false },
  );
  return reply
    .header('cache-control', 'no-store')
    .redirect(walletLoginUrl(details.uid, options, pickUiLocale(details.params['ui_locales'])), 303);
}

/** The interaction of this browser (its cookie) with id `uid`, and its client's metadata. */
export async function interactionOf(
  provider: Provider,
  req: FastifyRequest,
  reply: FastifyReply,
  uid: string,
): Promise<{ details: Details; client: Record<string, unknown> }> {
  let details: Details;
  try {
    details = await provider.interactionDetails(req.raw, reply.raw);
  } catch {
    throw problem(
      'oidc_interaction_not_found',
      400,
      'this sign-in has expired; start again from the service',
    );
  }
  if (details.uid !== uid) throw problem('oidc_interaction_not_found', 400, 'interaction mismatch');
  const clientId = details.params['client_id'];
  const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
  if (client === undefined)
    throw problem('oidc_interaction_not_found', 400, 'the service is no longer registered', {
      service: 'unregistered',
    });
  return { details, client: client.metadata() };
}
