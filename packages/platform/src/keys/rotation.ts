/**
 * Signing-key rotation across instances (issue 14, docs/scaling.md). Every instance reads the
 * shared key store's signing keys again at most `keyStore.refreshSeconds` after it last did, and
 * publishes all of them at once (JWKS); but it signs with a new key only once that key is
 * {@link activationSeconds} old. By then every instance that answers a request has re-read the
 * store and publishes it, so a relying party never meets a `kid` that the JWKS it fetches from
 * another instance lacks (OIDC Core §10.1.1: publish a key before signing with it).
 */
import type { SigningKey } from './key-store.ts';

/** How old a signing key must be before it signs: twice the refresh period, for clock skew. */
export function activationSeconds(refreshSeconds: number): number {
  return 2 * refreshSeconds;
}

/** The creation time a key id (`<yyyymmddhhmmss>-<8 hex>`, UTC) states; undefined if it states none. */
export function keyIdTime(keyId: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})-/.exec(keyId);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

/**
 * Orders signing keys for use: the active key first (the one that signs), the others after it,
 * newest first. The active key is the newest one at least `activationSeconds` old at `now`; when
 * none is that old (a fresh store, or a first key made moments ago) it is the oldest, since no
 * instance can be publishing anything older.
 */
export function signingOrder(
  keys: readonly SigningKey[],
  now: Date,
  activationSeconds: number,
): SigningKey[] {
  const newestFirst = [...keys].sort((a, b) => (a.keyId < b.keyId ? 1 : a.keyId > b.keyId ? -1 : 0));
  const limit = now.getTime() - activationSeconds * 1000;
  const active =
    newestFirst.find((k) => (keyIdTime(k.keyId)?.getTime() ?? Infinity) <= limit) ?? newestFirst.at(-1);
  return active === undefined ? [] : [active, ...newestFirst.filter((k) => k !== active)];
}
