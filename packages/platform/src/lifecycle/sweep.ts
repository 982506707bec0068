/**
 * The revocation sweep (docs/architecture.md §3.4; docs/jpki.md §2.2 "CRL提供方式": J-LIS publishes a
 * full CRL per CA once a day, verifiers download it and match serials offline).
 *
 * One run:
 * 1. **CRLs.** For every CA generation of the trust store that has current anchors, download its
 *    latest full CRL through the `JpkiBackend`, which verifies it (issuer name and key, signature,
 *    thisUpdate ≤ now ≤ nextUpdate: `crl_*` codes) and reads it with the streaming reader into a
 *    compact index (typed arrays, never an object tree). The sweep then refuses a CRL whose
 *    cRLNumber is lower than the highest one an earlier sweep used for that CA
 *    (`sweep_crl_number_regressed`: a replayed or rolled-back CRL would un-revoke certificates) or
 *    that has none (`sweep_crl_number_missing`). A refused CA's anchors are left unchecked: the
 *    run covers none of them, so their proofing level decays on its own (fail closed).
 * 2. **Shards.** The account-id space is cut into `shards` equal ranges (ids are random v4
 *    UUIDs), recorded in `sweep_shards`, and one job per shard goes to the JobQueue, so several
 *    workers — threads of one process or platform instances sharing PostgreSQL — share the run.
 * 3. **Batches.** A shard visits its current anchors in (account_id, id) order by keyset
 *    pagination. For each batch, in ONE transaction: each status change with its per-reason effect
 *    (the changed anchor's `status_checked_at` set to the CRL's thisUpdate, the age of the
 *    information), the audit events, and the shard's new cursor and counters. Unchanged anchors
 *    are not written: the cursor is their record — an anchor it has passed was checked against
 *    this run's CRL (coverage.ts gives each anchor's time from it). A sweep killed
 *    anywhere resumes after the last committed batch, so each anchor is checked exactly once per
 *    run; a second worker that took a lapsed shard meets a moved cursor and drops its batch
 *    (`sweep_shard_conflict`).
 * 4. **Finish.** When no shard is pending, the run records its totals and duration.
 *
 * Effects by CRL reason: status-effects.ts, shared with the single OCSP check (anchor-check.ts).
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { isWatashiError, toHex, WatashiError, type Certificate } from '@watashi/pki';
import type { JpkiTrustStore } from '@watashi/jpki';
import type { JlisPurpose, JpkiBackend, VerifiedCrl } from '../jlis/backend.ts';
import type { PlatformConfig } from '../config.ts';
import type { KeyStore } from '../keys/key-store.ts';
import { appendAuditMany, type AuditEvent } from '../store/audit.ts';
import { withTransaction } from '../store/database.ts';
import type { AnchorPurpose, AnchorStatus, Schema } from '../store/schema.ts';
import { lifecycleError } from './errors.ts';
import { MemoryJobQueue, sleep, type JobHandler, type JobQueue } from '../jobs/job-queue.ts';
import type { ProvisionOutcome } from './reanchor.ts';
import {
  ANCHOR_COLUMNS,
  applyStatusChanges,
  effectFacts,
  waitsForJlis,
  type AnchorRow,
  type Change,
} from './status-effects.ts';
import {
  accountsOf,
  advanceCheckpoint,
  cursorKey,
  decideChanges,
  holdUnanswered,
  pickCandidates,
  provisionsNeeded,
  readShard,
  readSlim,
  readWhole,
  type Counts,
  type NeededProvision,
} from './sweep-batch.ts';
import {
  askProvisions,
  certKey,
  deleteProvisions,
  isTransientProvision,
  JlisCircuitBreaker,
  loadAnswers,
  recordAnswer,
  recordDeferred,
  type BreakerOptions,
  type DeferredChange,
  type ProvisionPolicy,
  type ProvisionRequest,
} from './provisions.ts';

/** What the sweep needs of the platform (a subset of PlatformDeps, so the CLI and tests can build it). */
export interface SweepDeps {
  readonly db: Kysely<Schema>;
  readonly keys: KeyStore;
  readonly backend: JpkiBackend;
  readonly trust: JpkiTrustStore;
  readonly now: () => Date;
}

/** The queue the shard jobs go to. */
export const SWEEP_QUEUE = 'sweep.shard';

/** The queue of the retry jobs of deferred provisions (one per run that deferred some). */
export const SWEEP_PROVISION_QUEUE = 'sweep.provisions';

/** The sweep options of the configuration's `sweep.provisions` (config.ts). */
export function provisionOptionsFrom(c: PlatformConfig['sweep']['provisions']): {
  readonly breaker: BreakerOptions;
  readonly provisions: SweepProvisionOptions;
} {
  return {
    breaker: { failures: c.breakerFailures, cooldownMs: c.breakerCooldownSeconds * 1000 },
    provisions: {
      provisionConcurrency: c.concurrency,
      provisionDeadlineMs: c.deadlineSeconds * 1000,
      provisionTimeoutMs: c.timeoutSeconds * 1000,
    },
  };
}

/** Provision settings of a run (config `sweep.provisions`; lifecycle/provisions.ts). */
export interface SweepProvisionOptions {
  /** Latest-basic-4 provisions in flight at once per shard (default 8). */
  readonly provisionConcurrency?: number;
  /**
   * No provision is asked after this many milliseconds from the start of this call, and each
   * request's timeout is cut to the time left (default 15 minutes). What is left is deferred.
   */
  readonly provisionDeadlineMs?: number;
  /** Per-request timeout of a provision (default 10 s). */
  readonly provisionTimeoutMs?: number;
}

/** Options of {@link runSweep}. */
export interface SweepOptions {
  /** Where shard jobs go (default: a new in-process queue). */
  readonly queue?: JobQueue;
  /** Account-id ranges per run (default 16). */
  readonly shards?: number;
  /** Anchors per transaction (default 2000). */
  readonly batchSize?: number;
  /** Shards worked at once by this process (default 2). */
  readonly concurrency?: number;
  /** Audit actor (default `system:sweep`). */
  readonly actor?: string;
  /** Stops after the current batches; the run stays `running` for a later resume. */
  readonly signal?: AbortSignal;
  /** Called after every batch and at each phase change. */
  readonly onProgress?: (p: SweepProgress) => void;
  /** How long to wait between looks at shards other workers hold (default 1 s). */
  readonly pollMs?: number;
  /** Give up waiting for other workers' shards after this long (default: wait until done). */
  readonly waitMs?: number;
  /** Worker name for the job queue. */
  readonly workerId?: string;
  /** Why J-LIS is asked (fee ledger): default `liveness_check` (現況確認). */
  readonly purpose?: JlisPurpose;
  /** When J-LIS stops answering provisions (see {@link JlisCircuitBreaker}). */
  readonly breaker?: BreakerOptions;
  /** Provision concurrency, deadline and timeout. */
  readonly provisions?: SweepProvisionOptions;
}

/** Progress of a run, for bars and the admin API. */
export interface SweepProgress {
  readonly runId: string;
  readonly phase: 'crl' | 'anchors' | 'done';
  /** Current anchors when the run started (for the bar's total). */
  readonly anchorsTotal: number;
  readonly anchorsChecked: number;
  readonly revokedFound: number;
  readonly shardsDone: number;
  readonly shardCount: number;
}

/** The CRL a run used for one CA, or why none. */
export interface SweepCrlReport {
  readonly purpose: AnchorPurpose;
  readonly issuerKeyHash: string;
  readonly crlNumber?: string;
  readonly thisUpdate?: string;
  readonly nextUpdate?: string;
  readonly entries?: number;
  readonly bytes?: number;
  readonly errorCode?: string;
}

/** What {@link runSweep} did. */
export interface SweepResult {
  readonly runId: string;
  readonly status: 'running' | 'completed' | 'partial' | 'failed';
  /** True when this call resumed a run that an earlier (killed or stopped) call began. */
  readonly resumed: boolean;
  readonly anchorsChecked: number;
  readonly revokedFound: number;
  readonly released: number;
  /** Current anchors of a CA whose CRL was refused or unavailable. */
  readonly unchecked: number;
  readonly shardsDone: number;
  readonly shardCount: number;
  /** Whole run, from its start (across resumes) to its end; this call's time while running. */
  readonly durationMs: number;
  readonly crls: ReadonlyArray<SweepCrlReport>;
  /**
   * Latest-basic-4 provisions of this run J-LIS has not answered (slow, down, the breaker open,
   * the deadline passed): their anchors and accounts were left as they were, and the
   * `sweep.provisions` job retries them. Zero when every provision was answered.
   */
  readonly provisionsDeferred: number;
}

const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

/** The lower bound of shard `i` of `n` over the 128-bit UUID space, as a UUID. */
export function shardBound(i: number, n: number): string {
  const v = ((1n << 128n) * BigInt(i)) / BigInt(n);
  const h = v.toString(16).padStart(32, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** One CA of the run, with its verified CRL once loaded. */
interface RunIssuer {
  readonly certificate: Certificate;
  readonly purpose: AnchorPurpose;
  readonly keyHash: Uint8Array;
  readonly keyHex: string;
  crl?: VerifiedCrl;
  errorCode?: string;
}

/** The issuers of a run with loaded CRLs, by key hash. */
interface RunCrls {
  readonly runId: string;
  readonly issuers: ReadonlyArray<RunIssuer>;
}

/**
 * The sweep engine. One per process: it keeps the CRL indexes of the runs it works on, so a
 * platform instance that only works shard jobs downloads each CRL once.
 */
export class Sweeper {
  readonly #deps: SweepDeps;
  readonly #runs = new Map<string, Promise<RunCrls>>();
  readonly #breaker: JlisCircuitBreaker;
  #progress: ((c: Counts, shardDone: boolean) => void) | undefined;

  constructor(deps: SweepDeps, options: { readonly breaker?: BreakerOptions } = {}) {
    this.#deps = deps;
    this.#breaker = new JlisCircuitBreaker(options.breaker ?? {}, deps.now);
  }

  /** The circuit breaker of this process's provisions (`closed`, `open`, `half-open`). */
  get breakerState(): JlisCircuitBreaker['state'] {
    return this.#breaker.state;
  }

  /** The trust store's CAs, with their key hashes. */
  #issuers(): RunIssuer[] {
    return this.#deps.trust.list().map((a) => {
      const keyHash = sha256(a.certificate.spki);
      return { certificate: a.certificate, purpose: a.purpose, keyHash, keyHex: toHex(keyHash) };
    });
  }

  /** Downloads, verifies and checks the number of one CA's CRL; records the error code on failure. */
  async #loadCrl(issuer: RunIssuer, floor: bigint | undefined, purpose: JlisPurpose): Promise<void> {
    try {
      const crl = await this.#deps.backend.fetchCrl(issuer.certificate, { purpose });
      if (crl.crlNumber === undefined)
        throw lifecycleError('sweep_crl_number_missing', 'the CRL has no cRLNumber', {
          detail: { issuerKeyHash: issuer.keyHex },
        });
      if (floor !== undefined && crl.crlNumber < floor)
        throw lifecycleError('sweep_crl_number_regressed', 'the CRL is older than one a sweep already used', {
          detail: {
            issuerKeyHash: issuer.keyHex,
            crlNumber: crl.crlNumber.toString(),
            lastUsed: floor.toString(),
          },
        });
      issuer.crl = crl;
    } catch (e) {
      if (!isWatashiError(e)) throw e;
      issuer.errorCode = e.code;
    }
  }

  /** The CRLs of an existing run, loaded once per process (a resume, or a worker joining). */
  #runCrls(runId: string, purpose: JlisPurpose): Promise<RunCrls> {
    let p = this.#runs.get(runId);
    if (p === undefined) {
      p = (async () => {
        const rows = await this.#deps.db
          .selectFrom('sweep_crls')
          .select(['issuer_key_hash', 'crl_number', 'error_code'])
          .where('run_id', '=', runId)
          .execute();
        const known = this.#issuers();
        const issuers: RunIssuer[] = [];
        for (const r of rows) {
          const hex = toHex(r.issuer_key_hash);
          const issuer = known.find((k) => k.keyHex === hex);
          if (issuer === undefined)
            throw lifecycleError('sweep_issuer_unknown', 'the run names a CA the trust store does not hold', {
              detail: { runId, issuerKeyHash: hex },
            });
          if (r.error_code !== null) issuer.errorCode = r.error_code;
          // The CRL the run recorded is the floor: the same or a newer one is fine.
          else await this.#loadCrl(issuer, BigInt(r.crl_number ?? '0'), purpose);
          issuers.push(issuer);
        }
        return { runId, issuers };
      })();
      this.#runs.set(runId, p);
      p.catch(() => this.#runs.delete(runId));
    }
    return p;
  }

  /** Starts a new run, or returns the one already running (to resume or join it). */
  async #startOrResume(
    options: SweepOptions,
  ): Promise<{ runId: string; resumed: boolean; startedAt: Date; shardCount: number }> {
    const db = this.#deps.db;
    const running = await db
      .selectFrom('sweep_runs')
      .select(['id', 'started_at', 'shard_count'])
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (running !== undefined)
      return {
        runId: running.id,
        resumed: true,
        startedAt: running.started_at,
        shardCount: running.shard_count,
      };

    const shardCount = options.shards ?? 16;
    if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > 65536)
      throw new RangeError('shards must be an integer from 1 to 65536');
    const startedAt = this.#deps.now();
    const purpose = options.purpose ?? 'liveness_check';
    // Only CAs that anchor someone: a generation nobody is anchored on needs no download.
    const issuers: RunIssuer[] = [];
    for (const issuer of this.#issuers()) {
      const live = await db
        .selectFrom('anchors')
        .select('id')
        .where('issuer_key_hash', '=', issuer.keyHash)
        .where('superseded_by', 'is', null)
        .limit(1)
        .executeTakeFirst();
      if (live === undefined) continue;
      const last = await db
        .selectFrom('sweep_crls')
        .select((eb) => eb.fn.max('crl_number').as('n'))
        .where('issuer_key_hash', '=', issuer.keyHash)
        .executeTakeFirst();
      await this.#loadCrl(issuer, last?.n == null ? undefined : BigInt(last.n), purpose);
      issuers.push(issuer);
    }
    const usable = issuers.filter((i) => i.crl !== undefined);
    const runId = crypto.randomUUID();
    try {
      await withTransaction(db, async (trx) => {
        await trx
          .insertInto('sweep_runs')
          .values({
            id: runId,
            status: issuers.length > 0 && usable.length === 0 ? 'failed' : 'running',
            started_at: startedAt,
            shard_count: shardCount,
            actor: options.actor ?? 'system:sweep',
            ...(issuers.length > 0 && usable.length === 0
              ? {
                  finished_at: this.#deps.now(),
                  duration_ms: BigInt(this.#deps.now().getTime() - startedAt.getTime()),
                  error_code: issuers[0]?.errorCode ?? null,
                }
              : {}),
          })
          .execute();
        const fetchedAt = this.#deps.now();
        for (const i of issuers)
          await trx
            .insertInto('sweep_crls')
            .values({
              run_id: runId,
              issuer_key_hash: i.keyHash,
              purpose: i.purpose,
              crl_number: i.crl?.crlNumber?.toString() ?? null,
              this_update: i.crl?.thisUpdate ?? null,
              next_update: i.crl?.nextUpdate ?? null,
              entries: i.crl === undefined ? null : BigInt(i.crl.index.size),
              bytes: i.crl === undefined ? null : BigInt(i.crl.bytes),
              url: i.crl?.url ?? null,
              error_code: i.crl === undefined ? (i.errorCode ?? 'jlis_unavailable') : null,
              fetched_at: fetchedAt,
            })
            .execute();
        if (issuers.length > 0 && usable.length === 0) return;
        const rows = Array.from({ length: shardCount }, (_, s) => ({
          run_id: runId,
          shard: s,
          lo: shardBound(s, shardCount),
          hi: s + 1 === shardCount ? null : shardBound(s + 1, shardCount),
          updated_at: startedAt,
        }));
        for (let i = 0; i < rows.length; i += 1000)
          await trx
            .insertInto('sweep_shards')
            .values(rows.slice(i, i + 1000))
            .execute();
      });
    } catch (e) {
      // Another coordinator started a run at the same moment (one running run at most): join it.
      if ((e as { code?: unknown }).code === '23505') return this.#startOrResume(options);
      throw e;
    }
    this.#runs.set(runId, Promise.resolve({ runId, issuers }));
    if (issuers.length > 0 && usable.length === 0) {
      const first = issuers[0]!;
      throw new WatashiError(
        first.errorCode ?? 'jlis_unavailable',
        'no CRL could be used; nothing was checked',
        {
          detail: { runId, crls: issuers.map((i) => ({ issuerKeyHash: i.keyHex, errorCode: i.errorCode })) },
        },
      );
    }
    return { runId, resumed: false, startedAt, shardCount };
  }

  /** The job handler of one shard (for `queue.drain(SWEEP_QUEUE, …)` or a long-running worker). */
  shardHandler(
    options: Pick<SweepOptions, 'batchSize' | 'actor' | 'purpose' | 'provisions'> & {
      /** Wall-clock end of provisions (ms since the epoch); default: provisionDeadlineMs from now. */
      readonly provisionDeadlineAt?: number;
    } = {},
  ): JobHandler<{
    runId: string;
    shard: number;
  }> {
    const policy = provisionPolicy(options.provisions, options.provisionDeadlineAt);
    return async (job, ctx) => {
      const crls = await this.#runCrls(job.payload.runId, options.purpose ?? 'liveness_check');
      await this.#sweepShard(crls, job.payload.shard, options, policy, ctx.signal);
    };
  }

  /**
   * The answers `needed` for the batch: read back when already paid for in this run, else asked
   * with bounded concurrency through the breaker and written durably as each arrives.
   */
  async #obtain(
    runId: string,
    needed: ReadonlyArray<ProvisionRequest>,
    provisions: Map<string, ProvisionOutcome>,
    policy: ProvisionPolicy,
  ): Promise<void> {
    const want = needed.filter((n) => !provisions.has(n.row.id));
    const stored = await loadAnswers(
      this.#deps,
      runId,
      want.map((n) => n.row),
    );
    const ask: ProvisionRequest[] = [];
    for (const n of want) {
      const o = stored.get(certKey(n.row));
      if (o === undefined) ask.push(n);
      else provisions.set(n.row.id, o);
    }
    const got = await askProvisions(this.#deps.backend, this.#breaker, ask, policy, (r, o) =>
      recordAnswer(this.#deps, runId, r, o),
    );
    for (const [id, o] of got) provisions.set(id, o);
  }

  async #sweepShard(
    crls: RunCrls,
    shard: number,
    options: Pick<SweepOptions, 'batchSize' | 'actor' | 'purpose'>,
    policy: ProvisionPolicy,
    signal: AbortSignal,
  ): Promise<void> {
    const batchSize = options.batchSize ?? 2000;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 20_000)
      throw new RangeError('batchSize must be an integer from 1 to 20000');
    // J-LIS answers fetched for this shard (outside any transaction), reused when a batch reruns.
    const provisions = new Map<string, ProvisionOutcome>();
    for (;;) {
      if (signal.aborted) throw lifecycleError('sweep_interrupted', 'the sweep was stopped');
      let r: BatchOutcome | undefined;
      while (r === undefined) {
        try {
          r = await withTransaction(this.#deps.db, (trx) =>
            this.#batch(trx, crls, shard, batchSize, provisions, options),
          );
        } catch (e) {
          if (e instanceof NeedProvisions) await this.#obtain(crls.runId, e.needed, provisions, policy);
          else throw e;
        }
      }
      if (r.shardWasDone) return;
      this.#progress?.(r.counts, r.final);
      if (r.final) return;
    }
  }

  /**
   * Reads, decides and applies one batch with its checkpoint, in the caller's transaction: the
   * named steps of sweep-batch.ts, in order.
   */
  async #batch(
    trx: Transaction<Schema>,
    crls: RunCrls,
    shard: number,
    batchSize: number,
    provisions: ReadonlyMap<string, ProvisionOutcome>,
    options: Pick<SweepOptions, 'actor' | 'purpose'>,
  ): Promise<BatchOutcome> {
    const counts: Counts = { checked: 0, revoked: 0, released: 0, unchecked: 0 };
    const s = await readShard(trx, crls.runId, shard);
    if (s.state === 'done') return { counts, final: true, shardWasDone: true };
    const slim = await readSlim(trx, crls.issuers, s, batchSize);
    const final = slim.length < batchSize;
    // Pass 1 on the slim rows, pass 2 on the few that may change (and the cursor row), read whole.
    const candidates = pickCandidates(slim, crls.issuers, counts);
    const lastKey = cursorKey(slim, crls.issuers);
    const rowOf = await readWhole(trx, lastKey === undefined ? candidates : [...candidates, lastKey]);
    const { changes, reaffirmed } = decideChanges(candidates, rowOf, counts);

    // Facts the effects need: accounts, consents, and J-LIS's answers (fetched outside).
    const now = this.#deps.now();
    const { accounts, consents } = await effectFacts(trx, accountsOf(changes, reaffirmed), now);
    const needed = provisionsNeeded(changes, reaffirmed, accounts, consents);
    const missing = needed.filter((n) => !provisions.has(n.row.id));
    // The network is not asked inside a transaction: roll back, ask, run the batch again.
    if (missing.length > 0) throw new NeedProvisions(missing);
    const { deferred, answered, applying, reaffirming } = holdUnanswered(
      needed,
      changes,
      reaffirmed,
      provisions,
    );

    // The cursor: the last row read (its account and id never change, superseded or not).
    const last = lastKey === undefined ? undefined : rowOf(lastKey);
    if (lastKey !== undefined && last === undefined)
      throw new Error('sweep: the last anchor of a batch vanished between two reads of one transaction');
    // Unchanged anchors are not written: the checkpoint below is their record (coverage.ts).
    const audit: AuditEvent[] = [];
    await applyStatusChanges(
      { keys: this.#deps.keys, trust: this.#deps.trust, now: this.#deps.now },
      trx,
      {
        changes: applying,
        reaffirmed: reaffirming,
        provisions,
        consents,
        accounts,
        runId: s.run_id,
        actor: options.actor ?? 'system:sweep',
        now,
      },
      audit,
    );
    await appendAuditMany(trx, audit);
    // The answers are applied: their durable copies go with this commit; the deferred ones stay.
    if (answered.length > 0) await deleteProvisions(trx, answered);
    if (deferred.length > 0) await recordDeferred(trx, s.run_id, deferred, now);
    await advanceCheckpoint(trx, s, last, counts, final, now);
    return { counts, final, shardWasDone: false };
  }

  /** Marks the run finished when no shard is pending; returns its final row, or undefined. */
  async #finish(runId: string): Promise<boolean> {
    const now = this.#deps.now();
    return withTransaction(this.#deps.db, async (trx) => {
      const run = await trx
        .selectFrom('sweep_runs')
        .select(['status', 'started_at'])
        .where('id', '=', runId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (run.status !== 'running') return true;
      const pending = await trx
        .selectFrom('sweep_shards')
        .select('shard')
        .where('run_id', '=', runId)
        .where('state', '=', 'pending')
        .limit(1)
        .executeTakeFirst();
      if (pending !== undefined) return false;
      const sums = await trx
        .selectFrom('sweep_shards')
        .select((eb) => [
          eb.fn.sum<string>('anchors_checked').as('checked'),
          eb.fn.sum<string>('revoked_found').as('revoked'),
          eb.fn.sum<string>('released').as('released'),
          eb.fn.sum<string>('unchecked').as('unchecked'),
        ])
        .where('run_id', '=', runId)
        .executeTakeFirstOrThrow();
      const deferred = await countDeferred(trx, runId);
      const errors = await trx
        .selectFrom('sweep_crls')
        .select('error_code')
        .where('run_id', '=', runId)
        .where('error_code', 'is not', null)
        .execute();
      await trx
        .updateTable('sweep_runs')
        .set({
          status: errors.length > 0 || BigInt(sums.unchecked ?? '0') > 0n ? 'partial' : 'completed',
          finished_at: now,
          duration_ms: BigInt(now.getTime() - run.started_at.getTime()),
          anchors_checked: BigInt(sums.checked ?? '0'),
          revoked_found: BigInt(sums.revoked ?? '0'),
          released: BigInt(sums.released ?? '0'),
          unchecked: BigInt(sums.unchecked ?? '0'),
          error_code: errors[0]?.error_code ?? null,
        })
        .where('id', '=', runId)
        .execute();
      await appendAuditMany(trx, [
        {
          actor: 'system:sweep',
          type: 'sweep.finished',
          at: now,
          payload: {
            runId,
            anchorsChecked: sums.checked ?? '0',
            revokedFound: sums.revoked ?? '0',
            released: sums.released ?? '0',
            unchecked: sums.unchecked ?? '0',
            provisionsDeferred: deferred,
            errors: errors.map((e) => e.error_code ?? ''),
          },
        },
      ]);
      return true;
    });
  }

  /**
   * Runs (or resumes, or joins) a sweep until every shard is done, working shards with this
   * process's `concurrency` and waiting for shards other workers hold. Throws the CRL's error code
   * when no CRL at all could be used (the run is recorded `failed`).
   */
  async run(options: SweepOptions = {}): Promise<SweepResult> {
    const t0 = Date.now();
    const purpose = options.purpose ?? 'liveness_check';
    const queue = options.queue ?? new MemoryJobQueue({ now: this.#deps.now });
    const { runId, resumed, shardCount } = await this.#startOrResume(options);
    const policy = provisionPolicy(options.provisions);
    await this.#runCrls(runId, purpose);

    const db = this.#deps.db;
    const anchorsTotal = Number(
      (
        await db
          .selectFrom('anchors')
          .select((eb) => eb.fn.countAll<bigint>().as('n'))
          .where('superseded_by', 'is', null)
          .executeTakeFirstOrThrow()
      ).n,
    );
    const done = async (): Promise<{ shardsDone: number; checked: number; revoked: number }> => {
      const r = await db
        .selectFrom('sweep_shards')
        .select((eb) => [
          eb.fn.countAll<bigint>().filterWhere('state', '=', 'done').as('d'),
          eb.fn.sum<string>('anchors_checked').as('c'),
          eb.fn.sum<string>('revoked_found').as('r'),
        ])
        .where('run_id', '=', runId)
        .executeTakeFirstOrThrow();
      return { shardsDone: Number(r.d), checked: Number(r.c ?? 0), revoked: Number(r.r ?? 0) };
    };
    let state = await done();
    const report = (phase: SweepProgress['phase']): void =>
      options.onProgress?.({
        runId,
        phase,
        anchorsTotal,
        anchorsChecked: state.checked,
        revokedFound: state.revoked,
        shardsDone: state.shardsDone,
        shardCount,
      });
    report('anchors');
    this.#progress = (c, shardDone) => {
      state = {
        shardsDone: state.shardsDone + (shardDone ? 1 : 0),
        checked: state.checked + c.checked,
        revoked: state.revoked + c.revoked,
      };
      report('anchors');
    };

    try {
      const pending = await db
        .selectFrom('sweep_shards')
        .select('shard')
        .where('run_id', '=', runId)
        .where('state', '=', 'pending')
        .orderBy('shard')
        .execute();
      for (const p of pending)
        await queue.enqueue(
          SWEEP_QUEUE,
          { runId, shard: p.shard },
          { key: `${runId}:${p.shard}`, maxAttempts: 10 },
        );
      const handler = this.shardHandler({
        ...options,
        ...(policy.deadlineAt === undefined ? {} : { provisionDeadlineAt: policy.deadlineAt }),
      });
      const deadline = options.waitMs === undefined ? Infinity : Date.now() + options.waitMs;
      for (;;) {
        await queue.drain(SWEEP_QUEUE, handler, {
          concurrency: options.concurrency ?? 2,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          ...(options.workerId === undefined ? {} : { workerId: options.workerId }),
        });
        if (await this.#finish(runId)) break;
        if (options.signal?.aborted || Date.now() >= deadline) break;
        // Shards held by other workers (or waiting for a retry): look again shortly.
        await sleep(options.pollMs ?? 1000, options.signal);
      }
    } finally {
      this.#progress = undefined;
    }

    const run = await db
      .selectFrom('sweep_runs')
      .selectAll()
      .where('id', '=', runId)
      .executeTakeFirstOrThrow();
    const crlRows = await db.selectFrom('sweep_crls').selectAll().where('run_id', '=', runId).execute();
    const provisionsDeferred = await countDeferred(db, runId);
    if (provisionsDeferred > 0) await this.#deferNotice(queue, runId, provisionsDeferred, options);
    state = await done();
    report(run.status === 'running' ? 'anchors' : 'done');
    const finished = run.status !== 'running';
    return {
      runId,
      status: run.status,
      resumed,
      anchorsChecked: finished ? Number(run.anchors_checked) : state.checked,
      revokedFound: finished ? Number(run.revoked_found) : state.revoked,
      released: Number(run.released),
      unchecked: Number(run.unchecked),
      shardsDone: state.shardsDone,
      shardCount,
      durationMs: run.duration_ms === null ? Date.now() - t0 : Number(run.duration_ms),
      crls: crlRows.map((c) => ({
        purpose: c.purpose,
        issuerKeyHash: toHex(c.issuer_key_hash),
        ...(c.crl_number === null ? {} : { crlNumber: c.crl_number }),
        ...(c.this_update === null ? {} : { thisUpdate: c.this_update.toISOString() }),
        ...(c.next_update === null ? {} : { nextUpdate: c.next_update.toISOString() }),
        ...(c.entries === null ? {} : { entries: Number(c.entries) }),
        ...(c.bytes === null ? {} : { bytes: Number(c.bytes) }),
        ...(c.error_code === null ? {} : { errorCode: c.error_code }),
      })),
      provisionsDeferred,
    };
  }

  /**
   * A run left provisions deferred: the retry job goes to the queue (after the breaker's
   * cool-down) and the operator is told through the audit log (`sweep.provisions_deferred`).
   */
  async #deferNotice(queue: JobQueue, runId: string, count: number, options: SweepOptions): Promise<void> {
    const now = this.#deps.now();
    await queue.enqueue(
      SWEEP_PROVISION_QUEUE,
      { runId },
      {
        // One per deferral (a resumed run may defer more after an earlier retry finished).
        key: `${runId}:provisions:${now.toISOString()}`,
        runAt: new Date(now.getTime() + (options.breaker?.cooldownMs ?? 60_000)),
        maxAttempts: 20,
      },
    );
    await withTransaction(this.#deps.db, (trx) =>
      appendAuditMany(trx, [
        {
          actor: options.actor ?? 'system:sweep',
          type: 'sweep.provisions_deferred',
          at: now,
          payload: { runId, provisionsDeferred: count, breaker: this.#breaker.state },
        },
      ]),
    );
  }

  /**
   * Retries deferred provisions (the `sweep.provisions` job; of one run, or of all): each row is
   * claimed with a lease (no two workers ask J-LIS for the same certificate), dropped when its
   * anchor has moved on meanwhile (re-anchored, re-proofed, changed by a later run), asked
   * through the breaker, written durably, then applied in one transaction per run with the
   * sweep's own effects — or left deferred when J-LIS still does not answer.
   */
  async retryDeferred(
    options: {
      readonly runId?: string;
      readonly limit?: number;
      readonly actor?: string;
      readonly provisions?: SweepProvisionOptions;
    } = {},
  ): Promise<{ readonly applied: number; readonly dropped: number; readonly deferred: number }> {
    const db = this.#deps.db;
    const now = this.#deps.now();
    const policy = provisionPolicy(options.provisions);
    const limit = options.limit ?? 10_000;
    const { rows: claimed } = await sql<{
      run_id: string;
      issuer_key_hash: Uint8Array;
      serial: string;
      anchor_id: string;
      change: DeferredChange | null;
    }>`
      UPDATE sweep_provisions SET claimed_until = ${new Date(now.getTime() + 10 * 60_000)}, updated_at = ${now}
      WHERE (issuer_key_hash, serial, run_id) IN (
        SELECT issuer_key_hash, serial, run_id FROM sweep_provisions
        WHERE state = 'deferred' AND (claimed_until IS NULL OR claimed_until < ${now})
          ${options.runId === undefined ? sql`` : sql`AND run_id = ${options.runId}`}
        ORDER BY created_at LIMIT ${limit})
        AND state = 'deferred' AND (claimed_until IS NULL OR claimed_until < ${now})
      RETURNING run_id, issuer_key_hash, serial, anchor_id, change`.execute(db);
    if (claimed.length === 0) return { applied: 0, dropped: 0, deferred: 0 };

    const anchors = new Map<string, AnchorRow & { superseded: boolean }>();
    for (const r of await db
      .selectFrom('anchors')
      .select([...ANCHOR_COLUMNS])
      .select(sql<boolean>`superseded_by IS NOT NULL`.as('superseded'))
      .where(
        'id',
        'in',
        claimed.map((c) => c.anchor_id),
      )
      .execute())
      anchors.set(r.id, r);
    const facts = await effectFacts(db, [...new Set([...anchors.values()].map((a) => a.account_id))], now);
    // Still what the run decided from? Otherwise the anchor moved on and the row has nothing to do.
    const live = claimed.filter((c) => {
      const a = anchors.get(c.anchor_id);
      if (a === undefined || a.superseded) return false;
      if (c.change === null)
        return waitsForJlis(a) && facts.accounts.get(a.account_id)?.status === 'needs_reproofing';
      return a.status === c.change.from.status && a.revocation_reason === c.change.from.reason;
    });
    const stale = claimed.filter((c) => !live.includes(c));
    const provisions = new Map<string, ProvisionOutcome>();
    const byRun = new Map<string, ProvisionRequest[]>();
    for (const c of live) {
      const a = anchors.get(c.anchor_id)!;
      const consent = facts.consents.get(a.account_id);
      // The consent was withdrawn (or the account closed) meanwhile: J-LIS is not asked; the
      // CRL's decision applies without a provision, as the sweep would apply it now.
      if (consent === undefined || facts.accounts.get(a.account_id)?.status === 'closed') continue;
      let list = byRun.get(c.run_id);
      if (list === undefined) byRun.set(c.run_id, (list = []));
      list.push({ row: a, consentRef: consent.jlis_reference });
    }
    for (const [runId, reqs] of byRun) await this.#obtain(runId, reqs, provisions, policy);

    const still = live.filter((c) => {
      const o = provisions.get(c.anchor_id);
      return o !== undefined && isTransientProvision(o);
    });
    const apply = live.filter((c) => !still.includes(c));
    const actor = options.actor ?? 'system:sweep';
    const runs = new Set(apply.map((c) => c.run_id));
    for (const runId of runs)
      await withTransaction(db, async (trx) => {
        const mine = apply.filter((c) => c.run_id === runId);
        const rows = mine.map((c) => anchors.get(c.anchor_id)!);
        const { accounts, consents } = await effectFacts(
          trx,
          [...new Set(rows.map((r) => r.account_id))],
          now,
        );
        const changes: Change[] = [];
        const reaffirmed: AnchorRow[] = [];
        for (const c of mine) {
          const { superseded: _, ...row } = anchors.get(c.anchor_id)!;
          if (c.change === null) reaffirmed.push(row);
          else
            changes.push({
              row,
              to: {
                status: c.change.to.status as AnchorStatus,
                reason: c.change.to.reason,
                revokedAt: c.change.to.revokedAt === null ? null : new Date(c.change.to.revokedAt),
              },
              ...(c.change.checkedAt === null ? {} : { checkedAt: new Date(c.change.checkedAt) }),
              crlNumber: c.change.crlNumber === null ? undefined : BigInt(c.change.crlNumber),
              source: 'crl',
            });
        }
        const audit: AuditEvent[] = [];
        await applyStatusChanges(
          this.#deps,
          trx,
          { changes, reaffirmed, provisions, consents, accounts, runId, actor, now },
          audit,
        );
        await appendAuditMany(trx, audit);
        await deleteProvisions(trx, rows);
      });
    if (stale.length > 0) await withTransaction(db, (trx) => deleteProvisions(trx, stale));
    for (const c of still)
      await db
        .updateTable('sweep_provisions')
        .set((eb) => ({
          claimed_until: null,
          updated_at: now,
          error_code: (() => {
            const o = provisions.get(c.anchor_id)!;
            return o.ok ? null : o.code;
          })(),
          attempts: eb('attempts', '+', 1),
        }))
        .where('run_id', '=', c.run_id)
        .where('issuer_key_hash', '=', c.issuer_key_hash)
        .where('serial', '=', c.serial)
        .where('state', '=', 'deferred')
        .execute();
    return { applied: apply.length, dropped: stale.length, deferred: still.length };
  }

  /**
   * The handler of the `sweep.provisions` job: retries the run's deferred provisions, and fails
   * (so the queue tries again later, with backoff) while J-LIS still leaves some unanswered.
   */
  provisionRetryHandler(
    options: { readonly actor?: string; readonly provisions?: SweepProvisionOptions } = {},
  ): JobHandler<{ runId: string }> {
    return async (job) => {
      const r = await this.retryDeferred({ ...options, runId: job.payload.runId });
      if (r.deferred > 0)
        throw lifecycleError('sweep_provisions_deferred', 'J-LIS still does not answer some provisions', {
          detail: { runId: job.payload.runId, deferred: r.deferred },
        });
    };
  }
}

/** The provision policy of a call: concurrency, timeout, and the deadline from now. */
function provisionPolicy(o: SweepProvisionOptions | undefined, deadlineAt?: number): ProvisionPolicy {
  const deadlineMs = o?.provisionDeadlineMs ?? 15 * 60_000;
  if (!(deadlineMs >= 0)) throw new RangeError('provisionDeadlineMs must be ≥ 0');
  return {
    concurrency: o?.provisionConcurrency ?? 8,
    deadlineAt: deadlineAt ?? Date.now() + deadlineMs,
    ...(o?.provisionTimeoutMs === undefined ? {} : { timeoutMs: o.provisionTimeoutMs }),
  };
}

/** Provisions of `runId` still deferred. */
async function countDeferred(db: Kysely<Schema> | Transaction<Schema>, runId: string): Promise<number> {
  const r = await db
    .selectFrom('sweep_provisions')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('run_id', '=', runId)
    .where('state', '=', 'deferred')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Runs (or resumes) a sweep: `new Sweeper(deps).run(options)`. */
export function runSweep(deps: SweepDeps, options: SweepOptions = {}): Promise<SweepResult> {
  return new Sweeper(deps, options.breaker === undefined ? {} : { breaker: options.breaker }).run(options);
}

/** What one batch did. */
interface BatchOutcome {
  readonly counts: Counts;
  /** The shard has no anchors left after this batch. */
  readonly final: boolean;
  /** The shard was already done (another worker finished it). */
  readonly shardWasDone: boolean;
}

/** Thrown inside a batch's transaction when J-LIS must be asked first (outside it). */
class NeedProvisions extends Error {
  constructor(readonly needed: ReadonlyArray<NeededProvision>) {
    super('latest basic 4 information needed');
  }
}
