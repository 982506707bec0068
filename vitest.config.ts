import { defineConfig } from 'vitest/config';

/**
 * Suites that start several platform processes, HAProxy and PgBouncer on one shared PostgreSQL:
 * they run last, one file at a time, when no other suite competes for the two cores and for the
 * server's connections (a start-up through PgBouncer then waits on nothing but itself).
 */
const SCALE = ['packages/platform/test/scale/**/*.test.ts'];

export default defineConfig({
  test: {
    setupFiles: [],
    globalSetup: ['packages/wallet/test/build-setup.ts', 'packages/platform/test/db/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...SCALE],
        },
      },
      {
        extends: true,
        test: {
          name: 'scale',
          include: SCALE,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
