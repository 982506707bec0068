/**
 * Vitest set-up file of the database, e2e and scale projects: every simulator started in this
 * test file's process draws its RSA keys from the pool (test/support/sim-key-pool.ts) instead of
 * generating them. `WATASHI_KEY_POOL_REPORT=1` prints how many keys the file drew.
 */
import { afterAll } from 'vitest';
import { keyPool, setDefaultKeySource, type KeySource } from '@watashi/jlis-sim';
import { readKeyPool } from './sim-key-pool.ts';

const pool = keyPool(readKeyPool());
let drawn = 0;
const counted: KeySource = {
  rsa2048() {
    drawn++;
    return pool.rsa2048();
  },
};
setDefaultKeySource(counted);

if (process.env['WATASHI_KEY_POOL_REPORT'] === '1') {
  afterAll(() => {
    process.stderr.write(`key pool: ${drawn} keys drawn\n`);
  });
}
