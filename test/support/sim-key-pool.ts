/**
 * The RSA-2048 key pool the test suite's simulators draw from (packages/jlis-sim/src/keys.ts): a
 * file of PKCS#8 PEM keys under os.tmpdir(), made once per machine by the global set-up (the
 * keys are generated on libuv's thread pool, so on both cores) and read by the set-up file every
 * test file runs (test/support/sim-keys-setup.ts). Each test file's process hands each key out
 * once; a file that needs more keys than the pool holds generates the rest as before.
 *
 * Without the pool every simulator start generated six CA keys and every card two keys: about a
 * fifth of the suite's CPU time (docs/conventions.md "Test speed").
 */
import { generateKeyPair } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Keys in the pool: more than any one test file draws (checked with WATASHI_KEY_POOL_REPORT=1). */
export const POOL_SIZE = 160;

/** The pool file of this size. */
export const POOL_FILE = join(tmpdir(), 'watashi-key-pool', `rsa2048-${POOL_SIZE}.pem`);

const generate = promisify(generateKeyPair);

/** Makes the pool file if it is missing (atomic rename, so a half-written file is never read). */
export async function ensureKeyPool(): Promise<void> {
  if (existsSync(POOL_FILE)) return;
  mkdirSync(join(tmpdir(), 'watashi-key-pool'), { recursive: true });
  const pems = await Promise.all(
    Array.from({ length: POOL_SIZE }, () =>
      generate('rsa', {
        modulusLength: 2048,
        publicExponent: 65537,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      }).then((pair) => pair.privateKey),
    ),
  );
  const part = `${POOL_FILE}.${process.pid}.part`;
  writeFileSync(part, pems.join(''));
  renameSync(part, POOL_FILE);
}

/** The pool's keys as PEM strings, or none when the file was not made (a run without global set-up). */
export function readKeyPool(): string[] {
  if (!existsSync(POOL_FILE)) return [];
  return readFileSync(POOL_FILE, 'utf8')
    .split(/(?=-----BEGIN PRIVATE KEY-----)/)
    .filter((pem) => pem.includes('PRIVATE KEY'));
}
