/**
 * `watashi sweep` (issue 5, docs/architecture.md §3.4): checks every current anchor against the latest CRL of
 * its CA, applies the effects (hold, release, close, re-anchor with consent, re-proofing), and
 * records the run. A thin shell over `runSweep` (docs/conventions.md §14) with a progress bar on stderr.
 *
 * - `watashi sweep [--config FILE] [--database-url URL | --data-dir DIR] [--shards N]
 *   [--batch-size N] [--concurrency N] [--json]`
 * - The platform is built as `watashi serve` builds it (same configuration sources, same `--sim`
 *   default in simulation mode), without listening.
 * - On PostgreSQL the shard jobs go to the platform's pg-boss queue, so `watashi sweep` on several
 *   hosts (or platform instances) share one run; on the embedded database they run in this process.
 * - Ctrl-C stops after the current batches; the run stays open and the next `watashi sweep`
 *   resumes it where it stopped (exit 1, `sweep_interrupted`).
 * - J-LIS slow or down for the latest-basic-4 provisions (residents who consented to re-anchoring):
 *   provisions are asked `sweep.provisions.concurrency` at a time until the run's deadline, and a
 *   circuit breaker stops waiting on a J-LIS that does not answer; what is left is deferred (those
 *   accounts are left as they were) to the `sweep.provisions` retry job, and the command exits 9
 *   (`sweep_provisions_deferred`) after printing the result. Each `watashi sweep` first retries
 *   the provisions earlier runs deferred.
 * - A CA whose CRL was refused (stale, older than the last one used, bad signature) or could not be
 *   fetched leaves its anchors unchecked: the run is `partial` and the command exits with that
 *   error's code after printing the result; no CRL at all: `failed`.
 */
import { Option, type Command } from 'commander';
import { WatashiError } from '@watashi/pki';
import type * as PlatformModule from '@watashi/platform/cli';
import { DEFAULT_SIM_URL } from '../http.ts';
import { integerIn } from '../options.ts';
import { emit, table } from '../output.ts';
import { startProgress } from '../progress.ts';
import { serveConfig } from './platform.ts';

/** Loaded when the command runs (the platform takes seconds to load). */
const loadPlatform = (): Promise<typeof PlatformModule> => import('@watashi/platform/cli');

interface SweepCliOptions {
  config?: string;
  databaseUrl?: string;
  dataDir?: string;
  shards?: number;
  batchSize?: number;
  concurrency?: number;
  provisionDeadline?: number;
  json?: boolean;
}

/** Registers `sweep` on `program`. */
export function registerSweepCommands(program: Command): void {
  program
    .command('sweep')
    .description(
      'Check every anchor against the latest CRLs (hold, release, close, re-anchor, re-proofing); resumes an interrupted run.',
    )
    .option('--config <file>', 'JSON configuration file (as for serve)')
    .addOption(
      new Option('--database-url <url>', 'PostgreSQL URL (default: env DATABASE_URL)').conflicts('dataDir'),
    )
    .addOption(new Option('--data-dir <dir>', 'platform data directory (embedded database in <dir>/db)'))
    .option('--shards <n>', 'account-id ranges of a new run (default 16)', integerIn(1, 65536))
    .option('--batch-size <n>', 'anchors per transaction (default 2000)', integerIn(1, 20000))
    .option('--concurrency <n>', 'shards worked at once by this process (default 2)', integerIn(1, 64))
    .option(
      '--provision-deadline <seconds>',
      'stop asking J-LIS for provisions after this long; the rest is deferred (default: config sweep.provisions.deadlineSeconds, 900)',
      integerIn(1, 86400),
    )
    .option('--json', 'print JSON')
    .action(async (opts: SweepCliOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<{ sim?: string }>();
      const config = serveConfig(
        {
          ...(opts.config === undefined ? {} : { config: opts.config }),
          ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
          ...(opts.databaseUrl === undefined ? {} : { databaseUrl: opts.databaseUrl }),
        },
        process.env,
        globals.sim ?? DEFAULT_SIM_URL,
      );
      const { createPlatform, provisionOptionsFrom, Sweeper } = await loadPlatform();
      const platform = await createPlatform(config);
      const stop = new AbortController();
      const onSignal = (): void => {
        process.stderr.write('watashi: stopping after the current batches (run sweep again to resume)\n');
        stop.abort();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let bar: ReturnType<typeof startProgress> | undefined;
      let result: Awaited<ReturnType<InstanceType<typeof Sweeper>['run']>>;
      let retried: Awaited<ReturnType<InstanceType<typeof Sweeper>['retryDeferred']>>;
      try {
        const deps = platform.deps;
        const configured = provisionOptionsFrom(deps.config.sweep.provisions);
        const provisions = {
          ...configured.provisions,
          ...(opts.provisionDeadline === undefined
            ? {}
            : { provisionDeadlineMs: opts.provisionDeadline * 1000 }),
        };
        const sweeper = new Sweeper(deps, { breaker: configured.breaker });
        // Provisions earlier runs deferred (J-LIS was down): asked again first, each exactly once.
        retried = await sweeper.retryDeferred({ actor: 'operator:cli', provisions });
        result = await sweeper.run({
          breaker: configured.breaker,
          provisions,
          // pg-boss on PostgreSQL (shared with every instance), in-process on the embedded database.
          queue: deps.jobs,
          actor: 'operator:cli',
          signal: stop.signal,
          ...(opts.shards === undefined ? {} : { shards: opts.shards }),
          ...(opts.batchSize === undefined ? {} : { batchSize: opts.batchSize }),
          ...(opts.concurrency === undefined ? {} : { concurrency: opts.concurrency }),
          onProgress: (p) => {
            if (p.anchorsTotal === 0) return;
            bar ??= startProgress('sweeping anchors', p.anchorsTotal, 'anchors');
            bar.update(Math.min(p.anchorsChecked, p.anchorsTotal));
          },
        });
      } finally {
        bar?.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await platform.close();
      }
      const r = result;
      emit(opts.json, r, () =>
        table([
          ['run', r.runId],
          ['status', `${r.status}${r.resumed ? ' (resumed)' : ''}`],
          ['anchors checked', r.anchorsChecked.toLocaleString('en-US')],
          ['revoked found', r.revokedFound.toLocaleString('en-US')],
          ['holds released', r.released.toLocaleString('en-US')],
          ['unchecked', r.unchecked.toLocaleString('en-US')],
          ['provisions deferred', r.provisionsDeferred.toLocaleString('en-US')],
          ...(retried.applied + retried.deferred > 0
            ? [
                ['earlier deferrals', `${retried.applied} applied, ${retried.deferred} still deferred`] as [
                  string,
                  string,
                ],
              ]
            : []),
          ['shards', `${r.shardsDone}/${r.shardCount}`],
          ['duration', `${(r.durationMs / 1000).toFixed(1)} s`],
          ...r.crls.map((c): [string, string] => [
            `CRL ${c.purpose} ${c.issuerKeyHash.slice(0, 12)}…`,
            c.errorCode !== undefined
              ? `refused: ${c.errorCode}`
              : `#${c.crlNumber ?? '?'} (${(c.entries ?? 0).toLocaleString('en-US')} entries, thisUpdate ${c.thisUpdate ?? '?'})`,
          ]),
        ]),
      );
      if (r.status === 'running')
        throw new WatashiError(
          'sweep_interrupted',
          'the sweep stopped before every shard was done; run it again to resume',
          {
            detail: { runId: r.runId },
          },
        );
      if (r.provisionsDeferred > 0)
        throw new WatashiError(
          'sweep_provisions_deferred',
          `J-LIS did not answer ${r.provisionsDeferred} provision(s); those accounts were left as they were and the retry job will ask again`,
          { detail: { runId: r.runId, provisionsDeferred: r.provisionsDeferred } },
        );
      const refused = r.crls.find((c) => c.errorCode !== undefined);
      if (refused?.errorCode !== undefined)
        throw new WatashiError(
          refused.errorCode,
          `a CRL was refused (${refused.errorCode}); its anchors were not checked`,
          {
            detail: { runId: r.runId },
          },
        );
      if (r.status === 'partial')
        throw new WatashiError(
          'sweep_partial',
          'some anchors could not be checked (their CA has no usable CRL)',
          {
            detail: { runId: r.runId, unchecked: r.unchecked },
          },
        );
    });
}
