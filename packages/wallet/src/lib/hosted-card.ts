/**
 * A {@link CardTransport} to a hosted virtual card of the J-LIS simulator, from the browser: each
 * C-APDU is one `POST <base>/cards/<id>/apdu` (application/octet-stream in, R-APDU out), the way an
 * NFC reader would carry it (docs/architecture.md §4). The simulator answers this origin only when it is in
 * its `cardOrigins` (jlis-sim src/http/cors.ts).
 *
 * Failures of the reader itself (not status words, which the card client interprets) are thrown
 * as `WatashiError`s with the simulator's problem `code` (`card_not_found`, `origin_not_allowed`,
 * …), or `card_reader_unreachable` when nothing answers; the card client passes WatashiErrors
 * through unchanged, so the page can name the cause.
 */
import { WatashiError } from '@watashi/pki';
import type { CardTransport } from '@watashi/jpki';

/** A hosted token as `GET <base>/cards` lists it. */
export interface HostedCard {
  readonly id: string;
  readonly kind: 'card' | 'android' | 'ios';
  readonly status: 'active' | 'lost' | 'revoked' | 'wiped';
  /** The (synthetic) holder's name. */
  readonly holder: string;
  /** A signing certificate is on the token. */
  readonly signing: boolean;
  readonly expiresAt: string;
}

async function problemOf(res: Response): Promise<WatashiError> {
  let p: Record<string, unknown> = {};
  try {
    p = (await res.json()) as Record<string, unknown>;
  } catch {
    p = {}; // not a problem document: reported by status below
  }
  const code = typeof p['code'] === 'string' ? p['code'] : `card_reader_http_${res.status}`;
  const detail = typeof p['detail'] === 'string' ? p['detail'] : `the card reader answered ${res.status}`;
  return new WatashiError(code, detail, {
    detail: {
      status: res.status,
      ...(typeof p['remaining'] === 'number' ? { remaining: p['remaining'] } : {}),
    },
  });
}

async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    // No cookies or credentials go to the simulator; it has none.
    return await fetch(url, { ...init, credentials: 'omit', cache: 'no-store' });
  } catch (cause) {
    throw new WatashiError('card_reader_unreachable', 'the card reader does not answer', { cause });
  }
}

/** One hosted card, reached over HTTP. */
export class HostedCardTransport implements CardTransport {
  readonly #card: string;

  constructor(baseUrl: string, cardId: string) {
    this.#card = `${baseUrl.replace(/\/+$/, '')}/cards/${encodeURIComponent(cardId)}`;
  }

  /** Sends one C-APDU; resolves with data ‖ SW1 SW2. */
  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const res = await send(`${this.#card}/apdu`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: apdu.slice(),
    });
    if (res.status !== 200) throw await problemOf(res);
    return new Uint8Array(await res.arrayBuffer());
  }

  /** The card enters the field: a fresh session, no PIN verified yet. */
  async begin(): Promise<void> {
    const res = await send(`${this.#card}/session`, { method: 'POST' });
    if (res.status !== 200) throw await problemOf(res);
  }

  /** The card leaves the field: whatever PIN was verified is forgotten. */
  async close(): Promise<void> {
    const res = await send(`${this.#card}/session`, { method: 'DELETE' });
    if (res.status !== 200) throw await problemOf(res);
  }
}

/** The simulator's hosted cards (empty when it cannot be asked). */
export async function listHostedCards(baseUrl: string): Promise<HostedCard[]> {
  const res = await send(`${baseUrl.replace(/\/+$/, '')}/cards`, { method: 'GET' });
  if (res.status !== 200) throw await problemOf(res);
  const body = (await res.json()) as { cards?: unknown };
  return Array.isArray(body.cards) ? (body.cards as HostedCard[]) : [];
}
