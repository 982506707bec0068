/**
 * The state of a virtual card or smartphone as data: built when a token is issued, changed when a
 * certificate is replaced at the counter (docs/jpki.md §1.2–§1.5). Kept apart from the hosted cards
 * (cards.ts), which drive that state through APDUs, so that issuance.ts needs only this module.
 */
import { toBase64 } from '@watashi/pki';
import { VirtualJpkiCard, type VirtualJpkiCardState } from '@watashi/jpki';
import { simError } from './errors.ts';
import type { CardState, Purpose, TokenRecord } from './model.ts';

/** One certificate's material for a card. */
export interface CardMaterial {
  readonly certificate: Uint8Array;
  readonly key: JsonWebKey;
  readonly caCertificate: Uint8Array;
  readonly pin?: string | undefined;
}

/** Builds the initial state of a virtual card or smartphone. */
export function createCardState(m: {
  kind: TokenRecord['kind'];
  sign?: CardMaterial | undefined;
  auth: CardMaterial;
}): VirtualJpkiCardState {
  const card = new VirtualJpkiCard({
    kind: m.kind,
    authCertificate: m.auth.certificate,
    authCaCertificate: m.auth.caCertificate,
    authKey: m.auth.key,
    authPin: m.auth.pin ?? '',
    ...(m.sign
      ? {
          signCertificate: m.sign.certificate,
          signCaCertificate: m.sign.caCertificate,
          signKey: m.sign.key,
          signPin: m.sign.pin ?? '',
        }
      : {}),
  });
  return card.exportState();
}

/** The PIN-less card cannot take a signing key without a signing password being set at the counter. */
export const hasSignPin = (state: CardState): boolean => state?.pins.sign !== undefined;

/**
 * Replaces one certificate and key on a card (new key pair written at the counter), keeping the
 * PINs and counters; `pin` sets the signing password of a card that had none (turned 15).
 */
export function replaceOnCard(state: CardState, purpose: Purpose, m: CardMaterial): VirtualJpkiCardState {
  if (state === null) throw simError('device_not_active', 'the token has erased its keys');
  const files = { ...state.files };
  const keys = { ...state.keys };
  const pins = { ...state.pins };
  const counters = { ...state.counters };
  if (purpose === 'sign') {
    files.signCertificate = toBase64(m.certificate);
    files.signCaCertificate = toBase64(m.caCertificate);
    keys.sign = m.key;
    if (m.pin !== undefined) {
      pins.sign = m.pin;
      counters.sign = 5; // docs/jpki.md §3.5: 5 tries
    }
  } else {
    files.authCertificate = toBase64(m.certificate);
    files.authCaCertificate = toBase64(m.caCertificate);
    keys.auth = m.key;
  }
  // Round trip through the card so its own consistency checks apply.
  return VirtualJpkiCard.fromState({ ...state, files, keys, pins, counters }).exportState();
}
