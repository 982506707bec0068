/**
 * RFC 9457 problem documents (`application/problem+json`). Every error leaving the platform's HTTP
 * edge is one: `type` is a stable URN per code, `status` mirrors the HTTP status, `code` is the
 * stable machine-readable code, `detail` is for people. Stacks, causes and `detail` objects of
 * errors never leave; a 5xx says only `internal_error` (the log has the rest).
 *
 * Route code throws {@link PlatformError} (`problem(code, status, detail)`) or any `WatashiError`;
 * a WatashiError's HTTP status is `detail.status` when it carries one (enrolment errors do), else
 * the table / prefix rules of {@link statusOf}.
 */
import type { FastifyError, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';
import { isWatashiError, WatashiError } from '@watashi/pki';

/** Codes the server itself answers with. */
export type ServerErrorCode =
  | 'request_invalid'
  | 'not_found'
  | 'method_not_allowed'
  | 'body_too_large'
  | 'media_type_unsupported'
  | 'rate_limited'
  | 'session_required'
  | 'admin_required'
  | 'admin_forbidden'
  /** GET /metrics without the metrics bearer token (401). */
  | 'metrics_token_required'
  /** GET /metrics with a token that is not the configured one (403). */
  | 'metrics_token_forbidden'
  | 'internal_error'
  | 'service_unavailable';

/** An error with an HTTP status, rendered as a problem document. */
export class PlatformError<C extends string = string> extends WatashiError<C> {
  /** HTTP status of the problem. */
  readonly status: number;
  /** Extra members of the problem document (must be safe to show: no personal data). */
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(
    code: C,
    status: number,
    message: string,
    options: { cause?: unknown; extra?: Record<string, unknown> } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    if (!Number.isInteger(status) || status < 400 || status > 599)
      throw new RangeError(`bad status ${status}`);
    this.status = status;
    this.extra = options.extra ?? {};
  }
}

/** True when `e` is a {@link PlatformError}. */
export function isPlatformError(e: unknown): e is PlatformError<string> {
  return e instanceof PlatformError;
}

/** Shorthand: a {@link PlatformError} to throw from a route. */
export function problem<C extends string>(
  code: C,
  status: number,
  detail: string,
  extra?: Record<string, unknown>,
): PlatformError<C> {
  return new PlatformError(code, status, detail, extra === undefined ? {} : { extra });
}

/** A problem document. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly instance?: string;
  readonly [extra: string]: unknown;
}

/** Exact statuses of codes raised by the store, pki, jpki, key store and jlis backend. */
const STATUS: Readonly<Record<string, number>> = {
  request_invalid: 400,
  not_found: 404,
  method_not_allowed: 405,
  body_too_large: 413,
  media_type_unsupported: 415,
  rate_limited: 429,
  session_required: 401,
  admin_required: 401,
  admin_forbidden: 403,
  internal_error: 500,
  service_unavailable: 503,
  // store
  store_busy: 503,
  store_unavailable: 503,
  store_transaction_conflict: 503,
  store_migrations_unknown: 500,
  store_migration_failed: 500,
  // key store: never the caller's fault
  key_store_decrypt_failed: 500,
  key_store_unknown_key: 500,
  key_store_invalid: 500,
  key_store_permissions: 500,
  // J-LIS
  jlis_unavailable: 503,
  jlis_protocol_error: 502,
  jlis_unknown_issuer: 502,
  jlis_not_supported: 501,
  jlis_refused: 403,
  // pki: a certificate the caller gave
  path_revoked: 403,
  path_revocation_unknown: 503,
};

/** HTTP status of a code: the table, then prefixes (`config_*`, `trust_*` → 500; others 400). */
export function statusOf(code: string): number {
  const s = STATUS[code];
  if (s !== undefined) return s;
  if (code.startsWith('config_') || code.startsWith('trust_') || code.startsWith('store_')) return 500;
  if (code.startsWith('ocsp_') || code.startsWith('crl_')) return 502;
  return 400;
}

const TITLE_OF_STATUS: Readonly<Record<number, ServerErrorCode>> = {
  400: 'request_invalid',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'body_too_large',
  415: 'media_type_unsupported',
  429: 'rate_limited',
};

/** Builds the document for `code`. */
export function problemDocument(
  code: string,
  status: number,
  detail?: string,
  extra: Record<string, unknown> = {},
): Problem {
  return {
    ...extra,
    type: `urn:watashi:problem:${code}`,
    title: code.replace(/_/g, ' '),
    status,
    code,
    ...(detail === undefined ? {} : { detail }),
  };
}

const internal = (): Problem => problemDocument('internal_error', 500, 'internal error');

function zodDetail(e: ZodError): string {
  const i = e.issues[0];
  if (i === undefined) return 'invalid request';
  const path = i.path.length > 0 ? `${i.path.map(String).join('.')}: ` : '';
  return `invalid request: ${path}${i.message}`;
}

/**
 * Maps any thrown value to a problem: PlatformError and WatashiError by code; zod errors (schema
 * validation or `parse` in a handler) → 400 `request_invalid`; Fastify's own 4xx errors (body too
 * large, bad JSON, media type) by status; anything else → 500 `internal_error` without detail.
 */
export function problemOf(e: unknown): Problem {
  if (isPlatformError(e)) {
    const pe = e;
    if (pe.status >= 500)
      return problemDocument(pe.code, pe.status, pe.status === 500 ? 'internal error' : pe.message);
    return problemDocument(pe.code, pe.status, pe.message, { ...pe.extra });
  }
  if (isWatashiError(e)) {
    const declared = e.detail?.['status'];
    const status =
      typeof declared === 'number' && declared >= 400 && declared <= 599 ? declared : statusOf(e.code);
    // Server-side failures keep their code (operators need it) but not their message.
    return problemDocument(e.code, status, status === 500 ? 'internal error' : e.message);
  }
  if (e instanceof ZodError) return problemDocument('request_invalid', 400, zodDetail(e));
  if (typeof e === 'object' && e !== null) {
    const fe = e as Partial<FastifyError> & { validation?: unknown };
    if (hasZodFastifySchemaValidationErrors(e)) {
      const list: ReadonlyArray<{ instancePath?: unknown; message?: unknown }> = e.validation;
      const first = list[0];
      return problemDocument(
        'request_invalid',
        400,
        `invalid request: ${typeof first?.instancePath === 'string' ? first.instancePath : ''} ${typeof first?.message === 'string' ? first.message : ''}`.trim(),
      );
    }
    if (fe.validation !== undefined) return problemDocument('request_invalid', 400, 'invalid request');
    const status = fe.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const code = TITLE_OF_STATUS[status] ?? 'request_invalid';
      // Fastify's 4xx messages describe the request only (no internals).
      return problemDocument(code, status, typeof fe.message === 'string' ? fe.message : undefined);
    }
  }
  return internal();
}

/** Sends `p` as `application/problem+json`. */
export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json; charset=utf-8').send(p);
}
