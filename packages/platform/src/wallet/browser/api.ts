/**
 * Calls to the platform's own API (same origin, so the session cookie goes along). Errors are RFC
 * 9457 problem documents; they become an {@link ApiError} carrying the stable `code`.
 */

// The JSON the wallet APIs answer with is the server's own view types (type-only imports, erased
// from the bundle).
import type { NoticeView } from '../../lifecycle/events/admin.ts';
import type { ConsentView } from '../../oidc/consents.ts';
import type { DisclosureView } from '../../oidc/disclosures.ts';
import type { Persona as PersonaView } from '../../oidc/personas.ts';

export type { ConsentView, DisclosureView, NoticeView, PersonaView };

/** A page of `/api/me/disclosures` (src/oidc/disclosures.ts). */
export interface DisclosurePage {
  readonly disclosures: readonly DisclosureView[];
  readonly next: string | null;
}

/** A problem answered by the platform (or no answer at all: `network_error`, status 0). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** The problem's stable `code`. */
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

/** Sends a request; resolves with the JSON answer (undefined for 204). */
export async function api<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
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
    json = undefined; // not JSON (a proxy's error page): reported by status below
  }
  if (res.ok && json !== undefined) return json as T;
  const p = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const code = typeof p['code'] === 'string' ? p['code'] : `http_${res.status}`;
  const detail = typeof p['detail'] === 'string' ? p['detail'] : res.statusText;
  throw new ApiError(code, res.status, detail, p);
}

/** `/api/me` (platform.ts), the parts the wallet shows. */
export interface Me {
  readonly account: {
    readonly id: string;
    readonly status: string;
    readonly createdAt: string;
    readonly proofingMethod: string | null;
    readonly proofedAt: string | null;
  };
  readonly identityProofing: {
    readonly level: number;
    readonly reasons: ReadonlyArray<{ readonly code: string; readonly ja: string; readonly en: string }>;
    readonly reproofingWouldHelp: boolean;
    readonly evidenceCheckedAt: string | null;
  };
  readonly anchor: {
    readonly purpose: string;
    readonly variant: string;
    readonly status: string;
    readonly notAfter: string;
  } | null;
  readonly authenticators: ReadonlyArray<{
    readonly id: string;
    readonly type: string;
    readonly label: string | null;
    readonly createdAt: string;
    readonly lastUsedAt: string | null;
    readonly level: number;
    readonly amr: ReadonlyArray<string>;
  }>;
  readonly session: {
    readonly id: string;
    readonly authTime: string;
    readonly acr: string | null;
    readonly amr: ReadonlyArray<string>;
    readonly authenticatorId: string | null;
  };
}

/** The signed-in resident, or null (401 `session_required`). */
export async function me(): Promise<Me | null> {
  try {
    return await api<Me>('GET', '/api/me');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

/** `/api/me/attributes` (platform.ts): the resident's own verified basic 4 information. */
export interface VerifiedAttributes {
  readonly verified: {
    readonly name: string;
    readonly address: string;
    readonly dateOfBirth: string;
    readonly era: number;
    readonly sex: string;
    readonly substituteCharacters: boolean;
    readonly verifiedAt: string | null;
    readonly lastCheckedAt: string | null;
  } | null;
}

/** The signed-in resident's verified attributes. */
export async function verifiedAttributes(): Promise<VerifiedAttributes> {
  return api<VerifiedAttributes>('GET', '/api/me/attributes');
}

/** What happened to the account from J-LIS, newest first. */
export async function notices(): Promise<readonly NoticeView[]> {
  return (await api<{ notices: NoticeView[] }>('GET', '/api/me/notices')).notices;
}
