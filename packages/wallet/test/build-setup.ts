/**
 * Vitest global setup: builds the wallet when its sources changed since the last build, so the
 * platform's tests (and the e2e suites in Chromium) serve the wallet as it is in the working tree.
 * An up-to-date build costs a few `stat` calls.
 */
import { ensureWalletBuilt } from '../build.ts';

/** Vitest global setup. */
export default async function setup(): Promise<void> {
  await ensureWalletBuilt();
}
