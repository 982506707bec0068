/**
 * J-LIS simulator commands. `sim serve` runs the simulator in this process (the one place outside
 * tests that imports `@watashi/jlis-sim`, docs/conventions.md habit 1; main.ts loads this module
 * only for `watashi sim …`); every other command is a thin shell
 * over the simulator's HTTP API (`packages/jlis-sim/src/http/routes.ts`) at `--sim URL`
 * (default `WATASHI_SIM_URL`, else http://127.0.0.1:8790):
 *
 * - `sim serve [--port N] [--host H] [--data-dir DIR] [--seed S] [--public-url URL] [--residents N]
 *   [--config FILE] [--log-level L] [--json]` — prints the banner, stops on SIGINT/SIGTERM;
 * - `sim info` — `GET /info`;
 * - `sim resident add [--name …] [--kana …] [--address …] [--birth YYYY-MM-DD] [--sex …] [--count N]`
 *   — `POST /residents` (N times, with a progress bar);
 * - `sim resident list`, `sim resident show <id>`, `sim resident events <id>`;
 * - `sim card issue <resident> [--kind card|smartphone] [--os android|ios] [--with-smartphone]
 *   [--sign-pin P] [--auth-pin P] [--generation G] [--replace]` — `POST /residents/{id}/cards|devices`;
 * - `sim event <type> <resident> [--address A] [--name N] [--no-reissue]` — `POST /residents/{id}/events`;
 * - `sim crl publish [--out DIR]` — `POST /admin/crl/publish`, then downloads each CRL (progress bar);
 * - `sim ocsp refresh` — `POST /admin/ocsp/refresh`;
 * - `sim fees [--month YYYY-MM] [--operator ID]` — `GET /fees`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import { WatashiError } from '@watashi/pki';
import {
  EVENT_TYPES,
  banner,
  configDocs,
  createSimulator,
  type InfoDocument,
  type IssuedToken,
  type LifeEventType,
  type ResidentView,
  type SimConfigInput,
} from '@watashi/jlis-sim';
import { call } from '../http.ts';
import { integerIn, isoDate, isoMonth, simUrlOf } from '../options.ts';
import { columns, emit, table } from '../output.ts';
import { startProgress } from '../progress.ts';
import { untilSignal } from '../signals.ts';
import { SIM_SUMMARY } from './sim-summary.ts';

/** Where `sim serve` keeps its state unless told otherwise (`.data/` is git-ignored). */
export const DEFAULT_SIM_DATA_DIR = '.data/jlis-sim';

const SEX_CODES: Readonly<Record<string, '1' | '2' | '3'>> = {
  '1': '1',
  '2': '2',
  '3': '3',
  male: '1',
  female: '2',
  unknown: '3',
};
const SEX_NAMES: Readonly<Record<string, string>> = { '1': 'male', '2': 'female', '3': 'unknown' };

function parseSex(value: string): '1' | '2' | '3' {
  const code = SEX_CODES[value.toLowerCase()];
  if (code === undefined) throw new InvalidArgumentError('expected male, female, unknown (or 1, 2, 3)');
  return code;
}

/** A logged life event (`POST /residents/{id}/events`). */
interface EventView {
  readonly id: string;
  readonly residentId: string;
  readonly type: string;
  readonly at: string;
  readonly effects: ReadonlyArray<{ serial: string; purpose: string; effect: string }>;
}

/** One CRL published by `POST /admin/crl/publish`. */
interface PublishedCrl {
  readonly purpose: 'sign' | 'auth';
  readonly generation: string;
  readonly crlNumber: string;
  readonly entries: number;
}

/** `GET /fees`. */
interface FeeReport {
  readonly rows: ReadonlyArray<{
    operatorId: string;
    month: string;
    purpose: string;
    item: string;
    count: number;
    yen: number;
  }>;
  readonly totals: { count: number; yen: number };
}

const residentPath = (id: string): string => `residents/${encodeURIComponent(id)}`;

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new WatashiError('config_file_not_found', `cannot read ${path}`, { cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new WatashiError('config_invalid', `${path} is not JSON`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new WatashiError('config_invalid', `${path} must hold a JSON object`);
  return parsed as Record<string, unknown>;
}

/** Options of `sim serve`. */
interface ServeOptions {
  port?: number;
  host?: string;
  dataDir?: string;
  seed?: string;
  publicUrl?: string;
  residents?: number;
  config?: string;
  logLevel?: string;
  json?: boolean;
}

/**
 * The simulator configuration `sim serve` runs with: the JSON file, then the flags. The simulator
 * validates it (`config_invalid` lists every problem; unknown keys are errors).
 */
export function simServeConfig(opts: ServeOptions): Record<string, unknown> {
  const config = opts.config === undefined ? {} : readConfigFile(opts.config);
  if (opts.dataDir !== undefined) config['dataDir'] = opts.dataDir;
  config['dataDir'] ??= DEFAULT_SIM_DATA_DIR;
  if (opts.port !== undefined) config['port'] = opts.port;
  if (opts.host !== undefined) config['host'] = opts.host;
  if (opts.seed !== undefined) config['seed'] = opts.seed;
  if (opts.publicUrl !== undefined) config['publicUrl'] = opts.publicUrl;
  if (opts.residents !== undefined) config['initialResidents'] = opts.residents;
  if (opts.logLevel !== undefined) config['logLevel'] = opts.logLevel;
  return config;
}

async function serve(opts: ServeOptions): Promise<void> {
  // The simulator validates the object (zod, unknown keys rejected); the cast only names its type.
  const config = simServeConfig(opts) as SimConfigInput;
  // With --json, stdout carries one JSON document: the simulator's log lines go to stderr.
  const s = await createSimulator(config, opts.json ? { logFd: 2 } : {});
  let url: string;
  try {
    url = await s.listen();
  } catch (cause) {
    await s.close();
    const inUse = (cause as NodeJS.ErrnoException).code === 'EADDRINUSE';
    throw new WatashiError(
      inUse ? 'sim_port_in_use' : 'sim_listen_failed',
      inUse
        ? `port ${String(s.sim.config.port)} on ${s.sim.config.host} is in use (try --port 0 for a free one)`
        : `the simulator could not listen on ${s.sim.config.host}:${String(s.sim.config.port)}`,
      { cause },
    );
  }
  const info = s.sim.info();
  const seed = s.sim.ctx.state.seed;
  if (opts.json) emit(true, { url, dataDir: s.sim.config.dataDir, seed, info }, () => '');
  else process.stdout.write(banner(info, s.sim.config.dataDir, seed));
  const sig = await untilSignal();
  process.stderr.write(`watashi: ${sig}, stopping the simulator\n`);
  await s.close();
}

function residentRows(r: ResidentView): Array<[string, string]> {
  return [
    ['id', r.id],
    ['name', r.nameKana === undefined ? r.name : `${r.name} (${r.nameKana})`],
    ['address', r.address],
    ['birth date', r.birthDate],
    ['sex', SEX_NAMES[r.sex] ?? r.sex],
    ['status', r.status],
    ['created', r.createdAt],
    ['updated', r.updatedAt],
  ];
}

function showResident(r: ResidentView): string {
  const parts = [table(residentRows(r))];
  parts.push(
    '',
    r.tokens.length === 0
      ? 'tokens: none'
      : columns(
          ['TOKEN', 'KIND', 'STATUS', 'ISSUED', 'EXPIRES', 'SIGN SERIAL', 'AUTH SERIAL'],
          r.tokens.map((t) => [
            t.id,
            t.kind,
            t.status,
            t.issuedAt.slice(0, 10),
            t.expiresAt.slice(0, 10),
            t.signSerial ?? '-',
            t.authSerial ?? '-',
          ]),
        ),
  );
  if (r.certificates.length > 0)
    parts.push(
      '',
      columns(
        ['SERIAL', 'PURPOSE', 'GENERATION', 'VARIANT', 'TOKEN', 'NOT AFTER', 'STATUS'],
        r.certificates.map((c) => [
          c.serial,
          c.purpose,
          c.generation,
          c.variant,
          c.tokenId,
          c.notAfter.slice(0, 10),
          c.status === 'good' ? 'good' : `${c.status} (${c.reason ?? ''})`,
        ]),
      ),
    );
  return parts.join('\n');
}

function issuedRows(label: string, t: IssuedToken): Array<[string, string]> {
  return [
    [label, `${t.tokenId} (${t.kind}, generation ${t.generation}, expires ${t.expiresAt.slice(0, 10)})`],
    ['  signing certificate', t.signSerial ?? 'none (holder under 15)'],
    ['  auth certificate', t.authSerial],
    ['  signing password', t.signPin ?? '-'],
    ['  auth PIN', t.authPin],
  ];
}

function showEvent(e: EventView): string {
  const head = table([
    ['event', `${e.id} (${e.type})`],
    ['resident', e.residentId],
    ['at', e.at],
  ]);
  if (e.effects.length === 0) return `${head}\n\nno certificate affected`;
  return `${head}\n\n${columns(
    ['SERIAL', 'PURPOSE', 'EFFECT'],
    e.effects.map((x) => [x.serial, x.purpose, x.effect]),
  )}`;
}

/** Registers the `sim` command tree on `program`. */
export function registerSimCommands(program: Command): void {
  const sim = program.command('sim').description(SIM_SUMMARY);

  sim
    .command('serve')
    .description(
      'Run the J-LIS simulator in this process; prints its banner and URLs, stops on SIGINT/SIGTERM.',
    )
    .option('--port <n>', 'TCP port, 0 for a free one (default 8790)', integerIn(0, 65535))
    .option('--host <addr>', 'address to listen on (default 127.0.0.1: the simulator has no authentication)')
    .option('--data-dir <dir>', `state, CA keys and CRLs (default ${DEFAULT_SIM_DATA_DIR})`)
    .option('--seed <seed>', 'PRNG seed: residents, PINs, ids and serials are reproducible')
    .option('--public-url <url>', 'base URL advertised in /info')
    .option('--residents <n>', 'residents with cards generated at first start', integerIn(0, 1000))
    .option('--config <file>', 'JSON simulator configuration; flags override it (keys below)')
    .addOption(
      new Option('--log-level <level>', 'log level (pino, on stdout; on stderr with --json)').choices([
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
        'silent',
      ]),
    )
    .option('--json', 'print {url, dataDir, seed, info} as JSON instead of the banner')
    .addHelpText(
      'after',
      () =>
        `\nConfiguration keys (--config):\n${configDocs()
          .map((l) => `  ${l}`)
          .join('\n')}`,
    )
    .action((opts: ServeOptions) => serve(opts));

  sim
    .command('info')
    .description('Where everything is: OCSP URL, CRL URLs, CA certificates with SHA-256 (GET /info).')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const info = await call<InfoDocument>(simUrlOf(cmd), 'GET', 'info');
      emit(opts.json, info, (i: InfoDocument) =>
        [
          table([
            ['base URL', i.baseUrl],
            [
              'OCSP',
              `${i.ocspUrl} (refreshed ${i.ocspRefreshedAt}, every ${String(i.ocspRefreshSeconds)} s)`,
            ],
            ['CRL interval', `${String(i.crlIntervalSeconds)} s`],
          ]),
          '',
          columns(
            ['PURPOSE', 'GENERATION', 'CRL NUMBER', 'NEXT UPDATE', 'CRL URL'],
            i.crls.map((c) => [c.purpose, c.generation, c.crlNumber ?? '-', c.nextUpdate ?? '-', c.url]),
          ),
          '',
          columns(
            ['PURPOSE', 'GENERATION', 'NOT AFTER', 'SHA-256', 'CA CERTIFICATE URL'],
            i.caCertificates.map((c) => [
              c.purpose,
              c.generation,
              c.notAfter.slice(0, 10),
              `${c.sha256.slice(0, 16)}…`,
              c.url,
            ]),
          ),
        ].join('\n'),
      );
    });

  // --- residents ------------------------------------------------------------------------------
  const resident = sim.command('resident').description('Residents of the simulated registry (住民基本台帳).');

  resident
    .command('add')
    .description('Add a resident; fields not given are generated from the seed. --count adds many.')
    .option('--name <name>', '氏名: surname, U+3000 (ideographic space), given name')
    .option('--kana <reading>', 'reading in katakana')
    .option('--address <address>', '住所, from the prefecture')
    .option('--birth <date>', 'date of birth, YYYY-MM-DD', isoDate)
    .option('--sex <sex>', 'male, female or unknown (1, 2, 3)', parseSex)
    .option('--count <n>', 'add N residents (the same given fields for each)', integerIn(1, 1000))
    .option('--json', 'print JSON (an array with --count)')
    .action(
      async (
        opts: {
          name?: string;
          kana?: string;
          address?: string;
          birth?: string;
          sex?: '1' | '2' | '3';
          count?: number;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const body = {
          ...(opts.name === undefined ? {} : { name: opts.name }),
          ...(opts.kana === undefined ? {} : { nameKana: opts.kana }),
          ...(opts.address === undefined ? {} : { address: opts.address }),
          ...(opts.birth === undefined ? {} : { birthDate: opts.birth }),
          ...(opts.sex === undefined ? {} : { sex: opts.sex }),
        };
        const base = simUrlOf(cmd);
        if (opts.count === undefined) {
          const r = await call<ResidentView>(base, 'POST', 'residents', body);
          emit(opts.json, r, (v: ResidentView) => table(residentRows(v)));
          return;
        }
        const added: ResidentView[] = [];
        const bar = startProgress('adding residents', opts.count);
        try {
          for (let i = 0; i < opts.count; i++) {
            added.push(await call<ResidentView>(base, 'POST', 'residents', body));
            bar.increment();
          }
        } finally {
          bar.stop();
        }
        emit(opts.json, added, (list: ResidentView[]) =>
          columns(
            ['ID', 'BIRTH DATE', 'SEX', 'NAME'],
            list.map((r) => [r.id, r.birthDate, SEX_NAMES[r.sex] ?? r.sex, r.name]),
          ),
        );
      },
    );

  resident
    .command('list')
    .description('List residents.')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const list = await call<ResidentView[]>(simUrlOf(cmd), 'GET', 'residents');
      emit(opts.json, list, (l: ResidentView[]) =>
        l.length === 0
          ? 'no residents'
          : columns(
              ['ID', 'STATUS', 'BIRTH DATE', 'ACTIVE TOKENS', 'NAME'],
              l.map((r) => [
                r.id,
                r.status,
                r.birthDate,
                r.tokens
                  .filter((t) => t.status === 'active')
                  .map((t) => t.id)
                  .join(',') || '-',
                r.name,
              ]),
            ),
      );
    });

  resident
    .command('show')
    .description('Show a resident with tokens (cards, smartphones) and certificates.')
    .argument('<resident>', 'resident id (r-…)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const r = await call<ResidentView>(simUrlOf(cmd), 'GET', residentPath(id));
      emit(opts.json, r, showResident);
    });

  resident
    .command('events')
    .description("A resident's life events and their effect on each certificate.")
    .argument('<resident>', 'resident id (r-…)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const events = await call<EventView[]>(simUrlOf(cmd), 'GET', `${residentPath(id)}/events`);
      emit(opts.json, events, (l: EventView[]) =>
        l.length === 0
          ? 'no events'
          : columns(
              ['EVENT', 'TYPE', 'AT', 'EFFECTS'],
              l.map((e) => [
                e.id,
                e.type,
                e.at,
                e.effects.map((x) => `${x.serial}:${x.purpose}:${x.effect}`).join(' ') || '-',
              ]),
            ),
      );
    });

  // --- cards ----------------------------------------------------------------------------------
  const card = sim.command('card').description('Issue cards and smartphone certificates.');

  card
    .command('issue')
    .description(
      'Issue a My Number card (both certificates; no signing certificate under 15) or set up a smartphone. ' +
        'PINs are generated when not given and shown once.',
    )
    .argument('<resident>', 'resident id (r-…)')
    .addOption(new Option('--kind <kind>', 'what to issue').choices(['card', 'smartphone']).default('card'))
    .addOption(
      new Option('--os <os>', 'smartphone operating system').choices(['android', 'ios']).default('android'),
    )
    .option('--with-smartphone', 'card: also set up a smartphone (--os) with the same PINs')
    .addOption(
      new Option(
        '--smartphone <os>',
        'card: also set up a smartphone of this OS (= --with-smartphone --os OS)',
      )
        .choices(['android', 'ios'])
        .conflicts(['withSmartphone', 'kind']),
    )
    .option('--sign-pin <pin>', 'signing password: 6–16 of A–Z and 0–9 with both letters and digits')
    .option('--auth-pin <pin>', 'user-authentication PIN: 4 digits')
    .option('--generation <name>', 'card: issue from this CA generation (e.g. 2019)')
    .option('--replace', 'smartphone: replace a live one (device change)')
    .option('--json', 'print JSON ({card, device})')
    .action(
      async (
        id: string,
        opts: {
          kind: 'card' | 'smartphone';
          os: 'android' | 'ios';
          withSmartphone?: boolean;
          smartphone?: 'android' | 'ios';
          signPin?: string;
          authPin?: string;
          generation?: string;
          replace?: boolean;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        if (opts.smartphone !== undefined) {
          opts.withSmartphone = true;
          opts.os = opts.smartphone;
        }
        const pins = {
          ...(opts.signPin === undefined ? {} : { signPin: opts.signPin }),
          ...(opts.authPin === undefined ? {} : { authPin: opts.authPin }),
        };
        let issued: { card?: IssuedToken; device?: IssuedToken };
        if (opts.kind === 'smartphone') {
          if (opts.withSmartphone || opts.generation !== undefined)
            cmd.error('error: --with-smartphone and --generation apply to --kind card', {
              exitCode: 2,
              code: 'watashi.usage',
            });
          const device = await call<IssuedToken>(simUrlOf(cmd), 'POST', `${residentPath(id)}/devices`, {
            kind: opts.os,
            ...pins,
            ...(opts.replace ? { replace: true } : {}),
          });
          issued = { device };
        } else {
          if (opts.replace)
            cmd.error('error: --replace applies to --kind smartphone', {
              exitCode: 2,
              code: 'watashi.usage',
            });
          issued = await call<{ card: IssuedToken; device?: IssuedToken }>(
            simUrlOf(cmd),
            'POST',
            `${residentPath(id)}/cards`,
            {
              ...pins,
              ...(opts.generation === undefined ? {} : { generation: opts.generation }),
              ...(opts.withSmartphone ? { smartphone: opts.os } : {}),
            },
          );
        }
        emit(opts.json, issued, (d: typeof issued) =>
          [
            table([
              ...(d.card ? issuedRows('card', d.card) : []),
              ...(d.device ? issuedRows('smartphone', d.device) : []),
            ]),
            '(the PINs are shown once)',
          ].join('\n'),
        );
      },
    );

  // --- life events ----------------------------------------------------------------------------
  sim
    .command('event')
    .description(
      'Apply a life event (docs/jpki.md §1.3): move and marriage revoke the signing certificate ' +
        '(affiliationChanged) and re-issue it; renew supersedes both; lose puts both on hold, found releases ' +
        'them, revoke-lost revokes them; death and emigrate end everything.',
    )
    .addArgument(new Argument('<type>', 'event type').choices(EVENT_TYPES))
    .argument('<resident>', 'resident id (r-…)')
    .option('--address <address>', 'move: the new address (generated when omitted)')
    .option('--name <name>', 'marriage: the new name (generated when omitted)')
    .option('--no-reissue', 'move/marriage: do not re-issue the signing certificate now')
    .option('--json', 'print JSON')
    .action(
      async (
        type: LifeEventType,
        id: string,
        opts: { address?: string; name?: string; reissue: boolean; json?: boolean },
        cmd: Command,
      ) => {
        if (opts.address !== undefined && type !== 'move')
          cmd.error('error: --address applies to move', { exitCode: 2, code: 'watashi.usage' });
        if (opts.name !== undefined && type !== 'marriage')
          cmd.error('error: --name applies to marriage', { exitCode: 2, code: 'watashi.usage' });
        if (!opts.reissue && type !== 'move' && type !== 'marriage')
          cmd.error('error: --no-reissue applies to move and marriage', {
            exitCode: 2,
            code: 'watashi.usage',
          });
        const e = await call<EventView>(simUrlOf(cmd), 'POST', `${residentPath(id)}/events`, {
          type,
          ...(opts.address === undefined ? {} : { address: opts.address }),
          ...(opts.name === undefined ? {} : { name: opts.name }),
          ...(opts.reissue ? {} : { reissue: false }),
        });
        emit(opts.json, e, showEvent);
      },
    );

  // --- CRL, OCSP, fees -------------------------------------------------------------------------
  const crl = sim.command('crl').description('Certificate revocation lists.');
  crl
    .command('publish')
    .description('Publish a CRL for every CA now; with --out, download each one (progress on stderr).')
    .option('--out <dir>', 'write <purpose>-<generation>.crl (DER) into DIR')
    .option('--json', 'print JSON')
    .action(async (opts: { out?: string; json?: boolean }, cmd: Command) => {
      const base = simUrlOf(cmd);
      const { published } = await call<{ published: PublishedCrl[] }>(base, 'POST', 'admin/crl/publish');
      const results: Array<PublishedCrl & { file?: string; bytes?: number }> = [];
      const outDir = opts.out;
      if (outDir !== undefined) mkdirSync(outDir, { recursive: true });
      for (const p of published) {
        if (outDir === undefined) {
          results.push(p);
          continue;
        }
        const name = `${p.purpose}-${p.generation}.crl`;
        let bar: ReturnType<typeof startProgress> | undefined;
        let der: Uint8Array;
        try {
          der = await call<Uint8Array>(
            base,
            'GET',
            `crl/${p.purpose}/${encodeURIComponent(p.generation)}.crl`,
            undefined,
            {
              onProgress: (received, total) => {
                bar ??= startProgress(`downloading ${name}`, total ?? 0, 'bytes');
                bar.update(received, total ?? received);
              },
            },
          );
        } finally {
          bar?.stop();
        }
        const file = join(outDir, name);
        writeFileSync(file, der);
        results.push({ ...p, file, bytes: der.length });
      }
      emit(opts.json, { published: results }, (d: { published: typeof results }) =>
        columns(
          ['PURPOSE', 'GENERATION', 'CRL NUMBER', 'ENTRIES', ...(outDir === undefined ? [] : ['FILE'])],
          d.published.map((p) => [
            p.purpose,
            p.generation,
            p.crlNumber,
            p.entries.toString(),
            ...(p.file === undefined ? [] : [`${p.file} (${String(p.bytes ?? 0)} bytes)`]),
          ]),
        ),
      );
    });

  sim
    .command('ocsp')
    .description('The OCSP responder.')
    .command('refresh')
    .description('Refresh the OCSP status snapshot now (answers reflect the last refresh).')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const r = await call<{ refreshedAt: string; nextUpdate: string }>(
        simUrlOf(cmd),
        'POST',
        'admin/ocsp/refresh',
      );
      emit(opts.json, r, (d: typeof r) =>
        table([
          ['refreshed at', d.refreshedAt],
          ['next update', d.nextUpdate],
        ]),
      );
    });

  sim
    .command('fees')
    .description('The fee meter: queries per operator, month (JST) and purpose, with prices.')
    .option('--month <month>', 'YYYY-MM (JST)', isoMonth)
    .option('--operator <id>', 'one operator')
    .option('--json', 'print JSON')
    .action(async (opts: { month?: string; operator?: string; json?: boolean }, cmd: Command) => {
      const q = new URLSearchParams();
      if (opts.month !== undefined) q.set('month', opts.month);
      if (opts.operator !== undefined) q.set('operator', opts.operator);
      const query = q.toString();
      const r = await call<FeeReport>(simUrlOf(cmd), 'GET', query === '' ? 'fees' : `fees?${query}`);
      emit(opts.json, r, (d: FeeReport) =>
        [
          d.rows.length === 0
            ? 'no metered queries'
            : columns(
                ['OPERATOR', 'MONTH', 'PURPOSE', 'ITEM', 'COUNT', 'YEN'],
                d.rows.map((x) => [x.operatorId, x.month, x.purpose, x.item, String(x.count), String(x.yen)]),
              ),
          `total: ${String(d.totals.count)} queries, ¥${String(d.totals.yen)}`,
        ].join('\n'),
      );
    });
}
