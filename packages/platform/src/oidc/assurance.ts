/**
 * Assurance at the OpenID Provider edge (docs/architecture.md §3.3, §6; issue 4 "assurance in the
 * protocol"): what an authorization request requires, and what a Watashi session gives now.
 *
 * - The requirement is the RP's registered minimum acr, narrowed by the request's `acr_values`
 *   and `claims.id_token.acr` (essential or not: Watashi enforces a requested level either way,
 *   RFC 9470 semantics). A requested value that does not itself satisfy the registered minimum is
 *   dropped, so a request can raise the minimum but never lower it.
 * - The session's context is computed again at every use from the account's anchors now and
 *   the authenticator used: an identity level drops as soon as the anchor is revoked, and the
 *   authentication level decays with the reauthentication limits (SP 800-63B-4 §2.x.3).
 */
import {
  evaluateAuthentication,
  evaluateIdentityProofing,
  OIDC_CODE_FLOW,
  type AuthenticationContext,
} from '../assurance/evaluate.ts';
import { acrRow, acrSatisfies, type AssuranceRequirement } from '../assurance/policy.ts';
import { checkAnchorNow } from '../lifecycle/anchor-check.ts';
import { requestedVerifiedClaims } from './verified-claims.ts';
import { accountProofingFacts, ENROLMENT_SIGNATURE_FACTS } from '../authn/context.ts';
import { authenticatorFacts } from '../authn/passkeys.ts';
import type { PlatformDeps, SessionContext } from '../server/context.ts';

/** The acr values a request asks for: `acr_values` (OIDC Core §3.1.2.1), then `claims.id_token.acr` (§5.5.1.1). */
export function requestedAcrValues(params: {
  readonly acr_values?: unknown;
  readonly claims?: unknown;
}): string[] {
  const out: string[] = [];
  if (typeof params.acr_values === 'string')
    out.push(...params.acr_values.split(' ').filter((v) => v.length > 0));
  let claims: unknown = params.claims;
  if (typeof claims === 'string') {
    try {
      claims = JSON.parse(claims);
    } catch {
      // oidc-provider has already refused a malformed claims parameter; nothing to add.
      claims = undefined;
    }
  }
  const acr = (claims as { id_token?: { acr?: { value?: unknown; values?: unknown } } } | undefined)?.id_token
    ?.acr;
  if (typeof acr?.value === 'string') out.push(acr.value);
  if (Array.isArray(acr?.values)) for (const v of acr.values) if (typeof v === 'string') out.push(v);
  return [...new Set(out)];
}

/** The requirement of a request for an RP registered with `minAcr` (see the module comment). */
export function requirementOf(
  minAcr: string | undefined | null,
  requested: readonly string[],
): AssuranceRequirement {
  const min = minAcr ?? undefined;
  const kept = min === undefined ? [...requested] : requested.filter((v) => acrSatisfies(v, min));
  if (kept.length > 0) return { acrValues: kept };
  return min === undefined ? {} : { acrValues: [min] };
}

/**
 * Whether a login releases identity: an acr value above IAL 1 in the requirement, or a
 * `verified_claims` request (OIDC4IDA §5). Such a login is a sensitive moment (docs/architecture.md §3.4).
 */
export function releasesIdentity(requirement: AssuranceRequirement, claimsParam: unknown): boolean {
  if (requirement.acrValues?.some((v) => (acrRow(v)?.ial ?? 0) > 1) === true) return true;
  return requestedVerifiedClaims(claimsParam).asked;
}

/**
 * The sensitive-moment check of a top-level login that releases identity ({@link releasesIdentity}):
 * the account's signing anchor by OCSP now (a fresh answer reused, billed to the RP), its effects
 * applied before the session's context is computed — whether or not an interaction is shown, so a
 * provider session (SSO) cannot skip it (issue 15). Nothing is done for other logins.
 */
export async function checkIdentityAnchor(
  deps: PlatformDeps,
  accountId: string,
  requirement: AssuranceRequirement,
  params: Readonly<Record<string, unknown>>,
): Promise<void> {
  if (!releasesIdentity(requirement, params['claims'])) return;
  const clientId = params['client_id'];
  await checkAnchorNow(deps, accountId, {
    actor: 'system:oidc',
    ...(typeof clientId === 'string' ? { clientId } : {}),
  });
}

/** The authentication context of a Watashi session now (null authenticator: AAL 0). */
export async function sessionContext(
  deps: PlatformDeps,
  session: SessionContext,
): Promise<AuthenticationContext> {
  const now = deps.now();
  const proofing = evaluateIdentityProofing(await accountProofingFacts(deps, session.accountId), now);
  const row =
    session.authenticatorId === null
      ? undefined
      : await deps.db
          .selectFrom('authenticators')
          .selectAll()
          .where('id', '=', session.authenticatorId)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
  return evaluateAuthentication(
    {
      proofing,
      // Passkey logins require user verification (authn/passkeys.ts), so the stored flag holds.
      // No authenticator: the session was started by the enrolment signature (card + signing PIN).
      // An authenticator revoked since: nothing (AAL 0, fail closed).
      authenticators:
        row !== undefined
          ? [
              // A session begun by a cross-device sign-in is judged as that sign-in was
              // (docs/cross-device.md): the device key, but not phishing resistant.
              session.crossDevice
                ? { ...authenticatorFacts(row, row.user_verified), phishingResistant: false }
                : authenticatorFacts(row, row.user_verified),
            ]
          : session.authenticatorId === null
            ? [ENROLMENT_SIGNATURE_FACTS]
            : [],
      federation: OIDC_CODE_FLOW,
      authTime: session.authTime,
    },
    now,
  );
}
