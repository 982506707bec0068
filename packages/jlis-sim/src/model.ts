/**
 * The simulator's persisted data model (state.json). Plain JSON: dates as ISO strings, serials as
 * decimal strings, DER as base64. No individual number (個人番号) exists anywhere in it: residents
 * are keyed by opaque `r-…` IDs.
 */
import type { VirtualJpkiCardState } from '@watashi/jpki';
import type { RandomState } from './random.ts';
import type { ResidentInput } from './residents/generate.ts';

/** Certificate purpose (docs/jpki.md §2.1: two independent one-tier hierarchies). */
export type Purpose = 'sign' | 'auth';

/** Revocation reasons used by the simulator (RFC 5280 §5.3.1 names; mapping in docs/jpki.md §2.2). */
export type RevocationReason =
  'keyCompromise' | 'affiliationChanged' | 'superseded' | 'cessationOfOperation' | 'certificateHold';

/** A CA generation of one purpose. */
export interface CaRecord {
  readonly purpose: Purpose;
  readonly generation: string;
  readonly serial: string;
  /** Self-signed certificate, base64 DER. */
  readonly certificate: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** Key file name under `keys/` (PKCS#8 PEM, mode 0600). */
  readonly keyFile: string;
  /** Number of the last published CRL (0 = none yet). */
  crlNumber: string;
  /** The last published CRL. */
  crl?: { number: string; thisUpdate: string; nextUpdate: string; file: string; entries: number } | undefined;
}

/** A resident (住民). */
export interface ResidentRecord extends Omit<ResidentInput, 'name' | 'address' | 'nameKana'> {
  readonly id: string;
  /** 氏名 (changes on marriage). */
  name: string;
  /** Reading (dropped when a name is given without one). */
  nameKana?: string | undefined;
  /** 住所 (changes on moving). */
  address: string;
  /** resident, or removed from the registry by death / emigration (住民票消除). */
  status: 'resident' | 'deceased' | 'emigrated';
  readonly createdAt: string;
  /** Substitute-character positions are computed from the name/address; kept for display. */
  updatedAt: string;
}

/** Certificate status as the CA knows it (before CRL publication / OCSP refresh). */
export type CertStatus =
  | { readonly type: 'good' }
  | { readonly type: 'revoked'; readonly reason: RevocationReason; readonly at: string };

/** An end-entity certificate issued by the simulator. */
export interface CertRecord {
  readonly serial: string;
  readonly purpose: Purpose;
  readonly generation: string;
  readonly variant: 'card' | 'smartphone';
  readonly residentId: string;
  /** The card or device holding the key. */
  readonly tokenId: string;
  /** base64 DER. */
  readonly der: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly issuedAt: string;
  status: CertStatus;
  /** For a signing certificate revoked by a basic 4 change or renewal: the serial of its successor. */
  supersededBy?: string | undefined;
}

/** Virtual card state as exported by `VirtualJpkiCard.exportState()` (opaque JSON here); null once erased. */
export type CardState = VirtualJpkiCardState | null;

/** A hosted token: a My Number card or a smartphone (Android SE / iPhone). */
export interface TokenRecord {
  readonly id: string;
  readonly kind: 'card' | 'android' | 'ios';
  readonly residentId: string;
  /** active; lost (certificates held); revoked (certificates dead, device erases itself); wiped (device erased). */
  status: 'active' | 'lost' | 'revoked' | 'wiped';
  readonly issuedAt: string;
  readonly expiresAt: string;
  signSerial?: string | undefined;
  authSerial?: string | undefined;
  /** Virtual card state (keys, certificates, PINs, counters); null once a device has erased itself. */
  state: CardState;
}

/** A consent to latest-basic-4 provision (docs/jpki.md §4.2). */
export interface ConsentRecord {
  readonly id: string;
  readonly residentId: string;
  readonly operatorId: string;
  readonly service: string;
  readonly items: ReadonlyArray<Basic4Item>;
  /** Serial of the signing certificate that signed the consent. */
  readonly signedBySerial: string;
  readonly recordedAt: string;
  /** Valid for 10 years from the day after recording (docs/jpki.md §4.2). */
  readonly validFrom: string;
  readonly validUntil: string;
  /** The signed CMS, base64. */
  readonly cms: string;
  status: 'active' | 'withdrawn';
  withdrawnAt?: string | undefined;
}

/** Items of the basic 4 information a consent can cover. */
export type Basic4Item = 'name' | 'address' | 'birthDate' | 'sex';

/** One entry of the event log. */
export interface EventRecord {
  readonly id: string;
  readonly residentId: string;
  readonly type: string;
  readonly at: string;
  /** What happened to each certificate: serial → effect. */
  readonly effects: ReadonlyArray<{ serial: string; purpose: Purpose; effect: string }>;
}

/** One fee-meter counter. */
export interface FeeRecord {
  readonly operatorId: string;
  /** YYYY-MM of the query (simulator clock, JST). */
  readonly month: string;
  readonly purpose: string;
  /** ocsp-sign, ocsp-auth, crl, provision. */
  readonly item: string;
  count: number;
  yen: number;
}

/** The whole persisted state. */
export interface SimState {
  readonly version: 1;
  readonly seed: string;
  random: RandomState;
  /** Next serial of the one sequential serial space shared by CAs and end entities (docs/jpki.md §1.1). */
  nextSerial: string;
  cas: CaRecord[];
  residents: Record<string, ResidentRecord>;
  certificates: Record<string, CertRecord>;
  tokens: Record<string, TokenRecord>;
  consents: Record<string, ConsentRecord>;
  events: EventRecord[];
  fees: FeeRecord[];
}
