/**
 * The production transport of event delivery: one HTTPS POST that connects only to the addresses
 * the SSRF guard vetted in this attempt (target-guard.ts), closing the DNS-rebinding gap that a
 * client resolving the name again (global fetch) leaves open.
 *
 * The URL keeps its hostname, so TLS sends it as SNI and verifies the certificate against it
 * (RFC 6125 through node:tls `checkServerIdentity`) and the `Host` header names it; only name
 * resolution is replaced, by a `lookup` that answers the vetted addresses and nothing else. A
 * fresh agent per request (no keep-alive pool) means no socket of an earlier attempt, or of other
 * code, is reused. Redirects are not followed (node:https never follows them): a 3xx is a status.
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import { request } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { VettedTarget } from './target-guard.ts';

/** The most of a response body delivery reads (the RFC 8935 §2.3 error object is a few bytes). */
export const RESPONSE_BODY_LIMIT = 64 * 1024;

/** One delivery POST, whichever transport sends it. */
export interface DeliveryPost {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * What came of a POST: the receiver's status, with its body (at most {@link RESPONSE_BODY_LIMIT}
 * bytes; what arrived when reading failed) when the caller wanted it; or no answer in time / at all.
 */
export type PostOutcome =
  { readonly status: number; readonly body?: string } | { readonly failed: 'timeout' | 'network_error' };

/** How {@link pinnedPost} sends. */
export interface PinnedPostOptions {
  /** The whole exchange, connection to body, must end within this (ms). */
  readonly timeoutMs: number;
  /** Whether the body of a response with this status is read (else it is discarded unread). */
  readonly wantBody: (status: number) => boolean;
  /** Trust anchors replacing node's bundled ones (tests with their own CA). */
  readonly ca?: string | Buffer;
}

/** A `lookup` that answers only `addresses`, and only for `hostname`. */
function pinnedLookup(hostname: string, addresses: readonly string[]): LookupFunction {
  const vetted: LookupAddress[] = addresses.map((address) => ({ address, family: isIP(address) }));
  return (name: string, options: LookupOptions, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
    const answer = family === 0 ? vetted : vetted.filter((a) => a.family === family);
    const first = answer[0];
    if (name !== hostname || first === undefined) {
      // Fail closed: never fall back to the system resolver.
      const e: NodeJS.ErrnoException = new Error(`no vetted address for ${name}`);
      e.code = 'ENOTFOUND';
      callback(e, '', 0);
      return;
    }
    if (options.all === true) callback(null, answer);
    else callback(null, first.address, first.family);
  };
}

/**
 * POSTs `post` to a target the guard vetted, connecting only to its vetted addresses (tried in
 * order by node's happy-eyeballs connect). Never throws: transport failures are outcomes.
 */
export function pinnedPost(
  target: VettedTarget,
  post: DeliveryPost,
  options: PinnedPostOptions,
): Promise<PostOutcome> {
  const hostname = target.url.hostname.replace(/^\[|\]$/g, '');
  return new Promise<PostOutcome>((settle) => {
    let done = false;
    let answered: number | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const req = request(target.url, {
      method: 'POST',
      headers: { ...post.headers, 'content-length': String(Buffer.byteLength(post.body)) },
      agent: false,
      lookup: pinnedLookup(hostname, target.addresses),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
    const finish = (outcome: PostOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      settle(outcome);
    };
    // Once the status has arrived, a body cut short (by the receiver or the timeout) is that status
    // with what came of its body, not a transport failure: the caller reads an unparseable body as
    // such, as it did when fetch's `res.json()` failed.
    const answer = (): PostOutcome =>
      answered === undefined
        ? { failed: 'network_error' }
        : { status: answered, body: Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT).toString('utf8') };
    const timer = setTimeout(
      () => finish(answered === undefined ? { failed: 'timeout' } : answer()),
      options.timeoutMs,
    );
    req.on('error', () => finish(answer()));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (!options.wantBody(status)) {
        finish({ status });
        return;
      }
      answered = status;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= RESPONSE_BODY_LIMIT) finish(answer());
      });
      res.on('end', () => finish(answer()));
      res.on('error', () => finish(answer()));
      res.on('close', () => finish(answer()));
    });
    req.end(post.body);
  });
}
