/**
 * RFC 9457 problem documents. Every error leaving the HTTP edge is one: `type` is a stable URN per
 * code, `status` mirrors the HTTP status, `code` is the WatashiError code (stable, machine-readable),
 * `detail` is for people and never carries keys, PINs or personal data.
 */
import type { FastifyReply } from 'fastify';
import { isWatashiError } from '@watashi/pki';

/** HTTP status of each exposed error code (anything else is a 400 if it is a WatashiError). */
const STATUS: Readonly<Record<string, number>> = {
  request_invalid: 400,
  config_invalid: 400,
  purpose_invalid: 400,
  operator_invalid: 400,
  pin_format: 400,
  event_invalid: 400,
  consent_document_invalid: 400,
  signature_invalid: 400,
  body_too_large: 413,
  unsupported_media_type: 415,
  not_found: 404,
  resident_not_found: 404,
  card_not_found: 404,
  device_not_found: 404,
  consent_not_found: 404,
  certificate_not_found: 404,
  ca_not_found: 404,
  crl_not_found: 404,
  pin_incorrect: 403,
  pin_blocked: 403,
  signer_not_authorized: 403,
  consent_operator_mismatch: 403,
  consent_required: 403,
  resident_not_living: 409,
  no_active_card: 409,
  card_not_active: 409,
  card_not_lost: 409,
  smartphone_already_issued: 409,
  device_not_active: 409,
  signing_certificate_absent: 409,
  consent_withdrawn: 409,
  data_dir_locked: 503,
};

/** A problem document. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly [extra: string]: unknown;
}

/** Builds a problem document for `code`. */
export function problem(
  code: string,
  detail: string,
  status = STATUS[code] ?? 400,
  extra: Record<string, unknown> = {},
): Problem {
  return {
    type: `urn:watashi:jlis-sim:problem:${code}`,
    title: code.replace(/_/g, ' '),
    status,
    code,
    detail,
    ...extra,
  };
}

/** Sends a problem document. */
export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json').send(p);
}

/** Maps any thrown value to a problem (unexpected errors become a 500 without detail). */
export function problemOf(e: unknown): Problem {
  if (isWatashiError(e)) {
    const extra: Record<string, unknown> = {};
    const rem = e.detail?.['remaining'];
    if (typeof rem === 'number') extra['remaining'] = rem;
    return problem(e.code, e.message, STATUS[e.code] ?? 400, extra);
  }
  const fe = e as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return problem('body_too_large', 'the request body exceeds the configured limit', 413);
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return problem('unsupported_media_type', 'unsupported content type', 415);
  if (
    fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    (typeof fe.statusCode === 'number' && fe.statusCode === 400)
  ) {
    return problem('request_invalid', 'the request body is not valid', 400);
  }
  return problem('internal_error', 'internal error', 500);
}
