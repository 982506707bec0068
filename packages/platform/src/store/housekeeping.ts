/**
 * Housekeeping: deletes transient rows once they can no longer be used, so tables of single-use
 * secrets do not grow without bound when ceremonies are started and abandoned.
 *
 * - WebAuthn and card challenges (`kv`, key `authn:challenge:…`, authn/challenges.ts) past their
 *   `expiresAt`: a presented expired challenge is deleted and refused anyway; this removes the ones
 *   never presented.
 * - Enrolment nonces and their documents (`enrolment_nonces`) expired more than `graceSeconds`
 *   ago. Until then a replay is refused as expired; after, as unknown — refused either way.
 * - oidc-provider models (`oidc_models`) past their expiry (sessions, codes, grants, tokens).
 * - Cross-device sign-in requests (`cross_device_requests`, oidc/cross-device.ts) expired more
 *   than `graceSeconds` ago: until then a late poll or scan is told "expired", after, "not found";
 *   what was decided stays in the audit log.
 * - Signing preparations (`signing_preparations`, signature/sign.ts) past their `expires_at`,
 *   consumed or not: a completion after expiry is refused anyway; this removes the sealed
 *   documents of the ones never completed.
 *
 * Each is one `DELETE … WHERE` over an indexed or small set: safe to run on several instances at
 * once (a row is deleted once), idempotent, and it never touches live data.
 */
import { sql, type Kysely } from 'kysely';
import { purgeExpiredOidcModels } from '../oidc/adapter.ts';
import type { Schema } from './schema.ts';
import { repeatEvery } from '../server/repeat.ts';

/** Rows removed by one run. */
export interface HousekeepingResult {
  readonly challenges: number;
  readonly enrolmentNonces: number;
  readonly oidcModels: number;
  readonly crossDevice: number;
  readonly signingPreparations: number;
}

/** Default grace after expiry before an enrolment nonce is forgotten. */
const NONCE_GRACE_SECONDS = 86_400;

/** Deletes what expired before `now` (enrolment nonces, cross-device requests: before `now − graceSeconds`). */
export async function runHousekeeping(
  db: Kysely<Schema>,
  now: Date,
  options: { graceSeconds?: number } = {},
): Promise<HousekeepingResult> {
  const challenges = await db
    .deleteFrom('kv')
    .where('key', 'like', 'authn:challenge:%')
    .where(sql<boolean>`(value->>'expiresAt')::timestamptz < ${now}`)
    .executeTakeFirst();
  const nonceCutoff = new Date(now.getTime() - (options.graceSeconds ?? NONCE_GRACE_SECONDS) * 1000);
  const nonces = await db
    .deleteFrom('enrolment_nonces')
    .where('expires_at', '<', nonceCutoff)
    .executeTakeFirst();
  const oidcModels = await purgeExpiredOidcModels(db, now);
  const crossDevice = await db
    .deleteFrom('cross_device_requests')
    .where('expires_at', '<', nonceCutoff)
    .executeTakeFirst();
  const preparations = await db
    .deleteFrom('signing_preparations')
    .where('expires_at', '<', now)
    .executeTakeFirst();
  return {
    challenges: Number(challenges.numDeletedRows),
    enrolmentNonces: Number(nonces.numDeletedRows),
    oidcModels,
    crossDevice: Number(crossDevice.numDeletedRows),
    signingPreparations: Number(preparations.numDeletedRows),
  };
}

/**
 * Runs `runHousekeeping` every `intervalSeconds` (first run after one interval) until stopped.
 * The timer does not keep the process alive; a failed run is reported to `onError` and the next
 * one is tried on schedule.
 */
export function scheduleHousekeeping(
  db: Kysely<Schema>,
  now: () => Date,
  intervalSeconds: number,
  onError: (e: unknown) => void,
): () => Promise<void> {
  return repeatEvery(intervalSeconds, () => runHousekeeping(db, now()), onError);
}
