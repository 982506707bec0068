/** A small HTTP client for the simulator's API: JSON in, JSON out, RFC 9457 problems become WatashiErrors. */
import { WatashiError, own } from '@watashi/pki';

/** Default simulator URL (`watashi sim serve` listens here unless told otherwise). */
export const DEFAULT_SIM_URL = process.env.WATASHI_SIM_URL ?? 'http://127.0.0.1:8790';

/** Options of {@link call}. */
export interface CallOptions {
  /** Resolve with the raw response bytes instead of parsed JSON. */
  readonly binary?: boolean;
  /** Extra request headers. */
  readonly headers?: Record<string, string>;
  /** Called as the response body arrives (bytes so far, Content-Length or undefined); implies `binary`. */
  readonly onProgress?: (received: number, total: number | undefined) => void;
}

function urlOf(base: string, path: string): URL {
  return new URL(path.replace(/^\//, ''), base.endsWith('/') ? base : `${base}/`);
}

/**
 * Calls `method path` on `base`; returns parsed JSON, or raw bytes when `binary` is set. A
 * `Uint8Array` body is sent as `application/octet-stream` (APDUs), anything else as JSON.
 * A connection failure is `sim_unreachable`; a problem document becomes a WatashiError with the
 * problem's `code` (or `http_<status>`) and, for PIN failures, `detail.remaining`.
 */
export async function call<T = unknown>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  options: CallOptions = {},
): Promise<T> {
  const url = urlOf(base, path);
  const binaryBody = body instanceof Uint8Array;
  const contentType =
    body === undefined
      ? {}
      : { 'content-type': binaryBody ? 'application/octet-stream' : 'application/json' };
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { ...contentType, ...options.headers },
      ...(body === undefined ? {} : { body: binaryBody ? own(body) : JSON.stringify(body) }),
    });
  } catch (cause) {
    throw new WatashiError(
      'sim_unreachable',
      `cannot reach the simulator at ${base} — is \`watashi sim serve\` running?`,
      { cause },
    );
  }
  if (!res.ok) {
    const text = await res.text();
    let problem: { code?: string; title?: string; detail?: string; remaining?: number } = {};
    try {
      problem = JSON.parse(text) as typeof problem;
    } catch {
      problem = { detail: text.slice(0, 200) };
    }
    throw new WatashiError(
      problem.code ?? `http_${String(res.status)}`,
      problem.detail ?? problem.title ?? `HTTP ${String(res.status)}`,
      {
        detail: {
          status: res.status,
          ...(typeof problem.remaining === 'number' ? { remaining: problem.remaining } : {}),
        },
      },
    );
  }
  if (options.onProgress) return (await readWithProgress(res, options.onProgress)) as T;
  if (options.binary) return new Uint8Array(await res.arrayBuffer()) as T;
  const ct = res.headers.get('content-type') ?? '';
  return (ct.includes('json') ? await res.json() : await res.text()) as T;
}

async function readWithProgress(
  res: Response,
  onProgress: (received: number, total: number | undefined) => void,
): Promise<Uint8Array> {
  const length = Number(res.headers.get('content-length') ?? Number.NaN);
  const total = Number.isSafeInteger(length) && length >= 0 ? length : undefined;
  const chunks: Uint8Array[] = [];
  let received = 0;
  onProgress(0, total);
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      onProgress(received, total);
    }
  }
  const out = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
