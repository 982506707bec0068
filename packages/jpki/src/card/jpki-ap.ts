/**
 * Constants of the JPKI application (公的個人認証AP) and the other applications on a My Number card
 * (docs/jpki.md §3.1–§3.2).
 */

/** JPKI AP AID `D3 92 F0 00 26 01 00 00 00 01` (docs/jpki.md §3.1). */
export const JPKI_AID: Uint8Array = Uint8Array.of(0xd3, 0x92, 0xf0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01);
/** 券面事項入力補助AP (text input-assist AP); Watashi never reads it (it holds the My Number). */
export const TEXT_AP_AID: Uint8Array = Uint8Array.of(
  0xd3,
  0x92,
  0x10,
  0x00,
  0x31,
  0x00,
  0x01,
  0x01,
  0x04,
  0x08,
);
/** 券面事項確認AP (card-face / visual AP). */
export const VISUAL_AP_AID: Uint8Array = Uint8Array.of(
  0xd3,
  0x92,
  0x10,
  0x00,
  0x31,
  0x00,
  0x01,
  0x01,
  0x04,
  0x02,
);
/** The AP that holds the manufacture number ("謎のAP" in jpki/myna). */
export const OTHER_AP_AID: Uint8Array = Uint8Array.of(
  0xd3,
  0x92,
  0x10,
  0x00,
  0x31,
  0x00,
  0x01,
  0x01,
  0x01,
  0x00,
);

/** Elementary files of the JPKI AP (docs/jpki.md §3.2). */
export const JpkiEf = {
  /** Signing certificate; readable only after the signing password. */
  SIGN_CERT: 0x0001,
  /** Signing CA certificate. */
  SIGN_CA_CERT: 0x0002,
  /** Token information (token name). */
  TOKEN_INFO: 0x0006,
  /** Certificate presence flags (`8F 8F 00` with both certificates). */
  CERT_PRESENCE: 0x0008,
  /** User-authentication certificate (PIN-protected on smartphones). */
  AUTH_CERT: 0x000a,
  /** User-authentication CA certificate. */
  AUTH_CA_CERT: 0x000b,
  /** User-authentication private key (sign only). */
  AUTH_KEY: 0x0017,
  /** User-authentication PIN (4 digits, 3 tries). */
  AUTH_PIN: 0x0018,
  /** Signing private key (sign only). */
  SIGN_KEY: 0x001a,
  /** Signing password (6–16 of A–Z 0–9, 5 tries). */
  SIGN_PIN: 0x001b,
} as const;

/** Which device carries the JPKI AP. */
export type JpkiDeviceKind = 'card' | 'android' | 'ios';

/** Token names in EF `0006` per device (docs/jpki.md §3.2, §2.3). */
export const JPKI_TOKEN: Readonly<Record<JpkiDeviceKind, string>> = {
  card: 'JPKIAPICCTOKEN2',
  android: 'JPKIAPGPSETOKEN',
  ios: 'JPKIAPIOSTOKEN',
};

/** The device kind a token name denotes; `JPKIAPICCTOKEN` is the old 住基カード, reported as undefined. */
export function deviceKindOfToken(token: string): JpkiDeviceKind | undefined {
  for (const [kind, name] of Object.entries(JPKI_TOKEN) as [JpkiDeviceKind, string][])
    if (name === token) return kind;
  return undefined;
}

/** The two PINs of the JPKI AP. */
export type PinKind = 'sign' | 'auth';

/** Retry limits (docs/jpki.md §3.5; OpenSC `JPKI_{SIGN,AUTH}_PIN_MAX_TRIES`). */
export const PIN_MAX_TRIES: Readonly<Record<PinKind, number>> = { sign: 5, auth: 3 };
