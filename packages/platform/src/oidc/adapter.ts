/**
 * oidc-provider's storage port (its `Adapter` interface, one instance per model name) on the
 * platform store: table `oidc_models` (migration 0003), keyed by (model, id), on PGlite and
 * PostgreSQL alike. The `Client` model is not stored here: it is read from the RP registry
 * (`relying_parties`) through the `findClient` function the provider passes in, and writing it is
 * refused (dynamic registration is off, DESIGN.md §3.3).
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
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { errors, type Adapter, type AdapterFactory, type AdapterPayload } from 'oidc-provider';
import { jsonb, type JsonObject } from '../store/json.ts';
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
}

/** JSON-safe copy: oidc-provider payloads may carry `undefined` members, which jsonb() refuses. */
function plain(payload: AdapterPayload): JsonObject {
  return JSON.parse(JSON.stringify(payload)) as JsonObject;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/** The adapter of one model. */
export class KyselyOidcAdapter implements Adapter {
  constructor(
    readonly model: string,
    private readonly options: OidcAdapterOptions,
  ) {
    if (!/^[A-Za-z]{1,64}$/.test(model)) throw new TypeError(`bad oidc-provider model name ${model}`);
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
    const row = {
      payload: jsonb(plain(payload)),
      grant_id: str(payload.grantId),
      // Only a Session is looked up by uid (its uid survives identifier rotation).
      uid: this.model === 'Session' ? str(payload.uid) : null,
      user_code: str(payload.userCode),
      expires_at: expiresAt,
      consumed_at: consumed,
    };
    await this.db
      .insertInto('oidc_models')
      .values({ model: this.model, id, ...row })
      .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet(row))
      .execute();
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (this.model === 'Client') return this.options.findClient(id);
    return this.findWhere('id', id);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('uid', uid);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('user_code', userCode);
  }

  private async findWhere(
    column: 'id' | 'uid' | 'user_code',
    value: string,
  ): Promise<AdapterPayload | undefined> {
    const row = await this.db
      .selectFrom('oidc_models')
      .select('payload')
      .where('model', '=', this.model)
      .where(column, '=', value)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', this.options.now())]))
      .executeTakeFirst();
    return row === undefined ? undefined : row.payload;
  }

  async consume(id: string): Promise<void> {
    const now = this.options.now();
    const epoch = Math.floor(now.getTime() / 1000);
    const r = await this.db
      .updateTable('oidc_models')
      .set({
        consumed_at: now,
        payload: sql`payload || jsonb_build_object('consumed', ${epoch}::int8)`,
      })
      .where('model', '=', this.model)
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .returning('grant_id')
      .executeTakeFirst();
    if (r !== undefined || !ONE_TIME.has(this.model)) return;
    // Lost a race with another consume of the same artefact: a replay.
    const row = await this.db
      .selectFrom('oidc_models')
      .select('grant_id')
      .where('model', '=', this.model)
      .where('id', '=', id)
      .executeTakeFirst();
    if (row?.grant_id != null)
      await this.db.deleteFrom('oidc_models').where('grant_id', '=', row.grant_id).execute();
    throw new errors.InvalidGrant('grant already consumed');
  }

  async destroy(id: string): Promise<void> {
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
  return (model: string) => new KyselyOidcAdapter(model, options);
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
