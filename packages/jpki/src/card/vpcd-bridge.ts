/**
 * Node-only: puts any {@link CardTransport} (usually a {@link VirtualJpkiCard}) into a PC/SC reader
 * through the vsmartcard `vpcd` driver, so pcscd, OpenSC and any PC/SC application see a card
 * (docs/dependencies.md §5.7). vpcd listens on TCP (35963 for "Virtual PCD 00 00"); we connect as the "virtual
 * ICC". Framing: 2-byte big-endian length, then the payload. A 1-byte payload is a control code
 * (0 power off, 1 power on, 2 reset, 4 get ATR — only 4 is answered); anything else is a C-APDU,
 * answered with the R-APDU.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { jpkiError } from '../errors.ts';
import type { CardTransport } from './transport.ts';
import { isResettableCard } from './transport.ts';

/** My Number card contact ATR, as in OpenSC's `jpki` driver table (docs/jpki.md §3). */
const JPKI_ATR: Uint8Array = Uint8Array.of(0x3b, 0xe0, 0x00, 0xff, 0x81, 0x31, 0xfe, 0x45, 0x14);

/** Options of {@link startVpcdBridge}. */
export interface VpcdBridgeOptions {
  /** vpcd host (default `127.0.0.1`; vpcd listens on all interfaces, keep tests on loopback). */
  readonly host?: string;
  /** vpcd port (default 35963, the first virtual reader). */
  readonly port?: number;
  /** ATR to present (default {@link JPKI_ATR}). */
  readonly atr?: Uint8Array;
  /** How long to keep retrying the connection while pcscd loads vpcd (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Called when the card throws or the link fails after connecting. */
  readonly onError?: (error: unknown) => void;
}

/** A running bridge; `close()` removes the card from the reader. */
export interface VpcdBridge {
  /** Disconnects (the reader then reports the card removed). */
  close(): Promise<void>;
  /** Resolves when vpcd closes the link. */
  readonly closed: Promise<void>;
}

const CTRL = { OFF: 0, ON: 1, RESET: 2, ATR: 4 } as const;

function frame(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(2 + payload.length);
  out.writeUInt16BE(payload.length, 0);
  out.set(payload, 2);
  return out;
}

function connectOnce(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    const onError = (e: Error): void => {
      s.destroy();
      reject(e);
    };
    s.once('error', onError);
    s.once('connect', () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}

/**
 * Connects `card` to vpcd and serves it until closed. Retries the TCP connection until
 * `connectTimeoutMs` (pcscd may still be loading the driver); then fails with `card_transport_failed`.
 */
export async function startVpcdBridge(
  card: CardTransport,
  options: VpcdBridgeOptions = {},
): Promise<VpcdBridge> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 35963;
  const atr = options.atr ?? JPKI_ATR;
  const deadline = Date.now() + (options.connectTimeoutMs ?? 10_000);
  let socket: Socket | undefined;
  let lastError: unknown;
  while (!socket) {
    try {
      socket = await connectOnce(host, port);
    } catch (e) {
      lastError = e;
      if (Date.now() > deadline)
        throw jpkiError('card_transport_failed', `vpcd is not listening on ${host}:${port}`, {
          cause: lastError,
        });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const s = socket;
  s.setNoDelay(true);

  let buffered = Buffer.alloc(0);
  // APDUs are answered strictly in order: vpcd waits for each response before sending more.
  let queue: Promise<void> = Promise.resolve();

  const handle = async (payload: Uint8Array): Promise<void> => {
    if (payload.length === 1) {
      const code = payload[0];
      if (code === CTRL.ATR) s.write(frame(atr));
      else if ((code === CTRL.OFF || code === CTRL.ON || code === CTRL.RESET) && isResettableCard(card))
        card.reset();
      return;
    }
    let response: Uint8Array;
    try {
      response = await card.transmit(payload);
    } catch (e) {
      options.onError?.(e);
      response = Uint8Array.of(0x6f, 0x00); // no precise diagnosis
    }
    if (!s.destroyed) s.write(frame(response));
  };

  s.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2) {
      const len = buffered.readUInt16BE(0);
      if (buffered.length < 2 + len) break;
      const payload = new Uint8Array(buffered.subarray(2, 2 + len));
      buffered = buffered.subarray(2 + len);
      queue = queue.then(() => handle(payload));
    }
  });
  const closed = new Promise<void>((resolve) => {
    s.on('close', () => resolve());
    s.on('error', (e) => options.onError?.(e));
  });

  return {
    closed,
    close: async () => {
      s.end();
      s.destroy();
      await closed;
    },
  };
}
