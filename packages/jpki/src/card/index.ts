/**
 * The My Number card protocol (docs/jpki.md §3): APDUs, the {@link CardTransport} port, the
 * JPKI AP client and the virtual card. Node-only transports live in `@watashi/jpki/pcsc` and
 * `@watashi/jpki/vpcd`.
 */
export * from './apdu.ts';
export * from './transport.ts';
export * from './jpki-ap.ts';
export { normalizePin, isWellFormedPin } from './pin.ts';
export * from './client.ts';
export * from './virtual-card.ts';
