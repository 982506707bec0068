/** PIN format rules of the JPKI AP, checked on the client before anything is sent (docs/jpki.md §3.5). */
import { jpkiError } from '../errors.ts';
import type { PinKind } from './jpki-ap.ts';

const SIGN_PIN = /^[A-Z0-9]{6,16}$/;
const AUTH_PIN = /^[0-9]{4}$/;

/** True when `pin` (already normalised) has the format the card stores for `kind`. */
export function isWellFormedPin(kind: PinKind, pin: string): boolean {
  if (kind === 'auth') return AUTH_PIN.test(pin);
  // docs/jpki.md §3.5: the signing password must mix letters and digits.
  return SIGN_PIN.test(pin) && /[A-Z]/.test(pin) && /[0-9]/.test(pin);
}

/**
 * Normalises and checks a PIN: the signing password is upper-cased (jpki-pw: lowercase input is
 * converted) and must be 6–16 of `[A-Z0-9]` mixing letters and digits; the user-auth PIN is 4 digits.
 * A bad format is `card_pin_format`, so no retry is wasted on it.
 */
export function normalizePin(kind: PinKind, pin: string): string {
  const p = kind === 'sign' ? pin.toUpperCase() : pin;
  if (!isWellFormedPin(kind, p))
    throw jpkiError(
      'card_pin_format',
      kind === 'sign'
        ? 'the signing password is 6–16 letters A–Z and digits, with at least one of each'
        : 'the user-authentication PIN is 4 digits',
      { detail: { kind } },
    );
  return p;
}

/** ASCII bytes of a normalised PIN, as VERIFY sends them (no padding; docs/jpki.md §3.3). */
export function pinBytes(pin: string): Uint8Array {
  const out = new Uint8Array(pin.length);
  for (let i = 0; i < pin.length; i++) out[i] = pin.charCodeAt(i) & 0x7f;
  return out;
}
