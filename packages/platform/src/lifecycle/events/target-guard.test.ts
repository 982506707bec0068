// What the production SSRF guard vets and hands on to the pinned request (no network: the
// resolver is injected; the addresses are public ones, never connected to).
import { describe, expect, it } from 'vitest';
import { productionTargetRefusal, vetProductionTarget } from './target-guard.ts';

const answers =
  (...addresses: string[]) =>
  () =>
    Promise.resolve(addresses);

describe('vetProductionTarget', () => {
  it('ok-hands-on-the-url-and-every-address-it-vetted-once', async () => {
    let calls = 0;
    const v = await vetProductionTarget('https://rp.example:8443/events', (host) => {
      calls++;
      expect(host).toBe('rp.example');
      return Promise.resolve(['8.8.8.8', '2001:4860:4860::8888', '8.8.8.8']);
    });
    expect(calls).toBe(1);
    expect(v).toEqual({
      ok: true,
      target: {
        url: new URL('https://rp.example:8443/events'),
        addresses: ['8.8.8.8', '2001:4860:4860::8888'],
      },
    });
  });

  it('ok-an-ip-literal-is-its-own-address-without-asking-the-resolver', async () => {
    const v = await vetProductionTarget('https://[2001:4860:4860::8844]/e', () =>
      Promise.reject(new Error('asked')),
    );
    expect(v.ok && v.target.addresses).toEqual(['2001:4860:4860::8844']);
  });

  it('fail-one-private-answer-among-public-ones-refuses-the-target', async () => {
    expect(await vetProductionTarget('https://rp.example/e', answers('8.8.8.8', '10.0.0.5'))).toEqual({
      ok: false,
      refusal: 'forbidden_address',
    });
  });

  it('fail-not-https-unresolvable-and-empty-answers', async () => {
    expect(await productionTargetRefusal('http://rp.example/e', answers('8.8.8.8'))).toBe('not_https');
    expect(await productionTargetRefusal('not a url', answers('8.8.8.8'))).toBe('unresolvable');
    expect(await productionTargetRefusal('https://rp.example/e', answers())).toBe('unresolvable');
    expect(
      await productionTargetRefusal('https://rp.example/e', () => Promise.reject(new Error('NXDOMAIN'))),
    ).toBe('unresolvable');
    expect(await productionTargetRefusal('https://127.0.0.1/e')).toBe('forbidden_address');
  });
});
