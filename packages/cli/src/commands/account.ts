/**
 * Account commands for the operator (abuse, a court order, a resident's request by phone): a thin
 * shell over `changeAccountStatus` of @watashi/platform (lifecycle/account-status.ts), which
 * changes the status, the sessions and grants, writes the audit events and queues the resident's
 * notice and the RPs' events in one transaction.
 *
 * - `watashi account suspend <account-id> --reason TEXT [--json]` — sessions end, logins and RP
 *   tokens are refused until a resume; RPs get RISC account-disabled.
 * - `watashi account resume <account-id> --reason TEXT [--json]` — lifts an operator's suspension
 *   only (a lost card's hold is J-LIS's: exit 8, `account_hold_resume_refused`).
 * - `watashi account close <account-id> --reason TEXT [--erase] [--json]` — for good: sessions,
 *   authenticators, grants and tokens end; RPs get RISC account-purged and a back-channel logout.
 *   `--erase` when the resident asked: their data is erased as their own closure erases it.
 *
 * `--reason` is kept in the audit log for good: a case reference, not personal data. Store options
 * as for `watashi rp` (`--database-url`, `--data-dir`, `--keys-dir`: the platform's own key store,
 * which computes the RPs' pairwise subjects). Exit codes: 3 bad id or reason, 5 unknown account,
 * 8 refused by the account's state (already closed or suspended, not resumable).
 */
import type { Command } from 'commander';
import type { AccountStatusChange } from '@watashi/platform/cli';
import { emit, table } from '../output.ts';
import { storeOptions, withRegistry, type StoreOptions } from './rp.ts';

interface AccountOptions extends StoreOptions {
  reason: string;
  erase?: boolean;
  json?: boolean;
}

function human(c: AccountStatusChange): string {
  return table([
    ['account', c.accountId],
    ['status', `${c.from} → ${c.to}${c.reason === null ? '' : ` (${c.reason})`}`],
    ['at', c.at],
    ['sessions ended', String(c.sessionsRevoked)],
    ['grants revoked', String(c.grantsRevoked)],
    ['events queued', String(c.deliveries)],
    [
      'erased',
      c.erased === null
        ? '-'
        : Object.entries(c.erased)
            .map(([k, n]) => `${k} ${n}`)
            .join(', '),
    ],
  ]);
}

/** Registers `account suspend|resume|close` on `program`. */
export function registerAccountCommands(program: Command): void {
  const account = program
    .command('account')
    .description('Suspend, resume or close a private ID (operator actions, audited, RPs told).');

  const actions = {
    suspend: 'Suspend an account: sessions end, logins and RP tokens are refused until resumed.',
    resume: "Lift an operator's suspension (not a lost card's hold, which J-LIS lifts).",
    close: 'Close an account for good: sessions, grants and tokens end; RPs are told.',
  } as const;
  for (const [action, description] of Object.entries(actions) as Array<[keyof typeof actions, string]>) {
    const cmd = account
      .command(action)
      .description(description)
      .argument('<account-id>')
      .requiredOption(
        '--reason <text>',
        'why (a case reference; kept in the audit log for good, so no personal data)',
      );
    if (action === 'close')
      cmd.option('--erase', 'the resident asked: erase their data as their own closure does');
    storeOptions(cmd.option('--json', 'print JSON')).action(async (id: string, opts: AccountOptions) => {
      const change = await withRegistry(opts, (deps, platform) =>
        platform.changeAccountStatus(deps, {
          action,
          by: 'operator',
          operator: 'cli',
          accountId: id,
          reason: opts.reason,
          ...(opts.erase === true ? { erase: true } : {}),
        }),
      );
      emit(opts.json, change, human);
    });
  }
}
