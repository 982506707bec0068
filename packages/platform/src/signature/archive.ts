/**
 * The archive of the signatures the platform made (issue 20, "an archive job that re-time-stamps
 * stored signatures before the newest time-stamp's certificate or algorithm weakens").
 *
 * What is kept (migration 0021) and why: the platform does NOT keep the signed document. A PDF
 * contract or an application is the resident's, often personal, and up to 10 MiB; holding every
 * one for decades would make Watashi a document store it has no business being. What proves that
 * a file existed is a time-stamp over its hash, so the archive keeps, per signature:
 *
 * - the SHA-256 of the signed file as it was handed out (`file_sha256`);
 * - a chain of archive time-stamp tokens (`signature_archive_stamps`): the first over
 *   SHA-256(file_sha256), each later one over SHA-256(file_sha256 ‖ the previous token's DER), in
 *   the manner of an RFC 4998 evidence record's ArchiveTimeStampChain (§5: a renewal covers the
 *   previous archive time-stamp, so the older proof is itself proven before it weakens);
 * - the newest token's facts that decide when it must be renewed: its TSA certificate's notAfter
 *   and its signature algorithm, and the resulting `next_due_at`.
 *
 * The records are the resident's data (in the data export, `signatures`) and stay when the account
 * is closed, like the accounts row: a hash says nothing without the file, and a contract signed
 * before the closure still needs its proof.
 *
 * With the file the resident keeps and this chain, anyone can show the file existed at the first
 * token's time even after that token's TSA certificate expired or its algorithm weakened. Adding
 * B-LTA inside the file itself (`addArchiveTimeStamp`, `addDocumentTimeStamp`) needs the file, so
 * it happens when the resident brings it back; the chain covers the time in between.
 *
 * When a renewal is due: {@link ARCHIVE_MARGIN_DAYS} before the earlier of the newest token's TSA
 * certificate expiry and the date its algorithm is scheduled to weaken ({@link ALGORITHM_POLICY},
 * a table of data). A renewal by a TSA whose own certificate or algorithm would be due at once
 * gains nothing (the operator must give the TSA a new key first): it is not stored, the record
 * says `archive_no_progress`, and it is tried again a day later.
 *
 * The job runs in the platform's queue (`deps.jobs`: pg-boss on PostgreSQL, so one instance works
 * each hourly slot; in memory on the embedded database).
 */
import { randomUUID } from 'node:crypto';
import { parseCertificate, type SignatureAlgorithm, type TimeStampAuthority } from '@watashi/pki';
import { localTimeStamper } from '@watashi/signature';
import type { PlatformDeps } from '../server/context.ts';
import { repeatEvery } from '../server/repeat.ts';
import { platformTsa } from '../tsa/index.ts';

/** One row of the algorithm policy: when a signature algorithm stops being trusted for new proofs. */
export interface AlgorithmPolicy {
  readonly algorithm: SignatureAlgorithm;
  /** From this instant, a token signed with `algorithm` must already have been renewed. */
  readonly weakensAt: Date;
  /** Where the date comes from. */
  readonly source: string;
}

/**
 * The algorithm policy (data, not code): the TSA algorithms Watashi uses and when each is
 * scheduled to weaken. An algorithm missing here is treated as weak now (fail closed: renewed at
 * the next run by a TSA whose algorithm is listed).
 */
export const ALGORITHM_POLICY: ReadonlyArray<AlgorithmPolicy> = [
  {
    algorithm: 'RSA-SHA256',
    weakensAt: new Date('2031-01-01T00:00:00Z'),
    source:
      'NIST SP 800-131A Rev. 2 and SP 800-57 Part 1 Rev. 5: 112-bit security (RSA-2048) acceptable through 2030',
  },
  {
    algorithm: 'ECDSA-SHA256',
    weakensAt: new Date('2035-01-01T00:00:00Z'),
    source: 'NIST IR 8547 (initial public draft): quantum-vulnerable signature algorithms deprecated by 2035',
  },
];

/** Days before the due instant a renewal is made. */
export const ARCHIVE_MARGIN_DAYS = 90;
/** The job queue of the archive. */
export const ARCHIVE_QUEUE = 'signature.archive';
/** Records renewed per job run. */
const BATCH = 200;
const DAY_MS = 86_400_000;

/** The instant the newest token must have been renewed by, minus the margin. */
export function archiveDueAt(
  facts: { readonly tsaNotAfter: Date; readonly algorithm: string },
  policy: ReadonlyArray<AlgorithmPolicy> = ALGORITHM_POLICY,
  now: Date,
): Date {
  const weak = policy.find((p) => p.algorithm === facts.algorithm)?.weakensAt ?? now;
  const limit = Math.min(facts.tsaNotAfter.getTime(), weak.getTime());
  return new Date(limit - ARCHIVE_MARGIN_DAYS * DAY_MS);
}

const sha256 = async (...parts: Uint8Array[]): Promise<Uint8Array> => {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
};

/** Options shared by the archive's steps: which TSA stamps, and the policy. */
export interface ArchiveOptions {
  /** The TSA (default: the platform's own, platformTsa). */
  readonly authority?: TimeStampAuthority;
  readonly policy?: ReadonlyArray<AlgorithmPolicy>;
}

async function stamp(
  deps: Pick<PlatformDeps, 'keys' | 'now' | 'config'>,
  imprint: Uint8Array,
  o: ArchiveOptions,
) {
  const authority = o.authority ?? (await platformTsa(deps)());
  const token = await localTimeStamper(authority)(imprint);
  return {
    token,
    genTime: authority.now(),
    tsaNotAfter: parseCertificate(authority.certificate).notAfter,
    algorithm: authority.signer.algorithm,
  };
}

/**
 * Records a signature the platform made and its first archive time-stamp (over SHA-256 of the
 * signed file's SHA-256). Returns the record's id.
 */
export async function recordSignature(
  deps: Pick<PlatformDeps, 'db' | 'keys' | 'now' | 'config'>,
  input: { readonly accountId: string; readonly format: 'pades' | 'cades'; readonly file: Uint8Array },
  o: ArchiveOptions = {},
): Promise<string> {
  const fileSha256 = await sha256(input.file);
  const s = await stamp(deps, await sha256(fileSha256), o);
  const now = deps.now();
  const id = randomUUID();
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('signature_records')
      .values({
        id,
        account_id: input.accountId,
        format: input.format,
        file_sha256: fileSha256,
        created_at: now,
        stamps: 1,
        latest_gen_time: s.genTime,
        latest_tsa_not_after: s.tsaNotAfter,
        latest_algorithm: s.algorithm,
        next_due_at: archiveDueAt(s, o.policy, now),
        last_error: null,
      })
      .execute();
    await trx
      .insertInto('signature_archive_stamps')
      .values({ record_id: id, seq: 1, token: s.token, gen_time: s.genTime })
      .execute();
  });
  return id;
}

/** What one {@link renewArchives} did. */
export interface ArchiveRunResult {
  /** Records given a new archive time-stamp. */
  readonly renewed: number;
  /** Records due whose renewal would gain nothing (the TSA itself is due): tried again in a day. */
  readonly stalled: number;
}

/** Renews every record due at `deps.now()` (at most one batch). */
export async function renewArchives(
  deps: Pick<PlatformDeps, 'db' | 'keys' | 'now' | 'config'>,
  o: ArchiveOptions = {},
): Promise<ArchiveRunResult> {
  const now = deps.now();
  const due = await deps.db
    .selectFrom('signature_records')
    .select(['id', 'file_sha256', 'stamps'])
    .where('next_due_at', '<=', now)
    .orderBy('next_due_at')
    .limit(BATCH)
    .execute();
  let renewed = 0;
  let stalled = 0;
  for (const r of due) {
    const last = await deps.db
      .selectFrom('signature_archive_stamps')
      .select('token')
      .where('record_id', '=', r.id)
      .where('seq', '=', r.stamps)
      .executeTakeFirstOrThrow();
    const s = await stamp(deps, await sha256(r.file_sha256, last.token), o);
    const next = archiveDueAt(s, o.policy, now);
    if (next.getTime() <= now.getTime()) {
      stalled++;
      await deps.db
        .updateTable('signature_records')
        .set({ last_error: 'archive_no_progress', next_due_at: new Date(now.getTime() + DAY_MS) })
        .where('id', '=', r.id)
        .execute();
      continue;
    }
    await deps.db.transaction().execute(async (trx) => {
      // Guarded by the count read above: two workers on one record add one stamp, not two.
      const u = await trx
        .updateTable('signature_records')
        .set({
          stamps: r.stamps + 1,
          latest_gen_time: s.genTime,
          latest_tsa_not_after: s.tsaNotAfter,
          latest_algorithm: s.algorithm,
          next_due_at: next,
          last_error: null,
        })
        .where('id', '=', r.id)
        .where('stamps', '=', r.stamps)
        .executeTakeFirst();
      if (u.numUpdatedRows === 0n) return;
      await trx
        .insertInto('signature_archive_stamps')
        .values({ record_id: r.id, seq: r.stamps + 1, token: s.token, gen_time: s.genTime })
        .execute();
      renewed++;
    });
  }
  return { renewed, stalled };
}

/**
 * One look of the schedule: enqueues the current hour's job (keyed by the hour, so one instance
 * runs it) and works the queue. Returns what this instance renewed.
 */
export async function runArchiveJob(
  deps: Pick<PlatformDeps, 'db' | 'keys' | 'now' | 'config' | 'jobs'>,
  o: ArchiveOptions = {},
  signal?: AbortSignal,
): Promise<ArchiveRunResult> {
  const hour = new Date(Math.floor(deps.now().getTime() / 3_600_000) * 3_600_000).toISOString();
  await deps.jobs.enqueue(ARCHIVE_QUEUE, { hour }, { key: `archive:${hour}`, maxAttempts: 3 });
  let renewed = 0;
  let stalled = 0;
  await deps.jobs.drain(
    ARCHIVE_QUEUE,
    async () => {
      const r = await renewArchives(deps, o);
      renewed += r.renewed;
      stalled += r.stalled;
    },
    { concurrency: 1, ...(signal === undefined ? {} : { signal }) },
  );
  return { renewed, stalled };
}

/** Looks every hour (every instance; the queue lets one work each slot). Returns the stop function. */
export function scheduleArchive(
  deps: PlatformDeps,
  onRun: (r: ArchiveRunResult) => void,
  onError: (e: unknown) => void,
): () => Promise<void> {
  return repeatEvery(
    3600,
    async (signal) => {
      const r = await runArchiveJob(deps, {}, signal);
      if (r.renewed > 0 || r.stalled > 0) onRun(r);
    },
    onError,
  );
}
