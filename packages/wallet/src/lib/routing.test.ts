import { describe, expect, it } from 'vitest';
import { matchLocale } from '../i18n/index.ts';
import { isWalletPath, matchRoute, type Route } from '../router.tsx';

const page = (): Route['load'] => () => Promise.reject(new Error('not loaded in this test'));
const routes: Route[] = [
  { path: '/wallet/', load: page() },
  { path: '/wallet/passkeys', load: page() },
  { path: '/wallet/error/:kind', load: page() },
];

describe('routes table', () => {
  it('ok-paths-match-with-or-without-trailing-slash-and-with-params', () => {
    expect(matchRoute(routes, '/wallet/')?.route.path).toBe('/wallet/');
    expect(matchRoute(routes, '/wallet')?.route.path).toBe('/wallet/');
    expect(matchRoute(routes, '/wallet/passkeys/')?.route.path).toBe('/wallet/passkeys');
    expect(matchRoute(routes, '/wallet/error/expired')).toMatchObject({ params: { kind: 'expired' } });
    expect(matchRoute(routes, '/wallet/error/%E3%81%82')?.params).toEqual({ kind: 'あ' });
  });

  it('fail-unknown-or-malformed-paths-match-nothing', () => {
    expect(matchRoute(routes, '/wallet/nope')).toBeUndefined();
    expect(matchRoute(routes, '/wallet/passkeys/x')).toBeUndefined();
    expect(matchRoute(routes, '/wallet/error/%E3')).toBeUndefined();
    expect(isWalletPath('/walletx')).toBe(false);
    expect(isWalletPath('/oidc/interaction/abc')).toBe(false);
  });
});

describe('languages', () => {
  it('ok-ui-locales-first-supported-wins', () => {
    expect(matchLocale('fr ja-x-easy en')).toBe('ja-x-easy');
    expect(matchLocale('en-US')).toBe('en');
    expect(matchLocale('JA-jp')).toBe('ja');
  });

  it('fail-nothing-supported-is-undefined', () => {
    expect(matchLocale('fr de')).toBeUndefined();
    expect(matchLocale('')).toBeUndefined();
    expect(matchLocale(null)).toBeUndefined();
  });
});
