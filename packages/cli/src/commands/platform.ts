/**
 * Platform commands (issue 3):
 *
 * - `watashi serve [--config FILE] [--port N] [--host H] [--data-dir DIR] [--database-url URL]
 *   [--public-url URL]` — runs the platform (`createPlatform`), prints its URL, stops gracefully
 *   on SIGINT/SIGTERM (stops accepting, drains in-flight requests up to
 *   `operations.drainTimeoutSeconds`, stops the workers, closes the pools, exits 0; a second
 *   signal exits at once). The configuration is the JSON file, then the environment
 *   (`DATABASE_URL`, `WATASHI_ADMIN_TOKEN`, `WATASHI_METRICS_TOKEN`), then the flags. In simulation mode without a `jlis` section the J-LIS
 *   simulator at `--sim` (or `WATASHI_SIM_URL`) is used. Production (`"mode": "production"`)
 *   requires PostgreSQL (`databaseUrl` / `DATABASE_URL`), uses the real J-LIS roots and refuses the
 *   simulator.
 * - `watashi audit verify [--database-url URL | --data-dir DIR] [--checkpoints DIR [--key-dir DIR |
 *   --trust-file-key]] [--json]` — recomputes the audit hash chain; a broken chain exits 4
 *   (`audit_chain_mismatch`) naming the first broken record. With `--checkpoints`, the chain must
 *   also reach the latest signed checkpoint and pass through its hash (a deleted tail with a
 *   rewound head is caught; exit 4 `audit_checkpoint_mismatch` when the checkpoint does not verify).
 *   With `--tsa-cert FILE…`, the latest checkpoint's RFC 3161 time-stamp must verify under those TSA
 *   certificates (genTime reported); exit 4 `audit_timestamp_mismatch` when it does not or is
 *   missing. A checkpoint carrying a time-stamp without `--tsa-cert` is a usage error (exit 3):
 *   the token is never skipped silently.
 * - `watashi audit checkpoint --out DIR [--database-url URL | --data-dir DIR] [--key-dir DIR]
 *   [--tsa-url URL --tsa-cert FILE…]` — verifies the chain (against the latest checkpoint in DIR,
 *   if any) and writes a checkpoint of its head signed with the key store's `audit` key
 *   (store/audit-checkpoint.ts), time-stamped by the TSA when given. A TSA failure still writes the
 *   checkpoint, without a token, and warns on stderr.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { WatashiError } from '@watashi/pki';
import type * as PlatformModule from '@watashi/platform/cli';
import type { Platform } from '@watashi/platform/cli';

/**
 * The platform (database engines, HTTP server, OIDC) takes seconds to load; it is imported when a
 * platform command runs, so that `--help` and the simulator and card commands start quickly.
 */
const loadPlatform = (): Promise<typeof PlatformModule> => import('@watashi/platform/cli');
import { DEFAULT_SIM_URL } from '../http.ts';
import { emit, table } from '../output.ts';
import { untilSignal } from '../signals.ts';
import { EXIT } from '../exit-codes.ts';

/** Options of `serve`. */
interface ServeOptions {
  config?: string;
  port?: string;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
  publicUrl?: string;
}

const cliError = (code: string, message: string, cause?: unknown): WatashiError =>
  new WatashiError(code, message, cause === undefined ? undefined : { cause });

/** Reads a JSON configuration file (`config_file_not_found`, `config_invalid`). */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw cliError('config_file_not_found', `cannot read ${path}`, cause);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw cliError('config_invalid', `${path} is not JSON`, cause);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw cliError('config_invalid', `${path} must hold a JSON object`);
  return parsed as Record<string, unknown>;
}

function parsePort(s: string): number {
  const n = Number(s);
  if (!/^\d{1,5}$/.test(s) || n > 65535)
    throw cliError('invalid_port', `--port must be 0–65535, not ${JSON.stringify(s)}`);
  return n;
}

/** The platform configuration `serve` runs with (file, environment, flags, in that order). */
export function serveConfig(
  opts: ServeOptions,
  env: NodeJS.ProcessEnv,
  simUrl: string | undefined,
): Record<string, unknown> {
  const config: Record<string, unknown> = opts.config === undefined ? {} : readConfigFile(opts.config);
  if (env['DATABASE_URL'] !== undefined && env['DATABASE_URL'] !== '')
    config['databaseUrl'] = env['DATABASE_URL'];
  if (env['WATASHI_ADMIN_TOKEN'] !== undefined && env['WATASHI_ADMIN_TOKEN'] !== '')
    config['adminToken'] = env['WATASHI_ADMIN_TOKEN'];
  if (env['WATASHI_METRICS_TOKEN'] !== undefined && env['WATASHI_METRICS_TOKEN'] !== '') {
    const ops = config['operations'];
    config['operations'] = {
      ...(typeof ops === 'object' && ops !== null ? ops : {}),
      metricsToken: env['WATASHI_METRICS_TOKEN'],
    };
  }
  if (opts.port !== undefined) config['port'] = parsePort(opts.port);
  if (opts.host !== undefined) config['host'] = opts.host;
  if (opts.dataDir !== undefined) config['dataDir'] = opts.dataDir;
  if (opts.databaseUrl !== undefined) config['databaseUrl'] = opts.databaseUrl;
  if (opts.publicUrl !== undefined) config['publicUrl'] = opts.publicUrl;
  const production = config['mode'] === 'production';
  if (production) {
    if (typeof config['databaseUrl'] !== 'string')
      throw cliError(
        'config_database_required',
        'production needs PostgreSQL: set DATABASE_URL, --database-url or databaseUrl in the config file',
      );
  } else if (config['jlis'] === undefined && simUrl !== undefined) {
    config['jlis'] = { kind: 'simulator', url: simUrl };
  }
  return config;
}

/** Registers `serve` and `audit verify` on `program`. */
export function registerPlatformCommands(program: Command): void {
  program
    .command('serve')
    .description('Run the Watashi platform (prints its URL; stops on SIGINT/SIGTERM).')
    .option('--config <file>', 'JSON configuration file (unknown keys are errors)')
    .option('--port <n>', 'TCP port (0: a free one)')
    .option('--host <addr>', 'address to listen on')
    .option('--data-dir <dir>', 'directory of the embedded database and the key files')
    .option('--database-url <url>', 'PostgreSQL URL (default: env DATABASE_URL; required in production)')
    .option('--public-url <url>', 'base URL residents see')
    .action(async (opts: ServeOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<{ sim?: string }>();
      const simUrl = globals.sim ?? DEFAULT_SIM_URL;
      const config = serveConfig(opts, process.env, simUrl);
      const { createPlatform } = await loadPlatform();
      const platform: Platform = await createPlatform(config);
      let url: string;
      try {
        url = await platform.listen();
      } catch (cause) {
        await platform.close();
        throw cliError('listen_failed', 'the platform could not listen', cause);
      }
      process.stdout.write(
        `watashi platform (${platform.deps.config.mode}) listening on ${url}\n` +
          `  database: ${platform.deps.database.engine}   J-LIS: ${platform.deps.backend.kind}   roots: ${platform.deps.trust.mode}\n` +
          `  assurance table: ${url}/assurance\n`,
      );
      const sig = await untilSignal();
      const drain = platform.deps.config.operations.drainTimeoutSeconds;
      process.stderr.write(`watashi: ${sig}, stopping (in-flight requests have ${drain} s)\n`);
      // A second signal while draining means "now": exit without waiting further.
      const again = (s: NodeJS.Signals): void => {
        process.stderr.write(`watashi: ${s} again, exiting without draining\n`);
        process.exit(EXIT.failure);
      };
      process.once('SIGINT', again);
      process.once('SIGTERM', again);
      await platform.close();
      process.off('SIGINT', again);
      process.off('SIGTERM', again);
      process.stderr.write('watashi: stopped\n');
    });

  const audit = program.command('audit').description('Audit log tools.');
  audit
    .command('verify')
    .description(
      'Recompute the audit hash chain; exit 4 and name the first broken record if it does not verify.',
    )
    .addOption(
      new Option('--database-url <url>', 'PostgreSQL URL (default: env DATABASE_URL)').conflicts('dataDir'),
    )
    .addOption(new Option('--data-dir <dir>', 'platform data directory (embedded database in <dir>/db)'))
    .option(
      '--checkpoints <dir>',
      'directory of signed checkpoints (`audit checkpoint --out`): the chain must reach the latest',
    )
    .option('--key-dir <dir>', 'the key store holding the audit key (default: <data-dir>/keys)')
    .option(
      '--trust-file-key',
      'without a key store, verify the checkpoint with the public key written in its file',
    )
    .option(
      '--tsa-cert <file...>',
      'PEM file(s) of the TSA certificates to trust: the latest checkpoint’s time-stamp must verify',
    )
    .option('--json', 'print JSON')
    .action(async (opts: AuditOptions & { checkpoints?: string; trustFileKey?: boolean; json?: boolean }) => {
      const platform = await loadPlatform();
      const url = auditDatabaseUrl(opts);
      if (opts.tsaCert !== undefined && opts.checkpoints === undefined)
        throw cliError('invalid_arguments', '--tsa-cert needs --checkpoints');
      let checkpoint: Awaited<ReturnType<typeof platform.readLatestAuditCheckpoint>>;
      let timestamp: Awaited<ReturnType<typeof platform.verifyAuditCheckpointTimestamp>>;
      if (opts.checkpoints !== undefined) {
        const keys = auditKeyStore(platform, opts, opts.trustFileKey !== true);
        try {
          checkpoint = await platform.readLatestAuditCheckpoint(opts.checkpoints, keys, {
            trustFileKey: opts.trustFileKey === true,
          });
        } catch (cause) {
          throw cliError(
            'audit_checkpoint_mismatch',
            `cannot use the checkpoint: ${errorMessage(cause)}`,
            cause,
          );
        }
        if (checkpoint === undefined)
          throw cliError('audit_checkpoint_not_found', `no checkpoint in ${opts.checkpoints}`);
        timestamp = await verifyTimestamp(platform, checkpoint, opts.tsaCert);
      }
      const database = await platform.openDatabase(
        url !== undefined ? { url } : { dataDir: join(opts.dataDir ?? '', 'db') },
      );
      let result;
      try {
        result = await platform.verifyAuditChain(database.db, checkpoint === undefined ? {} : { checkpoint });
      } catch (cause) {
        throw cliError(
          'audit_unreadable',
          'cannot read the audit log (is this a migrated Watashi database?)',
          cause,
        );
      } finally {
        await database.close();
      }
      if (result.ok) {
        const cp =
          checkpoint === undefined
            ? {}
            : {
                checkpointSeq: checkpoint.seq,
                checkpointAt: checkpoint.at,
                ...(timestamp === undefined ? {} : { timestampGenTime: timestamp.genTime }),
              };
        emit(opts.json, { ok: true, count: result.count, ...cp }, () =>
          table([
            ['audit chain', 'ok'],
            ['records', result.count.toString()],
            ...(checkpoint === undefined
              ? []
              : [
                  [
                    'checkpoint',
                    `record ${checkpoint.seq.toString()} at ${checkpoint.at.toISOString()}`,
                  ] as const,
                ]),
            ...(timestamp === undefined
              ? []
              : [['time-stamp', `genTime ${timestamp.genTime.toISOString()}`] as const]),
          ]),
        );
        return;
      }
      const broken = result;
      emit(opts.json, { ok: false, firstBrokenSeq: broken.firstBrokenSeq, reason: broken.reason }, () =>
        table([
          ['audit chain', 'BROKEN'],
          ['first broken record', broken.firstBrokenSeq.toString()],
          ['reason', broken.reason],
        ]),
      );
      throw cliError(
        'audit_chain_mismatch',
        `the audit chain is broken at record ${broken.firstBrokenSeq.toString()} (${broken.reason})`,
      );
    });

  audit
    .command('checkpoint')
    .description(
      'Verify the audit chain and write a checkpoint of its head, signed with the key store’s audit key, to --out.',
    )
    .addOption(
      new Option('--database-url <url>', 'PostgreSQL URL (default: env DATABASE_URL)').conflicts('dataDir'),
    )
    .addOption(new Option('--data-dir <dir>', 'platform data directory (embedded database in <dir>/db)'))
    .option('--key-dir <dir>', 'the key store holding the audit key (default: <data-dir>/keys)')
    .requiredOption('--out <dir>', 'directory of the checkpoints (keep it off this host)')
    .option('--tsa-url <url>', 'RFC 3161 time-stamp authority: time-stamp the checkpoint (needs --tsa-cert)')
    .option('--tsa-cert <file...>', 'PEM file(s) of the TSA certificates to trust')
    .option('--json', 'print JSON')
    .action(async (opts: AuditOptions & { out: string; tsaUrl?: string; json?: boolean }) => {
      const platform = await loadPlatform();
      const url = auditDatabaseUrl(opts);
      const keys = auditKeyStore(platform, opts, true);
      if ((opts.tsaUrl === undefined) !== (opts.tsaCert === undefined))
        throw cliError('invalid_arguments', '--tsa-url and --tsa-cert go together');
      const tsa =
        opts.tsaUrl === undefined
          ? undefined
          : { url: opts.tsaUrl, anchors: await readTsaCertificates(platform, opts.tsaCert ?? []) };
      const database = await platform.openDatabase(
        url !== undefined ? { url } : { dataDir: join(opts.dataDir ?? '', 'db') },
      );
      let made;
      try {
        made = await platform.writeAuditCheckpoint(
          database.db,
          keys!,
          opts.out,
          tsa === undefined ? {} : { tsa },
        );
      } catch (cause) {
        const code = (cause as { code?: unknown }).code;
        if (code === 'audit_chain_broken' || code === 'audit_checkpoint_invalid')
          throw cliError('audit_chain_mismatch', `no checkpoint made: ${errorMessage(cause)}`, cause);
        throw cause;
      } finally {
        await database.close();
      }
      // The checkpoint is written all the same (store/audit-checkpoint.ts); the operator is told.
      const tsError = made.timestampError;
      if (tsError !== undefined)
        process.stderr.write(
          `watashi: warning: checkpoint written without a time-stamp: ${tsError.message} [${tsError.code}]\n`,
        );
      const genTime = made.timestamp?.genTime;
      emit(
        opts.json,
        {
          seq: made.seq,
          hash: Buffer.from(made.hash).toString('hex'),
          file: made.file,
          ...(genTime === undefined ? {} : { timestampGenTime: genTime }),
          ...(tsError === undefined ? {} : { timestampError: tsError.code }),
        },
        () =>
          table([
            ['checkpoint', `record ${made.seq.toString()}`],
            ['file', made.file],
            ...(genTime === undefined ? [] : [['time-stamp', `genTime ${genTime.toISOString()}`] as const]),
          ]),
      );
    });
}

/** Reads `--tsa-cert` files; an unreadable one is a usage error (exit 3). */
async function readTsaCertificates(
  platform: typeof PlatformModule,
  paths: ReadonlyArray<string>,
): Promise<Awaited<ReturnType<typeof platform.readTsaCertificates>>> {
  try {
    return await platform.readTsaCertificates(paths);
  } catch (cause) {
    throw cliError('invalid_arguments', errorMessage(cause), cause);
  }
}

/**
 * The latest checkpoint's time-stamp, verified under `--tsa-cert` (store/audit-checkpoint.ts):
 * required when the option is given, and the option required when the checkpoint carries one.
 */
async function verifyTimestamp(
  platform: typeof PlatformModule,
  checkpoint: NonNullable<Awaited<ReturnType<typeof platform.readLatestAuditCheckpoint>>>,
  tsaCert: ReadonlyArray<string> | undefined,
): Promise<Awaited<ReturnType<typeof platform.verifyAuditCheckpointTimestamp>>> {
  if (tsaCert === undefined) {
    if (checkpoint.timestampToken !== undefined)
      throw cliError(
        'invalid_arguments',
        'the checkpoint carries a time-stamp: give --tsa-cert FILE (the TSA certificates to trust) to verify it',
      );
    return undefined;
  }
  if (checkpoint.timestampToken === undefined)
    throw cliError('audit_timestamp_mismatch', 'the latest checkpoint has no time-stamp');
  const anchors = await readTsaCertificates(platform, tsaCert);
  try {
    return await platform.verifyAuditCheckpointTimestamp(checkpoint, anchors);
  } catch (cause) {
    throw cliError('audit_timestamp_mismatch', errorMessage(cause), cause);
  }
}

/** Options shared by the audit commands. */
interface AuditOptions {
  databaseUrl?: string;
  dataDir?: string;
  keyDir?: string;
  /** `--tsa-cert`: PEM files of the TSA certificates to trust. */
  tsaCert?: string[];
}

function auditDatabaseUrl(opts: AuditOptions): string | undefined {
  const url = opts.databaseUrl ?? (opts.dataDir === undefined ? process.env['DATABASE_URL'] : undefined);
  if (url === undefined && opts.dataDir === undefined)
    throw cliError('invalid_arguments', 'give --database-url, --data-dir or DATABASE_URL');
  return url;
}

/** The local key store of --key-dir or <data-dir>/keys; required unless `needed` is false. */
function auditKeyStore(
  platform: typeof PlatformModule,
  opts: AuditOptions,
  needed: boolean,
): ReturnType<typeof platform.openLocalKeyStore> | undefined {
  const dir = opts.keyDir ?? (opts.dataDir === undefined ? undefined : join(opts.dataDir, 'keys'));
  if (dir === undefined) {
    if (needed) throw cliError('invalid_arguments', 'give --key-dir or --data-dir (the key store)');
    return undefined;
  }
  return platform.openLocalKeyStore({ dir });
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
