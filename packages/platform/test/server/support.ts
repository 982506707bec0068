/**
 * Test support for the server: real deps over a harness database (either engine), an in-memory key
 * store, the real J-LIS production trust store and an HTTP backend that these tests never reach.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { JpkiTrustStore } from '@watashi/jpki';
import { parsePlatformConfig, type PlatformConfigInput } from '../../src/config.ts';
import { createJpkiBackend } from '../../src/jlis/index.ts';
import { createMemoryKeyStore } from '../../src/keys/index.ts';
import { MemoryJobQueue } from '../../src/jobs/job-queue.ts';
import type { PlatformDeps } from '../../src/server/context.ts';
import type { EngineContext } from '../db/harness.ts';

/** Deps for a server test; `config` overrides the test defaults. */
export async function testDeps(
  t: EngineContext,
  config: PlatformConfigInput = {},
  now = () => new Date(),
): Promise<PlatformDeps> {
  const parsed = parsePlatformConfig({
    logLevel: 'silent',
    port: 0,
    keyStore: { kind: 'memory' },
    jlis: { kind: 'standard', ocspUrl: 'http://127.0.0.1:9/ocsp', crlUrls: ['http://127.0.0.1:9/crl'] },
    ...config,
  });
  if (parsed.jlis === undefined) throw new TypeError('jlis expected');
  return {
    config: parsed,
    database: t.database,
    db: t.db,
    keys: createMemoryKeyStore(),
    backend: createJpkiBackend(parsed.jlis, { now }),
    trust: await JpkiTrustStore.production(),
    jobs: new MemoryJobQueue({ now }),
    now,
  };
}

/** Listens on 127.0.0.1:0 and returns the base URL. */
export async function listen(app: FastifyInstance): Promise<string> {
  return app.listen({ host: '127.0.0.1', port: 0 });
}

/** A fresh live account (no basic 4); returns its id. */
export async function createAccount(t: EngineContext): Promise<string> {
  const row = await t.db
    .insertInto('accounts')
    .values({ person_key: new Uint8Array(randomBytes(32)), person_key_id: 'test', status: 'live' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The `name=value` part of a Set-Cookie header for `name`, or undefined. */
export function cookieFrom(res: Response, name: string): string | undefined {
  for (const c of res.headers.getSetCookie()) {
    const first = c.split(';')[0] ?? '';
    if (first.startsWith(`${name}=`)) return first;
  }
  return undefined;
}
