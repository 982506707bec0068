/**
 * The "same person" key of accounts.person_key (migration 0001 explains the choice): HMAC-SHA-256
 * under the key store's `person-key` secret over the normalised name, date of birth and sex of the
 * basic 4 information. A match is a candidate, confirmed by the rules in README.md.
 */
import type { Basic4 } from '@watashi/jpki';
import type { KeyStore } from '../keys/key-store.ts';

/** Version prefix of the MAC input, so a change of normalisation is a new key space. */
const PERSON_KEY_LABEL = 'watashi/person-key/v1';

/**
 * The name as compared: Unicode NFC (the certificate carries UTF-8 that may be composed or not),
 * runs of white space (ASCII or U+3000) as one U+3000, trimmed. Substitute characters (代替文字)
 * stay as they are: the same registry entry always yields the same substitutes.
 */
export function normaliseName(name: string): string {
  return name
    .normalize('NFC')
    .replace(/[\s\u3000]+/gu, '\u3000')
    .replace(/^\u3000|\u3000$/gu, '');
}

/** The MAC input for `b4`. */
function personKeyInput(b4: Basic4): Uint8Array {
  return new TextEncoder().encode(
    [PERSON_KEY_LABEL, normaliseName(b4.name), b4.dateOfBirth.date, b4.sex].join('\u0000'),
  );
}

/** accounts.person_key and person_key_id for `b4`. */
export async function personKeyOf(
  keys: KeyStore,
  b4: Basic4,
): Promise<{ readonly key: Uint8Array; readonly keyId: string }> {
  const { mac, keyId } = await keys.mac('person-key', personKeyInput(b4));
  return { key: mac, keyId };
}
