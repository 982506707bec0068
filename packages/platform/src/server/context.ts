/**
 * What every route of the platform receives, and the route metadata the server acts on.
 *
 * Route authorisation is declared, not coded (issue 3 "authorisation by route metadata"):
 *
 * ```ts
 * app.route({
 *   method: 'POST', url: '/api/enrolments',
 *   config: { auth: 'public', rateLimit: 'authentication' },
 *   schema: { body: … }, handler: async (req, reply) => { … req.session … },
 * });
 * ```
 *
 * `auth: 'public'` — anyone; `'session'` — a live resident session is required (401 problem
 * `session_required` otherwise), `req.session` is then set; `'admin'` — operator token
 * (`Authorization: Bearer <admin token>` from the configuration). A route without `config.auth`
 * is refused at startup, so no route is public by accident.
 * `rateLimit: 'authentication'` applies the stricter per-IP limit of authentication endpoints.
 */
import type { Kysely } from 'kysely';
import type { JpkiTrustStore } from '@watashi/jpki';
import type { Database } from '../store/database.ts';
import type { Schema } from '../store/schema.ts';
import type { JpkiBackend } from '../jlis/backend.ts';
import type { KeyStore } from '../keys/key-store.ts';
import type { PlatformConfig } from '../config.ts';
import type { JobQueue } from '../jobs/job-queue.ts';

/** Who may call a route. */
export type RouteAuth = 'public' | 'session' | 'admin';

/** The authenticated resident behind a request (sessions table). */
export interface SessionContext {
  readonly id: string;
  readonly accountId: string;
  readonly authenticatorId: string | null;
  readonly authTime: Date;
  readonly acr: string | null;
  readonly amr: ReadonlyArray<string>;
  /**
   * Started by a cross-device sign-in (oidc/cross-device.ts): the authenticator is the phone's
   * device key, but the sign-in was not phishing resistant, and neither is any reuse of it.
   */
  readonly crossDevice: boolean;
}

/** The platform's services, built once at startup and shared by every route. */
export interface PlatformDeps {
  readonly config: PlatformConfig;
  readonly database: Database;
  readonly db: Kysely<Schema>;
  readonly keys: KeyStore;
  readonly backend: JpkiBackend;
  readonly trust: JpkiTrustStore;
  /**
   * The platform's job queue: pg-boss on PostgreSQL (shared by every instance), in-process on the
   * embedded database. Closed by the platform's `close()`.
   */
  readonly jobs: JobQueue;
  /** The platform's clock; tests pass a fixed one. */
  readonly now: () => Date;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
    rateLimit?: 'authentication' | 'default' | false;
  }
  interface FastifyRequest {
    /** Set by the session plugin; non-null on `auth: 'session'` routes. */
    session: SessionContext | null;
  }
}
