/**
 * The card port (docs/conventions.md §7): anything that carries APDUs to a My Number card — a PC/SC reader
 * (`@watashi/jpki/pcsc`), NFC in a browser or phone, the simulator's hosted cards over HTTP, or the
 * in-process {@link VirtualJpkiCard}.
 */

/** Carries one command APDU to a card and returns its response APDU. */
export interface CardTransport {
  /** Sends a command APDU; resolves with the response data followed by SW1 SW2. */
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
  /** Releases the reader or connection. */
  close?(): Promise<void>;
}

/**
 * A card that also sees power events (vpcd power on/off/reset, an NFC field drop). After a reset
 * no application is selected and no PIN is verified; retry counters persist (docs/jpki.md §3.5).
 */
export interface ResettableCard extends CardTransport {
  /** Simulates a cold or warm reset. */
  reset(): void;
}

/** True when the transport reacts to power events. */
export function isResettableCard(t: CardTransport): t is ResettableCard {
  return typeof (t as Partial<ResettableCard>).reset === 'function';
}
