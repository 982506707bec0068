/**
 * The append-only, hash-chained audit log (DESIGN.md §1: operators audit; §3.4 lifecycle events).
 *
 * Each record's hash is SHA-256(prev_hash ‖ canonical JSON of the record), where prev_hash is the
 * previous record's hash (32 zero bytes for seq 1). Changing, inserting or deleting a row breaks
 * the chain at that row; deleting the newest rows is caught by the `audit_head` row, which every
 * append updates in the same transaction. The chain proves integrity against edits through SQL,
 * not against someone who can rewrite every later row and the head: anchoring the head outside
 * the database (e.g. a periodic signed checkpoint) is the later step that closes that gap.
 */
import { createHash } from 'node:crypto';
import { bytesEqual } from '@watashi/pki';
import type { Kysely, Transaction } from 'kysely';
import { withTransaction } from './database.ts';
import { canonicalJson, jsonb, type JsonbText } from './json.ts';
import type { JsonObject } from './json.ts';
import type { Schema } from './schema.ts';

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
      reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap' | 'head_mismatch';
    };

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
): Promise<void> {
  if (!trx.isTransaction) throw new TypeError('appendAuditMany must run inside the caller’s transaction');
  if (events.length === 0) return;
  const prepared = events.map(prepareEvent);
  const head = await trx
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .forUpdate()
    .executeTakeFirstOrThrow();
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
  for (let i = 0; i < rows.length; i += 500) {
    await trx
      .insertInto('audit_log')
      .values(rows.slice(i, i + 500))
      .execute();
  }
  await trx.updateTable('audit_head').set({ seq, hash: prevHash }).where('id', '=', 1).execute();
}

/**
 * Group commit for events that record no change of their own in the database — what a relying
 * party received from the token or userinfo endpoint (`oidc.disclosure`). Each {@link append}
 * resolves once its event is committed to the chain, so the caller can still hold its response
 * until the record is durable; but instead of one transaction and one chain-head lock per event
 * (five statements each), the events that arrive while a transaction is committing go together
 * in the next one ({@link appendAuditMany}, up to `maxBatch`). A lone event is written at once,
 * with no added wait. One writer per process; several processes still serialise on the head row.
 *
 * An event that fails its own checks (a basic 4 key, non-canonical JSON) is refused at once and
 * never joins a batch; a failed transaction rejects the events of that batch only.
 */
export class AuditWriter {
  readonly #db: Kysely<Schema>;
  readonly #maxBatch: number;
  #queue: Array<{ event: AuditEvent; resolve: () => void; reject: (e: unknown) => void }> = [];
  #running: Promise<void> | undefined;
  /** Transactions committed so far (for tests and benchmarks). */
  transactions = 0;

  constructor(db: Kysely<Schema>, options: { maxBatch?: number } = {}) {
    const maxBatch = options.maxBatch ?? 500;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError('AuditWriter: maxBatch ≥ 1');
    this.#db = db;
    this.#maxBatch = maxBatch;
  }

  /** Appends `event`; resolves when it is committed. */
  append(event: AuditEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      prepareEvent(event); // throws (rejects) before the event can join a batch
      this.#queue.push({ event, resolve, reject });
      this.#running ??= this.#drain();
    });
  }

  /** Resolves when every event appended so far is settled. */
  async flushed(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        try {
          await withTransaction(this.#db, (trx) =>
            appendAuditMany(
              trx,
              batch.map((b) => b.event),
            ),
          );
          this.transactions++;
          for (const b of batch) b.resolve();
        } catch (e) {
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
  options: { batchSize?: number } = {},
): Promise<AuditChainVerification> {
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('verifyAuditChain: batchSize ≥ 1');
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
          .where('seq', '>=', expectedSeq)
          .orderBy('seq')
          .limit(batchSize)
          .execute();
        for (const row of rows) {
          if (row.seq !== expectedSeq) return broken(expectedSeq, 'seq_gap');
          if (!bytesEqual(row.prev_hash, prevHash)) return broken(row.seq, 'prev_hash_mismatch');
          const hash = recordHash({
            seq: row.seq,
            at: row.at,
            actor: row.actor,
            type: row.type,
            accountId: row.account_id,
            payload: row.payload,
            prevHash: row.prev_hash,
          });
          if (!bytesEqual(hash, row.hash)) return broken(row.seq, 'hash_mismatch');
          prevHash = row.hash;
          expectedSeq++;
        }
        if (rows.length < batchSize) break;
      }
      const head = await trx.selectFrom('audit_head').select(['seq', 'hash']).executeTakeFirstOrThrow();
      const count = expectedSeq - 1n;
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
