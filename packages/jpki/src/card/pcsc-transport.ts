/**
 * Node-only: a {@link CardTransport} over PC/SC (pcscd / WinSCard) through the optional `smartcard`
 * package (N-API). The package is loaded on demand so `@watashi/jpki` works without it; a missing
 * package, a stopped service or no reader is `card_transport_failed`.
 */
import { isWatashiError } from '@watashi/pki';
import { jpkiError } from '../errors.ts';
import type { CardTransport } from './transport.ts';

/** Options of {@link PcscTransport.connect}. */
export interface PcscConnectOptions {
  /** Reader to use: exact name, a substring, or a pattern (default: the first reader with a card). */
  readonly reader?: string | RegExp;
  /** How long to wait for a reader with a card (default 0: do not wait). */
  readonly timeoutMs?: number;
}

/*
 * The parts of the optional `smartcard` package (3.x) this transport uses, declared here so that
 * type-checking and lint do not depend on whether the optional native package could be built.
 */
interface CardInterface {
  readonly atr?: Buffer;
  getStatus(): { readonly atr: Buffer };
  transmit(command: Buffer, options: { maxRecvLength: number }): Promise<Buffer>;
  disconnect(disposition: number): void;
}
interface ReaderInterface {
  readonly name: string;
  connect(shareMode: number, protocol: number): Promise<CardInterface>;
}
interface ContextInterface {
  listReaders(): ReaderInterface[];
  close(): void;
}
interface SmartcardModule {
  readonly Context: new () => ContextInterface;
  readonly SCARD_SHARE_SHARED: number;
  readonly SCARD_PROTOCOL_T0: number;
  readonly SCARD_PROTOCOL_T1: number;
  readonly SCARD_LEAVE_CARD: number;
  readonly SCARD_RESET_CARD: number;
}

async function loadSmartcard(): Promise<SmartcardModule> {
  try {
    const specifier = 'smartcard'; // a variable: the optional package need not resolve at type-check time
    const mod = (await import(specifier)) as SmartcardModule & { default?: SmartcardModule };
    // CommonJS package: named exports may only be on `default` depending on the loader.
    return typeof mod.Context === 'function' ? mod : (mod.default ?? mod);
  } catch (cause) {
    throw jpkiError(
      'card_transport_failed',
      'PC/SC needs the optional "smartcard" package, which is not installed',
      { cause },
    );
  }
}

function matches(name: string, want: string | RegExp | undefined): boolean {
  if (want === undefined) return true;
  return typeof want === 'string' ? name === want || name.includes(want) : want.test(name);
}

/**
 * A card in a PC/SC reader. Handles T=0 `61xx` (GET RESPONSE) and `6Cxx` (retry with Le) itself.
 * `smartcard` makes some calls synchronously (listReaders, disconnect, context close): never use
 * this in the same thread that serves a virtual card through the vpcd bridge, or pcscd and the
 * card wait for each other.
 */
export class PcscTransport implements CardTransport {
  readonly #ctx: ContextInterface;
  readonly #card: CardInterface;
  readonly #leave: number;
  readonly #reset: number;
  /** Name of the reader in use. */
  readonly readerName: string;
  /** ATR of the card. */
  readonly atr: Uint8Array;

  private constructor(
    ctx: ContextInterface,
    card: CardInterface,
    readerName: string,
    leave: number,
    reset: number,
  ) {
    this.#ctx = ctx;
    this.#card = card;
    this.#leave = leave;
    this.#reset = reset;
    this.readerName = readerName;
    this.atr = new Uint8Array(card.atr ?? card.getStatus().atr);
  }

  /** Names of the PC/SC readers (empty when none). Fails with `card_transport_failed` without pcscd or the package. */
  static async listReaders(): Promise<string[]> {
    const sc = await loadSmartcard();
    let ctx: ContextInterface | undefined;
    try {
      ctx = new sc.Context();
      return ctx.listReaders().map((r) => r.name);
    } catch (cause) {
      throw jpkiError('card_transport_failed', 'PC/SC is not available (is pcscd running?)', { cause });
    } finally {
      ctx?.close();
    }
  }

  /** Connects (shared mode, T=0 or T=1) to the card in the chosen reader, waiting up to `timeoutMs`. */
  static async connect(options: PcscConnectOptions = {}): Promise<PcscTransport> {
    const sc = await loadSmartcard();
    let ctx: ContextInterface;
    try {
      ctx = new sc.Context();
    } catch (cause) {
      throw jpkiError('card_transport_failed', 'PC/SC is not available (is pcscd running?)', { cause });
    }
    const deadline = Date.now() + (options.timeoutMs ?? 0);
    let lastError: unknown;
    try {
      for (;;) {
        let readers: ReaderInterface[] = [];
        try {
          readers = ctx.listReaders().filter((r) => matches(r.name, options.reader));
        } catch (e) {
          lastError = e; // no reader yet (SCARD_E_NO_READERS_AVAILABLE)
        }
        for (const reader of readers) {
          try {
            const card = await reader.connect(
              sc.SCARD_SHARE_SHARED,
              sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1,
            );
            return new PcscTransport(ctx, card, reader.name, sc.SCARD_LEAVE_CARD, sc.SCARD_RESET_CARD);
          } catch (e) {
            lastError = e; // no card in this reader yet
          }
        }
        if (Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    } catch (e) {
      ctx.close();
      throw e;
    }
    ctx.close();
    const which = options.reader === undefined ? 'any reader' : `reader ${String(options.reader)}`;
    throw jpkiError('card_transport_failed', `no card found in ${which}`, { cause: lastError });
  }

  async #raw(apdu: Uint8Array): Promise<Uint8Array> {
    try {
      return new Uint8Array(await this.#card.transmit(Buffer.from(apdu), { maxRecvLength: 258 }));
    } catch (cause) {
      if (isWatashiError(cause)) throw cause;
      throw jpkiError('card_transport_failed', `PC/SC transmit failed on ${this.readerName}`, { cause });
    }
  }

  /** Sends one APDU; ISO 7816-3 T=0 status words `61xx` and `6Cxx` are resolved here. */
  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    let res = await this.#raw(apdu);
    if (res.length === 2 && res[0] === 0x6c && apdu.length >= 5) {
      const retry = new Uint8Array(apdu);
      retry[retry.length - 1] = res[1] ?? 0; // wrong Le: resend with the Le the card asked for
      res = await this.#raw(retry);
    }
    let data = res.subarray(0, -2);
    while (res.length >= 2 && res[res.length - 2] === 0x61) {
      // More data available: GET RESPONSE (00 C0 00 00 xx), at most a few round trips.
      res = await this.#raw(Uint8Array.of(0x00, 0xc0, 0x00, 0x00, res[res.length - 1] ?? 0));
      const merged = new Uint8Array(data.length + res.length - 2);
      merged.set(data);
      merged.set(res.subarray(0, -2), data.length);
      data = merged;
    }
    const out = new Uint8Array(data.length + 2);
    out.set(data);
    out.set(res.subarray(-2), data.length);
    return out;
  }

  /**
   * Disconnects and releases the PC/SC context. By default the card is left powered; `reset: true`
   * resets it (PC/SC SCARD_RESET_CARD, a warm reset: ISO 7816-3 §6.2.3), so a PIN verified in this
   * session is forgotten by the card — what a card leaving the field means for the hosted-card
   * protocol (`watashi card-bridge`).
   */
  close(options: { readonly reset?: boolean } = {}): Promise<void> {
    try {
      this.#card.disconnect(options.reset === true ? this.#reset : this.#leave);
    } finally {
      this.#ctx.close();
    }
    return Promise.resolve();
  }
}
