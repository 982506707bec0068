// What the production SSRF guard vets and hands on to the pinned request (no network: the
// resolver is injected; the addresses are public ones, never connected to).
import { describe, expect, it } from 'vitest';
import { isForbiddenAddress, productionTargetRefusal, vetProductionTarget } from './target-guard.ts';

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
    // The URL parser rewrites [::ffff:127.0.0.1] to [::ffff:7f00:1]: still loopback.
    expect(await productionTargetRefusal('https://[::ffff:127.0.0.1]/e')).toBe('forbidden_address');
  });
});

describe('isForbiddenAddress', () => {
  // One address per special-purpose range (IANA registries, RFC 6890), both edges where cheap.
  const refused = [
    ['0.0.0.0', 'this network'],
    ['0.255.255.255', 'this network, last'],
    ['10.0.0.1', 'private'],
    ['100.64.0.0', 'shared (CGNAT)'],
    ['100.127.255.255', 'shared (CGNAT), last'],
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['172.16.0.0', 'private'],
    ['172.31.255.255', 'private, last'],
    ['192.0.0.8', 'IETF protocol assignments'],
    ['192.0.2.0', 'TEST-NET-1'],
    ['192.0.2.255', 'TEST-NET-1, last'],
    ['192.88.99.1', '6to4 relay anycast'],
    ['192.168.1.1', 'private'],
    ['198.18.0.0', 'benchmarking'],
    ['198.19.255.255', 'benchmarking, last'],
    ['198.51.100.0', 'TEST-NET-2'],
    ['198.51.100.255', 'TEST-NET-2, last'],
    ['203.0.113.0', 'TEST-NET-3'],
    ['203.0.113.255', 'TEST-NET-3, last'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast, last'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'limited broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::7f00:1', 'IPv4-compatible ::127.0.0.1'],
    ['::8.8.8.8', 'IPv4-compatible, even of a public address'],
    ['::ffff:ffff', 'IPv4-compatible, last'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
    ['0:0:0:0:0:FFFF:7F00:1', 'IPv4-mapped loopback, uncompressed'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped link-local, hex'],
    ['::ffff:203.0.113.7', 'IPv4-mapped TEST-NET-3'],
    ['::ffff:0:7f00:1', 'IPv4-translated (SIIT)'],
    ['64:ff9b::808:808', 'NAT64 well-known, of a public address'],
    ['64:ff9b::7f00:1', 'NAT64 well-known, of loopback'],
    ['64:ff9b:1::', 'NAT64 local use'],
    ['64:ff9b:1:ffff:ffff:ffff:ffff:ffff', 'NAT64 local use, last'],
    ['100::', 'discard-only'],
    ['100::ffff:ffff:ffff:ffff', 'discard-only, last'],
    ['2001::', 'Teredo'],
    ['2001:0:ffff:ffff:ffff:ffff:ffff:ffff', 'Teredo, last'],
    ['2001:2::1', 'benchmarking'],
    ['2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff', 'IETF protocol assignments, last'],
    ['2001:db8::', 'documentation'],
    ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation, last'],
    ['2002::', '6to4'],
    ['2002:c0a8:101::1', '6to4 of 192.168.1.1'],
    ['2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '6to4, last'],
    ['3fff::', 'documentation (RFC 9637)'],
    ['3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation (RFC 9637), last'],
    ['4000::1', 'reserved by IETF, outside 2000::/3'],
    ['5f00::1', 'SRv6 SIDs'],
    ['5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'SRv6 SIDs, last'],
    ['fc00::1', 'unique-local'],
    ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'unique-local, last'],
    ['fe80::1', 'link-local'],
    ['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'link-local, last'],
    ['fec0::1', 'site-local'],
    ['feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'site-local, last'],
    ['ff02::1', 'multicast'],
    ['not-an-ip', 'not an IP literal'],
  ] as const;
  it.each(refused)('fail-%s-is-refused (%s)', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  const passed = [
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['1.0.0.0', 'just after 0/8'],
    ['9.255.255.255', 'just before 10/8'],
    ['100.63.255.255', 'just before 100.64/10'],
    ['100.128.0.0', 'just after 100.64/10'],
    ['172.32.0.0', 'just after 172.16/12'],
    ['192.0.1.255', 'just after 192.0.0/24'],
    ['192.0.3.0', 'just after TEST-NET-1'],
    ['198.17.255.255', 'just before 198.18/15'],
    ['198.20.0.0', 'just after 198.18/15'],
    ['198.51.99.255', 'just before TEST-NET-2'],
    ['198.51.101.0', 'just after TEST-NET-2'],
    ['203.0.112.255', 'just before TEST-NET-3'],
    ['203.0.114.0', 'just after TEST-NET-3'],
    ['223.255.255.255', 'just before multicast'],
    ['::ffff:8.8.8.8', 'IPv4-mapped public'],
    ['::ffff:808:808', 'IPv4-mapped public, hex'],
    ['::ffff:198.51.99.255', 'IPv4-mapped, just before TEST-NET-2'],
    ['2606:4700:4700::1111', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['2001:200::1', 'just after 2001::/23'],
    ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', 'just before 2001:db8::/32'],
    ['2001:db9::', 'just after 2001:db8::/32'],
    ['2003::1', 'just after 6to4'],
    ['3ffe::1', 'just before 3fff::/20'],
    ['3fff:1000::', 'just after 3fff::/20'],
  ] as const;
  it.each(passed)('ok-%s-passes (%s)', (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });
});
