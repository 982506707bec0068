/**
 * The pairwise subject identifier (OIDC Core §8.1): HMAC-SHA-256 under the key store's `pairwise`
 * secret over the RP's sector identifier, a 0x00 separator and the account id, base64url. One
 * function for every place that names a resident to an RP: ID tokens and userinfo (provider.ts),
 * Security Event Tokens and webhooks (lifecycle/events), back-channel logout tokens.
 */
import type { KeyStore } from '../keys/key-store.ts';

/** The `sub` the RPs of `sector` know the account `accountId` by. */
export async function pairwiseSubject(
  keys: Pick<KeyStore, 'mac'>,
  sector: string,
  accountId: string,
): Promise<string> {
  if (sector === '') throw new TypeError('client without a sector identifier');
  const { mac } = await keys.mac('pairwise', new TextEncoder().encode(`${sector}\u0000${accountId}`));
  return Buffer.from(mac).toString('base64url');
}
