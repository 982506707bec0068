/**
 * A SoftHSM2 token made for a test: its own configuration and token directory under a temporary
 * directory (SOFTHSM2_CONF points there before the module is first loaded), initialised with
 * `softhsm2-util --init-token` (Debian package softhsm2, scripts/ensure-system-deps.sh).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The SoftHSM2 PKCS#11 module installed by Debian's softhsm2 package. */
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

let conf: string | undefined;

/**
 * Initialises a fresh token labelled `label` with user PIN `pin`. Every token of a test process
 * lives in one configuration (the module reads SOFTHSM2_CONF once, when it is loaded).
 */
export function softHsmToken(
  label: string,
  pin = '123456',
): { module: string; tokenLabel: string; pin: string } {
  if (conf === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'watashi-softhsm-'));
    mkdirSync(join(dir, 'tokens'));
    conf = join(dir, 'softhsm2.conf');
    writeFileSync(
      conf,
      `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
    );
    process.env['SOFTHSM2_CONF'] = conf;
  }
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
