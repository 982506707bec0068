/**
 * The JSON interaction API the wallet's consent and step-up pages use (issue 17). It lives under
 * the interaction's own path, because oidc-provider binds an interaction to the browser with a
 * cookie scoped to `/oidc/interaction/<uid>`: only the browser that started the authorization
 * request can read or answer it. Problems are RFC 9457 JSON.
 *
 * - `GET /oidc/interaction/:uid/details` → for the consent step `{ prompt: 'consent', rp: { name,
 *   purpose }, signedInAs: { displayName }, locale, requested, options, selected, remembered,
 *   newClaims, offline, verified, csrf }` (consent-view.ts: every option with the exact values it
 *   would send, formatted for display; the preselected option never sends more than the last
 *   consent to this RP); for the login step `{ prompt: 'login', rp, signedInAs | null, locale,
 *   stepUp | null, csrf }` where `stepUp` says what is needed (`reason` authentication or
 *   proofing, the level `{ ial, aal }`) and which of the resident's ways reach it (`ways`:
 *   `passkey`, `hardware_key`, `card`, `card_reproof`), `possible` false when none does.
 * - `POST /oidc/interaction/:uid/decision` `{ csrf, decision: 'approve' | 'deny', persona }` →
 *   `{ location }` (the consent step; `persona` is required: an option id of `details`). The
 *   wallet navigates to `location`, which ends at the RP.
 * - `POST /oidc/interaction/:uid/abort` `{ csrf }` → `{ location }`: the resident goes back to the
 *   RP without signing in or consenting (`access_denied`), or, when the step-up cannot be met,
 *   with `unmet_authentication_requirements`.
 *
 * Codes: `oidc_interaction_not_found` (400: expired, another browser's, or the RP unregistered),
 * `session_required` (401), `csrf_invalid` (403), `request_invalid` (400), `persona_not_found`
 * (400), `oidc_interaction_wrong_step` (409: the interaction is not at the step answered).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { stepUpView, type StepUpView } from '../authn/step-up.ts';
import { openBasic4 } from '../enrolment/seal-basic4.ts';
import type { PlatformDeps, SessionContext } from '../server/context.ts';
import { problem } from '../server/problem.ts';
import { withSchemas } from '../server/schemas.ts';
import { requestedAcrValues, requirementOf } from './assurance.ts';
import { choicesOf, denyConsent, grantConsent, releasable } from './consent-step.ts';
import type { ConsentChoices } from './consent-view.ts';
import { pickUiLocale, UI_LOCALES, type UiLocale } from './locales.ts';
import { csrfToken, interactionOf, sameToken, uidParams, type Details } from './interaction.ts';
import { OIDC_PREFIX, registryOf } from './provider.ts';
import { isVerifiedClaim, requestedVerifiedClaims } from './verified-claims.ts';

/** `GET …/details` at the consent step (JSON on the wire). */
export interface ConsentDetailsJson extends ConsentChoices {
  readonly prompt: 'consent';
  readonly uid: string;
  readonly rp: { readonly name: string; readonly purpose: string };
  readonly locale: UiLocale;
  /** The language the RP's `ui_locales` asked for, if Watashi has it. */
  readonly uiLocale: UiLocale | null;
  readonly signedInAs: { readonly displayName: string | null };
  /** `offline_access`: the RP may fetch the values again while the resident is away. */
  readonly offline: boolean;
  /** Basic 4 values go out stated as verified with the card (OIDC4IDA). */
  readonly verified: boolean;
  readonly csrf: string;
}

/** `GET …/details` at the login step (JSON on the wire). */
export interface LoginDetailsJson {
  readonly prompt: 'login';
  readonly uid: string;
  readonly rp: { readonly name: string; readonly purpose: string };
  readonly locale: UiLocale;
  readonly uiLocale: UiLocale | null;
  readonly signedInAs: { readonly displayName: string | null } | null;
  readonly stepUp: StepUpView | null;
  readonly csrf: string;
}

const decisionBody = z.strictObject({
  csrf: z.string().min(1).max(128),
  decision: z.enum(['approve', 'deny']),
  persona: z.string().max(64),
});
const abortBody = z.strictObject({ csrf: z.string().min(1).max(128) });
const detailsQuery = z.strictObject({ locale: z.enum(['ja', 'en', 'ja-x-easy']).optional() });

const uiLocale = z.enum(UI_LOCALES);
const rpView = z.object({ name: z.string(), purpose: z.string() });
const claimList = z.array(z.string()).readonly();
const consentDetails = z.object({
  prompt: z.literal('consent'),
  uid: z.string(),
  rp: rpView,
  locale: uiLocale,
  uiLocale: uiLocale.nullable(),
  signedInAs: z.object({ displayName: z.string().nullable() }),
  requested: claimList,
  options: z
    .array(
      z.object({
        id: z.string(),
        kind: z.enum(['persona', 'all', 'previous']),
        name: z.string().nullable(),
        values: z
          .array(z.object({ claim: z.string(), label: z.string(), display: z.string().nullable() }))
          .readonly(),
        widens: z.boolean(),
      }),
    )
    .readonly(),
  selected: z.string(),
  remembered: z
    .object({ personaId: z.string().nullable(), personaName: z.string().nullable(), claims: claimList })
    .nullable(),
  newClaims: claimList,
  offline: z.boolean(),
  verified: z.boolean(),
  csrf: z.string(),
});
const loginDetails = z.object({
  prompt: z.literal('login'),
  uid: z.string(),
  rp: rpView,
  locale: uiLocale,
  uiLocale: uiLocale.nullable(),
  signedInAs: z.object({ displayName: z.string().nullable() }).nullable(),
  stepUp: z
    .object({
      reason: z.enum(['authentication', 'proofing']),
      needed: z.object({ ial: z.number().int(), aal: z.number().int() }),
      ways: z.array(z.enum(['passkey', 'hardware_key', 'card', 'card_reproof'])),
      possible: z.boolean(),
    })
    .nullable(),
  csrf: z.string(),
});
const locationView = z.object({ location: z.string() });

/** The RP as the resident sees it. */
function rpOf(client: Record<string, unknown>): { name: string; purpose: string } {
  return {
    name: typeof client['client_name'] === 'string' ? client['client_name'] : String(client['client_id']),
    purpose: registryOf(client).purpose,
  };
}

/** The signed-in resident's name as shown (「山田 花子」), or null when it cannot be read. */
async function signedInAs(deps: PlatformDeps, s: SessionContext): Promise<{ displayName: string | null }> {
  const b4 = await openBasic4(deps, deps.db, s.accountId);
  return { displayName: b4 === undefined ? null : b4.name.replace('\u3000', ' ') };
}

/** The session's CSRF token for an interaction (the empty session id when signed out). */
const tokenFor = (deps: PlatformDeps, uid: string, s: SessionContext | null): Promise<string> =>
  csrfToken(deps, uid, s?.id ?? '');

async function checkCsrf(deps: PlatformDeps, uid: string, s: SessionContext | null, csrf: string) {
  if (!sameToken(csrf, await tokenFor(deps, uid, s)))
    throw problem('csrf_invalid', 403, 'the page is stale or was not issued to this session');
}

/** The step-up an interaction's login step needs (the rule: authn/step-up.ts), or null. */
const stepUpOf = (deps: PlatformDeps, s: SessionContext, details: Details, client: Record<string, unknown>) =>
  stepUpView(deps, s, requirementOf(registryOf(client).minAcr, requestedAcrValues(details.params)));

/** The locale of an interaction: `?locale=` (the wallet's choice), else `ui_locales`, else Japanese. */
function localeOf(
  query: z.output<typeof detailsQuery>,
  details: Details,
): { locale: UiLocale; requested: UiLocale | null } {
  const requested = pickUiLocale(details.params['ui_locales']) ?? null;
  return { locale: query.locale ?? requested ?? 'ja', requested };
}

async function details(
  deps: PlatformDeps,
  p: Provider,
  req: FastifyRequest,
  reply: FastifyReply,
  input: { uid: string; query: z.output<typeof detailsQuery> },
): Promise<ConsentDetailsJson | LoginDetailsJson> {
  const { uid } = input;
  const { details: d, client } = await interactionOf(p, req, reply, uid);
  const s = req.session;
  const { locale, requested } = localeOf(input.query, d);
  const base = { uid, rp: rpOf(client), locale, uiLocale: requested };
  if (d.prompt.name === 'consent') {
    if (s === null || s.accountId !== d.session?.accountId)
      throw problem('session_required', 401, 'sign in first');
    const choices = await choicesOf(deps, s, d, client, locale);
    const scope = typeof d.params['scope'] === 'string' ? d.params['scope'].split(' ') : [];
    return {
      prompt: 'consent',
      ...base,
      signedInAs: await signedInAs(deps, s),
      ...choices,
      offline: scope.includes('offline_access'),
      verified:
        requestedVerifiedClaims(d.params['claims']).asked && releasable(d, client).some(isVerifiedClaim),
      csrf: await tokenFor(deps, uid, s),
    };
  }
  if (d.prompt.name === 'login')
    return {
      prompt: 'login',
      ...base,
      signedInAs: s === null ? null : await signedInAs(deps, s),
      stepUp: s === null ? null : await stepUpOf(deps, s, d, client),
      csrf: await tokenFor(deps, uid, s),
    };
  throw problem('oidc_interaction_wrong_step', 409, `unsupported prompt ${d.prompt.name}`);
}

/** Registers the interaction API (see the module comment). */
export function registerInteractionApi(
  app: FastifyInstance,
  deps: PlatformDeps,
  provider: () => Promise<Provider>,
) {
  const at = `${OIDC_PREFIX}/interaction/:uid`;
  const routes = withSchemas(app);
  routes.get(
    `${at}/details`,
    {
      config: { auth: 'public', rateLimit: 'authentication' },
      schema: {
        summary: 'What the wallet’s sign-in or consent page shows for an interaction',
        params: uidParams,
        querystring: detailsQuery,
        response: { 200: z.discriminatedUnion('prompt', [consentDetails, loginDetails]) },
      },
    },
    async (req, reply) => {
      const body = await details(deps, await provider(), req, reply, {
        uid: req.params.uid,
        query: req.query,
      });
      return reply.header('cache-control', 'no-store').send(body);
    },
  );

  routes.post(
    `${at}/decision`,
    {
      config: { auth: 'session', rateLimit: 'authentication' },
      schema: {
        summary: 'Approve or deny the consent (the wallet then navigates to location)',
        params: uidParams,
        body: decisionBody,
        response: { 200: locationView },
      },
    },
    async (req, reply) => {
      const { uid } = req.params;
      const body = req.body;
      const s = req.session;
      if (s === null) throw problem('session_required', 401, 'sign in first');
      await checkCsrf(deps, uid, s, body.csrf);
      const p = await provider();
      const { details: d, client } = await interactionOf(p, req, reply, uid);
      if (d.prompt.name !== 'consent')
        throw problem('oidc_interaction_wrong_step', 409, 'nothing to consent to here');
      if (d.session?.accountId !== s.accountId)
        throw problem('oidc_interaction_not_found', 400, 'this sign-in belongs to another account');
      const location =
        body.decision === 'deny'
          ? await denyConsent(deps, p, req, reply, s, String(client['client_id']))
          : await grantConsent(deps, p, req, reply, s, d, client, body.persona);
      return reply.header('cache-control', 'no-store').send({ location });
    },
  );

  routes.post(
    `${at}/abort`,
    {
      config: { auth: 'public', rateLimit: 'authentication' },
      schema: {
        summary: 'Go back to the service without signing in or consenting',
        params: uidParams,
        body: abortBody,
        response: { 200: locationView },
      },
    },
    async (req, reply) => {
      const { uid } = req.params;
      const body = req.body;
      const s = req.session;
      await checkCsrf(deps, uid, s, body.csrf);
      const p = await provider();
      const { details: d, client } = await interactionOf(p, req, reply, uid);
      let location: string;
      if (d.prompt.name === 'consent' && s !== null && d.session?.accountId === s.accountId)
        location = await denyConsent(deps, p, req, reply, s, String(client['client_id']));
      else {
        const stepUp = s === null || d.prompt.name !== 'login' ? null : await stepUpOf(deps, s, d, client);
        location = await p.interactionResult(
          req.raw,
          reply.raw,
          stepUp !== null && !stepUp.possible
            ? {
                error: 'unmet_authentication_requirements',
                error_description: 'the requested authentication level cannot be met',
              }
            : { error: 'access_denied', error_description: 'the resident went back to the service' },
          { mergeWithLastSubmission: false },
        );
      }
      return reply.header('cache-control', 'no-store').send({ location });
    },
  );
}
