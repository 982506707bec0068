/**
 * SSRF guard of event delivery: in production an RP's events endpoint, webhook or back-channel
 * logout URI must be https and resolve only to public unicast addresses (no loopback, private,
 * link-local, CGNAT, unique-local, multicast or unspecified ones), as oidc-provider refuses for
 * its own outgoing requests. Simulation mode lifts it (RPs and the simulator run on this machine),
 * as provider.ts does for back-channel logout.
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
