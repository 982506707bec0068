/** Vitest global set-up: make the simulators' RSA key pool once per machine (sim-key-pool.ts). */
import { ensureKeyPool } from './sim-key-pool.ts';

/** Vitest global setup. */
export default async function setup(): Promise<void> {
  await ensureKeyPool();
}
