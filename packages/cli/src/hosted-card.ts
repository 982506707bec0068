/**
 * A {@link CardTransport} to a card hosted by the J-LIS simulator: every command APDU is posted to
 * `POST /cards/{id}/apdu` (application/octet-stream in, R-APDU out), as an NFC reader would carry it
 * (jlis-sim README, "Hosted cards"). `open()` puts the card into the reader (`POST
 * /cards/{id}/session`: no application selected, no PIN verified) and `close()` takes it out
 * (`DELETE /cards/{id}/session`), so a command never inherits another one's verified PINs.
 */
import { JpkiCardClient, type CardTransport } from '@watashi/jpki';
import { call } from './http.ts';

/** The APDU transport to one hosted card or smartphone. */
export class HostedCardTransport implements CardTransport {
  readonly #base: string;
  readonly #path: string;

  /** `base` is the simulator URL, `cardId` the token id (`c-…` for a card). */
  constructor(base: string, cardId: string) {
    this.#base = base;
    this.#path = `cards/${encodeURIComponent(cardId)}`;
  }

  /** Begins a reader session (the card enters the field). An unknown card is `card_not_found`. */
  async open(): Promise<void> {
    await call(this.#base, 'POST', `${this.#path}/session`);
  }

  /** Sends one C-APDU; resolves with the R-APDU (data ‖ SW1 SW2). */
  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    return call<Uint8Array>(this.#base, 'POST', `${this.#path}/apdu`, apdu, { binary: true });
  }

  /** Ends the reader session (the card leaves the field; its security status is reset). */
  async close(): Promise<void> {
    await call(this.#base, 'DELETE', `${this.#path}/session`);
  }
}

/**
 * Runs `fn` with a {@link JpkiCardClient} on the hosted card `cardId`, inside one reader session.
 * The session is ended afterwards whether `fn` succeeded or not.
 */
export async function withHostedCard<T>(
  base: string,
  cardId: string,
  fn: (client: JpkiCardClient) => Promise<T>,
): Promise<T> {
  const transport = new HostedCardTransport(base, cardId);
  await transport.open();
  let result: T;
  try {
    result = await fn(new JpkiCardClient(transport));
  } catch (e) {
    // The command's own error is what the user needs to see. If ending the session fails too
    // (typically: the simulator went away), the next `open()` resets the card anyway.
    await transport.close().then(
      () => undefined,
      () => undefined,
    );
    throw e;
  }
  await transport.close();
  return result;
}
