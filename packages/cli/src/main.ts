/**
 * `watashi` — a thin shell over library functions and the simulator's HTTP API (docs/conventions.md §14):
 * `--help` on every command, `--json` on every command that prints data, exit codes from error codes.
 */
import { Command, CommanderError, Option } from 'commander';
import { isWatashiError } from '@watashi/pki';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { DEFAULT_SIM_URL } from './http.ts';
import { parseSimUrl } from './options.ts';
import { registerCardCommands } from './commands/card.ts';
import { registerCardBridgeCommand } from './commands/card-bridge.ts';
import { registerPlatformCommands } from './commands/platform.ts';
import { registerSweepCommands } from './commands/sweep.ts';
import { registerRpCommands } from './commands/rp.ts';
import { registerEventsCommands } from './commands/events.ts';
import { registerFeesCommands } from './commands/fees.ts';
import { registerAccountCommands } from './commands/account.ts';
import { registerKeysCommands } from './commands/keys.ts';
import { registerDeviceCommands } from './commands/device.ts';
import { SIM_SUMMARY } from './commands/sim-summary.ts';
import { registerSignatureCommands } from './commands/signature.ts';

/**
 * Builds the command tree (exported for tests). The `sim` commands, the only ones that run the
 * simulator in this process, are loaded (with `@watashi/jlis-sim`) only when `argv` names `sim`;
 * otherwise `sim` is listed by name in the help and nothing of the simulator is imported, so every
 * other command starts without it.
 */
export async function program(argv: ReadonlyArray<string> = []): Promise<Command> {
  const p = new Command('watashi')
    .description('Watashi — open digital identity anchored on the My Number card (JPKI).')
    .addOption(
      new Option('--sim <url>', 'J-LIS simulator URL (env WATASHI_SIM_URL)')
        .argParser(parseSimUrl)
        .default(DEFAULT_SIM_URL),
    )
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError()
    .exitOverride();
  registerPlatformCommands(p);
  if (argv.slice(2).includes('sim')) {
    const { registerSimCommands } = await import('./commands/sim.ts');
    registerSimCommands(p);
  } else p.command('sim').description(SIM_SUMMARY);
  registerCardCommands(p);
  registerCardBridgeCommand(p);
  registerSweepCommands(p);
  registerRpCommands(p);
  registerEventsCommands(p);
  registerFeesCommands(p);
  registerAccountCommands(p);
  registerKeysCommands(p);
  registerSignatureCommands(p);
  registerDeviceCommands(p);
  return p;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: ReadonlyArray<string>): Promise<number> {
  try {
    await (await program(argv)).parseAsync([...argv]);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (isWatashiError(e)) {
      process.stderr.write(`watashi: ${e.message} [${e.code}]\n${causes(e)}`);
      return exitCodeFor(e.code);
    }
    process.stderr.write(`watashi: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.failure;
  }
}

/**
 * The chain of causes under an error, one indented line each (at most five): what the operator
 * needs to act on `store_migration_failed` or `store_unavailable` is the database's own words.
 */
function causes(e: Error): string {
  let out = '';
  let c: unknown = e.cause;
  for (let i = 0; i < 5 && c !== undefined && c !== null; i++) {
    const message = c instanceof Error ? c.message : JSON.stringify(c);
    const code = c instanceof Error && 'code' in c && typeof c.code === 'string' ? ` [${c.code}]` : '';
    out += `  because: ${message}${code}\n`;
    c = c instanceof Error ? c.cause : undefined;
  }
  return out;
}
