/**
 * A scanned sign-in QR kept while the resident signs in on the phone first: the QR's link opens
 * `/wallet/cross-device#t=…`, and someone not signed in is sent to sign in, which would lose the
 * token. It is kept in this tab's sessionStorage for no longer than the request lives (2 minutes,
 * docs/cross-device.md), taken once, and the sign-in pages come back here while it is waiting.
 */

const KEY = 'watashi.crossDevice.pending';
/** A request lives 2 minutes on the server; keeping it longer would only show "expired". */
const LIFETIME_MS = 120_000;

/** Keep `token` for the page to take after the resident has signed in. */
export function keepPendingToken(token: string, now: number = Date.now()): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ token, until: now + LIFETIME_MS }));
  } catch {
    // Storage refused (private mode): the resident scans again after signing in.
  }
}

function read(now: number): string | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (raw === null) return undefined;
    const v = JSON.parse(raw) as { token?: unknown; until?: unknown };
    if (typeof v.token !== 'string' || typeof v.until !== 'number' || v.until < now) {
      sessionStorage.removeItem(KEY);
      return undefined;
    }
    return v.token;
  } catch {
    return undefined;
  }
}

/** Whether a kept token is still waiting (the sign-in pages then come back to the approval page). */
export function hasPendingToken(now: number = Date.now()): boolean {
  return read(now) !== undefined;
}

/** The kept token, removed from storage (one use), or undefined. */
export function takePendingToken(now: number = Date.now()): string | undefined {
  const token = read(now);
  if (token !== undefined) sessionStorage.removeItem(KEY);
  return token;
}

/** Where a sign-in page goes when no service is waiting: back to the approval if one is. */
export function afterSignIn(fallback: string, now: number = Date.now()): string {
  return hasPendingToken(now) ? '/wallet/cross-device' : fallback;
}
