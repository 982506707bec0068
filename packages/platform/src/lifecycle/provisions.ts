/**
 * The sweep's latest-basic-4 provisions against a J-LIS that may be slow or down (issue 21, items
 * 2–4; docs/architecture.md §3.4; docs/jpki.md §4.2 for the provision and its ¥20 fee).
 *
 * - **Bounded concurrency.** The provisions a batch needs are asked `concurrency` at a time, not
 *   one after the other (a 10 s timeout each made a frozen J-LIS cost ~1.7 h per 200,000 anchors).
 * - **A deadline per run.** After it no provision is asked, and each request's timeout is cut to
 *   the time left, so a run ends at its deadline whatever J-LIS does.
 * - **A circuit breaker.** After `failures` consecutive transient failures (unreachable, timeout,
 *   HTTP 5xx, a garbled answer) the breaker opens for `cooldownMs`: provisions are then deferred at
 *   once instead of each waiting out a timeout. After the cool-down one trial request is let
 *   through (half-open); its success closes the breaker, its failure opens it again.
 * - **Transient is not an answer.** Only J-LIS's answer (`provided`, `no_new_certificate`,
 *   `not_revoked`, or a refusal) may change an account. A transient failure leaves the anchor and
 *   the account as they were — no status change, no RP event, no notice — and the provision is
 *   deferred (`sweep_provisions`, state `deferred`) to the `sweep.provisions` retry job.
 * - **Paid once.** Each answer is written durably (sealed: it holds the basic 4 information) in its
 *   own transaction as soon as it arrives, keyed by certificate (issuer key hash + serial) and
 *   run; a batch that reruns after a crash reads it back instead of asking (and paying) again, and
 *   deletes it in the transaction that applies it. The window left is between J-LIS's answer and
 *   that one-row write.
 */
import { isWatashiError, toHex } from '@watashi/pki';
import type { Kysely, Transaction } from 'kysely';
import type { JpkiBackend, LatestBasic4Result } from '../jlis/backend.ts';
import type { KeyStore } from '../keys/key-store.ts';
import { jsonbOfObject } from '../store/json.ts';
import type { JsonObject } from '../store/json.ts';
import type { Schema } from '../store/schema.ts';
import type { ProvisionOutcome } from './reanchor.ts';

/**
 * Error codes that are not J-LIS's answer: the provision is deferred and retried, the account is
 * left alone. `jlis_circuit_open`: the breaker was open; `sweep_provision_deadline`: the run's
 * deadline had passed.
 */
export const TRANSIENT_PROVISION_CODES: ReadonlySet<string> = new Set([
  'jlis_unavailable',
  'jlis_protocol_error',
  'jlis_circuit_open',
  'sweep_provision_deadline',
]);

/** True when `o` is not J-LIS's answer (see {@link TRANSIENT_PROVISION_CODES}). */
export function isTransientProvision(o: ProvisionOutcome): boolean {
  return !o.ok && TRANSIENT_PROVISION_CODES.has(o.code);
}

/** Settings of the {@link JlisCircuitBreaker}. */
export interface BreakerOptions {
  /** Consecutive transient failures that open it (default 5). */
  readonly failures?: number;
  /** How long it stays open before one trial request (default 60 s). */
  readonly cooldownMs?: number;
}

/** How provisions are asked (sweep options and config `sweep.provisions`). */
export interface ProvisionPolicy {
  /** Provisions in flight at once per shard (default 8). */
  readonly concurrency?: number;
  /** Wall-clock time (ms since the epoch) after which none is asked (default: none). */
  readonly deadlineAt?: number;
  /** Per-request timeout (default: the backend's, 10 s). */
  readonly timeoutMs?: number;
}

/**
 * Stops waiting on a J-LIS that does not answer (see the module comment). One per Sweeper, shared
 * by its shards; on the platform clock (`now`), so a cool-down follows the clock tests move.
 */
export class JlisCircuitBreaker {
  readonly #failures: number;
  readonly #cooldownMs: number;
  readonly #now: () => Date;
  #consecutive = 0;
  #openUntil: number | undefined;
  #trial = false;
  /** Settles when the half-open trial request ends. */
  #trialDone: Promise<void> | undefined;
  #endTrial: (() => void) | undefined;

  constructor(options: BreakerOptions, now: () => Date) {
    this.#failures = options.failures ?? 5;
    this.#cooldownMs = options.cooldownMs ?? 60_000;
    if (!Number.isInteger(this.#failures) || this.#failures < 1)
      throw new RangeError('breaker failures must be a positive integer');
    if (!(this.#cooldownMs >= 0)) throw new RangeError('breaker cooldownMs must be ≥ 0');
    this.#now = now;
  }

  /** `closed`, `open` (deferring at once) or `half-open` (one trial request allowed). */
  get state(): 'closed' | 'open' | 'half-open' {
    if (this.#openUntil === undefined) return 'closed';
    return this.#now().getTime() < this.#openUntil ? 'open' : 'half-open';
  }

  /** Whether a request may go out now (a half-open breaker lets exactly one through). */
  allow(): boolean {
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'open' || this.#trial) return false;
    this.#trial = true;
    this.#trialDone = new Promise((resolve) => (this.#endTrial = resolve));
    return true;
  }

  /**
   * Whether a request may go out, waiting for a half-open trial in flight to end first (its
   * outcome decides: J-LIS back, the breaker closes and the request goes; still dead, deferred).
   */
  async admit(): Promise<boolean> {
    for (;;) {
      if (this.allow()) return true;
      const pending = this.#trial ? this.#trialDone : undefined;
      if (pending === undefined) return false;
      await pending;
    }
  }

  #settleTrial(): void {
    this.#trial = false;
    this.#endTrial?.();
    this.#endTrial = undefined;
    this.#trialDone = undefined;
  }

  /** A request admitted but not sent (the deadline passed meanwhile): a trial it held is freed. */
  release(): void {
    this.#settleTrial();
  }

  /** J-LIS answered (whatever it said). */
  success(): void {
    this.#consecutive = 0;
    this.#openUntil = undefined;
    this.#settleTrial();
  }

  /** J-LIS did not answer. */
  failure(): void {
    this.#consecutive++;
    if (this.#trial || this.#consecutive >= this.#failures)
      this.#openUntil = this.#now().getTime() + this.#cooldownMs;
    this.#settleTrial();
  }
}

/** One provision to ask: the certificate (anchor) and the consent registered with J-LIS. */
export interface ProvisionRequest {
  readonly row: {
    readonly id: string;
    readonly account_id: string;
    readonly issuer_key_hash: Uint8Array;
    readonly serial: string;
  };
  readonly consentRef: string;
}

/** `issuerKeyHashHex:serial`: the certificate a provision is about. */
export const certKey = (r: { readonly issuer_key_hash: Uint8Array; readonly serial: string }): string =>
  `${toHex(r.issuer_key_hash)}:${r.serial}`;

/**
 * Asks J-LIS for each request, `concurrency` at a time, through `breaker` and before the deadline;
 * calls `onAnswer` (the durable write) for each answer before returning it. Transient failures
 * come back as outcomes with a code of {@link TRANSIENT_PROVISION_CODES}. Keyed by anchor id.
 */
export async function askProvisions(
  backend: JpkiBackend,
  breaker: JlisCircuitBreaker,
  requests: ReadonlyArray<ProvisionRequest>,
  policy: ProvisionPolicy,
  onAnswer: (r: ProvisionRequest, o: ProvisionOutcome) => Promise<void>,
): Promise<Map<string, ProvisionOutcome>> {
  const concurrency = policy.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)
    throw new RangeError('provision concurrency must be an integer from 1 to 256');
  const out = new Map<string, ProvisionOutcome>();
  let next = 0;
  const one = async (r: ProvisionRequest): Promise<ProvisionOutcome> => {
    const leftMs = (): number =>
      policy.deadlineAt === undefined ? Infinity : policy.deadlineAt - Date.now();
    if (leftMs() <= 0) return { ok: false, code: 'sweep_provision_deadline' };
    if (!(await breaker.admit())) return { ok: false, code: 'jlis_circuit_open' };
    const left = leftMs();
    if (left <= 0) {
      breaker.release();
      return { ok: false, code: 'sweep_provision_deadline' };
    }
    const timeoutMs = Math.max(1, Math.min(policy.timeoutMs ?? 10_000, left));
    let o: ProvisionOutcome;
    try {
      const answer: LatestBasic4Result = await backend.latestBasic4(r.row.serial, r.consentRef, {
        purpose: 'provision',
        accountId: r.row.account_id,
        timeoutMs,
      });
      o = { ok: true, answer };
    } catch (e) {
      if (!isWatashiError(e)) throw e;
      o = { ok: false, code: e.code };
    }
    if (isTransientProvision(o)) {
      breaker.failure();
      return o;
    }
    breaker.success();
    await onAnswer(r, o);
    return o;
  };
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const r = requests[next++]!;
      out.set(r.row.id, await one(r));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
  return out;
}

/** The associated data of a sealed answer: it opens only for its run and certificate. */
const aadOf = (runId: string, r: { issuer_key_hash: Uint8Array; serial: string }): Uint8Array =>
  new TextEncoder().encode(`sweep_provisions:${runId}:${certKey(r)}`);

function outcomeToJson(o: ProvisionOutcome): JsonObject {
  if (!o.ok) return { ok: false, code: o.code };
  const a = o.answer;
  return a.outcome === 'provided'
    ? {
        ok: true,
        outcome: a.outcome,
        basic4: { ...a.basic4 },
        newSerial: a.newSerial,
        providedAt: a.providedAt.toISOString(),
      }
    : { ok: true, outcome: a.outcome };
}

function outcomeFromJson(j: JsonObject): ProvisionOutcome {
  const text = (v: unknown): string => {
    if (typeof v !== 'string') throw new Error('sweep_provisions: a stored answer is not what was written');
    return v;
  };
  if (j['ok'] !== true) return { ok: false, code: text(j['code']) };
  const outcome = text(j['outcome']);
  if (outcome === 'provided')
    return {
      ok: true,
      answer: {
        outcome,
        basic4: j['basic4'] as Record<string, string>,
        newSerial: text(j['newSerial']),
        providedAt: new Date(text(j['providedAt'])),
      },
    };
  if (outcome === 'not_revoked' || outcome === 'no_new_certificate') return { ok: true, answer: { outcome } };
  throw new Error(`sweep_provisions: unknown stored outcome ${outcome}`);
}

/** Writes J-LIS's answer for `r` in `runId` (its own statement, committed at once), sealed. */
export async function recordAnswer(
  deps: { readonly db: Kysely<Schema>; readonly keys: Pick<KeyStore, 'seal'>; readonly now: () => Date },
  runId: string,
  r: ProvisionRequest,
  o: ProvisionOutcome,
): Promise<void> {
  const now = deps.now();
  const box = await deps.keys.seal(
    new TextEncoder().encode(JSON.stringify(outcomeToJson(o))),
    aadOf(runId, r.row),
  );
  const sealed = {
    state: 'answered' as const,
    alg: box.alg,
    key_id: box.keyId,
    nonce: box.nonce,
    ciphertext: box.ciphertext,
    error_code: null,
    claimed_until: null,
    updated_at: now,
  };
  await deps.db
    .insertInto('sweep_provisions')
    .values({
      run_id: runId,
      issuer_key_hash: r.row.issuer_key_hash,
      serial: r.row.serial,
      anchor_id: r.row.id,
      account_id: r.row.account_id,
      consent_ref: r.consentRef,
      change: null,
      attempts: 1,
      created_at: now,
      ...sealed,
    })
    .onConflict((oc) =>
      oc
        .columns(['issuer_key_hash', 'serial', 'run_id'])
        .doUpdateSet((eb) => ({ ...sealed, attempts: eb('sweep_provisions.attempts', '+', 1) })),
    )
    .execute();
}

/** The answers already paid for in `runId`, for these certificates, by {@link certKey}. */
export async function loadAnswers(
  deps: { readonly db: Kysely<Schema> | Transaction<Schema>; readonly keys: Pick<KeyStore, 'open'> },
  runId: string,
  certs: ReadonlyArray<{ readonly issuer_key_hash: Uint8Array; readonly serial: string }>,
): Promise<Map<string, ProvisionOutcome>> {
  const out = new Map<string, ProvisionOutcome>();
  for (let i = 0; i < certs.length; i += 500) {
    const part = certs.slice(i, i + 500);
    const rows = await deps.db
      .selectFrom('sweep_provisions')
      .select(['issuer_key_hash', 'serial', 'alg', 'key_id', 'nonce', 'ciphertext'])
      .where('run_id', '=', runId)
      .where('state', '=', 'answered')
      .where((eb) =>
        eb(
          eb.refTuple('issuer_key_hash', 'serial'),
          'in',
          part.map((c) => eb.tuple(c.issuer_key_hash, c.serial)),
        ),
      )
      .execute();
    for (const r of rows) {
      const plain = await deps.keys.open(
        { alg: 'A256GCM', keyId: r.key_id!, nonce: r.nonce!, ciphertext: r.ciphertext! },
        aadOf(runId, r),
      );
      out.set(certKey(r), outcomeFromJson(JSON.parse(new TextDecoder().decode(plain)) as JsonObject));
    }
  }
  return out;
}

/** What a deferred provision needs to be applied later: the CRL's decision (null: reaffirmed). */
export interface DeferredChange {
  /** The anchor's state the decision was made from (the retry applies it only if unchanged). */
  readonly from: { readonly status: string; readonly reason: string | null };
  readonly to: { readonly status: string; readonly reason: string | null; readonly revokedAt: string | null };
  readonly checkedAt: string | null;
  readonly crlNumber: string | null;
}

/** Records provisions J-LIS did not answer, in the batch's transaction (an answered row stays). */
export async function recordDeferred(
  trx: Transaction<Schema>,
  runId: string,
  entries: ReadonlyArray<{ req: ProvisionRequest; change: DeferredChange | null; code: string }>,
  now: Date,
): Promise<void> {
  for (const e of entries)
    await trx
      .insertInto('sweep_provisions')
      .values({
        run_id: runId,
        issuer_key_hash: e.req.row.issuer_key_hash,
        serial: e.req.row.serial,
        anchor_id: e.req.row.id,
        account_id: e.req.row.account_id,
        consent_ref: e.req.consentRef,
        state: 'deferred',
        change: e.change === null ? null : jsonbOfObject(e.change),
        error_code: e.code,
        attempts: e.code === 'jlis_circuit_open' || e.code === 'sweep_provision_deadline' ? 0 : 1,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['issuer_key_hash', 'serial', 'run_id']).doUpdateSet({
          change: e.change === null ? null : jsonbOfObject(e.change),
          error_code: e.code,
          claimed_until: null,
          updated_at: now,
        }),
      )
      .execute();
}

/**
 * Deletes the provision rows of these certificates, of every run, in the transaction that applied
 * J-LIS's answer: the account now reflects it, so an older deferral has nothing left to do.
 */
export async function deleteProvisions(
  trx: Transaction<Schema>,
  certs: ReadonlyArray<{ readonly issuer_key_hash: Uint8Array; readonly serial: string }>,
): Promise<void> {
  for (let i = 0; i < certs.length; i += 500) {
    const part = certs.slice(i, i + 500);
    await trx
      .deleteFrom('sweep_provisions')
      .where((eb) =>
        eb(
          eb.refTuple('issuer_key_hash', 'serial'),
          'in',
          part.map((c) => eb.tuple(c.issuer_key_hash, c.serial)),
        ),
      )
      .execute();
  }
}
