/**
 * A SoftHSM2 token made for a test: its own configuration and token directory under a temporary
 * directory (SOFTHSM2_CONF points there before the module is first loaded), initialised with
 * `softhsm2-util --init-token` (Debian package softhsm2, scripts/ensure-system-deps.sh).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';

/** The SoftHSM2 PKCS#11 module installed by Debian's softhsm2 package. */
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

/** The process's configuration and the test file that made it (set by the first token). */
let made: { conf: string; file: string | undefined } | undefined;

/**
 * Initialises a fresh token labelled `label` with user PIN `pin`. Every token of a test process
 * lives in one configuration. The module reads SOFTHSM2_CONF and its token directory once, when the
 * process first loads it, so a test file that makes tokens needs a process of its own: name it
 * `*.isolated.test.ts` (vitest.config.ts). Called from a second test file in one process, this
 * throws rather than make a token the module would not see.
 */
export function softHsmToken(
  label: string,
  pin = '123456',
): { module: string; tokenLabel: string; pin: string } {
  const file = expect.getState().testPath;
  if (made !== undefined && made.file !== file)
    throw new Error(
      `${made.file ?? 'another test file'} has loaded SoftHSM2 in this process, which will not see the tokens of ${file ?? 'this file'}: each such file needs a process of its own (*.isolated.test.ts)`,
    );
  if (made === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'watashi-softhsm-'));
    mkdirSync(join(dir, 'tokens'));
    const conf = join(dir, 'softhsm2.conf');
    writeFileSync(
      conf,
      `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
    );
    process.env['SOFTHSM2_CONF'] = conf;
    made = { conf, file };
  }
  const { conf } = made;
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', label, '--so-pin', '0000', '--pin', pin],
    {
      env: { ...process.env, SOFTHSM2_CONF: conf },
      stdio: 'ignore',
    },
  );
  return { module: SOFTHSM_MODULE, tokenLabel: label, pin };
}
