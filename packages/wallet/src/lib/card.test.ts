// Where the card pages may send the resident after signing in: only the OpenID Provider's
// interaction or a wallet page of this origin (no open redirect).
import { describe, expect, it } from 'vitest';
import { safeReturnTo } from './card.ts';

const q = (returnTo: string) => new URLSearchParams({ return_to: returnTo });

describe('safeReturnTo', () => {
  it('ok-interaction-and-wallet-paths', () => {
    expect(safeReturnTo(q('/oidc/interaction/abc_DEF-123'))).toBe('/oidc/interaction/abc_DEF-123');
    expect(safeReturnTo(q('/wallet/reproof'))).toBe('/wallet/reproof');
    expect(safeReturnTo(q('/wallet/reproof?step_up=proofing'))).toBe('/wallet/reproof?step_up=proofing');
  });

  it('fail-other-origins-schemes-and-paths', () => {
    for (const bad of [
      'https://evil.example/',
      '//evil.example/wallet/',
      '/\\evil.example',
      'javascript:alert(1)',
      '/oidc/interaction/abc/../../admin',
      '/oidc/auth',
      '/api/me',
      '/wallet/../api/me',
      'wallet/reproof',
    ])
      expect(safeReturnTo(q(bad)), bad).toBeUndefined();
    expect(safeReturnTo(new URLSearchParams())).toBeUndefined();
  });
});
