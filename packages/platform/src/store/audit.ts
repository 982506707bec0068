/**
 * The append-only, hash-chained audit log (docs/architecture.md §1: operators audit; §3.4 lifecycle events).
 *
 * Each record's hash is SHA-256(prev_hash ‖ canonical JSON of the record), where prev_hash is the
 * previous record's hash (32 zero bytes for seq 1). Changing, inserting or deleting a row breaks
 * the chain at that row; deleting the newest rows is caught by the `audit_head` row, which every
 * append updates in the same transaction. The chain proves integrity against edits through SQL,
 * not against someone who can rewrite every later row and the head: a signed checkpoint of the head
 * kept outside the database (store/audit-checkpoint.ts) closes that gap — `verifyAuditChain` with
 * the latest checkpoint refuses a chain that no longer reaches it or passes through another hash.
 *
 * Time: a record's `at` is hashed as an ISO string with milliseconds, and stored with exactly that
 * precision (a JavaScript Date has no more; migration 0013a makes the column refuse more). The
 * verifier reads the stored time to the microsecond and refuses one with a sub-millisecond part,
 * so that a time moved by 1 µs is caught rather than rounded away. Records written before that
 * migration came from Dates as well, so they verify under the same rule.
 */
import { createHash } from 'node:crypto';
import { bytesEqual } from '@watashi/pki';
import { sql, type Kysely, type Transaction } from 'kysely';
import { PREPARED, withTransaction } from './database.ts';
import { canonicalJson, jsonb, type JsonbText } from './json.ts';
import type { JsonObject } from './json.ts';
import type { Schema } from './schema.ts';
import { currentRequestId } from '../server/request-context.ts';

/** An event to append. */
export interface AuditEvent {
  /** Who acted: `account:<uuid>`, `operator:<name>`, `system:<job>`, `rp:<client_id>`. */
  actor: string;
  /** Dotted event type, e.g. `account.created`, `anchor.revoked`. */
  type: string;
  /** The account the event is about, if any. */
  accountId?: string;
  /** Event details. Never basic 4 information: keys like `name`, `address`, `birthDate` throw. */
  payload: JsonObject;
  /** When it happened (default: now). Stored with millisecond precision. */
  at?: Date;
}

/** A record of the audit log as stored. */
export interface AuditRecord {
  seq: bigint;
  at: Date;
  actor: string;
  type: string;
  accountId: string | null;
  payload: JsonObject;
  prevHash: Uint8Array;
  hash: Uint8Array;
}

/** The result of {@link verifyAuditChain}. */
export type AuditChainVerification =
  | { ok: true; count: bigint }
  | {
      ok: false;
      /** The first seq that does not verify (for a truncated tail: the first missing seq). */
      firstBrokenSeq: bigint;
      reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap' | 'head_mismatch' | 'checkpoint_mismatch';
    };

/** A chain head recorded outside the database (a signed checkpoint, store/audit-checkpoint.ts). */
export interface AuditAnchor {
  readonly seq: bigint;
  readonly hash: Uint8Array;
}

const GENESIS = new Uint8Array(32);
/** Version of the hashed record layout, part of what is hashed. */
const RECORD_VERSION = 1;

/**
 * Keys that name basic 4 information (基本4情報: name, address, date of birth, sex) or the My
 * Number, compared after lower-casing and removing `_`, `-` and spaces. The audit log is kept
 * for years and copied to operators; personal data stays in the encrypted `basic4` table. A
 * denylist catches mistakes (a whole Basic4 object passed as payload), it is not a proof: event
 * payloads should carry ids and hashes, not values.
 */
const DENIED_KEYS = new Set([
  'name',
  'fullname',
  'familyname',
  'givenname',
  'legalname',
  'kananame',
  'namesubstitute',
  'shimei',
  'address',
  'homeaddress',
  'residentaddress',
  'postaladdress',
  'addresssubstitute',
  'jusho',
  'birth',
  'birthdate',
  'dateofbirth',
  'dob',
  'birthday',
  'sex',
  'gender',
  'basic4',
  'basic4info',
  'kihon4',
  'mynumber',
  'individualnumber',
  'kojinbango',
]);
/** Fragments that mark a key as personal wherever they appear (`ownerBirthDate`, `myNumberHash`). */
const DENIED_FRAGMENTS = ['birth', 'basic4', 'mynumber', 'individualnumber'];

function deniedKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[\s_-]/g, '');
  return DENIED_KEYS.has(k) || DENIED_FRAGMENTS.some((f) => k.includes(f));
}

/** Throw `TypeError` if any key of `value`, at any depth, is on the basic 4 denylist. */
export function assertNoBasic4(value: unknown, path = 'payload'): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertNoBasic4(v, `${path}[${i}]`));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      if (deniedKey(key)) {
        throw new TypeError(`audit payload must not contain basic 4 information (key ${path}.${key})`);
      }
      assertNoBasic4(v, `${path}.${key}`);
    }
  }
}

/**
 * `event` with the id of the HTTP request it was written during (`payload.requestId`), so an
 * audit record can be matched with the log lines of that request. The id is part of the payload,
 * hence of what is hashed: the chain rules are unchanged. Outside a request (sweeps, jobs) and
 * when the caller set `requestId` itself, the event is returned as it is.
 */
function withRequestId(event: AuditEvent): AuditEvent {
  const requestId = currentRequestId();
  if (requestId === undefined || 'requestId' in event.payload) return event;
  return { ...event, payload: { ...event.payload, requestId } };
}

/** The bytes hashed for a record: prev_hash ‖ UTF-8 canonical JSON (RFC 8785 style). */
function recordHash(r: Omit<AuditRecord, 'hash'>): Uint8Array {
  const body = canonicalJson({
    v: RECORD_VERSION,
    seq: r.seq.toString(),
    at: r.at.toISOString(),
    actor: r.actor,
    type: r.type,
    accountId: r.accountId,
    payload: r.payload,
  });
  const h = createHash('sha256').update(r.prevHash).update(body, 'utf8').digest();
  return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
}

/**
 * Append one event to the audit log inside the caller's transaction, so the event commits or
 * rolls back with the change it records.
 *
 * Locks the chain head (`SELECT … FOR UPDATE` on `audit_head`) so concurrent appends queue and
 * never fork the chain; the lock is held until the caller commits, so append as the last step of
 * a transaction to keep that short (and to avoid lock-order deadlocks with other rows).
 * Throws `TypeError` outside a transaction, for a payload with basic 4 keys, or for a payload
 * that is not canonical JSON (see `canonicalJson`).
 */
export async function appendAudit(trx: Transaction<Schema>, event: AuditEvent): Promise<AuditRecord> {
  if (!trx.isTransaction) throw new TypeError('appendAudit must run inside the caller’s transaction');
  return appendOne(trx, withRequestId(event));
}

async function appendOne(trx: Transaction<Schema>, event: AuditEvent): Promise<AuditRecord> {
  if (event.actor.length === 0 || event.type.length === 0) {
    throw new TypeError('appendAudit: actor and type are required');
  }
  assertNoBasic4(event.payload);
  const payloadText = jsonb(event.payload); // validates before any lock is taken
  // timestamptz keeps microseconds but a Date only milliseconds; store exactly what is hashed.
  const at = new Date((event.at ?? new Date()).getTime());
  if (Number.isNaN(at.getTime())) throw new TypeError('appendAudit: invalid date');

  const head = await trx
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const record: Omit<AuditRecord, 'hash'> = {
    seq: head.seq + 1n,
    at,
    actor: event.actor,
    type: event.type,
    accountId: event.accountId ?? null,
    payload: event.payload,
    prevHash: head.hash,
  };
  const hash = recordHash(record);
  await trx
    .insertInto('audit_log')
    .values({
      seq: record.seq,
      at: record.at,
      actor: record.actor,
      type: record.type,
      account_id: record.accountId,
      payload: payloadText,
      prev_hash: record.prevHash,
      hash,
    })
    .execute();
  await trx.updateTable('audit_head').set({ seq: record.seq, hash }).where('id', '=', 1).execute();
  return { ...record, hash };
}

/** The checks of an event before any lock is taken, with its stored payload text and time. */
function prepareEvent(event: AuditEvent): {
  event: AuditEvent;
  payloadText: JsonbText<JsonObject>;
  at: Date;
} {
  if (event.actor.length === 0 || event.type.length === 0) {
    throw new TypeError('appendAudit: actor and type are required');
  }
  assertNoBasic4(event.payload);
  const payloadText = jsonb(event.payload);
  const at = new Date((event.at ?? new Date()).getTime());
  if (Number.isNaN(at.getTime())) throw new TypeError('appendAudit: invalid date');
  return { event, payloadText, at };
}

/**
 * Append several events in order, inside the caller's transaction, taking the chain-head lock
 * once: the same records and hashes as calling {@link appendAudit} for each in turn, in one
 * multi-row insert per 500 events. For jobs that record many effects per transaction (the
 * revocation sweep). Same checks and errors as {@link appendAudit}.
 */
export async function appendAuditMany(
  trx: Transaction<Schema>,
  events: ReadonlyArray<AuditEvent>,
): Promise<ChainHead | undefined> {
  if (!trx.isTransaction) throw new TypeError('appendAuditMany must run inside the caller’s transaction');
  return appendMany(trx, events.map(withRequestId));
}

/** {@link appendAuditMany} of events whose request id, if any, is set already. */
async function appendMany(
  trx: Transaction<Schema>,
  events: ReadonlyArray<AuditEvent>,
): Promise<ChainHead | undefined> {
  if (events.length === 0) return undefined;
  const prepared = events.map(prepareEvent);
  const head = await trx
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const { rows, last } = chainRows(prepared, head);
  for (let i = 0; i < rows.length; i += 500) {
    await trx
      .insertInto('audit_log')
      .values(rows.slice(i, i + 500))
      .execute();
  }
  await trx.updateTable('audit_head').set({ seq: last.seq, hash: last.hash }).where('id', '=', 1).execute();
  return last;
}

/** The chain head: the newest record's seq and hash (seq 0 and 32 zero bytes when empty). */
export interface ChainHead {
  readonly seq: bigint;
  readonly hash: Uint8Array;
}

/** The `audit_log` rows of `prepared`, chained in order after `head`, and the head after them. */
function chainRows(
  prepared: ReadonlyArray<ReturnType<typeof prepareEvent>>,
  head: ChainHead,
): {
  rows: Array<{
    seq: bigint;
    at: Date;
    actor: string;
    type: string;
    account_id: string | null;
    payload: JsonbText<JsonObject>;
    prev_hash: Uint8Array;
    hash: Uint8Array;
  }>;
  last: ChainHead;
} {
  let seq = head.seq;
  let prevHash = head.hash;
  const rows = prepared.map(({ event, payloadText, at }) => {
    seq += 1n;
    const record: Omit<AuditRecord, 'hash'> = {
      seq,
      at,
      actor: event.actor,
      type: event.type,
      accountId: event.accountId ?? null,
      payload: event.payload,
      prevHash,
    };
    const hash = recordHash(record);
    prevHash = hash;
    return {
      seq,
      at,
      actor: record.actor,
      type: record.type,
      account_id: record.accountId,
      payload: payloadText,
      prev_hash: record.prevHash,
      hash,
    };
  });
  return { rows, last: { seq, hash: prevHash } };
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * Appends `prepared` after `expected` in ONE autocommit statement, without a transaction or a
 * lock held across round trips: the head row is moved from `expected` to the new head only if it
 * is still `expected` (compare-and-set; a concurrent appender holding or having moved it makes
 * the UPDATE match nothing once it commits), and the records are inserted only if the head moved.
 * Returns the new head, or — when the head was elsewhere — the head this statement saw, so the
 * caller can chain again after it (that head may already be stale: the caller bounds its tries).
 */
async function appendAfter(
  db: Kysely<Schema>,
  prepared: ReadonlyArray<ReturnType<typeof prepareEvent>>,
  expected: ChainHead,
): Promise<{ moved: true; head: ChainHead } | { moved: false; seen: ChainHead | undefined }> {
  const { rows, last } = chainRows(prepared, expected);
  // One jsonb parameter carries the rows (the same on PostgreSQL and PGlite); payloads go in as
  // the JSON values they are, hashes as hex.
  // The payload text is valid JSON already (jsonb() made it): spliced in, not parsed again.
  const records = `[${rows
    .map((r) => {
      const rest = JSON.stringify({
        seq: r.seq.toString(),
        at: r.at.toISOString(),
        actor: r.actor,
        type: r.type,
        account_id: r.account_id,
        prev_hash: hex(r.prev_hash),
        hash: hex(r.hash),
      });
      return `${rest.slice(0, -1)},"payload":${r.payload}}`;
    })
    .join(',')}]`;
  const result = await sql<{
    moved: number;
    seq: bigint | null;
    hash: Uint8Array | null;
  }>`${sql.raw(PREPARED)}
    WITH moved AS (
      UPDATE audit_head SET seq = ${last.seq}, hash = decode(${hex(last.hash)}, 'hex')
      WHERE id = 1 AND seq = ${expected.seq} AND hash = decode(${hex(expected.hash)}, 'hex')
      RETURNING id
    ), inserted AS (
      INSERT INTO audit_log (seq, at, actor, type, account_id, payload, prev_hash, hash)
      SELECT r.seq, r.at, r.actor, r.type, r.account_id, r.payload,
             decode(r.prev_hash, 'hex'), decode(r.hash, 'hex')
      FROM moved, jsonb_to_recordset(${records}::jsonb) AS r(
        seq int8, at timestamptz, actor text, type text, account_id uuid, payload jsonb,
        prev_hash text, hash text)
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM moved)::int AS moved, h.seq, h.hash
    FROM (SELECT 1) AS one LEFT JOIN audit_head h ON h.id = 1`.execute(db);
  const row = result.rows[0];
  if (row !== undefined && row.moved === 1) return { moved: true, head: last };
  return {
    moved: false,
    seen: row?.seq == null || row.hash == null ? undefined : { seq: BigInt(row.seq), hash: row.hash },
  };
}

/** Compare-and-set tries of {@link AuditWriter} before it takes the head's lock. */
const OPTIMISTIC_TRIES = 2;

/**
 * Group commit for events that record no change of their own in the database — what a relying
 * party received from the token or userinfo endpoint (`oidc.disclosure`). Each {@link append}
 * resolves once its event is committed to the chain, so the caller can still hold its response
 * until the record is durable; but instead of one transaction and one chain-head lock per event
 * (five statements each), the events that arrive while a batch is committing go together in the
 * next one (up to `maxBatch`). A lone event is written at once, with no added wait.
 *
 * A batch is one statement: the writer remembers the head it last wrote and moves it on with a
 * compare-and-set that inserts the records in the same statement ({@link appendAfter}). When
 * someone else moved the head meanwhile (an {@link appendAudit} inside another transaction,
 * another process's writer) the statement changes nothing and tells the head it saw; the writer
 * chains after that, and after {@link OPTIMISTIC_TRIES} misses takes the head's lock as
 * {@link appendAuditMany} does. The records, hashes and order are those of appending each event
 * in turn.
 *
 * An event that fails its own checks (a basic 4 key, non-canonical JSON) is refused at once and
 * never joins a batch; a failed transaction rejects the events of that batch only.
 */
export class AuditWriter {
  readonly #db: Kysely<Schema>;
  readonly #maxBatch: number;
  #queue: Array<{ event: AuditEvent; resolve: () => void; reject: (e: unknown) => void }> = [];
  #running: Promise<void> | undefined;
  /** The head as of this writer's last commit, or as seen by its last try; unknown at first. */
  #head: ChainHead | undefined;
  /** Batches committed so far (for tests and benchmarks), and how many took the head's lock. */
  transactions = 0;
  locked = 0;

  constructor(db: Kysely<Schema>, options: { maxBatch?: number } = {}) {
    const maxBatch = options.maxBatch ?? 500;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError('AuditWriter: maxBatch ≥ 1');
    this.#db = db;
    this.#maxBatch = maxBatch;
  }

  /** Appends `event`; resolves when it is committed. */
  append(event: AuditEvent): Promise<void> {
    // The request id is taken now: the batch may be committed in another request's context.
    const own = withRequestId(event);
    return new Promise((resolve, reject) => {
      prepareEvent(own); // throws (rejects) before the event can join a batch
      this.#queue.push({ event: own, resolve, reject });
      this.#running ??= this.#drain();
    });
  }

  /** Resolves when every event appended so far is settled. */
  async flushed(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  /**
   * Commits `events` after the head: in one statement while this writer knows the head (the
   * usual case: one round trip instead of five), again after a head moved by another appender,
   * and after {@link OPTIMISTIC_TRIES} misses the locked transaction of {@link appendAuditMany}.
   */
  async #commit(events: readonly AuditEvent[]): Promise<void> {
    const prepared = events.map(prepareEvent);
    for (let i = 0; i < OPTIMISTIC_TRIES && this.#head !== undefined; i++) {
      const r = await appendAfter(this.#db, prepared, this.#head);
      if (r.moved) {
        this.#head = r.head;
        return;
      }
      this.#head = r.seen;
    }
    this.locked++;
    this.#head = await withTransaction(this.#db, (trx) => appendMany(trx, events));
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        try {
          await this.#commit(batch.map((b) => b.event));
          this.transactions++;
          for (const b of batch) b.resolve();
        } catch (e) {
          this.#head = undefined; // read it again, under the lock
          for (const b of batch) b.reject(e);
        }
      }
    } finally {
      this.#running = undefined;
    }
  }
}

/**
 * Recompute the whole chain and compare it with the stored hashes and the head. Reads in one
 * repeatable-read, read-only transaction (a consistent snapshot while appends continue), in
 * batches of `batchSize` rows by seq.
 */
export async function verifyAuditChain(
  db: Kysely<Schema>,
  options: {
    batchSize?: number;
    /**
     * A head recorded outside the database (the latest signed checkpoint): the chain must reach
     * it and pass through it. Without it, someone who can write to the database can delete the
     * newest records and rewind `audit_head` to match, leaving a valid shorter chain.
     */
    checkpoint?: AuditAnchor;
  } = {},
): Promise<AuditChainVerification> {
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('verifyAuditChain: batchSize ≥ 1');
  const cp = options.checkpoint;
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      let expectedSeq = 1n;
      let prevHash: Uint8Array = GENESIS;
      for (;;) {
        const rows = await trx
          .selectFrom('audit_log')
          .selectAll()
          // The stored time to the microsecond (a Date keeps only milliseconds): what is hashed is
          // the millisecond time, so a stored time with any sub-millisecond part is not what was
          // hashed — an edit of up to 999 µs would otherwise read back unchanged.
          .select(sql<bigint>`(extract(epoch from at) * 1000000)::int8`.as('at_us'))
          .where('seq', '>=', expectedSeq)
          .orderBy('seq')
          .limit(batchSize)
          .execute();
        for (const row of rows) {
          if (row.seq !== expectedSeq) return broken(expectedSeq, 'seq_gap');
          if (!bytesEqual(row.prev_hash, prevHash)) return broken(row.seq, 'prev_hash_mismatch');
          if (row.at_us % 1000n !== 0n) return broken(row.seq, 'hash_mismatch');
          const hash = recordHash({
            seq: row.seq,
            at: new Date(Number(row.at_us / 1000n)),
            actor: row.actor,
            type: row.type,
            accountId: row.account_id,
            payload: row.payload,
            prevHash: row.prev_hash,
          });
          if (!bytesEqual(hash, row.hash)) return broken(row.seq, 'hash_mismatch');
          if (cp !== undefined && row.seq === cp.seq && !bytesEqual(row.hash, cp.hash))
            return broken(row.seq, 'checkpoint_mismatch');
          prevHash = row.hash;
          expectedSeq++;
        }
        if (rows.length < batchSize) break;
      }
      const head = await trx.selectFrom('audit_head').select(['seq', 'hash']).executeTakeFirstOrThrow();
      const count = expectedSeq - 1n;
      // The chain (and its head) must reach the checkpoint: a shorter one lost its tail, however
      // consistent the rewound head looks.
      if (cp !== undefined && (count < cp.seq || head.seq < cp.seq))
        return broken(count + 1n, 'checkpoint_mismatch');
      if (cp !== undefined && cp.seq === 0n && !bytesEqual(cp.hash, GENESIS))
        return broken(1n, 'checkpoint_mismatch');
      if (head.seq !== count || !bytesEqual(head.hash, prevHash)) {
        // Fewer rows than the head says: the tail was deleted. More: rows were added past it.
        const first = count < head.seq ? expectedSeq : count > head.seq ? head.seq + 1n : head.seq;
        return broken(first, 'head_mismatch');
      }
      return { ok: true, count } as const;
    });
}

function broken(
  firstBrokenSeq: bigint,
  reason: Extract<AuditChainVerification, { ok: false }>['reason'],
): AuditChainVerification {
  return { ok: false, firstBrokenSeq, reason };
}
