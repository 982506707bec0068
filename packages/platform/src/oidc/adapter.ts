/**
 * oidc-provider's storage port (its `Adapter` interface, one instance per model name) on the
 * platform store: table `oidc_models` (migration 0003), keyed by (model, id), on PGlite and
 * PostgreSQL alike. The `Client` model is not stored here: it is read from the RP registry
 * (`relying_parties`) through the `findClient` function the provider passes in, and writing it is
 * refused (dynamic registration is off, docs/architecture.md §3.3).
 *
 * Behaviour matches oidc-provider's reference in-memory adapter (lib/adapters/memory_adapter.js):
 * an expired row is not found; `consume` marks `payload.consumed`; `revokeByGrantId` deletes the
 * model's rows issued under a grant; `findByUid` serves Session, `findByUserCode` the device flow.
 *
 * One deliberate difference: `consume` is atomic. oidc-provider checks `consumed` and then
 * consumes, so two token requests racing with one authorization code could both pass the check.
 * Here the second `consume` of a one-time artefact finds the row already consumed, deletes every
 * artefact of its grant (what oidc-provider does on a replay it sees, RFC 6749 §4.1.2 "the
 * authorization server … SHOULD revoke … all tokens previously issued based on that
 * authorization code") and fails with `invalid_grant`.
 *
 * The token endpoint's own statements — finding a model by id, saving one, consuming one — go
 * through one {@link OidcModelStore} per provider, which batches them across concurrent requests
 * (store/batch.ts): a token request still waits for its own rows, but sixteen concurrent ones
 * find their refresh tokens in one statement rather than sixteen. The new access and refresh
 * tokens a token request saves, and its consumption of the code or refresh token it presented,
 * are held back until its response is ready and then written together in one statement
 * ({@link OidcModelStore.deferringSaves}), before the response leaves — still atomic: the
 * statement consumes only what is unconsumed, and writes a request's tokens only if it won all
 * its consumptions.
 *
 * A consumption writes only `consumed_at`, never the payload (the payload's `consumed` member is
 * added from that column when a row is read): the row's indexed columns stay as they were, so
 * PostgreSQL can update it in place (a HOT update) instead of adding an entry to every index.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely } from 'kysely';
import { sql, type RawBuilder } from 'kysely';
import { errors, type Adapter, type AdapterFactory, type AdapterPayload } from 'oidc-provider';
import { Batcher } from '../store/batch.ts';
import { PREPARED } from '../store/database.ts';
import { jsonbOfObject, type JsonObject, type JsonbText } from '../store/json.ts';
import type { Schema } from '../store/schema.ts';

/** Models whose consumption is a one-time event (a second one is a replay). */
const ONE_TIME = new Set([
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/** What the adapter needs. */
export interface OidcAdapterOptions {
  readonly db: Kysely<Schema>;
  /** The platform clock (expiry of rows, consumption time). */
  readonly now: () => Date;
  /** Client metadata by client_id from the RP registry, or undefined (unknown or disabled). */
  readonly findClient: (clientId: string) => Promise<AdapterPayload | undefined>;
  /** The batched statements, shared by every model's adapter (default: one of its own). */
  readonly store?: OidcModelStore;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/** A row to write (model, id and the secondary keys copied out of the payload). */
interface ModelRow {
  readonly model: string;
  readonly id: string;
  readonly payload: JsonbText<JsonObject>;
  readonly grant_id: string | null;
  readonly uid: string | null;
  readonly user_code: string | null;
  readonly expires_at: Date | null;
  readonly consumed_at: Date | null;
}

interface ModelKey {
  readonly model: string;
  readonly id: string;
}

const keyOf = (k: ModelKey): string => `${k.model}\u0000${k.id}`;

/** How many times each value occurs in `values`. */
function count(values: readonly number[]): Map<number, number> {
  const tally = new Map<number, number>();
  for (const v of values) tally.set(v, (tally.get(v) ?? 0) + 1);
  return tally;
}

/**
 * Models whose saves in a request run under {@link OidcModelStore.deferringSaves} are held back
 * until it ends: tokens newly issued to the client, which the request itself never reads again.
 */
const DEFERRABLE = new Set(['AccessToken', 'RefreshToken']);
/**
 * Models whose consumption in such a request is held back with its saves: what a token request
 * presents (a code, a refresh token). Each is one-time ({@link ONE_TIME}).
 */
const DEFERRABLE_CONSUME = new Set(['AuthorizationCode', 'RefreshToken']);

/** What the current request has held back, and the store it is for. */
interface HeldSaves extends HeldWrites {
  readonly store: OidcModelStore;
}

/** One request's held-back writes: rows to save, and one-time rows to consume first. */
interface HeldWrites {
  readonly rows: ModelRow[];
  readonly consumes: ModelKey[];
}

const held = new AsyncLocalStorage<HeldSaves>();

/** Tokens whose grant and account are read with them (the next thing a grant handler asks). */
const READ_AHEAD = new Set(['AuthorizationCode', 'RefreshToken', 'AccessToken']);
/** {@link READ_AHEAD}, as an SQL list of literals (part of the statement's fixed text). */
const readAheadModels = sql.join([...READ_AHEAD].map((m) => sql.lit(m)));
/** The marker that has PostgreSQL prepare a statement (store/database.ts). */
const prepared = sql.raw(PREPARED);

/**
 * The payload of row `alias` as oidc-provider reads it: as saved, with `consumed` (epoch
 * seconds, as oidc-provider writes it) from `consumed_at` once consumed.
 */
function payloadOf(alias: string): RawBuilder<JsonObject> {
  const m = sql.raw(alias);
  return sql<JsonObject>`CASE WHEN ${m}.consumed_at IS NULL THEN ${m}.payload
    ELSE ${m}.payload || jsonb_build_object('consumed', floor(extract(epoch FROM ${m}.consumed_at))::int8) END`;
}

/** How long a row read ahead may be taken (one request's next steps, milliseconds). */
const READ_AHEAD_MS = 2000;
/** Most rows kept read ahead (a bound on what unclaimed read-aheads hold). */
const READ_AHEAD_MAX = 10_000;

/** An account as findAccount needs it. */
export interface AccountStatus {
  readonly id: string;
  readonly status: string;
}

/**
 * The statements of all models' adapters, batched across concurrent requests ({@link Batcher}):
 * `find` by (model, id), `upsert` and `consume`. Each batch is one statement, so each keeps the
 * meaning it has alone:
 *
 * - find: one SELECT of every (model, id) asked; an expired row is not found. For a token
 *   (authorization code, refresh or access token) the same statement also reads its Grant and
 *   its account's status — what oidc-provider asks for next (validateGrant, findAccount) — and
 *   keeps them for that next ask: once, and for {@link READ_AHEAD_MS} at most. The request then
 *   sees the grant and the account as they were when it found its token, a millisecond earlier
 *   than it would have; a change made through this store (a save or deletion of the grant) drops
 *   what was read ahead of it.
 * - upsert: one multi-row INSERT … ON CONFLICT DO UPDATE. Two saves of one row in a batch were
 *   made concurrently (neither waited for the other), so either order is a valid one: the later
 *   call wins, as it would have run second.
 * - consume: one UPDATE … WHERE consumed_at IS NULL RETURNING. A row asked twice in one batch is
 *   consumed once: the first caller wins, the second is told it lost (a replay), as if it had
 *   come a moment later.
 * - a request's held-back writes ({@link deferringSaves}): one statement that consumes, then
 *   saves the rows of each request that won all its consumptions; a request consuming a row that
 *   an earlier request of the batch consumes lost, as above.
 */
export class OidcModelStore {
  readonly #db: Kysely<Schema>;
  readonly #now: () => Date;
  readonly #finds: Batcher<ModelKey, AdapterPayload | undefined>;
  readonly #accounts: Batcher<string, AccountStatus | undefined>;
  readonly upserts: Batcher<ModelRow, void>;
  /** Resolves with whether this call consumed the row. */
  readonly consumes: Batcher<ModelKey, { won: boolean }>;
  /** A request's held-back writes; resolves with whether it won all its consumptions. */
  readonly #flushes: Batcher<HeldWrites, { won: boolean }>;
  /** Rows read ahead, by `Grant\0<id>` or `account\0<id>`, each to be taken once. */
  readonly #ahead = new Map<string, { until: number; value: AdapterPayload | AccountStatus }>();
  /** Asks answered from what was read ahead (for tests and benchmarks). */
  readonly readAheadHits = { count: 0 };

  /** Batches and items so far, by statement (for tests and benchmarks). */
  get stats(): Record<
    'finds' | 'accounts' | 'upserts' | 'consumes' | 'flushes',
    { batches: number; items: number }
  > {
    return {
      finds: this.#finds.stats,
      accounts: this.#accounts.stats,
      upserts: this.upserts.stats,
      consumes: this.consumes.stats,
      flushes: this.#flushes.stats,
    };
  }

  constructor(db: Kysely<Schema>, now: () => Date) {
    this.#db = db;
    this.#now = now;
    this.#finds = new Batcher((keys) => this.#find(keys));
    this.#accounts = new Batcher((ids) => this.#findAccounts(ids));
    this.upserts = new Batcher((rows) => this.#upsert(rows));
    this.consumes = new Batcher((keys) => this.#consume(keys));
    this.#flushes = new Batcher((items) => this.#flush(items));
  }

  /** The row (model, id), unexpired, or undefined. */
  find(key: ModelKey): Promise<AdapterPayload | undefined> {
    const ahead = this.#take(keyOf(key));
    return ahead === undefined ? this.#finds.load(key) : Promise.resolve(ahead as AdapterPayload);
  }

  /** The account `id` (a uuid) and its status, or undefined. */
  account(id: string): Promise<AccountStatus | undefined> {
    const ahead = this.#take(`account\u0000${id}`);
    return ahead === undefined ? this.#accounts.load(id) : Promise.resolve(ahead as AccountStatus);
  }

  /**
   * Runs `request` (an HTTP request to the provider) with the access and refresh tokens it saves
   * and the code or refresh token it consumes held back, then writes them all in one batched
   * statement and resolves with what `request` resolved with once they are stored: a token
   * response carries tokens that exist, issued for a code or refresh token that was unconsumed.
   * If `request` throws, nothing held back is written (its client never receives those tokens);
   * if the write fails, this rejects. If another request consumed the same code or refresh token
   * first, none of this request's tokens are written, the grant is revoked (a replay, as
   * {@link KyselyOidcAdapter.consume} handles it) and this rejects with `invalid_grant`.
   */
  async deferringSaves<T>(request: () => Promise<T>): Promise<T> {
    const saves: HeldSaves = { store: this, rows: [], consumes: [] };
    const result = await held.run(saves, request);
    if (saves.rows.length === 0 && saves.consumes.length === 0) return result;
    const { won } = await this.#flushes.load({ rows: saves.rows, consumes: saves.consumes });
    if (!won) {
      for (const key of saves.consumes) await this.revokeReplayed(key);
      throw new errors.InvalidGrant('grant already consumed');
    }
    return result;
  }

  /** Holds `row` back if a request of this store is deferring saves; false if it is not. */
  hold(row: ModelRow): boolean {
    const saves = held.getStore();
    if (saves?.store !== this || !DEFERRABLE.has(row.model)) return false;
    // A second save of the same token in the request replaces the first.
    const i = saves.rows.findIndex((r) => r.model === row.model && r.id === row.id);
    if (i >= 0) saves.rows.splice(i, 1);
    saves.rows.push(row);
    return true;
  }

  /**
   * Holds back the consumption of `key` if a request of this store is deferring saves and `key`
   * is what a token request presents; false if not (the caller consumes it now).
   */
  holdConsume(key: ModelKey): boolean {
    const saves = held.getStore();
    if (saves?.store !== this || !DEFERRABLE_CONSUME.has(key.model)) return false;
    if (!saves.consumes.some((k) => keyOf(k) === keyOf(key))) saves.consumes.push(key);
    return true;
  }

  /**
   * A one-time row (model, id) was presented again after its consumption (a replay): deletes
   * every artefact of its grant, as oidc-provider does on a replay it sees itself.
   */
  async revokeReplayed(key: ModelKey): Promise<void> {
    const row = await this.#db
      .selectFrom('oidc_models')
      .select('grant_id')
      .where('model', '=', key.model)
      .where('id', '=', key.id)
      .executeTakeFirst();
    if (row?.grant_id != null)
      await this.#db.deleteFrom('oidc_models').where('grant_id', '=', row.grant_id).execute();
  }

  /** Forgets what was read ahead of the row (model, id): it is being changed. */
  forget(key: ModelKey): void {
    this.#ahead.delete(keyOf(key));
  }

  #take(key: string): AdapterPayload | AccountStatus | undefined {
    const hit = this.#ahead.get(key);
    if (hit === undefined) return undefined;
    this.#ahead.delete(key);
    if (hit.until <= performance.now()) return undefined;
    this.readAheadHits.count++;
    return hit.value;
  }

  #keep(key: string, value: AdapterPayload | AccountStatus, until: number): void {
    this.#ahead.delete(key);
    this.#ahead.set(key, { until, value });
    // Oldest first: drop what no request came back for.
    for (const [k, e] of this.#ahead) {
      if (this.#ahead.size <= READ_AHEAD_MAX && e.until > performance.now()) break;
      this.#ahead.delete(k);
    }
  }

  async #find(keys: readonly ModelKey[]): Promise<Array<AdapterPayload | undefined>> {
    const now = this.#now();
    // One text whatever the batch (prepared on PostgreSQL): the keys go in as two arrays.
    const { rows } = await sql<{ kind: string; model: string; id: string; payload: JsonObject }>`${prepared}
      WITH t AS (
        SELECT m.model, m.id, ${payloadOf('m')} AS payload, m.grant_id, m.expires_at
          FROM oidc_models m
          JOIN unnest(${keys.map((k) => k.model)}::text[], ${keys.map((k) => k.id)}::text[]) AS k(model, id)
            ON m.model = k.model AND m.id = k.id
      )
      SELECT 'row' AS kind, t.model, t.id, t.payload FROM t
        WHERE t.expires_at IS NULL OR t.expires_at > ${now}
      UNION ALL
      SELECT 'grant', g.model, g.id, ${payloadOf('g')}
        FROM t JOIN oidc_models g ON g.model = 'Grant' AND g.id = t.grant_id
        WHERE t.model IN (${readAheadModels}) AND (g.expires_at IS NULL OR g.expires_at > ${now})
      UNION ALL
      SELECT 'account', 'account', a.id::text, jsonb_build_object('id', a.id::text, 'status', a.status)
        FROM t JOIN accounts a ON a.id = CASE
          WHEN t.payload->>'accountId' ~ '^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$'
          THEN (t.payload->>'accountId')::uuid END
        WHERE t.model IN (${readAheadModels})`.execute(this.#db);
    const found = new Map<string, AdapterPayload>();
    const until = performance.now() + READ_AHEAD_MS;
    for (const r of rows) {
      if (r.kind === 'row') found.set(keyOf(r), r.payload);
      else if (r.kind === 'grant') this.#keep(keyOf(r), r.payload, until);
      else this.#keep(`account\u0000${r.id}`, r.payload, until);
    }
    return keys.map((k) => found.get(keyOf(k)));
  }

  async #findAccounts(ids: readonly string[]): Promise<Array<AccountStatus | undefined>> {
    const { rows } = await sql<AccountStatus>`${prepared}
      SELECT id::text AS id, status FROM accounts WHERE id = ANY(${[...new Set(ids)]}::uuid[])`.execute(
      this.#db,
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id));
  }

  async #upsert(rows: readonly ModelRow[]): Promise<void[]> {
    // The last save of a row in this batch wins; ON CONFLICT cannot touch one row twice.
    const last = new Map<string, ModelRow>();
    for (const r of rows) {
      last.delete(keyOf(r));
      last.set(keyOf(r), r);
    }
    const rs = [...last.values()];
    const column = <K extends keyof ModelRow>(k: K): Array<ModelRow[K]> => rs.map((r) => r[k]);
    await sql`${prepared}
      INSERT INTO oidc_models (model, id, payload, grant_id, uid, user_code, expires_at, consumed_at)
      SELECT * FROM unnest(${column('model')}::text[], ${column('id')}::text[], ${column('payload')}::jsonb[],
        ${column('grant_id')}::text[], ${column('uid')}::text[], ${column('user_code')}::text[],
        ${column('expires_at')}::timestamptz[], ${column('consumed_at')}::timestamptz[])
      ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
        uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at,
        consumed_at = excluded.consumed_at`.execute(this.#db);
    return rows.map(() => undefined);
  }

  async #consume(keys: readonly ModelKey[]): Promise<Array<{ won: boolean }>> {
    const now = this.#now();
    const distinct = [...new Map(keys.map((k) => [keyOf(k), k])).values()];
    const { rows: updated } = await sql<ModelKey>`${prepared}
      UPDATE oidc_models SET consumed_at = ${now}
      WHERE (model, id) IN (
          SELECT * FROM unnest(${distinct.map((k) => k.model)}::text[], ${distinct.map((k) => k.id)}::text[]))
        AND consumed_at IS NULL
      RETURNING model, id`.execute(this.#db);
    const won = new Set(updated.map(keyOf));
    // The first caller of a row takes its consumption; any other caller of it lost the race.
    return keys.map((k) => ({ won: won.delete(keyOf(k)) }));
  }

  async #flush(items: readonly HeldWrites[]): Promise<Array<{ won: boolean }>> {
    // In the batch, the first request to consume a row takes it; a later one lost the race and
    // sends nothing.
    const claimed = new Set<string>();
    const lost = items.map((it) => {
      if (it.consumes.some((k) => claimed.has(keyOf(k)))) return true;
      for (const k of it.consumes) claimed.add(keyOf(k));
      return false;
    });
    const keys: Array<ModelKey & { readonly item: number }> = [];
    const last = new Map<string, ModelRow & { readonly item: number }>();
    items.forEach((it, item) => {
      if (lost[item]) return;
      for (const k of it.consumes) keys.push({ ...k, item });
      // The last save of a row in this batch wins (see #upsert).
      for (const r of it.rows) {
        last.delete(keyOf(r));
        last.set(keyOf(r), { ...r, item });
      }
    });
    const rows = [...last.values()];
    let consumed: number[];
    if (keys.some((k) => last.has(keyOf(k)))) {
      // A row both consumed and saved in this batch: one statement cannot touch it twice, so
      // consume first, then save the winners' rows.
      const outcome = await this.#consume(keys);
      consumed = keys.filter((_, i) => outcome[i]!.won).map((k) => k.item);
      const byItem = count(consumed);
      const winners = rows.filter((r) => (byItem.get(r.item) ?? 0) === items[r.item]!.consumes.length);
      if (winners.length > 0) await this.#upsert(winners);
    } else {
      const column = <K extends keyof ModelRow | 'item'>(k: K): Array<(ModelRow & { item: number })[K]> =>
        rows.map((r) => r[k]);
      // One text whatever the batch: the consumptions and the rows go in as arrays, each tagged
      // with its request (`item`); a request's rows are written only if every row it consumes
      // was unconsumed until this statement.
      const result = await sql<{ item: number }>`${prepared}
        WITH k AS (
          SELECT * FROM unnest(${keys.map((k) => k.item)}::int4[], ${keys.map((k) => k.model)}::text[],
            ${keys.map((k) => k.id)}::text[]) AS k(item, model, id)
        ), c AS (
          UPDATE oidc_models m SET consumed_at = ${this.#now()}
            FROM k WHERE m.model = k.model AND m.id = k.id AND m.consumed_at IS NULL
          RETURNING k.item
        ), saved AS (
          INSERT INTO oidc_models (model, id, payload, grant_id, uid, user_code, expires_at, consumed_at)
          SELECT r.model, r.id, r.payload, r.grant_id, r.uid, r.user_code, r.expires_at, r.consumed_at
            FROM unnest(${column('item')}::int4[], ${column('model')}::text[], ${column('id')}::text[],
              ${column('payload')}::jsonb[], ${column('grant_id')}::text[], ${column('uid')}::text[],
              ${column('user_code')}::text[], ${column('expires_at')}::timestamptz[],
              ${column('consumed_at')}::timestamptz[])
              AS r(item, model, id, payload, grant_id, uid, user_code, expires_at, consumed_at)
           WHERE (SELECT count(*) FROM k WHERE k.item = r.item) = (SELECT count(*) FROM c WHERE c.item = r.item)
          ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
            uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at,
            consumed_at = excluded.consumed_at
        )
        SELECT item FROM c`.execute(this.#db);
      consumed = result.rows.map((r) => r.item);
    }
    const tally = count(consumed);
    return items.map((it, item) => ({
      won: !lost[item] && (tally.get(item) ?? 0) === it.consumes.length,
    }));
  }
}

/** The adapter of one model. */
export class KyselyOidcAdapter implements Adapter {
  readonly #store: OidcModelStore;

  constructor(
    readonly model: string,
    private readonly options: OidcAdapterOptions,
  ) {
    if (!/^[A-Za-z]{1,64}$/.test(model)) throw new TypeError(`bad oidc-provider model name ${model}`);
    this.#store = options.store ?? new OidcModelStore(options.db, options.now);
  }

  private get db(): Kysely<Schema> {
    return this.options.db;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    if (this.model === 'Client')
      throw new TypeError('clients are written through the RP registry, not oidc-provider');
    const now = this.options.now();
    const expiresAt =
      typeof expiresIn === 'number' && Number.isFinite(expiresIn)
        ? new Date(now.getTime() + expiresIn * 1000)
        : null;
    const consumed = typeof payload.consumed === 'number' ? new Date(payload.consumed * 1000) : null;
    this.#store.forget({ model: this.model, id });
    const row: ModelRow = {
      model: this.model,
      id,
      // oidc-provider payloads may carry `undefined` members, which jsonb() refuses.
      payload: jsonbOfObject(payload),
      grant_id: str(payload.grantId),
      // Only a Session is looked up by uid (its uid survives identifier rotation).
      uid: this.model === 'Session' ? str(payload.uid) : null,
      user_code: str(payload.userCode),
      expires_at: expiresAt,
      consumed_at: consumed,
    };
    if (!this.#store.hold(row)) await this.#store.upserts.load(row);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (this.model === 'Client') return this.options.findClient(id);
    return this.#store.find({ model: this.model, id });
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('uid', uid);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('user_code', userCode);
  }

  private async findWhere(column: 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    const row = await this.db
      .selectFrom('oidc_models')
      .select(payloadOf('oidc_models').as('payload'))
      .where('model', '=', this.model)
      .where(column, '=', value)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', this.options.now())]))
      .executeTakeFirst();
    return row === undefined ? undefined : row.payload;
  }

  async consume(id: string): Promise<void> {
    const key = { model: this.model, id };
    // In a token request, consumed with its new tokens at its end (OidcModelStore.deferringSaves).
    if (this.#store.holdConsume(key)) return;
    const { won } = await this.#store.consumes.load(key);
    if (won || !ONE_TIME.has(this.model)) return;
    // Lost a race with another consume of the same artefact: a replay.
    await this.#store.revokeReplayed(key);
    throw new errors.InvalidGrant('grant already consumed');
  }

  async destroy(id: string): Promise<void> {
    this.#store.forget({ model: this.model, id });
    await this.db.deleteFrom('oidc_models').where('model', '=', this.model).where('id', '=', id).execute();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db
      .deleteFrom('oidc_models')
      .where('model', '=', this.model)
      .where('grant_id', '=', grantId)
      .execute();
  }
}

/** The adapter factory to give oidc-provider (`configuration.adapter`). */
export function kyselyOidcAdapter(options: OidcAdapterOptions): AdapterFactory {
  const shared = { ...options, store: options.store ?? new OidcModelStore(options.db, options.now) };
  return (model: string) => new KyselyOidcAdapter(model, shared);
}

/** Deletes rows expired before `before` (housekeeping); returns how many. */
export async function purgeExpiredOidcModels(db: Kysely<Schema>, before: Date): Promise<number> {
  const r = await db.deleteFrom('oidc_models').where('expires_at', '<=', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * `load` behind a short-lived cache of what it found, for the `Client` model: oidc-provider loads
 * the client on every request, and the registry row (with its sealed secret to open) is the same
 * from one token request to the next. Only found clients are kept, for `ttlMs` of real time: an
 * RP registered a moment ago is seen at once (an unknown id is always asked again, so probing
 * ids fills nothing), a removed one is refused by every platform instance within `ttlMs` (the
 * CLI changes the registry from another process, so there is nothing to invalidate here). A
 * failed load is not kept.
 */
export function cacheFound<T>(
  load: (id: string) => Promise<T | undefined>,
  ttlMs: number,
  clock: () => number = () => performance.now(),
): (id: string) => Promise<T | undefined> {
  if (!(ttlMs >= 0)) throw new RangeError('cacheFound: ttlMs must be ≥ 0');
  const cache = new Map<string, { until: number; value: Promise<T | undefined> }>();
  return (id) => {
    const now = clock();
    const hit = cache.get(id);
    if (hit !== undefined && hit.until > now) return hit.value;
    const value = load(id);
    cache.set(id, { until: now + ttlMs, value });
    const forget = (): void => {
      if (cache.get(id)?.value === value) cache.delete(id);
    };
    value.then((v) => v === undefined && forget(), forget);
    // Expired entries go when the map grows (registered clients only, so it stays small).
    if (cache.size > 1000) for (const [k, e] of cache) if (e.until <= now) cache.delete(k);
    return value;
  };
}
