/**
 * `watashi fees` (issue 5, docs/architecture.md §3.4): what the platform's J-LIS queries cost in one month,
 * per relying party and purpose, from the fee ledger. A thin shell over `feeReport`
 * (docs/conventions.md §14).
 *
 * - `watashi fees [--month YYYY-MM] [--json] [--config FILE] [--database-url URL | --data-dir DIR]`
 * - The month is a Japanese calendar month (JST, UTC+9): J-LIS bills in Japan. Default: the
 *   current one. A bad month is `fees_month_invalid` (exit code 3), checked before the store opens.
 * - The store is found as `watashi serve` finds it (config file, env `DATABASE_URL`, flags).
 */
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import type * as PlatformModule from '@watashi/platform/cli';
import { emit, table } from '../output.ts';
import { serveConfig } from './platform.ts';

const loadPlatform = (): Promise<typeof PlatformModule> => import('@watashi/platform/cli');

interface FeesCliOptions {
  month?: string;
  json?: boolean;
  config?: string;
  databaseUrl?: string;
  dataDir?: string;
}

const yen = (n: number): string => `¥${n.toLocaleString('en-US')}`;

/** Registers `fees` on `program`. */
export function registerFeesCommands(program: Command): void {
  program
    .command('fees')
    .description(
      'J-LIS query costs of one month (Japan time) per relying party and purpose, from the fee ledger.',
    )
    .option('--month <YYYY-MM>', 'the month, Japan time (default: the current one)')
    .option('--json', 'print JSON')
    .option('--config <file>', 'JSON configuration file (as for serve)')
    .addOption(
      new Option('--database-url <url>', 'PostgreSQL URL (default: env DATABASE_URL)').conflicts('dataDir'),
    )
    .addOption(new Option('--data-dir <dir>', 'platform data directory (embedded database in <dir>/db)'))
    .action(async (opts: FeesCliOptions) => {
      const platform = await loadPlatform();
      const month = opts.month ?? platform.currentFeeMonth(new Date());
      platform.parseFeeMonth(month);
      const config = platform.parsePlatformConfig(
        serveConfig(
          {
            ...(opts.config === undefined ? {} : { config: opts.config }),
            ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
            ...(opts.databaseUrl === undefined ? {} : { databaseUrl: opts.databaseUrl }),
          },
          process.env,
          undefined,
        ),
      );
      const database = await platform.openDatabase(
        config.databaseUrl === undefined
          ? { dataDir: join(config.dataDir, 'db') }
          : { url: config.databaseUrl },
      );
      let report: PlatformModule.FeeReport;
      try {
        await platform.migrateToLatest(database.db);
        report = await platform.feeReport(database.db, month);
      } finally {
        await database.close();
      }
      const r = report;
      emit(opts.json, r, () =>
        [
          `J-LIS fees for ${r.month} (Japan time: ${r.from} – ${r.to})`,
          table([
            ...r.lines.map((l): [string, string] => [
              `${l.clientId ?? '(platform)'} · ${l.purpose}`,
              `${l.queries.toLocaleString('en-US')} queries${l.failed > 0 ? ` (${l.failed} failed)` : ''}, ${yen(l.yen)}`,
            ]),
            ...r.methods.map((m): [string, string] => [
              `by method: ${m.method}`,
              `${m.queries.toLocaleString('en-US')} queries, ${yen(m.yen)}`,
            ]),
            ['total', `${r.total.queries.toLocaleString('en-US')} queries, ${yen(r.total.yen)}`],
          ]),
        ].join('\n'),
      );
    });
}
