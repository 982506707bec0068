/**
 * The request a piece of work belongs to, carried across awaits with AsyncLocalStorage, so code
 * far from the route (the audit log, store/audit.ts) can name the request without every function
 * passing it on. Set by the server for the whole lifecycle of each request (server/app.ts); empty
 * for background work (sweeps, event delivery, housekeeping).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** What is known about the current request. */
export interface RequestContext {
  /** The request id (`X-Request-Id`, validated, or generated). */
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` (and everything it starts) as part of the request `ctx`. */
export function runInRequest<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The id of the request the caller runs for, or undefined outside a request. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
