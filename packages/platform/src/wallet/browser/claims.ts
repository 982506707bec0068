/**
 * Claim names as a person reads them, from the one catalogue the consent screen uses
 * (src/oidc/claims.ts; only its labels reach the bundle).
 */
import { CLAIMS } from '../../oidc/claims.ts';
import { bi } from './dom.ts';

/** The Japanese and English label of a claim name (the name itself when unknown). */
export function claimLabel(name: string): readonly [ja: string, en: string] {
  const c = Object.hasOwn(CLAIMS, name) ? CLAIMS[name as keyof typeof CLAIMS] : undefined;
  return c === undefined ? [name, name] : [c.ja, c.en];
}

/**
 * A list of claims for people: the Japanese labels joined by 「、」 and the English ones by commas,
 * or "a pseudonymous identifier only" when there are none. Each claim's wire name is kept in a
 * `data-claims` attribute of the element the caller puts it in.
 */
export function claimList(names: readonly string[]): DocumentFragment {
  if (names.length === 0)
    return bi(
      '仮名の識別子のみ（このサービス専用）',
      'a pseudonymous identifier only (specific to this service)',
    );
  const labels = names.map(claimLabel);
  return bi(labels.map((l) => l[0]).join('、'), labels.map((l) => l[1]).join(', '));
}
