/**
 * The typed client of the platform's own API (same origin: the session cookie goes along). Wire
 * types come from the server (`@watashi/platform/wallet-api`, type-only: nothing of the server
 * reaches the bundle). Every failure is an {@link ApiError} carrying the RFC 9457 problem's stable
 * `code` — pages map that code to a sentence in their catalogue and never show it.
 *
 * Add an endpoint here as one small function; pages do not call `fetch` themselves.
 */
import type {
  ApprovalsJson,
  AttributesJson,
  ConsentDetailsJson,
  CrossDeviceStartJson,
  CrossDeviceStatus,
  CrossDeviceView,
  LoginDetailsJson,
  AuthenticatorView,
  AuthenticatorsJson,
  CompletedEnrolmentJson,
  DeviceLoginOptionsJson,
  DevicesJson,
  DeviceStatusJson,
  DeviceView,
  IssuedDevice,
  ConsentsJson,
  DisclosuresJson,
  IssuedEnrolmentJson,
  MeJson,
  NoticesJson,
  PasskeyLoginJson,
  PersonaInput,
  PersonasJson,
  PersonaView,
  SessionsJson,
  SignInsJson,
  SignOutResult,
} from '@watashi/platform/wallet-api';

export type * from '@watashi/platform/wallet-api';

/** A problem answered by the platform, or no answer at all (`network_error`, status 0). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** The problem's stable `code` (`http_<status>` when the answer was no problem document). */
    readonly code: string,
    /** HTTP status (0: no answer). */
    readonly status: number,
    message: string,
    /** The whole problem document. */
    readonly problem: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

/** HTTP methods the wallet uses. */
export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Sends a request to the platform; resolves with the JSON answer (undefined for 204). */
export async function api<T>(method: Method, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: {
        accept: 'application/json, application/problem+json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (cause) {
    throw new ApiError('network_error', 0, cause instanceof Error ? cause.message : 'no answer');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? {} : JSON.parse(text);
  } catch {
    json = undefined; // not JSON (a proxy's error page): reported by its status below
  }
  if (res.ok && json !== undefined) return json as T;
  const p = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const code = typeof p['code'] === 'string' ? p['code'] : `http_${res.status}`;
  const detail = typeof p['detail'] === 'string' ? p['detail'] : res.statusText;
  throw new ApiError(code, res.status, detail, p);
}

/** `null` instead of a 401 (not signed in). */
async function orSignedOut<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

/** The signed-in resident, or null. */
export const getMe = (): Promise<MeJson | null> => orSignedOut(api<MeJson>('GET', '/api/me'));
/** The resident's verified basic 4 information, or null when signed out. */
export const getAttributes = (): Promise<AttributesJson | null> =>
  orSignedOut(api<AttributesJson>('GET', '/api/me/attributes'));
/** What happened to the account from J-LIS, newest first. */
export const getNotices = async (): Promise<NoticesJson['notices']> =>
  (await api<NoticesJson>('GET', '/api/me/notices')).notices;
/** Signs out (ends this browser's session). */
export const logout = (): Promise<void> => api('POST', '/api/logout', {});

/** The account's authenticators, or null when signed out. */
export const listAuthenticators = (): Promise<AuthenticatorsJson | null> =>
  orSignedOut(api<AuthenticatorsJson>('GET', '/api/authn/authenticators'));
/** Renames an authenticator. */
export const renameAuthenticator = (id: string, label: string): Promise<AuthenticatorView> =>
  api('PATCH', `/api/authn/authenticators/${encodeURIComponent(id)}`, { label });
/** Revokes an authenticator (`force`: even the last one). */
export const revokeAuthenticator = (id: string, force = false): Promise<unknown> =>
  api('POST', `/api/authn/authenticators/${encodeURIComponent(id)}/revoke`, force ? { force: true } : {});

/** Options for a passkey registration ceremony (WebAuthn JSON). */
export const passkeyRegistrationOptions = <O>(): Promise<O> =>
  api<O>('POST', '/api/authn/passkeys/registration/options', {});
/** Finishes a passkey registration. */
export const finishPasskeyRegistration = (response: unknown, label: string): Promise<AuthenticatorView> =>
  api('POST', '/api/authn/passkeys/registration', { response, label });
/** Options for a passkey sign-in (discoverable: no account named). */
export const passkeyLoginOptions = <O>(): Promise<O> =>
  api<O>('POST', '/api/authn/passkeys/login/options', {});
/** Finishes a passkey sign-in. */
export const finishPasskeyLogin = (response: unknown): Promise<PasskeyLoginJson> =>
  api('POST', '/api/authn/passkeys/login', { response });

/** Issues an enrolment document to sign (`consent`: also the consent to latest-basic-4 provision). */
export const issueEnrolment = (consent: boolean): Promise<IssuedEnrolmentJson> =>
  api('POST', '/api/enrolments', consent ? { consent: true } : {});
/** Sends the card's signature over an enrolment document. */
export const completeEnrolment = (
  id: string,
  body: { signature: string; certificate: string; consentCms?: string },
): Promise<CompletedEnrolmentJson> => api('POST', `/api/enrolments/${encodeURIComponent(id)}/complete`, body);

/** The personas, or null when signed out. */
export const listPersonas = (): Promise<PersonasJson | null> =>
  orSignedOut(api<PersonasJson>('GET', '/api/me/personas'));
/** Creates a persona. */
export const createPersona = (p: PersonaInput): Promise<PersonaView> => api('POST', '/api/me/personas', p);
/** Changes a persona. */
export const updatePersona = (id: string, p: PersonaInput): Promise<PersonaView> =>
  api('PATCH', `/api/me/personas/${encodeURIComponent(id)}`, p);
/** Deletes a persona. */
export const deletePersona = (id: string): Promise<void> =>
  api('DELETE', `/api/me/personas/${encodeURIComponent(id)}`);

/** The live consents, or null when signed out. */
export const listConsents = (): Promise<ConsentsJson | null> =>
  orSignedOut(api<ConsentsJson>('GET', '/api/me/consents'));
/** Withdraws the consent to one service. */
export const withdrawConsent = (clientId: string): Promise<void> =>
  api('DELETE', `/api/me/consents/${encodeURIComponent(clientId)}`);

/** The pending out-of-band requests (CIBA), or null when signed out. */
export const listApprovals = (): Promise<ApprovalsJson | null> =>
  orSignedOut(api<ApprovalsJson>('GET', '/api/approvals'));
/** Approves one request with the device key's signature over its signing input. */
export const approveRequest = (id: string, certificate: string, signature: string): Promise<void> =>
  api('POST', `/api/approvals/${encodeURIComponent(id)}/approve`, { certificate, signature });
/** Denies one request. */
export const denyRequest = (id: string): Promise<void> =>
  api('POST', `/api/approvals/${encodeURIComponent(id)}/deny`, {});

/**
 * Cross-device sign-in, the computer's side (docs/cross-device.md): `returnTo` is the interaction's
 * path (`/oidc/interaction/<uid>`, lib/return-to.ts), under which oidc-provider's cookie and the
 * QR's cookie are sent.
 */
export const startCrossDevice = (returnTo: string): Promise<CrossDeviceStartJson> =>
  api('POST', `${returnTo}/cross-device`, {});
/** The computer's poll: has the phone answered? */
export const crossDeviceStatus = (returnTo: string, id: string): Promise<{ status: CrossDeviceStatus }> =>
  api('GET', `${returnTo}/cross-device/${encodeURIComponent(id)}`);
/** Collects the phone's approval (once); the browser then goes to `location`. */
export const completeCrossDevice = (returnTo: string, id: string): Promise<{ location: string }> =>
  api('POST', `${returnTo}/cross-device/${encodeURIComponent(id)}/complete`, {});
/** Cross-device sign-in, the phone's side: what the scanned QR asks. */
export const lookupCrossDevice = (token: string): Promise<CrossDeviceView> =>
  api('POST', '/api/cross-device/lookup', { token });
/** Approves with the picked number and the device key's signature over its signing input. */
export const approveCrossDevice = (
  token: string,
  number: number,
  certificate: string,
  signature: string,
): Promise<void> => api('POST', '/api/cross-device/approve', { token, number, certificate, signature });
/** Stops the computer's sign-in. */
export const denyCrossDevice = (token: string): Promise<void> =>
  api('POST', '/api/cross-device/deny', { token });

/** A page of disclosures, newest first, or null when signed out. */
export const listDisclosures = (limit: number, before: string | null): Promise<DisclosuresJson | null> => {
  const q = new URLSearchParams({ limit: String(limit) });
  if (before !== null) q.set('before', before);
  return orSignedOut(api<DisclosuresJson>('GET', `/api/me/disclosures?${q.toString()}`));
};

/** The live sessions (the security page), or null when signed out. */
export const listSessions = (): Promise<SessionsJson | null> =>
  orSignedOut(api<SessionsJson>('GET', '/api/me/sessions'));
/** A page of the sign-in history, newest first. */
export const listSignIns = (limit: number, before: string | null): Promise<SignInsJson> => {
  const q = new URLSearchParams({ limit: String(limit) });
  if (before !== null) q.set('before', before);
  return api<SignInsJson>('GET', `/api/me/sign-ins?${q.toString()}`);
};
/** Signs one session out. */
export const signOutSession = (id: string): Promise<void> =>
  api('DELETE', `/api/me/sessions/${encodeURIComponent(id)}`);
/** Signs every session out, this one too; refresh tokens revoked only when asked. */
export const signOutEverywhere = (revokeRefreshTokens: boolean): Promise<SignOutResult> =>
  api('POST', '/api/me/sessions/sign-out-everywhere', {
    refreshTokens: revokeRefreshTokens ? 'revoke' : 'keep',
  });
/** Closes the Private ID (needs a sign-in within 5 minutes). */
export const closeAccount = (): Promise<void> => api('DELETE', '/api/me', { confirm: 'close' });
// Device certificates (platform devices/routes.ts, docs/trust-service.md).
/** The account's device certificates, newest first, or null when signed out. */
export const listDevices = (): Promise<DevicesJson | null> =>
  orSignedOut(api<DevicesJson>('GET', '/api/devices'));
/** What the platform needs to issue a device certificate (`replace`: a device change, card needed). */
export interface DeviceRequest {
  readonly csr: string;
  readonly slot: string;
  readonly label?: string;
}
/** Asks for an (inactive) device certificate for a key; `change`: revoke the slot's others (card sign-in). */
export const requestDeviceCertificate = (
  r: DeviceRequest,
  change: boolean,
  profile: 'watashi-device-auth' | 'watashi-device-sign' = 'watashi-device-auth',
): Promise<IssuedDevice> =>
  api('POST', change ? '/api/devices/change' : '/api/devices/certificates', {
    ...r,
    profile,
    keyStorage: 'webcrypto',
  });
/** Activates a certificate with the device key's signature over the activation message. */
export const activateDeviceCertificate = (
  serial: string,
  body: { challenge: string; signature: string },
): Promise<DeviceView> =>
  api('POST', `/api/devices/certificates/${encodeURIComponent(serial)}/activate`, body);
/** Revokes a device certificate (`lost`: the device may be in someone else's hands). */
export const revokeDeviceCertificate = (serial: string, lost: boolean): Promise<DeviceView> =>
  api('POST', `/api/devices/certificates/${encodeURIComponent(serial)}/revoke`, { lost });
/** The published status of a certificate (no session needed). */
export const deviceCertificateStatus = (serial: string): Promise<DeviceStatusJson> =>
  api('GET', `/api/devices/certificates/${encodeURIComponent(serial)}/status`);
/** A sign-in challenge for a device certificate. */
export const deviceLoginOptions = (): Promise<DeviceLoginOptionsJson> =>
  api('POST', '/api/devices/login/options', {});
/** Signs in with a device certificate. */
export const finishDeviceLogin = (body: {
  challenge: string;
  certificate: string;
  signature: string;
}): Promise<PasskeyLoginJson> => api('POST', '/api/devices/login', body);

// The OpenID Provider's interaction (consent and step-up pages; oidc/interaction-api.ts).
const interaction = (uid: string, rest: string): string =>
  `/oidc/interaction/${encodeURIComponent(uid)}/${rest}`;

/** What the interaction asks of the resident, with values formatted in `locale`. */
export const getInteraction = (uid: string, locale: string): Promise<ConsentDetailsJson | LoginDetailsJson> =>
  api('GET', interaction(uid, `details?locale=${encodeURIComponent(locale)}`));

/** Approves (with option `persona`) or denies the consent; resolves with where to go next. */
export const decideConsent = (
  uid: string,
  body: { csrf: string; decision: 'approve' | 'deny'; persona: string },
): Promise<{ location: string }> => api('POST', interaction(uid, 'decision'), body);

/** Goes back to the service without signing in or consenting; resolves with where to go next. */
export const abortInteraction = (uid: string, csrf: string): Promise<{ location: string }> =>
  api('POST', interaction(uid, 'abort'), { csrf });
