/**
 * Where the wallet sends the resident after signing in or enrolling, when a relying party's
 * authorization request brought them here (src/oidc/interaction.ts, `walletLoginUrl`):
 * `?return_to=/oidc/interaction/<uid>[&acr_values=…][&step_up=authentication|proofing]`.
 *
 * Only a same-origin path under `/oidc/interaction/` is followed: anything else (another origin,
 * `//host`, a scheme, `..`, a query) is ignored, so the parameter cannot be used as an open redirect.
 */

const INTERACTION = /^\/oidc\/interaction\/[A-Za-z0-9_-]{1,128}$/;

/** What the relying party's request asked of the wallet. */
export interface ServiceRequest {
  /** The interaction to go back to. */
  readonly returnTo: string;
  /** `authentication`: sign in again (a stronger or fresher sign-in); `proofing`: re-prove with the card. */
  readonly stepUp: 'authentication' | 'proofing' | undefined;
}

/** The validated request of `search` (default: this page's), or undefined. */
export function serviceRequest(search: string = window.location.search): ServiceRequest | undefined {
  const q = new URLSearchParams(search);
  const returnTo = q.get('return_to');
  if (returnTo === null || !INTERACTION.test(returnTo)) return undefined;
  const s = q.get('step_up');
  return { returnTo, stepUp: s === 'authentication' || s === 'proofing' ? s : undefined };
}

/** `path` with the request carried along (for links between wallet pages). */
export function carry(path: string, r: ServiceRequest): string {
  const q = new URLSearchParams({ return_to: r.returnTo });
  if (r.stepUp !== undefined) q.set('step_up', r.stepUp);
  return `${path}?${q.toString()}`;
}
