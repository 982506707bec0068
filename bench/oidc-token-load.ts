/**
 * Worker thread of `bench/oidc-token.bench.ts`: the load generator, on its own event loop (and so
 * on the second core when one is free) so that it does not compete with the OP it measures.
 *
 * It sends refresh_token grants (client_secret_basic) to `tokenEndpoint` over keep-alive HTTP,
 * one chain per connection: each response's rotated refresh token is the next request's. Warm-up
 * for `warmupSeconds`, then measures for `seconds`; posts back the count, the errors and every
 * latency in milliseconds.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';

/** What the bench hands to this worker. */
export interface LoadInput {
  readonly tokenEndpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** One refresh token per concurrent chain. */
  readonly refreshTokens: readonly string[];
  readonly seconds: number;
  readonly warmupSeconds: number;
}

/** What this worker posts back. */
export interface LoadResult {
  readonly requests: number;
  /** Requests including the warm-up. */
  readonly allRequests: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly seconds: number;
  readonly latenciesMs: Float64Array;
}

const input = workerData as LoadInput;
const url = new URL(input.tokenEndpoint);
const agent = new Agent({ keepAlive: true, maxSockets: input.refreshTokens.length });
// RFC 6749 §2.3.1: client_id and secret form-urlencoded, then Basic.
const basic = `Basic ${Buffer.from(
  `${encodeURIComponent(input.clientId)}:${encodeURIComponent(input.clientSecret)}`,
).toString('base64')}`;

/** One refresh_token grant; resolves with the status and the body. */
function grant(refreshToken: string): Promise<{ status: number; body: string }> {
  const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: basic,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          accept: 'application/json',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function run(): Promise<LoadResult> {
  const latencies: number[] = [];
  let requests = 0;
  let allRequests = 0;
  let errors = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  const warmEnd = t0 + input.warmupSeconds * 1000;
  const end = warmEnd + input.seconds * 1000;
  const chain = async (token: string): Promise<void> => {
    let current = token;
    for (;;) {
      const start = performance.now();
      if (start >= end) return;
      const res = await grant(current);
      const done = performance.now();
      allRequests++;
      const measured = start >= warmEnd;
      if (measured) {
        requests++;
        latencies.push(done - start);
      }
      const parsed = res.status === 200 ? (JSON.parse(res.body) as { refresh_token?: string }) : {};
      if (parsed.refresh_token === undefined) {
        errors++; // warm-up included: any failed grant fails the bench
        firstError ??= `${res.status} ${res.body.slice(0, 200)}`;
        return; // the chain is broken: a rotated token cannot be used again
      }
      current = parsed.refresh_token;
    }
  };
  await Promise.all(input.refreshTokens.map(chain));
  agent.destroy();
  return {
    requests,
    allRequests,
    errors,
    firstError,
    seconds: (performance.now() - warmEnd) / 1000,
    latenciesMs: Float64Array.from(latencies),
  };
}

parentPort!.postMessage(await run());
