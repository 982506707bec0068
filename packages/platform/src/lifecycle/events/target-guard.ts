/**
 * SSRF guard of event delivery: in production an RP's events endpoint, webhook or back-channel
 * logout URI must be https and resolve only to public unicast addresses, as oidc-provider refuses
 * for its own outgoing requests. Simulation mode lifts it (RPs and the simulator run on this
 * machine), as provider.ts does for back-channel logout.
 *
 * Refused: every range of the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890)
 * that is not globally reachable — unspecified, loopback, private and unique-local, shared (CGNAT),
 * link-local and site-local, documentation (the TEST-NETs, 2001:db8::/32, 3fff::/20),
 * benchmarking, discard-only, SRv6 SIDs, reserved, broadcast — plus multicast, and the transition
 * ranges that embed or reach an IPv4 address (IPv4-compatible, NAT64, 6to4, Teredo): a relay could
 * carry them to a private IPv4 address, so they are refused whole (fail closed). IPv6 outside
 * 2000::/3, the only block IANA allocates for global unicast, is refused too, save IPv4-mapped
 * addresses, which pass or fail as their IPv4 address does.
 *
 * DNS rebinding: the guard resolves the name once and hands back the addresses it vetted
 * ({@link vetProductionTarget}); delivery (pinned-post.ts) connects only to those, in the same
 * attempt, and never asks the resolver again. A name that answers a public address to the guard
 * and a private one a moment later therefore reaches nothing but the public address it vetted.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // shared address space (CGNAT)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated, RFC 7526)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, with 255.255.255.255 (limited broadcast)
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv4');
// The ranges outside 2000::/3 are refused by GLOBAL_UNICAST below already; they are listed so the
// table reads as the registry does.
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::', 96], // IPv4-compatible ::a.b.c.d (deprecated)
  ['64:ff9b::', 96], // NAT64, well-known prefix
  ['64:ff9b:1::', 48], // NAT64, local use
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments (its few reachable ones, anycast and AS112, host no RP)
  ['2001::', 32], // Teredo
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['3fff::', 20], // documentation (RFC 9637)
  ['5f00::', 16], // SRv6 SIDs
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv6');

const GLOBAL_UNICAST = new BlockList();
GLOBAL_UNICAST.addSubnet('2000::', 3, 'ipv6');

const IPV4_MAPPED = new BlockList();
IPV4_MAPPED.addSubnet('::ffff:0:0', 96, 'ipv6');

/** True when `address` (an IP literal) is not a public unicast address. */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  // node's BlockList checks ::ffff:a.b.c.d against the IPv4 rules, however it is spelt
  // (::ffff:7f00:1 too; target-guard.test.ts holds it to that).
  if (IPV4_MAPPED.check(address, 'ipv6')) return BLOCKED.check(address, 'ipv6');
  return !GLOBAL_UNICAST.check(address, 'ipv6') || BLOCKED.check(address, 'ipv6');
}

/** Why a target may not be called in production. */
export type TargetRefusal = 'not_https' | 'forbidden_address' | 'unresolvable';

/** A target the guard let through: its URL and the addresses its name resolved to in this check. */
export interface VettedTarget {
  readonly url: URL;
  /** Public unicast IP literals, in the resolver's order (one, the host itself, for an IP URL). */
  readonly addresses: readonly string[];
}

/** The guard's answer: the vetted target, or why it is refused. */
export type TargetVetting =
  | { readonly ok: true; readonly target: VettedTarget }
  | { readonly ok: false; readonly refusal: TargetRefusal };

/** The system resolver (getaddrinfo): every address of `host`, in its order. */
const systemResolve = async (host: string): Promise<string[]> =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Vets `target` for production: https, and a name that resolves (once, by `resolve`) only to
 * public unicast addresses. The request must then connect to those addresses and no others.
 */
export async function vetProductionTarget(
  target: string,
  resolve: (host: string) => Promise<string[]> = systemResolve,
): Promise<TargetVetting> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return { ok: false, refusal: 'unresolvable' };
  }
  if (url.protocol !== 'https:') return { ok: false, refusal: 'not_https' };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) === 0 ? await resolve(host) : [host];
  } catch {
    return { ok: false, refusal: 'unresolvable' };
  }
  if (addresses.length === 0) return { ok: false, refusal: 'unresolvable' };
  // Every answer must be public, not just the one we would use: a resolver that mixes a private
  // address in is refused outright rather than trusted to order it last.
  if (addresses.some(isForbiddenAddress)) return { ok: false, refusal: 'forbidden_address' };
  return { ok: true, target: { url, addresses: [...new Set(addresses)] } };
}

/**
 * Why `target` may not be called in production, or undefined when it may: `not_https`,
 * `forbidden_address`, `unresolvable`. A check only: a caller that then lets its HTTP client
 * resolve the name again is open to DNS rebinding; delivery uses {@link vetProductionTarget}.
 */
export async function productionTargetRefusal(
  target: string,
  resolve?: (host: string) => Promise<string[]>,
): Promise<TargetRefusal | undefined> {
  const v = await vetProductionTarget(target, resolve);
  return v.ok ? undefined : v.refusal;
}
