/**
 * `watashi card-bridge --wallet-origin ORIGIN [--port N] [--host 127.0.0.1|::1] [--reader NAME]`:
 * the My Number card in a PC/SC reader, offered to the wallet in the resident's browser over the
 * same hosted-card HTTP protocol as the J-LIS simulator (jlis-sim src/http/routes.ts, "hosted
 * cards"; the wallet's src/lib/card.ts):
 *
 * - `GET /cards` — the cards in the readers: `{cards: [{id, kind: 'card', status: 'active', holder,
 *   signing, expiresAt, reader}]}`; `id` is `pcsc-` and 12 hex digits of SHA-256 over the reader's
 *   name, `holder` and `reader` the reader's name (the holder's name is behind a PIN; the wallet
 *   names the reader when `reader` is present), `expiresAt` the notAfter of the
 *   user-authentication certificate (readable without a PIN, docs/jpki.md §3);
 * - `POST /cards/{id}/session` — the card enters the field: a fresh PC/SC connection, the card reset;
 * - `POST /cards/{id}/apdu` — one C-APDU (application/octet-stream) in, the R-APDU out;
 * - `DELETE /cards/{id}/session` — the card leaves the field: disconnect with a reset
 *   (SCARD_RESET_CARD), so the card forgets a verified PIN. A session idle for 60 s ends the same way.
 *
 * Trust rules (why each):
 * - loopback only: the bridge listens on 127.0.0.1 or ::1 and nothing else (any other `--host` is
 *   `usage_card_bridge_host`), and answers only requests whose `Host` names a loopback address
 *   (403 `host_not_allowed`; a DNS-rebinding page would name its own host);
 * - CORS (Fetch Standard §3.2) for exactly one browser origin, `--wallet-origin`; a request from any
 *   other origin is refused with 403 `origin_not_allowed` before the card sees it, without
 *   `Access-Control-Allow-Origin`. Requests without `Origin` (local tools) pass. Preflights answer
 *   Private Network Access (`Access-Control-Allow-Private-Network`) for the wallet origin only;
 * - the PIN travels inside a VERIFY C-APDU: APDUs are never logged, stored or echoed; the log line
 *   of a request is its method, path and status;
 * - one exchange at a time per card: every operation on a reader waits for the previous one.
 *
 * Errors are RFC 9457 problem JSON with a stable `code` (`card_not_found` 404, `apdu_invalid` 400,
 * `card_transport_failed` 502 — no reader, no card, pcscd stopped —, `not_found` 404,
 * `method_not_allowed` 405).
 *
 * PcscTransport makes some PC/SC calls synchronously (@watashi/jpki pcsc-transport.ts): the bridge
 * is its own process, never the one serving a virtual card through vpcd.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError, type Command } from 'commander';
import { isWatashiError, WatashiError } from '@watashi/pki';
import { JpkiCardClient } from '@watashi/jpki';
import { PcscTransport } from '@watashi/jpki/pcsc';
import { integerIn } from '../options.ts';
import { untilSignal } from '../signals.ts';

/** The default port of `watashi card-bridge`. */
export const DEFAULT_CARD_BRIDGE_PORT = 8791;
/** A session with no request for this long ends (the card is reset). */
const IDLE_MS = 60_000;
/** The longest C-APDU accepted (extended length, 255 data bytes and headers are far below). */
const MAX_APDU = 1024;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** Options of {@link startCardBridge}. */
export interface CardBridgeOptions {
  /** The one browser origin allowed (the wallet's, e.g. `https://id.example.jp`). */
  readonly walletOrigin: string;
  /** `127.0.0.1` (default), `::1` or `localhost`; anything else is refused. */
  readonly host?: string;
  /** TCP port (0: a free one). */
  readonly port?: number;
  /** Only readers whose name is or contains this. */
  readonly reader?: string;
  /** Where the request log goes (method, path, status; never a body). */
  readonly log?: (line: string) => void;
}

/** A running bridge. */
export interface CardBridge {
  /** Base URL, e.g. `http://127.0.0.1:8791`. */
  readonly url: string;
  /** Ends every session (cards reset) and stops listening. */
  close(): Promise<void>;
}

const bridgeError = (code: string, message: string, status: number, cause?: unknown): WatashiError =>
  new WatashiError(code, message, { detail: { status }, ...(cause === undefined ? {} : { cause }) });

/** The exact origin of `value` (scheme, host, port; no path), or an InvalidArgumentError. */
export function parseWalletOrigin(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new InvalidArgumentError(`not an origin: ${JSON.stringify(value)}`);
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.origin !== value.replace(/\/$/, ''))
    throw new InvalidArgumentError(`expected an origin such as https://id.example.jp, not ${value}`);
  return u.origin;
}

/** Refuses a listen address other than loopback (the bridge must never be reachable from the network). */
export function loopbackHost(host: string): string {
  if (!LOOPBACK_HOSTS.has(host))
    throw new WatashiError(
      'usage_card_bridge_host',
      `card-bridge listens on loopback only (127.0.0.1 or ::1), not ${host}: ` +
        'a card reader must not be reachable from the network',
    );
  return host === 'localhost' ? '127.0.0.1' : host;
}

const cardId = (reader: string): string =>
  `pcsc-${createHash('sha256').update(reader).digest('hex').slice(0, 12)}`;

/** One reader: its queue (one exchange at a time) and its open session. */
interface Slot {
  readonly reader: string;
  tail: Promise<unknown>;
  transport: PcscTransport | undefined;
  idle: NodeJS.Timeout | undefined;
  /** What the last listing found in the reader (answered as is while a session is open). */
  listed: Record<string, unknown> | undefined;
}

/** Starts the bridge; resolves once it listens. */
export async function startCardBridge(options: CardBridgeOptions): Promise<CardBridge> {
  const origin = parseWalletOrigin(options.walletOrigin);
  const host = loopbackHost(options.host ?? '127.0.0.1');
  const log = options.log ?? (() => undefined);
  const slots = new Map<string, Slot>();

  const slotOf = (reader: string): Slot => {
    const id = cardId(reader);
    let s = slots.get(id);
    if (s === undefined) {
      s = { reader, tail: Promise.resolve(), transport: undefined, idle: undefined, listed: undefined };
      slots.set(id, s);
    }
    return s;
  };
  /** Runs `fn` after every earlier operation on the same card. */
  const serial = <T>(s: Slot, fn: () => Promise<T>): Promise<T> => {
    const run = s.tail.then(fn, fn);
    s.tail = run.catch(() => undefined);
    return run;
  };
  const end = async (s: Slot): Promise<void> => {
    clearTimeout(s.idle);
    s.idle = undefined;
    const t = s.transport;
    s.transport = undefined;
    await t?.close({ reset: true }).catch(() => undefined);
  };
  const touch = (s: Slot): void => {
    clearTimeout(s.idle);
    s.idle = setTimeout(() => void serial(s, () => end(s)), IDLE_MS);
    s.idle.unref();
  };
  const connect = (s: Slot): Promise<PcscTransport> =>
    PcscTransport.connect({ reader: s.reader, timeoutMs: 0 });

  const readers = async (): Promise<string[]> =>
    (await PcscTransport.listReaders()).filter(
      (r) => options.reader === undefined || r === options.reader || r.includes(options.reader),
    );

  async function listCards(): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const reader of await readers()) {
      const s = slotOf(reader);
      const card = await serial(s, async () => {
        // A session in progress is not disturbed: reading the certificate would SELECT other files
        // between the page's APDUs. The card in the field is the one listed before its session.
        if (s.transport !== undefined) return s.listed;
        // A reader without a card (or with another card) is simply not listed.
        let t: PcscTransport | undefined;
        try {
          t = await connect(s);
          const cert = await new JpkiCardClient(t).readCertificate('auth');
          const notAfter = new Date(new X509Certificate(cert).validTo).toISOString();
          return (s.listed = {
            id: cardId(reader),
            kind: 'card',
            status: 'active',
            holder: reader,
            signing: true,
            expiresAt: notAfter,
            reader,
          });
        } catch {
          return (s.listed = undefined);
        } finally {
          await t?.close().catch(() => undefined);
        }
      });
      if (card !== undefined) out.push(card);
    }
    return out;
  }

  async function slotById(id: string): Promise<Slot> {
    const known = slots.get(id);
    if (known !== undefined) return known;
    for (const r of await readers()) if (cardId(r) === id) return slotOf(r);
    throw bridgeError('card_not_found', `no reader with card ${id}`, 404);
  }

  async function body(req: IncomingMessage): Promise<Uint8Array> {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > MAX_APDU) throw bridgeError('apdu_invalid', `a C-APDU is at most ${MAX_APDU} bytes`, 400);
      chunks.push(c);
    }
    return new Uint8Array(Buffer.concat(chunks));
  }

  async function route(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path === '/cards') {
      if (req.method !== 'GET') throw bridgeError('method_not_allowed', 'GET only', 405);
      return json(res, 200, { cards: await listCards() });
    }
    const m = /^\/cards\/([^/]+)\/(apdu|session)$/.exec(path);
    if (m === null) throw bridgeError('not_found', `no route ${path}`, 404);
    const s = await slotById(decodeURIComponent(m[1] ?? ''));
    if (m[2] === 'apdu') {
      if (req.method !== 'POST') throw bridgeError('method_not_allowed', 'POST only', 405);
      const ct = String(req.headers['content-type'] ?? '');
      if (!ct.startsWith('application/octet-stream'))
        throw bridgeError('apdu_invalid', 'expected application/octet-stream', 400);
      const apdu = await body(req);
      if (apdu.length < 4) throw bridgeError('apdu_invalid', 'a C-APDU has at least 4 bytes', 400);
      const r = await serial(s, async () => {
        s.transport ??= await connect(s);
        touch(s);
        try {
          return await s.transport.transmit(apdu);
        } catch (e) {
          await end(s); // the card left the reader or pcscd stopped: the next request connects afresh
          throw e;
        }
      });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(Buffer.from(r));
      return;
    }
    if (req.method === 'POST') {
      await serial(s, async () => {
        await end(s); // security status reset: a stale session never carries a verified PIN over
        const t = await connect(s);
        // Connecting shares a card that may be powered with a PIN verified by someone else: reset it.
        await t.close({ reset: true });
        s.transport = await connect(s);
        touch(s);
      });
      return json(res, 200, { session: 'begun' });
    }
    if (req.method === 'DELETE') {
      await serial(s, () => end(s));
      return json(res, 200, { session: 'ended' });
    }
    throw bridgeError('method_not_allowed', 'POST or DELETE only', 405);
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    res.on('finish', () => log(`${req.method ?? '?'} ${path} ${res.statusCode}`));
    const reqOrigin = req.headers.origin;
    const hostName = hostOf(req.headers.host);
    if (hostName === undefined || !LOOPBACK_HOSTS.has(hostName)) {
      req.resume();
      return json(
        res,
        403,
        problem('host_not_allowed', 'the card bridge answers loopback host names only', 403),
      );
    }
    if (reqOrigin !== undefined && reqOrigin !== origin) {
      req.resume();
      return json(
        res,
        403,
        problem('origin_not_allowed', `origin ${reqOrigin} may not use the card bridge`, 403),
      );
    }
    if (reqOrigin !== undefined) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      req.resume();
      const headers = String(req.headers['access-control-request-headers'] ?? '')
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter((h) => h !== '' && h !== 'content-type');
      if (headers.length > 0)
        return json(res, 403, problem('cors_header_not_allowed', `not allowed: ${headers.join(', ')}`, 403));
      if (req.headers['access-control-request-private-network'] === 'true')
        res.setHeader('access-control-allow-private-network', 'true');
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, DELETE',
        'access-control-allow-headers': 'content-type',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    route(req, res, path).catch((e: unknown) => {
      req.resume();
      if (isWatashiError(e)) {
        const d = e.detail as { status?: unknown } | undefined;
        const status =
          typeof d?.status === 'number' ? d.status : /^card_transport_failed$/.test(e.code) ? 502 : 409;
        return json(res, status, problem(e.code, e.message, status));
      }
      return json(res, 500, problem('card_bridge_failed', 'the card bridge failed', 500));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_CARD_BRIDGE_PORT, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    async close() {
      await Promise.all([...slots.values()].map((s) => serial(s, () => end(s))));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function hostOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(header) ?? /^([^:]+)(?::\d+)?$/.exec(header);
  return m?.[1]?.toLowerCase();
}

function problem(code: string, detail: string, status: number): Record<string, unknown> {
  return { type: `urn:watashi:problem:${code}`, title: code, status, code, detail };
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, {
    'content-type': status >= 400 ? 'application/problem+json' : 'application/json',
    'cache-control': 'no-store',
  });
  res.end(JSON.stringify(value));
}

/** Registers `card-bridge` on `program`. */
export function registerCardBridgeCommand(program: Command): void {
  program
    .command('card-bridge')
    .description(
      'Offer the My Number card in a PC/SC reader to the wallet (hosted-card protocol, loopback only).',
    )
    .requiredOption(
      '--wallet-origin <origin>',
      'the only browser origin allowed (the wallet)',
      parseWalletOrigin,
    )
    .option('--host <addr>', 'loopback address to listen on: 127.0.0.1 or ::1', '127.0.0.1')
    .option(
      '--port <n>',
      `TCP port (0: a free one; default ${DEFAULT_CARD_BRIDGE_PORT})`,
      integerIn(0, 65535),
      DEFAULT_CARD_BRIDGE_PORT,
    )
    .option('--reader <name>', 'only the reader with this name (or containing it)')
    .action(async (opts: { walletOrigin: string; host: string; port: number; reader?: string }) => {
      const bridge = await startCardBridge({
        walletOrigin: opts.walletOrigin,
        host: opts.host,
        port: opts.port,
        ...(opts.reader === undefined ? {} : { reader: opts.reader }),
        log: (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(
        `watashi card-bridge listening on ${bridge.url} for ${opts.walletOrigin}\n` +
          `  platform configuration: "wallet": {"hostedCardsUrl": "${bridge.url}"}\n`,
      );
      const sig = await untilSignal();
      process.stderr.write(`watashi: ${sig}, stopping (cards reset)\n`);
      await bridge.close();
    });
}
