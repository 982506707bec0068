/**
 * RP registry commands (issue 4, docs/architecture.md §3.3): a thin shell over the registry functions of
 * @watashi/platform (`addRelyingParty`, `listRelyingParties`, `getRelyingParty`,
 * `removeRelyingParty`).
 *
 * - `watashi rp add --name N --purpose P --redirect-uri URL… [--post-logout-redirect-uri URL…]
 *   [--auth private_key_jwt|client_secret_basic] [--jwks-file FILE | --jwks-uri URL]
 *   [--claims name,birthdate,…] [--min-acr ACR] [--sector ID] [--client-id ID] [--dpop]
 *   [--require-par] [--resource-server] [--backchannel-logout-uri URL] [--events-endpoint URL] [--webhook-url URL]
 *   [--ciba poll|ping [--ciba-notification-endpoint URL]] [--json]` —
 *   registers an RP; prints its client_id and, for client_secret_basic, its client secret; with
 *   `--webhook-url`, its webhook signing secret (each shown once, stored sealed).
 * - `watashi rp list [--all] [--json]`, `watashi rp show <client_id> [--json]`,
 *   `watashi rp remove <client_id>` (disables it and revokes what it was issued).
 *
 * Every command takes the platform store as `audit verify` does (`--database-url URL`, env
 * `DATABASE_URL`, or `--data-dir DIR` for the embedded database in `<dir>/db`, default
 * `.data/platform`) and the local key store (`--keys-dir DIR`, default `<data-dir>/keys`): the
 * platform must run with the same key store, which seals client secrets. Exit codes: 3 invalid
 * registration, 5 unknown client_id, 8 client_id already registered.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { WatashiError } from '@watashi/pki';
import type * as PlatformModule from '@watashi/platform/cli';
import type { RelyingParty } from '@watashi/platform/cli';
import { columns, emit, table } from '../output.ts';

/** The platform module is heavy (database engines, OIDC): loaded when an rp command runs. */
const loadPlatform = (): Promise<typeof PlatformModule> => import('@watashi/platform/cli');

/** Store options common to every rp command. */
export interface StoreOptions {
  databaseUrl?: string;
  dataDir?: string;
  keysDir?: string;
}

const DEFAULT_DATA_DIR = '.data/platform';

const cliError = (code: string, message: string, cause?: unknown): WatashiError =>
  new WatashiError(code, message, cause === undefined ? undefined : { cause });

/** Adds the store options (`--database-url`, `--data-dir`, `--keys-dir`) to `cmd`. */
export function storeOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--database-url <url>', 'PostgreSQL URL (default: env DATABASE_URL)').conflicts('dataDir'),
    )
    .addOption(
      new Option(
        '--data-dir <dir>',
        `platform data directory (embedded database in <dir>/db; default ${DEFAULT_DATA_DIR})`,
      ),
    )
    .option('--keys-dir <dir>', 'local key store directory (default <data-dir>/keys)');
}

/** Opens the store and the (whole) key store, runs `fn`, closes the store. */
export async function withRegistry<T>(
  opts: StoreOptions,
  fn: (
    deps: PlatformModule.RegistryDeps & { readonly keys: PlatformModule.KeyStore },
    platform: typeof PlatformModule,
  ) => Promise<T>,
): Promise<T> {
  const platform = await loadPlatform();
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  const url = opts.databaseUrl ?? (opts.dataDir === undefined ? process.env['DATABASE_URL'] : undefined);
  const database = await platform.openDatabase(
    url !== undefined && url !== '' ? { url } : { dataDir: join(dataDir, 'db') },
  );
  try {
    await platform.migrateToLatest(database.db);
    const keys = platform.openLocalKeyStore({ dir: opts.keysDir ?? join(dataDir, 'keys') });
    return await fn({ database, db: database.db, keys, now: () => new Date() }, platform);
  } finally {
    await database.close();
  }
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function rpRows(rp: RelyingParty): Array<[string, string]> {
  return [
    ['client_id', rp.clientId],
    ['name', rp.name],
    ['purpose', rp.purpose],
    ['redirect_uris', rp.redirectUris.join(' ')],
    ['post_logout_redirect_uris', rp.postLogoutRedirectUris.join(' ') || '-'],
    ['token_endpoint_auth_method', rp.tokenEndpointAuthMethod],
    ['allowed claims', rp.allowedClaims.join(' ') || '-'],
    ['minimum acr', rp.minAcr ?? '-'],
    ['sector', rp.sectorIdentifier],
    ['dpop bound', rp.dpopBoundAccessTokens ? 'yes' : 'no'],
    ['par required', rp.requirePar ? 'yes' : 'no'],
    ['resource server', rp.resourceServer ? 'yes' : 'no'],
    ['events endpoint', rp.eventsEndpoint ?? '-'],
    ['webhook url', rp.webhookUrl ?? '-'],
    ['created', rp.createdAt.toISOString()],
    ['removed', rp.disabledAt?.toISOString() ?? '-'],
  ];
}

function rpJson(rp: RelyingParty): Record<string, unknown> {
  return {
    ...rp,
    createdAt: rp.createdAt.toISOString(),
    disabledAt: rp.disabledAt?.toISOString() ?? null,
  };
}

/** Options of `rp add`. */
interface AddOptions extends StoreOptions {
  name: string;
  purpose: string;
  redirectUri: string[];
  postLogoutRedirectUri?: string[];
  auth: 'private_key_jwt' | 'client_secret_basic';
  jwksFile?: string;
  jwksUri?: string;
  claims?: string;
  minAcr?: string;
  sector?: string;
  clientId?: string;
  dpop?: boolean;
  requirePar?: boolean;
  resourceServer?: boolean;
  backchannelLogoutUri?: string;
  eventsEndpoint?: string;
  webhookUrl?: string;
  ciba?: 'poll' | 'ping';
  cibaNotificationEndpoint?: string;
  json?: boolean;
}

function readJwks(path: string): { keys: Array<Record<string, unknown>> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw cliError('invalid_jwks_file', `cannot read a JWK Set from ${path}`, cause);
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) throw cliError('invalid_jwks_file', `${path} is not a JWK Set ({"keys": […]})`);
  for (const k of keys as Array<Record<string, unknown>>)
    if ('d' in k)
      throw cliError('invalid_jwks_file', `${path} holds a private key; give the public keys only`);
  return { keys: keys as Array<Record<string, unknown>> };
}

/** Registers `rp add|list|show|remove` on `program`. */
export function registerRpCommands(program: Command): void {
  const rp = program
    .command('rp')
    .description('Relying-party registry (who may ask for what, why, at which level).');

  storeOptions(
    rp
      .command('add')
      .description('Register a relying party; prints its client_id (and a client secret, shown once).')
      .requiredOption('--name <name>', 'name shown to residents on the consent screen')
      .requiredOption('--purpose <text>', 'stated purpose (利用目的) shown on the consent screen')
      .requiredOption('--redirect-uri <url>', 'redirect URI (repeatable)', collect)
      .option('--post-logout-redirect-uri <url>', 'post-logout redirect URI (repeatable)', collect)
      .addOption(
        new Option('--auth <method>', 'token endpoint authentication')
          .choices(['private_key_jwt', 'client_secret_basic'])
          .default('private_key_jwt'),
      )
      .option('--jwks-file <file>', 'the RP public keys (JWK Set) for private_key_jwt')
      .option('--jwks-uri <url>', 'where the RP publishes its keys, for private_key_jwt')
      .option('--claims <list>', 'claims the RP may receive, comma-separated (e.g. name,over_20)')
      .option('--min-acr <acr>', 'least acr the RP accepts (see /assurance)')
      .option('--sector <id>', 'pairwise sector (default: the client_id)')
      .option('--client-id <id>', 'client_id to use (default: random)')
      .option('--dpop', 'require DPoP-bound access tokens (its refresh tokens are then not rotated)')
      .option('--resource-server', 'may introspect access tokens (RFC 7662) with its client credentials')
      .option('--require-par', 'accept authorization requests only through PAR (RFC 9126)')
      .option('--backchannel-logout-uri <url>', 'OpenID back-channel logout URI')
      .option('--events-endpoint <url>', 'Security Event Token push endpoint (RFC 8935)')
      .option('--webhook-url <url>', 'signed JSON webhook for lifecycle events (prints its secret once)')
      .addOption(
        new Option('--ciba <mode>', 'enable OpenID Connect CIBA (out-of-band approval) in this mode').choices(
          ['poll', 'ping'],
        ),
      )
      .option('--ciba-notification-endpoint <url>', 'CIBA ping mode: where the RP is notified (https)')
      .option('--json', 'print JSON'),
  ).action(async (opts: AddOptions) => {
    const added = await withRegistry(opts, (deps, platform) =>
      platform.addRelyingParty(deps, {
        name: opts.name,
        purpose: opts.purpose,
        redirectUris: opts.redirectUri,
        postLogoutRedirectUris: opts.postLogoutRedirectUri ?? [],
        tokenEndpointAuthMethod: opts.auth,
        ...(opts.jwksFile === undefined ? {} : { jwks: readJwks(opts.jwksFile) }),
        ...(opts.jwksUri === undefined ? {} : { jwksUri: opts.jwksUri }),
        allowedClaims:
          opts.claims === undefined
            ? []
            : opts.claims
                .split(',')
                .map((c) => c.trim())
                .filter((c) => c.length > 0),
        ...(opts.minAcr === undefined ? {} : { minAcr: opts.minAcr }),
        ...(opts.sector === undefined ? {} : { sectorIdentifier: opts.sector }),
        ...(opts.clientId === undefined ? {} : { clientId: opts.clientId }),
        dpopBoundAccessTokens: opts.dpop === true,
        requirePar: opts.requirePar === true,
        resourceServer: opts.resourceServer === true,
        ...(opts.backchannelLogoutUri === undefined
          ? {}
          : { backchannelLogoutUri: opts.backchannelLogoutUri }),
        ...(opts.eventsEndpoint === undefined ? {} : { eventsEndpoint: opts.eventsEndpoint }),
        ...(opts.webhookUrl === undefined ? {} : { webhookUrl: opts.webhookUrl }),
        ...(opts.ciba === undefined ? {} : { cibaDeliveryMode: opts.ciba }),
        ...(opts.cibaNotificationEndpoint === undefined
          ? {}
          : { cibaNotificationEndpoint: opts.cibaNotificationEndpoint }),
      }),
    );
    emit(
      opts.json,
      {
        ...rpJson(added.relyingParty),
        ...(added.clientSecret === undefined ? {} : { clientSecret: added.clientSecret }),
        ...(added.webhookSecret === undefined ? {} : { webhookSecret: added.webhookSecret }),
      },
      () =>
        table([
          ...rpRows(added.relyingParty),
          ...(added.clientSecret === undefined
            ? []
            : ([['client_secret', `${added.clientSecret}  (shown once; store it now)`]] as Array<
                [string, string]
              >)),
          ...(added.webhookSecret === undefined
            ? []
            : ([['webhook_secret', `${added.webhookSecret}  (shown once; store it now)`]] as Array<
                [string, string]
              >)),
        ]),
    );
  });

  storeOptions(
    rp
      .command('list')
      .description('List registered relying parties.')
      .option('--all', 'include removed ones')
      .option('--json', 'print JSON'),
  ).action(async (opts: StoreOptions & { all?: boolean; json?: boolean }) => {
    const list = await withRegistry(opts, (deps, platform) =>
      platform.listRelyingParties(deps, { includeRemoved: opts.all === true }),
    );
    emit(opts.json, list.map(rpJson), () =>
      list.length === 0
        ? 'no relying parties'
        : columns(
            ['client_id', 'name', 'auth', 'min acr', 'claims', 'status'],
            list.map((r) => [
              r.clientId,
              r.name,
              r.tokenEndpointAuthMethod,
              r.minAcr ?? '-',
              r.allowedClaims.join(',') || '-',
              r.disabledAt === null ? 'live' : 'removed',
            ]),
          ),
    );
  });

  storeOptions(
    rp
      .command('show')
      .description('Show one relying party.')
      .argument('<client_id>')
      .option('--json', 'print JSON'),
  ).action(async (clientId: string, opts: StoreOptions & { json?: boolean }) => {
    const found = await withRegistry(opts, (deps, platform) => platform.getRelyingParty(deps, clientId));
    emit(opts.json, rpJson(found), () => table(rpRows(found)));
  });

  storeOptions(
    rp
      .command('remove')
      .description(
        'Remove a relying party: it is disabled, its grants and tokens are revoked; its client_id is never reused.',
      )
      .argument('<client_id>')
      .option('--json', 'print JSON'),
  ).action(async (clientId: string, opts: StoreOptions & { json?: boolean }) => {
    await withRegistry(opts, (deps, platform) => platform.removeRelyingParty(deps, clientId));
    emit(opts.json, { clientId, removed: true }, () => `removed ${clientId}`);
  });
}
