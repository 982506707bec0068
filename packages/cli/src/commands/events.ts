/**
 * Event outbox commands (issue 5 "Events to RPs"): a thin shell over `listDeliveries` and
 * `retryDelivery` of @watashi/platform, for the operator.
 *
 * - `watashi events list [--status pending|delivered|dead] [--limit N] [--json]` — deliveries,
 *   newest first: id, RP, channel, event type, status, attempts, last error, next attempt.
 * - `watashi events retry <id>` — puts a dead delivery back in the queue (attempts from zero,
 *   due now; audited `event.delivery_retried`). Exit 5 unknown id, 8 not dead.
 *
 * Store options as for `watashi rp` (`--database-url`, `--data-dir`, `--keys-dir`).
 */
import { Option, type Command } from 'commander';
import { integerIn } from '../options.ts';
import { columns, emit } from '../output.ts';
import { storeOptions, withRegistry, type StoreOptions } from './rp.ts';

/** The short name of an event type URI (its last path segment). */
const shortType = (uri: string): string => uri.slice(uri.lastIndexOf('/') + 1);

/** Registers `events list|retry` on `program`. */
export function registerEventsCommands(program: Command): void {
  const events = program
    .command('events')
    .description('Lifecycle events to relying parties: the delivery outbox.');

  storeOptions(
    events
      .command('list')
      .description('List event deliveries, newest first.')
      .addOption(
        new Option('--status <status>', 'only deliveries in this state').choices([
          'pending',
          'delivered',
          'dead',
        ]),
      )
      .option('--limit <n>', 'at most this many (default 100)', integerIn(1, 10_000))
      .option('--json', 'print JSON'),
  ).action(
    async (
      opts: StoreOptions & { status?: 'pending' | 'delivered' | 'dead'; limit?: number; json?: boolean },
    ) => {
      const list = await withRegistry(opts, (deps, platform) =>
        platform.listDeliveries(deps.db, {
          ...(opts.status === undefined ? {} : { status: opts.status }),
          ...(opts.limit === undefined ? {} : { limit: opts.limit }),
        }),
      );
      emit(opts.json, list, () =>
        list.length === 0
          ? 'no deliveries'
          : columns(
              ['id', 'client_id', 'channel', 'event', 'status', 'attempts', 'last error', 'next attempt'],
              list.map((d) => [
                d.id,
                d.clientId,
                d.channel,
                shortType(d.eventType),
                d.status,
                String(d.attempts),
                d.lastError ?? '-',
                d.nextAttemptAt ?? '-',
              ]),
            ),
      );
    },
  );

  storeOptions(
    events
      .command('retry')
      .description('Retry a dead delivery (attempts start again from zero).')
      .argument('<id>')
      .option('--json', 'print JSON'),
  ).action(async (id: string, opts: StoreOptions & { json?: boolean }) => {
    await withRegistry(opts, (deps, platform) => platform.retryDelivery(deps, id));
    emit(opts.json, { id, status: 'pending' }, () => `${id} is pending again`);
  });
}
