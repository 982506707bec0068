import { defineConfig } from 'vitest/config';

/*
 * Five projects, chosen by path so that a new test file lands in the right one without editing this
 * file (docs/conventions.md "Where a test goes"):
 *
 * - `unit`: no database, no browser, no server started as a child process. Tests beside the code
 *   (`packages/*\/src/**`) and the pki/jpki suites. No global setup: `npx vitest run --project unit`
 *   gives feedback in well under a minute.
 * - `database`: everything else under `packages/*\/test/` and `test/` — the suites that open PGlite
 *   and PostgreSQL (both engines, test/db/harness.ts), start the platform, the simulator or the CLI.
 *   A file anywhere named `*.db.test.ts` goes here too.
 * - `isolated`: `*.isolated.test.ts` — database suites that load a native module whose state lasts
 *   as long as the process (SoftHSM2 reads its token directory once: packages/ca/test/softhsm.ts),
 *   each file in a fresh process.
 * - `e2e`: `*.e2e.test.ts` — Chromium, the example relying party, `npm start`.
 * - `scale`: several platform processes, HAProxy and PgBouncer on one PostgreSQL; run last, one
 *   file at a time, when no other suite competes for the two cores and the server's connections.
 *
 * The PostgreSQL discovery / private cluster and the PGlite snapshot (global setup) run only for
 * the projects that need them. `npm test` (no --project) runs all five once.
 *
 * Processes: every project but `isolated` runs its files one after another in the same worker
 * processes (`isolate: false`). A fresh process per file spent about two seconds loading Fastify,
 * oidc-provider, PGlite, Playwright and the platform again — a third of the database suites' time.
 * Each test file and the set-up files are evaluated anew for every file; the modules they import
 * are evaluated once per worker, so what a file leaves on the process (an environment variable, a
 * listener, a module-level cache, a native module's state) the next file sees: a test leaves none
 * (docs/conventions.md "Shared processes"), and a file that cannot is `*.isolated.test.ts`.
 *
 * Order and parallelism (Vitest runs one `sequence.groupOrder` group after the other): `unit`,
 * `database` and `isolated` first, two files at a time — database suites spend most of their time
 * waiting on PostgreSQL, child processes and HTTP, and each opens its own scratch database or PGlite
 * directory, so two files never share state; then `e2e`, one file at a time, because Chromium, the
 * platform and the simulator of one journey already fill both cores; then `scale`. Vitest's default
 * on a two-core machine is one file at a time for everything (cores − 1).
 */

/** Suites of several platform processes, HAProxy and PgBouncer (see above). */
const SCALE = ['packages/platform/test/scale/**/*.test.ts'];
/** Whole-system suites: Chromium, examples/, `npm start`. */
const E2E = ['**/*.e2e.test.ts'];
/** A test that needs a database wherever it lives. */
const DB_BY_NAME = ['**/*.db.test.ts'];
/** Database suites that need a process of their own (a native module's process-wide state). */
const ISOLATED = ['**/*.isolated.test.ts'];
/** Tests beside the code, the two libraries' suites and the scripts' own: pure, or one-shot openssl. */
const UNIT = [
  'packages/*/src/**/*.test.ts',
  'packages/pki/test/**/*.test.ts',
  'packages/jpki/test/**/*.test.ts',
  'scripts/**/*.test.ts',
];
/** Integration suites: the rest of the packages' test/ folders and the repository's test/. */
const DATABASE = ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'];

const NODE_MODULES = '**/node_modules/**';
/** Files at a time in the first group; `WATASHI_TEST_WORKERS` overrides (1 = one at a time). */
const PARALLEL = Number(process.env['WATASHI_TEST_WORKERS'] ?? 2);
/**
 * The wallet's build (when its sources changed: a few `stat` calls otherwise) — the platform serves
 * it to the browser suites and the server tests — then the PostgreSQL discovery / private cluster.
 */
const GLOBAL_SETUP = [
  'packages/wallet/test/build-setup.ts',
  'packages/platform/test/db/global-setup.ts',
  'test/support/key-pool-setup.ts',
];
/** Simulators started in a test file draw their RSA keys from the pool the global set-up made. */
const SETUP_FILES = ['test/support/sim-keys-setup.ts'];

export default defineConfig({
  test: {
    setupFiles: [],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    isolate: false,
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: UNIT,
          maxWorkers: PARALLEL,
          exclude: [NODE_MODULES, ...E2E, ...DB_BY_NAME, ...ISOLATED, ...SCALE],
        },
      },
      {
        extends: true,
        test: {
          name: 'database',
          include: [...DATABASE, ...DB_BY_NAME],
          maxWorkers: PARALLEL,
          // A `*.db.test.ts` beside the code is the database's; the other unit folders are not.
          exclude: [
            NODE_MODULES,
            ...E2E,
            ...SCALE,
            ...ISOLATED,
            ...UNIT.filter((g) => !g.startsWith('packages/*/src/')),
          ],
          globalSetup: GLOBAL_SETUP,
          setupFiles: SETUP_FILES,
        },
      },
      {
        extends: true,
        test: {
          name: 'isolated',
          include: ISOLATED,
          isolate: true,
          maxWorkers: PARALLEL,
          exclude: [NODE_MODULES, ...E2E, ...SCALE],
          globalSetup: GLOBAL_SETUP,
          setupFiles: SETUP_FILES,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: E2E,
          exclude: [NODE_MODULES, ...SCALE],
          globalSetup: GLOBAL_SETUP,
          setupFiles: SETUP_FILES,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'scale',
          include: SCALE,
          globalSetup: GLOBAL_SETUP,
          setupFiles: SETUP_FILES,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
