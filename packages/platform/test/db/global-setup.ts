/**
 * Optional Vitest `globalSetup` for the store suites: decides once per run which PostgreSQL the
 * workers use, and builds the PGlite snapshot once before workers start.
 *
 * If `WATASHI_TEST_PG_URL` is unset and nothing answers at 127.0.0.1:5432, it starts ONE private
 * cluster (scripts/pg-private.sh), exports its URL to the workers through `WATASHI_TEST_PG_URL`
 * (workers inherit the environment; they start after global setup), and stops it at the end.
 * Without this file wired in, harness.ts starts a private cluster per test file instead.
 */
import { findPostgres, PG_URL_ENV, startPrivateCluster } from './postgres.ts';
import type { PrivateCluster } from './postgres.ts';
import { pgliteSnapshot } from './snapshot.ts';

/** Vitest global setup; returns the teardown. */
export default async function setup(): Promise<() => Promise<void>> {
  let cluster: PrivateCluster | undefined;
  if ((await findPostgres()) === undefined) {
    cluster = await startPrivateCluster();
    process.env[PG_URL_ENV] = cluster.url;
  }
  await pgliteSnapshot();
  return async () => {
    await cluster?.stop();
  };
}
