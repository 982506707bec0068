/**
 * Delivery of the outbox (outbox.ts) to relying parties (issue 5 "Events to RPs").
 *
 * Channels:
 * - `push` — a Security Event Token (RFC 8417) signed ES256 with the OpenID Provider's current
 *   signing key (`typ: secevent+jwt`, `kid` in the JWKS at `/oidc/jwks`), POSTed per RFC 8935 §2
 *   as `application/secevent+jwt`. 202 (any 2xx) = accepted; 400 with an `err` JSON body (RFC 8935
 *   §2.3) = the receiver refused this SET for good: dead at once, `last_error = push_<err>`;
 *   anything else (other statuses, network errors, timeouts) = retried.
 * - `webhook` — the same event as JSON, signed with HMAC-SHA-256 under the RP's webhook secret:
 *   header `Watashi-Signature: t=<unix seconds>,v1=<hex HMAC of "<t>.<raw body>">`. 2xx =
 *   delivered, anything else retried.
 * - `logout` — an OpenID Back-Channel Logout 1.0 logout token (`typ: logout+jwt`) POSTed as
 *   `logout_token=…`; 200/204 (any 2xx) = done, else retried. With the row's `payload.sid` when it
 *   has one (a sign-out of one session, me/sessions.ts), so the RP ends that session only.
 *
 * Work sharing: a worker claims up to `batchSize` due pending rows with `FOR UPDATE SKIP LOCKED`
 * and a lease (`locked_until`), so several platform instances share the outbox and each row is
 * sent by one of them; a crashed worker's lease runs out and the row is claimed again (the
 * receiver sees the same `jti` and de-duplicates). Each claim counts as an attempt.
 *
 * Retries: after a failure the next attempt is due in `min(retryMax, retryBase · 2^(attempt−1))`
 * scaled by a jitter in [0.5, 1); after `maxAttempts` attempts the row is `dead` (audit
 * `event.delivery_dead`), and an operator may retry it (`watashi events retry <id>`).
 *
 * SSRF: in production mode targets must pass target-guard.ts (https, public addresses), else the
 * row is dead at once with `event_target_forbidden:<why>`, and the request connects only to the
 * addresses the guard vetted in that attempt (pinned-post.ts: no second resolution, so no DNS
 * rebinding). Simulation mode sends with fetch (RPs and the simulator on this machine). Redirects
 * are never followed; at most 64 KiB of a response body is read.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { isWatashiError, WatashiError } from '@watashi/pki';
import type { PlatformConfig } from '../../config.ts';
import type { KeyStore, SigningKey } from '../../keys/key-store.ts';
import { activationSeconds, signingOrder } from '../../keys/rotation.ts';
import { issuerOf } from '../../oidc/provider.ts';
import { webhookSecretAad } from '../../oidc/registry.ts';
import { appendAudit } from '../../store/audit.ts';
import { withTransaction } from '../../store/database.ts';
import type { JsonObject } from '../../store/json.ts';
import type { DeliveryChannel, DeliveryStatus, Schema } from '../../store/schema.ts';
import { BACKCHANNEL_LOGOUT_EVENT } from './outbox.ts';
import { pinnedPost, RESPONSE_BODY_LIMIT, type DeliveryPost, type PostOutcome } from './pinned-post.ts';
import { vetProductionTarget, type VettedTarget } from './target-guard.ts';
import { repeatEvery } from '../../server/repeat.ts';

/** What the deliverer needs of the platform. */
export interface DeliveryDeps {
  readonly db: Kysely<Schema>;
  readonly keys: KeyStore;
  readonly config: PlatformConfig;
  readonly now: () => Date;
}

/** Per-instance options of {@link EventDeliverer}. */
export interface DeliveryOptions {
  /** Worker name written in `locked_by` (default: random). */
  readonly workerId?: string;
  /** Rows claimed per round (default 20). */
  readonly batchSize?: number;
  /** Jitter source in [0, 1) (default Math.random). */
  readonly random?: () => number;
  /**
   * HTTP client in simulation mode (default global fetch). Production mode never uses it: it sends
   * through pinned-post.ts to the addresses the SSRF guard vetted.
   */
  readonly fetch?: typeof fetch;
  /**
   * Name resolution for the production SSRF guard (default: the system resolver), asked once per
   * attempt; the request connects to what it answered.
   */
  readonly resolve?: (host: string) => Promise<string[]>;
}

/** What one {@link EventDeliverer.runOnce} did. */
export interface DeliveryRound {
  readonly claimed: number;
  readonly delivered: number;
  readonly retrying: number;
  readonly dead: number;
}

/** A claimed outbox row. */
interface ClaimedRow {
  id: string;
  event_id: string;
  client_id: string;
  channel: DeliveryChannel;
  target: string;
  event_type: string;
  subject: string;
  payload: JsonObject;
  occurred_at: Date;
  attempts: number;
}

/** The outcome of one attempt. */
type Attempt =
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly permanent: boolean; readonly error: string; readonly status?: number };

const b64url = (b: Uint8Array | string): string => Buffer.from(b).toString('base64url');

/** A compact JWS (RFC 7515 §7.1) signed by a key-store key (the private key never leaves it). */
export async function signJwt(key: SigningKey, typ: string, claims: JsonObject): Promise<string> {
  const input = `${b64url(JSON.stringify({ alg: key.alg, kid: key.keyId, typ }))}.${b64url(JSON.stringify(claims))}`;
  const signature = await key.sign(new TextEncoder().encode(input));
  return `${input}.${b64url(signature)}`;
}

/** The `Watashi-Signature` header value of a webhook body: `t=<unix>,v1=<hex HMAC-SHA-256>`. */
export function webhookSignature(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** Delivers due outbox rows; one per platform instance (or CLI run). */
export class EventDeliverer {
  readonly #deps: DeliveryDeps;
  readonly #worker: string;
  readonly #batch: number;
  readonly #random: () => number;
  readonly #fetch: typeof fetch;
  readonly #resolve: ((host: string) => Promise<string[]>) | undefined;

  constructor(deps: DeliveryDeps, options: DeliveryOptions = {}) {
    this.#deps = deps;
    this.#worker = options.workerId ?? `deliver-${randomUUID().slice(0, 8)}`;
    this.#batch = options.batchSize ?? 20;
    if (!Number.isInteger(this.#batch) || this.#batch < 1) throw new RangeError('batchSize must be ≥ 1');
    this.#random = options.random ?? Math.random;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#resolve = options.resolve;
  }

  /** Claims due rows and attempts each once. */
  async runOnce(): Promise<DeliveryRound> {
    const rows = await this.#claim();
    let delivered = 0;
    let retrying = 0;
    let dead = 0;
    // The claimed rows are attempted concurrently (one slow receiver does not hold up the rest of
    // the batch; `batchSize` bounds the connections in flight).
    const states = await Promise.all(
      rows.map(async (row) => {
        let attempt: Attempt;
        try {
          attempt = await this.#attempt(row);
        } catch (e) {
          // Our own failure (signing, unsealing): retried like a transport failure, code kept.
          attempt = {
            ok: false,
            permanent: false,
            error: isWatashiError(e) ? e.code : 'internal_error',
          };
        }
        return this.#finish(row, attempt);
      }),
    );
    for (const state of states) {
      if (state === 'delivered') delivered++;
      else if (state === 'dead') dead++;
      else retrying++;
    }
    return { claimed: rows.length, delivered, retrying, dead };
  }

  /** Runs rounds until nothing due is left (tests, the CLI); returns the sums. */
  async drain(maxRounds = 1000): Promise<DeliveryRound> {
    const sum = { claimed: 0, delivered: 0, retrying: 0, dead: 0 };
    for (let i = 0; i < maxRounds; i++) {
      const r = await this.runOnce();
      sum.claimed += r.claimed;
      sum.delivered += r.delivered;
      sum.retrying += r.retrying;
      sum.dead += r.dead;
      if (r.claimed === 0) break;
    }
    return sum;
  }

  async #claim(): Promise<ClaimedRow[]> {
    const now = this.#deps.now();
    const until = new Date(now.getTime() + this.#deps.config.events.leaseSeconds * 1000);
    const { rows } = await sql<ClaimedRow>`
      UPDATE event_deliveries SET attempts = attempts + 1, locked_by = ${this.#worker},
        locked_until = ${until}, updated_at = ${now}
      WHERE id IN (
        SELECT id FROM event_deliveries
        WHERE status = 'pending' AND next_attempt_at <= ${now}
          AND (locked_until IS NULL OR locked_until < ${now})
        ORDER BY next_attempt_at, id
        LIMIT ${this.#batch}
        FOR UPDATE SKIP LOCKED)
      RETURNING id, event_id, client_id, channel, target, event_type, subject, payload, occurred_at, attempts`.execute(
      this.#deps.db,
    );
    return rows.map((r) => ({ ...r, occurred_at: new Date(r.occurred_at) }));
  }

  async #attempt(row: ClaimedRow): Promise<Attempt> {
    let vetted: VettedTarget | undefined;
    if (this.#deps.config.mode === 'production') {
      const v = await vetProductionTarget(row.target, this.#resolve);
      if (!v.ok) return { ok: false, permanent: true, error: `event_target_forbidden:${v.refusal}` };
      vetted = v.target;
    }
    const issuer = issuerOf(this.#deps);
    const iat = Math.floor(this.#deps.now().getTime() / 1000);
    let post: DeliveryPost;
    if (row.channel === 'push') {
      // RFC 8417 §2.2 SET claims; SSF 1.0 §3 `sub_id` (format iss_sub: the issuer's pairwise sub).
      const set = await signJwt(await this.#signingKey(), 'secevent+jwt', {
        iss: issuer,
        iat,
        jti: row.event_id,
        aud: row.client_id,
        sub_id: { format: 'iss_sub', iss: issuer, sub: row.subject },
        events: { [row.event_type]: row.payload },
      });
      post = {
        headers: { 'content-type': 'application/secevent+jwt', accept: 'application/json' },
        body: set,
      };
    } else if (row.channel === 'logout') {
      // OpenID Back-Channel Logout 1.0 §2.4: iss, aud, iat, exp, jti, sub, events; no nonce.
      const token = await signJwt(await this.#signingKey(), 'logout+jwt', {
        iss: issuer,
        aud: row.client_id,
        iat,
        exp: iat + 120,
        jti: row.event_id,
        sub: row.subject,
        // §2.4: with sid, the RP ends that session; without, every session of sub.
        ...(typeof row.payload['sid'] === 'string' ? { sid: row.payload['sid'] } : {}),
        events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      });
      post = {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: token }).toString(),
      };
    } else {
      const body = JSON.stringify({
        id: row.event_id,
        iss: issuer,
        aud: row.client_id,
        sub: row.subject,
        type: row.event_type,
        occurredAt: row.occurred_at.toISOString(),
        event: row.payload,
      });
      post = {
        headers: {
          'content-type': 'application/json',
          'watashi-event-id': row.event_id,
          'watashi-signature': webhookSignature(await this.#webhookSecret(row.client_id), iat, body),
        },
        body,
      };
    }
    // RFC 8935 §2.3: only a push answered 400 has a body worth reading.
    const wantBody = (status: number): boolean => row.channel === 'push' && status === 400;
    const timeoutMs = this.#deps.config.events.timeoutSeconds * 1000;
    const sent =
      vetted === undefined
        ? await this.#fetchPost(row.target, post, timeoutMs, wantBody)
        : await pinnedPost(vetted, post, { timeoutMs, wantBody });
    if ('failed' in sent) return { ok: false, permanent: false, error: sent.failed };
    const { status } = sent;
    if (status >= 200 && status < 300) return { ok: true, status };
    if (row.channel === 'push' && status === 400) {
      // RFC 8935 §2.3: { "err": "<code>", "description": "…" } — the SET is refused for good.
      let err = 'invalid_request';
      try {
        const j = JSON.parse(sent.body ?? '') as { err?: unknown } | null;
        if (typeof j?.err === 'string' && /^[a-z_]{1,40}$/.test(j.err)) err = j.err;
      } catch {
        // Not JSON: a 400 without the RFC 8935 body is still a refusal of this SET.
        err = 'invalid_request';
      }
      return { ok: false, permanent: true, error: `push_${err}`, status: 400 };
    }
    return { ok: false, permanent: false, error: `http_${status}`, status };
  }

  /** Simulation mode: POSTs with fetch (the name resolved by fetch itself; no SSRF guard applies). */
  async #fetchPost(
    target: string,
    post: DeliveryPost,
    timeoutMs: number,
    wantBody: (status: number) => boolean,
  ): Promise<PostOutcome> {
    const signal = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await this.#fetch(target, {
        method: 'POST',
        headers: post.headers,
        body: post.body,
        redirect: 'manual',
        signal,
      });
    } catch (e) {
      const name = e instanceof Error ? e.name : '';
      return { failed: name === 'TimeoutError' ? 'timeout' : 'network_error' };
    }
    if (!wantBody(res.status)) {
      await res.body?.cancel();
      return { status: res.status };
    }
    // Read at most RESPONSE_BODY_LIMIT bytes; a body cut short is what came of it (see PostOutcome).
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = res.body?.getReader();
    try {
      while (reader !== undefined && size < RESPONSE_BODY_LIMIT) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        size += value.byteLength;
      }
      await reader?.cancel(); // the rest of a longer body is not read
    } catch {
      // The body was cut short (by the receiver or the timeout; the stream is closed): what arrived
      // is the answer, and the caller reads an unparseable body as such.
    }
    return {
      status: res.status,
      body: Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT).toString('utf8'),
    };
  }

  async #signingKey(): Promise<SigningKey> {
    const keys = await this.#deps.keys.signingKeys?.('oidc');
    // The key the OpenID Provider signs with, not a newer one other instances may not publish yet.
    const [key] = signingOrder(
      keys ?? [],
      this.#deps.now(),
      activationSeconds(this.#deps.config.keyStore.refreshSeconds),
    );
    if (key === undefined) throw new WatashiError('oidc_signing_unavailable', 'no OIDC signing key');
    return key;
  }

  async #webhookSecret(clientId: string): Promise<string> {
    const rp = await this.#deps.db
      .selectFrom('relying_parties')
      .select(['webhook_secret_key_id', 'webhook_secret_nonce', 'webhook_secret_ciphertext'])
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    if (
      rp?.webhook_secret_key_id == null ||
      rp.webhook_secret_nonce === null ||
      rp.webhook_secret_ciphertext === null
    )
      throw new WatashiError('event_webhook_secret_missing', 'the RP has no webhook secret');
    const plain = await this.#deps.keys.open(
      {
        alg: 'A256GCM',
        keyId: rp.webhook_secret_key_id,
        nonce: rp.webhook_secret_nonce,
        ciphertext: rp.webhook_secret_ciphertext,
      },
      webhookSecretAad(clientId),
    );
    return new TextDecoder().decode(plain);
  }

  /** Records the attempt; only while this worker still holds the row. */
  async #finish(row: ClaimedRow, a: Attempt): Promise<DeliveryStatus | 'retrying'> {
    const now = this.#deps.now();
    const ev = this.#deps.config.events;
    const base = this.#deps.db
      .updateTable('event_deliveries')
      .where('id', '=', row.id)
      .where('locked_by', '=', this.#worker)
      .where('status', '=', 'pending');
    const released = { locked_by: null, locked_until: null, updated_at: now };
    if (a.ok) {
      await base
        .set({ ...released, status: 'delivered', delivered_at: now, last_status: a.status, last_error: null })
        .execute();
      return 'delivered';
    }
    if (a.permanent || row.attempts >= ev.maxAttempts) {
      await withTransaction(this.#deps.db, async (trx) => {
        const r = await trx
          .updateTable('event_deliveries')
          .where('id', '=', row.id)
          .where('locked_by', '=', this.#worker)
          .where('status', '=', 'pending')
          .set({ ...released, status: 'dead', last_error: a.error, last_status: a.status ?? null })
          .executeTakeFirst();
        if (r.numUpdatedRows === 1n)
          await appendAudit(trx, {
            actor: 'system:events',
            type: 'event.delivery_dead',
            at: now,
            payload: {
              deliveryId: row.id,
              clientId: row.client_id,
              channel: row.channel,
              attempts: row.attempts,
              error: a.error,
            },
          });
      });
      return 'dead';
    }
    const delayMs = Math.min(
      ev.retryMaxSeconds * 1000,
      ev.retryBaseSeconds * 1000 * 2 ** Math.max(0, row.attempts - 1),
    );
    const jittered = delayMs * (0.5 + this.#random() / 2);
    await base
      .set({
        ...released,
        next_attempt_at: new Date(now.getTime() + jittered),
        last_error: a.error,
        last_status: a.status ?? null,
      })
      .execute();
    return 'retrying';
  }
}

/**
 * Runs an {@link EventDeliverer} every `intervalSeconds` (first round after one interval) until
 * stopped, as housekeeping is scheduled; a failed round goes to `onError`.
 */
export function scheduleEventDelivery(
  deps: DeliveryDeps,
  intervalSeconds: number,
  onError: (e: unknown) => void,
  options: DeliveryOptions = {},
): () => Promise<void> {
  const deliverer = new EventDeliverer(deps, options);
  return repeatEvery(intervalSeconds, () => deliverer.drain(50), onError);
}
