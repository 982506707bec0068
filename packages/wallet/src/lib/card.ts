/**
 * The My Number card from the browser: the one module every page that uses the card goes through
 * (enrol, card-login, reproof, recover, the card binding).
 *
 * In simulation the card is a hosted virtual card of the J-LIS simulator: each C-APDU is one
 * `POST <base>/cards/<id>/apdu` (application/octet-stream in, R-APDU out), as an NFC reader would
 * carry it (docs/architecture.md §4); the platform names the base in
 * `<meta name="watashi-hosted-cards-url">` (src/lib/config.ts). The real JpkiCardClient of @watashi/jpki drives it:
 * VERIFY the PIN, then COMPUTE DIGITAL SIGNATURE over the SHA-256 DigestInfo (docs/jpki.md §3.3).
 * A browser has no PC/SC: a card in a PC/SC reader is reached through `watashi card-bridge`
 * (packages/cli/src/commands/card-bridge.ts), which speaks this same protocol on 127.0.0.1; the
 * platform's `wallet.hostedCardsUrl` then names the bridge instead of the simulator.
 *
 * The card is used by one operation at a time (a tries probe and a signature would otherwise
 * interleave their SELECTs on the one card session).
 */
import { WatashiError } from '@watashi/pki';
import { JpkiCardClient, type CardTransport, type PinKind } from '@watashi/jpki';
export { hostedCardsUrl } from './config.ts';

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
  /**
   * The PC/SC reader the card is in, set by `watashi card-bridge` only (the holder's name is behind
   * a PIN there): the page names the reader instead of a holder.
   */
  readonly reader?: string;
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

/** The simulator's hosted cards that can still be used (a wiped one is gone). */
export async function listHostedCards(baseUrl: string): Promise<HostedCard[]> {
  const res = await send(`${baseUrl.replace(/\/+$/, '')}/cards`, { method: 'GET' });
  if (res.status !== 200) throw await problemOf(res);
  const body = (await res.json()) as { cards?: unknown };
  const cards = Array.isArray(body.cards) ? (body.cards as HostedCard[]) : [];
  return cards.filter((c) => c.status !== 'wiped');
}

let tail: Promise<unknown> = Promise.resolve();

/** Runs `fn` with the card in the field (one card operation at a time). */
export function withCard<T>(
  baseUrl: string,
  cardId: string,
  fn: (c: JpkiCardClient) => Promise<T>,
): Promise<T> {
  const run = tail.then(
    () => go(),
    () => go(),
  );
  tail = run.catch(() => undefined);
  return run;
  async function go(): Promise<T> {
    const t = new HostedCardTransport(baseUrl, cardId);
    await t.begin();
    try {
      return await fn(new JpkiCardClient(t));
    } finally {
      await t.close().catch(() => undefined);
    }
  }
}

/** How many tries the PIN has left (an empty VERIFY uses none). */
export function triesLeft(baseUrl: string, cardId: string, kind: PinKind): Promise<number> {
  return withCard(baseUrl, cardId, (c) => c.pinStatus(kind));
}

const toBase64 = (b: Uint8Array): string => {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
};

/** Decodes base64 to bytes. */
export const fromBase64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/**
 * Signs `message` (base64) with the key `kind` after verifying `pin`; returns the certificate of
 * that key and the signature, base64, as the platform's card and enrolment routes take them.
 */
export function signWithCard(
  baseUrl: string,
  cardId: string,
  kind: PinKind,
  pin: string,
  message: Uint8Array,
): Promise<{ certificate: string; signature: string }> {
  return withCard(baseUrl, cardId, async (c) => {
    const signature = await c.sign(kind, pin, message);
    // The signing certificate (EF 0001) is readable only while its password is verified.
    const certificate = await c.readCertificate(kind);
    return { certificate: toBase64(certificate), signature: toBase64(signature) };
  });
}

/**
 * Where to go after signing in: a same-origin path of the OpenID Provider's interaction (the
 * provider's `return_to`, oidc/routes.ts) or of the wallet — nothing else (no open redirect).
 */
export function safeReturnTo(query: URLSearchParams): string | undefined {
  const r = query.get('return_to');
  if (r === null || !r.startsWith('/') || r.startsWith('//') || r.includes('\\')) return undefined;
  return /^\/oidc\/interaction\/[A-Za-z0-9_-]+$/.test(r) ||
    /^\/wallet\/[a-z0-9/-]*(\?[A-Za-z0-9=&_%-]*)?$/.test(r)
    ? r
    : undefined;
}
