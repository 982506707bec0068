/**
 * SSRF guard of event delivery: in production an RP's events endpoint, webhook or back-channel
 * logout URI must be https and resolve only to public unicast addresses (no loopback, private,
 * link-local, CGNAT, unique-local, multicast or unspecified ones), as oidc-provider refuses for
 * its own outgoing requests. Simulation mode lifts it (RPs and the simulator run on this machine),
 * as provider.ts does for back-channel logout.
 *
 * The check resolves the name before the request; a name that resolves differently a moment later
 * (DNS rebinding) is not caught here — operators deploy an egress proxy for that (README).
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv6');
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are checked by node against the IPv4 rules above.

/** True when `address` (an IP literal) is not a public unicast address. */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Why `target` may not be called in production, or undefined when it may: `not_https`,
 * `forbidden_address`, `unresolvable`.
 */
export async function productionTargetRefusal(
  target: string,
  resolve: (host: string) => Promise<string[]> = async (h) =>
    (await lookup(h, { all: true, verbatim: true })).map((a) => a.address),
): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return 'unresolvable';
  }
  if (url.protocol !== 'https:') return 'not_https';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) === 0 ? await resolve(host) : [host];
  } catch {
    return 'unresolvable';
  }
  if (addresses.length === 0) return 'unresolvable';
  return addresses.some(isForbiddenAddress) ? 'forbidden_address' : undefined;
}
