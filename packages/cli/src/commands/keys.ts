/**
 * Key commands (issue 14, docs/scaling.md):
 *
 * - `watashi keys rotate [--config FILE] [--data-dir DIR] [--keys-dir DIR] [--json]` — adds a new
 *   OpenID Provider signing key (ES256) to the local key store, the directory every instance
 *   shares. Each running instance publishes it in its JWKS within `keyStore.refreshSeconds` and
 *   signs with it once it is twice that old; older keys stay published until their files are
 *   deleted (after the longest lifetime of what they signed).
 * - `watashi keys list [same options] [--json]` — the signing keys, which one signs now, and when
 *   a newer one starts signing.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { WatashiError } from '@watashi/pki';
import type * as PlatformModule from '@watashi/platform/cli';
import { emit, table } from '../output.ts';
import { readConfigFile } from './platform.ts';

/** Loaded when the command runs (the platform takes seconds to load). */
const loadPlatform = (): Promise<typeof PlatformModule> => import('@watashi/platform/cli');

interface KeysOptions {
  config?: string;
  dataDir?: string;
  keysDir?: string;
  json?: boolean;
}

/** One signing key as the commands print it. */
interface KeyRow {
  keyId: string;
  alg: string;
  signing: boolean;
  signsFrom: string | null;
}

async function openKeys(opts: KeysOptions): Promise<{
  store: PlatformModule.SigningKeyStore;
  activation: number;
  rows: () => Promise<KeyRow[]>;
}> {
  const platform = await loadPlatform();
  // Only the key store's settings matter here: no database, no J-LIS.
  const file = opts.config === undefined ? {} : readConfigFile(opts.config);
  const config = platform.parsePlatformConfig({ dataDir: file['dataDir'], keyStore: file['keyStore'] });
  if (config.keyStore.kind !== 'local')
    throw new WatashiError('config_invalid', 'keys rotate needs the local key store (keyStore.kind: local)');
  const dir = opts.keysDir ?? config.keyStore.dir ?? join(opts.dataDir ?? config.dataDir, 'keys');
  const store = platform.openLocalKeyStore({ dir });
  const activation = platform.activationSeconds(config.keyStore.refreshSeconds);
  const rows = async (): Promise<KeyRow[]> => {
    const now = new Date();
    const keys = platform.signingOrder(await store.signingKeys('oidc'), now, activation);
    return keys.map((k, i) => {
      const made = platform.keyIdTime(k.keyId);
      const from = made === undefined ? null : new Date(made.getTime() + activation * 1000);
      return {
        keyId: k.keyId,
        alg: k.alg,
        signing: i === 0,
        signsFrom: i !== 0 && from !== null && from > now ? from.toISOString() : null,
      };
    });
  };
  return { store, activation, rows };
}

const human = (rows: KeyRow[]): string =>
  table(
    rows.map((r) => [
      r.keyId,
      r.signing ? 'signing' : r.signsFrom === null ? 'published' : `published, signs from ${r.signsFrom}`,
    ]),
  );

/** Registers `keys rotate` and `keys list` on `program`. */
export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('OpenID Provider signing keys (shared key store).');
  const common = (c: Command): Command =>
    c
      .option('--config <file>', 'JSON configuration file (keyStore.dir, keyStore.refreshSeconds)')
      .option('--data-dir <dir>', 'platform data directory (keys in <dir>/keys)')
      .option('--keys-dir <dir>', 'the key directory itself (overrides the configuration)')
      .option('--json', 'print JSON');
  common(
    keys
      .command('rotate')
      .description(
        'Add a new signing key; every instance publishes it within keyStore.refreshSeconds and signs with it after twice that.',
      ),
  ).action(async (opts: KeysOptions) => {
    const { store, rows, activation } = await openKeys(opts);
    const added = await store.rotateSigningKey('oidc');
    const list = await rows();
    emit(
      opts.json,
      { added: added.keyId, activationSeconds: activation, keys: list },
      (d: { added: string; keys: KeyRow[] }) =>
        `added ${d.added} (signs after ${activation} s)\n${human(d.keys)}`,
    );
  });
  common(keys.command('list').description('List the signing keys and which one signs now.')).action(
    async (opts: KeysOptions) => {
      const { rows } = await openKeys(opts);
      emit(opts.json, { keys: await rows() }, (d: { keys: KeyRow[] }) => human(d.keys));
    },
  );
}
