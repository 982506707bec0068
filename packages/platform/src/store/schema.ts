/**
 * The Kysely view of the tables created by store/migrations/. Hand-written and kept in sync with
 * the migrations by two checks: `schemaColumns` below must name exactly the columns of these
 * interfaces, with a type and nullability that match their TypeScript types (checked by tsc), and
 * test/db/schema-drift.test.ts compares `schemaColumns` with `information_schema` on both engines.
 *
 * Column comments (meaning, rationale) live with the SQL in the migrations. Names are the SQL
 * snake_case names: the database is a wire edge (docs/conventions.md §3).
 *
 * Value types are what `openDatabase` makes both engines return: bigint → `bigint`, bytea →
 * `Uint8Array`, numeric → decimal `string`, timestamptz → `Date`, jsonb → parsed JSON (written as
 * `JsonbText` made by `jsonb()`), text[] → `string[]`.
 */
import type { ColumnType, Generated, Selectable } from 'kysely';
import type { JsonbText, JsonObject, JsonValue } from './json.ts';

/**
 * A `jsonb` column: reads as `T`, written only as text made by `jsonb()`. Our `jsonb` columns hold
 * JSON objects, never a bare JSON `null`, so SQL NULL stays the only null a reader can see.
 */
export type Jsonb<T extends JsonObject = JsonObject> = ColumnType<T, JsonbText<T>, JsonbText<T>>;
/** A `jsonb` column with a database default. */
export type JsonbWithDefault<T extends JsonObject = JsonObject> = ColumnType<
  T,
  JsonbText<T> | undefined,
  JsonbText<T>
>;

/** `accounts.status`. */
export type AccountStatus = 'live' | 'suspended' | 'needs_reproofing' | 'closed';
/** `accounts.proofing_method`. */
export type ProofingMethod = 'jpki_sign_card' | 'jpki_sign_smartphone';
/** JPKI certificate purpose: signing (署名用) or user authentication (利用者証明用). */
export type AnchorPurpose = 'sign' | 'auth';
/** JPKI certificate variant. */
export type AnchorVariant = 'card' | 'smartphone';
/** Last known revocation status of an anchor (RFC 6960 §2.2 vocabulary). */
export type AnchorStatus = 'good' | 'revoked' | 'unknown';
/** `enrolment_nonces.purpose`. */
export type NoncePurpose = 'enrolment' | 'reproofing' | 'consent';
/** `authenticators.type`. */
export type AuthenticatorType = 'passkey' | 'device_cert' | 'card_auth';

/** `accounts`: one private ID. */
export interface AccountsTable {
  id: Generated<string>;
  status: ColumnType<AccountStatus, AccountStatus | undefined, AccountStatus>;
  status_reason: string | null;
  status_changed_at: Generated<Date>;
  person_key: Uint8Array;
  person_key_id: string;
  proofing_level: number | null;
  proofing_method: ProofingMethod | null;
  proofed_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** `anchors`: JPKI certificates an account is anchored on (issuer + serial, never the certificate). */
export interface AnchorsTable {
  id: Generated<string>;
  account_id: string;
  purpose: AnchorPurpose;
  variant: AnchorVariant;
  issuer_key_hash: Uint8Array;
  issuer_name_hash: Uint8Array;
  /** Decimal digits (numeric); `serial.toString()` of the certificate's bigint serial. */
  serial: string;
  /** NULL only for an anchor made from the latest-basic-4 provision (migration 0004). */
  certificate_hash: Uint8Array | null;
  not_before: Date;
  not_after: Date;
  status: AnchorStatus;
  revocation_reason: string | null;
  revoked_at: Date | null;
  status_checked_at: Date;
  evidence: Jsonb;
  superseded_by: string | null;
  superseded_at: Date | null;
  created_at: Generated<Date>;
}

/** `basic4`: the encrypted basic 4 information of an account. */
export interface Basic4Table {
  account_id: string;
  alg: ColumnType<'A256GCM', 'A256GCM' | undefined, 'A256GCM'>;
  key_id: string;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
  updated_at: Generated<Date>;
}

/** `enrolment_nonces`: single-use nonces of enrolment documents. */
export interface EnrolmentNoncesTable {
  nonce: Uint8Array;
  purpose: ColumnType<NoncePurpose, NoncePurpose | undefined, NoncePurpose>;
  document_hash: Uint8Array;
  account_id: string | null;
  created_at: Generated<Date>;
  expires_at: Date;
  used_at: Date | null;
  /** The exact document issued (migration 0002). */
  document: Uint8Array | null;
  /** The consent document for latest-basic-4 provision, when offered (migration 0002). */
  consent_document: Uint8Array | null;
  /** SHA-256 of the certificate that completed the enrolment (migration 0013). */
  completed_certificate_hash: Uint8Array | null;
  /** The result the completion returned, for a retry of it (migration 0013). */
  completion: ColumnType<
    JsonObject | null,
    JsonbText<JsonObject> | null | undefined,
    JsonbText<JsonObject> | null
  >;
}

/** `authenticators`: passkeys, device certificates, card authentication certificates. */
export interface AuthenticatorsTable {
  id: Generated<string>;
  account_id: string;
  type: AuthenticatorType;
  credential_id: Uint8Array;
  public_key: Uint8Array;
  sign_count: ColumnType<bigint, bigint | undefined, bigint>;
  transports: ColumnType<string[], string[] | undefined, string[]>;
  backup_eligible: ColumnType<boolean, boolean | undefined, boolean>;
  backed_up: ColumnType<boolean, boolean | undefined, boolean>;
  attestation_fmt: string | null;
  aaguid: string | null;
  user_verified: ColumnType<boolean, boolean | undefined, boolean>;
  certificate: Uint8Array | null;
  device_slot: string | null;
  activated_at: Date | null;
  label: string | null;
  created_at: Generated<Date>;
  last_used_at: Date | null;
  revoked_at: Date | null;
  revocation_reason: string | null;
}

/** `sessions`: platform logins (token stored as a hash only). */
export interface SessionsTable {
  id: Generated<string>;
  token_hash: Uint8Array;
  account_id: string;
  authenticator_id: string | null;
  auth_time: Date;
  acr: string | null;
  amr: ColumnType<string[], string[] | undefined, string[]>;
  created_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  expires_at: Date;
  revoked_at: Date | null;
  /** The browser's User-Agent at sign-in, ≤ 512 characters (migration 0019). */
  user_agent: ColumnType<string | null, string | null | undefined, string | null>;
  /** Started by a cross-device sign-in: never phishing resistant, also on reuse (migration 0024). */
  cross_device: Generated<boolean>;
}

/** `consents`: J-LIS latest-basic-4 provision consents. */
export interface ConsentsTable {
  id: Generated<string>;
  account_id: string;
  anchor_id: string;
  kind: ColumnType<'jlis_basic4_provision', 'jlis_basic4_provision' | undefined, 'jlis_basic4_provision'>;
  service: string;
  jlis_reference: string | null;
  document_hash: Uint8Array;
  granted_at: Date;
  expires_at: Date | null;
  withdrawn_at: Date | null;
  evidence: JsonbWithDefault;
}

/** `audit_log`: the hash-chained audit log (write through store/audit.ts only). */
export interface AuditLogTable {
  seq: bigint;
  at: Date;
  actor: string;
  type: string;
  account_id: string | null;
  payload: Jsonb;
  prev_hash: Uint8Array;
  hash: Uint8Array;
}

/** `audit_head`: the single chain-head row. */
export interface AuditHeadTable {
  id: ColumnType<number, number | undefined, never>;
  seq: bigint;
  hash: Uint8Array;
}

/** `kv`: small settings and wrapped key material. */
export interface KvTable {
  key: string;
  value: Jsonb;
  updated_at: Generated<Date>;
}

/** `oidc_models`: oidc-provider's persisted artefacts (migration 0003; oidc/adapter.ts). */
export interface OidcModelsTable {
  model: string;
  id: string;
  payload: Jsonb;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: Date | null;
  consumed_at: Date | null;
  created_at: Generated<Date>;
}

/** `relying_parties`: the RP registry (migration 0003; oidc/registry.ts). */
export interface RelyingPartiesTable {
  client_id: string;
  name: string;
  purpose: string;
  metadata: Jsonb;
  secret_key_id: string | null;
  secret_nonce: Uint8Array | null;
  secret_ciphertext: Uint8Array | null;
  allowed_claims: ColumnType<string[], string[] | undefined, string[]>;
  min_acr: string | null;
  sector_identifier: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  disabled_at: Date | null;
  events_endpoint: ColumnType<string | null, string | null | undefined, string | null>;
  webhook_url: ColumnType<string | null, string | null | undefined, string | null>;
  webhook_secret_key_id: ColumnType<string | null, string | null | undefined, string | null>;
  webhook_secret_nonce: ColumnType<Uint8Array | null, Uint8Array | null | undefined, Uint8Array | null>;
  webhook_secret_ciphertext: ColumnType<Uint8Array | null, Uint8Array | null | undefined, Uint8Array | null>;
}

/** `sweep_runs.status`. */
export type SweepRunStatus = 'running' | 'completed' | 'partial' | 'failed';

/** `sweep_runs`: one revocation sweep (migration 0004; lifecycle/sweep.ts). */
export interface SweepRunsTable {
  id: Generated<string>;
  status: SweepRunStatus;
  started_at: Date;
  finished_at: Date | null;
  duration_ms: bigint | null;
  shard_count: number;
  anchors_checked: ColumnType<bigint, bigint | undefined, bigint>;
  revoked_found: ColumnType<bigint, bigint | undefined, bigint>;
  released: ColumnType<bigint, bigint | undefined, bigint>;
  unchecked: ColumnType<bigint, bigint | undefined, bigint>;
  error_code: string | null;
  actor: string;
}

/** `sweep_crls`: the CRL a sweep used per issuer, or why none (migration 0004). */
export interface SweepCrlsTable {
  run_id: string;
  issuer_key_hash: Uint8Array;
  purpose: AnchorPurpose;
  /** Decimal digits (numeric). */
  crl_number: string | null;
  this_update: Date | null;
  next_update: Date | null;
  entries: bigint | null;
  bytes: bigint | null;
  url: string | null;
  error_code: string | null;
  fetched_at: Date;
}

/** `sweep_shards`: the checkpoint of one shard of a sweep (migration 0004). */
export interface SweepShardsTable {
  run_id: string;
  shard: number;
  lo: string;
  hi: string | null;
  state: ColumnType<'pending' | 'done', 'pending' | 'done' | undefined, 'pending' | 'done'>;
  cursor_account_id: string | null;
  cursor_anchor_id: string | null;
  anchors_checked: ColumnType<bigint, bigint | undefined, bigint>;
  revoked_found: ColumnType<bigint, bigint | undefined, bigint>;
  released: ColumnType<bigint, bigint | undefined, bigint>;
  unchecked: ColumnType<bigint, bigint | undefined, bigint>;
  batches: ColumnType<number, number | undefined, number>;
  updated_at: Date;
}

/** `sweep_provisions`: a sweep's latest-basic-4 answers until applied (migration 0014; lifecycle/provisions.ts). */
export interface SweepProvisionsTable {
  run_id: string;
  issuer_key_hash: Uint8Array;
  serial: string;
  anchor_id: string;
  account_id: string;
  consent_ref: string;
  state: 'deferred' | 'answered';
  change: Jsonb | null;
  alg: string | null;
  key_id: string | null;
  nonce: Uint8Array | null;
  ciphertext: Uint8Array | null;
  error_code: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  claimed_until: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** `personas`: the resident's named claim subsets (migration 0005; oidc/personas.ts). */
export interface PersonasTable {
  id: Generated<string>;
  account_id: string;
  name: string;
  claims: string[];
  residence: 'prefecture' | 'municipality' | null;
  created_at: Date;
}

/** `fee_ledger.method`: what J-LIS was asked (migration 0007). */
export type FeeMethod = 'ocsp' | 'crl' | 'provision' | 'consent_registration' | 'consent_withdrawal';
/** `fee_ledger.purpose`: why (docs/jpki.md §4.4). */
export type FeePurpose = 'signature_verification' | 'liveness_check' | 'provision';

/** `fee_ledger`: one row per J-LIS query (migration 0007; jlis/ledger.ts). */
export interface FeeLedgerTable {
  id: ColumnType<bigint, never, never>;
  at: Date;
  method: FeeMethod;
  purpose: FeePurpose;
  certificate: 'sign' | 'auth' | null;
  client_id: string | null;
  account_id: string | null;
  price_yen: number;
  outcome: string;
  error_code: string | null;
  backend: string;
}

/** `oidc_consents`: consents given to RPs, with persona and released claims (migration 0005). */
export interface OidcConsentsTable {
  id: Generated<string>;
  account_id: string;
  client_id: string;
  grant_id: string;
  persona_id: string | null;
  persona_name: string | null;
  claims: string[];
  residence: 'prefecture' | 'municipality';
  scopes: string[];
  granted_at: Date;
  withdrawn_at: Date | null;
}

/** `event_deliveries.channel`. */
export type DeliveryChannel = 'push' | 'webhook' | 'logout';
/** `event_deliveries.status`. */
export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

/** `event_deliveries`: the outbox of events to RPs (migration 0006; lifecycle/events). */
export interface EventDeliveriesTable {
  id: Generated<string>;
  event_id: string;
  client_id: string;
  channel: DeliveryChannel;
  target: string;
  event_type: string;
  subject: string;
  payload: Jsonb;
  occurred_at: Date;
  status: ColumnType<DeliveryStatus, DeliveryStatus | undefined, DeliveryStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Date;
  locked_by: string | null;
  locked_until: Date | null;
  last_error: string | null;
  last_status: number | null;
  created_at: Date;
  updated_at: Date;
  delivered_at: Date | null;
}

/** `account_notices.kind`. */
export type NoticeKind =
  'reproofing_required' | 'attributes_updated' | 'suspended' | 'released' | 'closed' | 'reproofed';

/** `account_notices`: what the wallet tells the resident (migration 0006). */
export interface AccountNoticesTable {
  id: Generated<string>;
  account_id: string;
  kind: NoticeKind;
  reason: string | null;
  items: string[];
  created_at: Date;
}

/** Every table of the platform store. */
/** `watashi_cas`: the CA's root and issuing certificates (migration 0016). */
export interface WatashiCasTable {
  role: 'root' | 'issuing';
  certificate: Uint8Array;
  key_id: string;
  crl_number: ColumnType<bigint, bigint | undefined, bigint>;
  created_at: Date;
}

/** Profiles of resident device certificates. */
export type DeviceProfile = 'watashi-device-sign' | 'watashi-device-auth';

/** `device_certificates`: certificates issued to residents' devices (migration 0016). */
export interface DeviceCertificatesTable {
  serial: string;
  account_id: string;
  anchor_id: string | null;
  authenticator_id: string | null;
  profile: DeviceProfile;
  profile_version: number;
  device_slot: string;
  label: string | null;
  key_storage: 'webcrypto' | 'pkcs11';
  token_model: string | null;
  spki_hash: Uint8Array;
  certificate: Uint8Array;
  not_before: Date;
  not_after: Date;
  session_id: string;
  activation_hash: Uint8Array | null;
  activation_expires_at: Date;
  activated_at: Date | null;
  revoked_at: Date | null;
  revocation_reason: string | null;
  created_at: Date;
}

/** `pairwise_subjects`: the account a sector's pairwise `sub` names (migration 0018). */
export interface PairwiseSubjectsTable {
  sector: string;
  subject: string;
  account_id: string;
  created_at: Date;
}

/** `ciba_requests.state`. */
export type CibaState = 'pending' | 'approved' | 'denied';

/** `ciba_requests`: back-channel authentication requests waiting for the wallet (migration 0018). */
export interface CibaRequestsTable {
  id: Generated<string>;
  auth_req_id: string;
  client_id: string;
  account_id: string;
  scope: string;
  binding_message: string | null;
  authorization_details: ColumnType<
    JsonValue | null,
    JsonbText<JsonValue> | null | undefined,
    JsonbText<JsonValue> | null
  >;
  signing_input: string;
  state: Generated<CibaState>;
  created_at: Date;
  expires_at: Date;
  decided_at: Date | null;
  device_serial: string | null;
  evidence: string | null;
  /** When the RP last polled while the request was pending (migration 0025). */
  polled_at: Date | null;
  /** The polling interval the RP must keep, in seconds (CIBA §7.3; +5 at each `slow_down`). */
  poll_interval: Generated<number>;
}

/** `credentials`: SD-JWT VCs issued to residents' wallets (migration 0020; no claim values). */
export interface CredentialsTable {
  id: string;
  account_id: string;
  anchor_id: string | null;
  /** Index in the Token Status List (draft-ietf-oauth-status-list §4). */
  status_index: number;
  /** What the platform decided; the published status also follows the account and anchor. */
  status: 'valid' | 'revoked';
  vct: string;
  /** RFC 7638 thumbprint of the holder key (`cnf.jwk`). */
  holder_jkt: string;
  issued_at: Date;
  expires_at: Date;
}

/** Kinds of single-use values of the credential exchanges. */
export type CredentialExchangeKind = 'pre_authorized_code' | 'access_token' | 'c_nonce' | 'presentation';

/** `credential_exchanges`: single-use values of OpenID4VCI and OpenID4VP, by SHA-256 hash (migration 0020). */
export interface CredentialExchangesTable {
  value_hash: Uint8Array;
  kind: CredentialExchangeKind;
  account_id: string | null;
  request: Jsonb | null;
  result: Jsonb | null;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

export interface Schema {
  accounts: AccountsTable;
  anchors: AnchorsTable;
  basic4: Basic4Table;
  enrolment_nonces: EnrolmentNoncesTable;
  authenticators: AuthenticatorsTable;
  sessions: SessionsTable;
  consents: ConsentsTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  kv: KvTable;
  oidc_models: OidcModelsTable;
  relying_parties: RelyingPartiesTable;
  sweep_runs: SweepRunsTable;
  sweep_crls: SweepCrlsTable;
  sweep_shards: SweepShardsTable;
  sweep_provisions: SweepProvisionsTable;
  personas: PersonasTable;
  oidc_consents: OidcConsentsTable;
  event_deliveries: EventDeliveriesTable;
  account_notices: AccountNoticesTable;
  fee_ledger: FeeLedgerTable;
  watashi_cas: WatashiCasTable;
  device_certificates: DeviceCertificatesTable;
  signature_records: SignatureRecordsTable;
  signature_archive_stamps: SignatureArchiveStampsTable;
  signing_preparations: SigningPreparationsTable;
  pairwise_subjects: PairwiseSubjectsTable;
  ciba_requests: CibaRequestsTable;
  credentials: CredentialsTable;
  credential_exchanges: CredentialExchangesTable;
  cross_device_requests: CrossDeviceRequestsTable;
}

/** `cross_device_requests.state`. */
export type CrossDeviceState = 'pending' | 'approved' | 'used' | 'refused' | 'denied';

/** `cross_device_requests` (migration 0023): a computer's sign-in waiting for the phone's approval. */
export interface CrossDeviceRequestsTable {
  id: string;
  token_hash: Uint8Array;
  browser_hash: Uint8Array;
  interaction_uid: string;
  client_id: string;
  number: number;
  choices: string;
  nonce: string;
  origin_network: string | null;
  origin_user_agent: string | null;
  state: Generated<CrossDeviceState>;
  account_id: string | null;
  device_serial: string | null;
  created_at: Date;
  expires_at: Date;
  scanned_at: Date | null;
  decided_at: Date | null;
  used_at: Date | null;
}

/** `signature_records` (migration 0021): a signature the platform made, by its file's hash. */
export interface SignatureRecordsTable {
  id: string;
  account_id: string;
  format: 'pades' | 'cades';
  file_sha256: Uint8Array;
  created_at: Date;
  /** How many archive time-stamps the chain holds (the newest is `seq = stamps`). */
  stamps: number;
  latest_gen_time: Date;
  latest_tsa_not_after: Date;
  latest_algorithm: string;
  next_due_at: Date;
  last_error: string | null;
}

/**
 * `signing_preparations` (migration 0022): a signature prepared for the card (or a device key) and
 * waiting, at most 5 minutes, for its completion on any instance; `sealed` holds the file name,
 * the certificates and the document under the data key, and is cleared when consumed.
 */
export interface SigningPreparationsTable {
  id: string;
  account_id: string;
  session_id: string;
  format: 'pades' | 'cades';
  algorithm: 'RSA-SHA256' | 'ECDSA-SHA256';
  signing_time: Date;
  document_sha256: Uint8Array;
  to_be_signed: Uint8Array;
  key_id: string;
  nonce: Uint8Array;
  sealed: Uint8Array | null;
  created_at: Date;
  expires_at: Date;
  consumed_at: Date | null;
}

/** `signature_archive_stamps` (migration 0021): the chain of archive time-stamp tokens. */
export interface SignatureArchiveStampsTable {
  record_id: string;
  seq: number;
  token: Uint8Array;
  gen_time: Date;
}

/**
 * The PostgreSQL `udt_name`s a column whose JavaScript type is `V` may have (non-distributive, so
 * literal unions such as `AccountStatus` map as `string`; anything else is JSON).
 */
type UdtFor<V> = [V] extends [Uint8Array]
  ? 'bytea'
  : [V] extends [Date]
    ? 'timestamptz'
    : [V] extends [bigint]
      ? 'int8'
      : [V] extends [number]
        ? 'int2' | 'int4'
        : [V] extends [boolean]
          ? 'bool'
          : [V] extends [string[]]
            ? '_text'
            : [V] extends [string]
              ? 'uuid' | 'text' | 'numeric'
              : 'jsonb';

/** Runtime description of one column, tied by type to the column's TypeScript type. */
export interface ColumnSpec<V> {
  /** `information_schema.columns.udt_name`. */
  readonly udt: UdtFor<NonNullable<V>>;
  /** Whether the column accepts NULL. */
  readonly nullable: null extends V ? true : false;
}

/** The runtime mirror of `Schema` that the drift test compares with the database. */
export type SchemaColumns = {
  readonly [T in keyof Schema]: {
    readonly [C in keyof Selectable<Schema[T]>]-?: ColumnSpec<Selectable<Schema[T]>[C]>;
  };
};

const u = <V extends string>(udt: V) => ({ udt, nullable: false }) as const;
const n = <V extends string>(udt: V) => ({ udt, nullable: true }) as const;

/** Every column of every table, as the migrations create them (checked against the database). */
export const schemaColumns = {
  accounts: {
    id: u('uuid'),
    status: u('text'),
    status_reason: n('text'),
    status_changed_at: u('timestamptz'),
    person_key: u('bytea'),
    person_key_id: u('text'),
    proofing_level: n('int2'),
    proofing_method: n('text'),
    proofed_at: n('timestamptz'),
    created_at: u('timestamptz'),
    updated_at: u('timestamptz'),
  },
  anchors: {
    id: u('uuid'),
    account_id: u('uuid'),
    purpose: u('text'),
    variant: u('text'),
    issuer_key_hash: u('bytea'),
    issuer_name_hash: u('bytea'),
    serial: u('numeric'),
    certificate_hash: n('bytea'),
    not_before: u('timestamptz'),
    not_after: u('timestamptz'),
    status: u('text'),
    revocation_reason: n('text'),
    revoked_at: n('timestamptz'),
    status_checked_at: u('timestamptz'),
    evidence: u('jsonb'),
    superseded_by: n('uuid'),
    superseded_at: n('timestamptz'),
    created_at: u('timestamptz'),
  },
  basic4: {
    account_id: u('uuid'),
    alg: u('text'),
    key_id: u('text'),
    nonce: u('bytea'),
    ciphertext: u('bytea'),
    updated_at: u('timestamptz'),
  },
  enrolment_nonces: {
    nonce: u('bytea'),
    purpose: u('text'),
    document_hash: u('bytea'),
    account_id: n('uuid'),
    created_at: u('timestamptz'),
    expires_at: u('timestamptz'),
    used_at: n('timestamptz'),
    document: n('bytea'),
    consent_document: n('bytea'),
    completed_certificate_hash: n('bytea'),
    completion: n('jsonb'),
  },
  authenticators: {
    id: u('uuid'),
    account_id: u('uuid'),
    type: u('text'),
    credential_id: u('bytea'),
    public_key: u('bytea'),
    sign_count: u('int8'),
    transports: u('_text'),
    backup_eligible: u('bool'),
    backed_up: u('bool'),
    attestation_fmt: n('text'),
    aaguid: n('uuid'),
    user_verified: u('bool'),
    certificate: n('bytea'),
    device_slot: n('text'),
    activated_at: n('timestamptz'),
    label: n('text'),
    created_at: u('timestamptz'),
    last_used_at: n('timestamptz'),
    revoked_at: n('timestamptz'),
    revocation_reason: n('text'),
  },
  sessions: {
    id: u('uuid'),
    token_hash: u('bytea'),
    account_id: u('uuid'),
    authenticator_id: n('uuid'),
    auth_time: u('timestamptz'),
    acr: n('text'),
    amr: u('_text'),
    created_at: u('timestamptz'),
    last_seen_at: u('timestamptz'),
    expires_at: u('timestamptz'),
    revoked_at: n('timestamptz'),
    user_agent: n('text'),
    cross_device: u('bool'),
  },
  consents: {
    id: u('uuid'),
    account_id: u('uuid'),
    anchor_id: u('uuid'),
    kind: u('text'),
    service: u('text'),
    jlis_reference: n('text'),
    document_hash: u('bytea'),
    granted_at: u('timestamptz'),
    expires_at: n('timestamptz'),
    withdrawn_at: n('timestamptz'),
    evidence: u('jsonb'),
  },
  audit_log: {
    seq: u('int8'),
    at: u('timestamptz'),
    actor: u('text'),
    type: u('text'),
    account_id: n('uuid'),
    payload: u('jsonb'),
    prev_hash: u('bytea'),
    hash: u('bytea'),
  },
  audit_head: {
    id: u('int2'),
    seq: u('int8'),
    hash: u('bytea'),
  },
  kv: {
    key: u('text'),
    value: u('jsonb'),
    updated_at: u('timestamptz'),
  },
  oidc_models: {
    model: u('text'),
    id: u('text'),
    payload: u('jsonb'),
    grant_id: n('text'),
    uid: n('text'),
    user_code: n('text'),
    expires_at: n('timestamptz'),
    consumed_at: n('timestamptz'),
    created_at: u('timestamptz'),
  },
  relying_parties: {
    client_id: u('text'),
    name: u('text'),
    purpose: u('text'),
    metadata: u('jsonb'),
    secret_key_id: n('text'),
    secret_nonce: n('bytea'),
    secret_ciphertext: n('bytea'),
    allowed_claims: u('_text'),
    min_acr: n('text'),
    sector_identifier: u('text'),
    created_at: u('timestamptz'),
    updated_at: u('timestamptz'),
    disabled_at: n('timestamptz'),
    events_endpoint: n('text'),
    webhook_url: n('text'),
    webhook_secret_key_id: n('text'),
    webhook_secret_nonce: n('bytea'),
    webhook_secret_ciphertext: n('bytea'),
  },
  sweep_runs: {
    id: u('uuid'),
    status: u('text'),
    started_at: u('timestamptz'),
    finished_at: n('timestamptz'),
    duration_ms: n('int8'),
    shard_count: u('int4'),
    anchors_checked: u('int8'),
    revoked_found: u('int8'),
    released: u('int8'),
    unchecked: u('int8'),
    error_code: n('text'),
    actor: u('text'),
  },
  sweep_crls: {
    run_id: u('uuid'),
    issuer_key_hash: u('bytea'),
    purpose: u('text'),
    crl_number: n('numeric'),
    this_update: n('timestamptz'),
    next_update: n('timestamptz'),
    entries: n('int8'),
    bytes: n('int8'),
    url: n('text'),
    error_code: n('text'),
    fetched_at: u('timestamptz'),
  },
  sweep_shards: {
    run_id: u('uuid'),
    shard: u('int4'),
    lo: u('uuid'),
    hi: n('uuid'),
    state: u('text'),
    cursor_account_id: n('uuid'),
    cursor_anchor_id: n('uuid'),
    anchors_checked: u('int8'),
    revoked_found: u('int8'),
    released: u('int8'),
    unchecked: u('int8'),
    batches: u('int4'),
    updated_at: u('timestamptz'),
  },
  sweep_provisions: {
    run_id: u('uuid'),
    issuer_key_hash: u('bytea'),
    serial: u('numeric'),
    anchor_id: u('uuid'),
    account_id: u('uuid'),
    consent_ref: u('text'),
    state: u('text'),
    change: n('jsonb'),
    alg: n('text'),
    key_id: n('text'),
    nonce: n('bytea'),
    ciphertext: n('bytea'),
    error_code: n('text'),
    attempts: u('int4'),
    claimed_until: n('timestamptz'),
    created_at: u('timestamptz'),
    updated_at: u('timestamptz'),
  },
  personas: {
    id: u('uuid'),
    account_id: u('uuid'),
    name: u('text'),
    claims: u('_text'),
    residence: n('text'),
    created_at: u('timestamptz'),
  },
  oidc_consents: {
    id: u('uuid'),
    account_id: u('uuid'),
    client_id: u('text'),
    grant_id: u('text'),
    persona_id: n('uuid'),
    persona_name: n('text'),
    claims: u('_text'),
    residence: u('text'),
    scopes: u('_text'),
    granted_at: u('timestamptz'),
    withdrawn_at: n('timestamptz'),
  },
  event_deliveries: {
    id: u('uuid'),
    event_id: u('uuid'),
    client_id: u('text'),
    channel: u('text'),
    target: u('text'),
    event_type: u('text'),
    subject: u('text'),
    payload: u('jsonb'),
    occurred_at: u('timestamptz'),
    status: u('text'),
    attempts: u('int4'),
    next_attempt_at: u('timestamptz'),
    locked_by: n('text'),
    locked_until: n('timestamptz'),
    last_error: n('text'),
    last_status: n('int4'),
    created_at: u('timestamptz'),
    updated_at: u('timestamptz'),
    delivered_at: n('timestamptz'),
  },
  account_notices: {
    id: u('uuid'),
    account_id: u('uuid'),
    kind: u('text'),
    reason: n('text'),
    items: u('_text'),
    created_at: u('timestamptz'),
  },
  fee_ledger: {
    id: u('int8'),
    at: u('timestamptz'),
    method: u('text'),
    purpose: u('text'),
    certificate: n('text'),
    client_id: n('text'),
    account_id: n('uuid'),
    price_yen: u('int4'),
    outcome: u('text'),
    error_code: n('text'),
    backend: u('text'),
  },
  watashi_cas: {
    role: u('text'),
    certificate: u('bytea'),
    key_id: u('text'),
    crl_number: u('int8'),
    created_at: u('timestamptz'),
  },
  device_certificates: {
    serial: u('text'),
    account_id: u('uuid'),
    anchor_id: n('uuid'),
    authenticator_id: n('uuid'),
    profile: u('text'),
    profile_version: u('int4'),
    device_slot: u('text'),
    label: n('text'),
    key_storage: u('text'),
    token_model: n('text'),
    spki_hash: u('bytea'),
    certificate: u('bytea'),
    not_before: u('timestamptz'),
    not_after: u('timestamptz'),
    session_id: u('uuid'),
    activation_hash: n('bytea'),
    activation_expires_at: u('timestamptz'),
    activated_at: n('timestamptz'),
    revoked_at: n('timestamptz'),
    revocation_reason: n('text'),
    created_at: u('timestamptz'),
  },
  signature_records: {
    id: u('uuid'),
    account_id: u('uuid'),
    format: u('text'),
    file_sha256: u('bytea'),
    created_at: u('timestamptz'),
    stamps: u('int4'),
    latest_gen_time: u('timestamptz'),
    latest_tsa_not_after: u('timestamptz'),
    latest_algorithm: u('text'),
    next_due_at: u('timestamptz'),
    last_error: n('text'),
  },
  signature_archive_stamps: {
    record_id: u('uuid'),
    seq: u('int4'),
    token: u('bytea'),
    gen_time: u('timestamptz'),
  },
  signing_preparations: {
    id: u('uuid'),
    account_id: u('uuid'),
    session_id: u('uuid'),
    format: u('text'),
    algorithm: u('text'),
    signing_time: u('timestamptz'),
    document_sha256: u('bytea'),
    to_be_signed: u('bytea'),
    key_id: u('text'),
    nonce: u('bytea'),
    sealed: n('bytea'),
    created_at: u('timestamptz'),
    expires_at: u('timestamptz'),
    consumed_at: n('timestamptz'),
  },
  pairwise_subjects: {
    sector: u('text'),
    subject: u('text'),
    account_id: u('uuid'),
    created_at: u('timestamptz'),
  },
  ciba_requests: {
    id: u('uuid'),
    auth_req_id: u('text'),
    client_id: u('text'),
    account_id: u('uuid'),
    scope: u('text'),
    binding_message: n('text'),
    authorization_details: n('jsonb'),
    signing_input: u('text'),
    state: u('text'),
    created_at: u('timestamptz'),
    expires_at: u('timestamptz'),
    decided_at: n('timestamptz'),
    device_serial: n('text'),
    evidence: n('text'),
    polled_at: n('timestamptz'),
    poll_interval: u('int4'),
  },
  credentials: {
    id: u('uuid'),
    account_id: u('uuid'),
    anchor_id: n('uuid'),
    status_index: u('int4'),
    status: u('text'),
    vct: u('text'),
    holder_jkt: u('text'),
    issued_at: u('timestamptz'),
    expires_at: u('timestamptz'),
  },
  credential_exchanges: {
    value_hash: u('bytea'),
    kind: u('text'),
    account_id: n('uuid'),
    request: n('jsonb'),
    result: n('jsonb'),
    created_at: u('timestamptz'),
    expires_at: u('timestamptz'),
    used_at: n('timestamptz'),
  },
  cross_device_requests: {
    id: u('uuid'),
    token_hash: u('bytea'),
    browser_hash: u('bytea'),
    interaction_uid: u('text'),
    client_id: u('text'),
    number: u('int2'),
    choices: u('text'),
    nonce: u('text'),
    origin_network: n('text'),
    origin_user_agent: n('text'),
    state: u('text'),
    account_id: n('uuid'),
    device_serial: n('text'),
    created_at: u('timestamptz'),
    expires_at: u('timestamptz'),
    scanned_at: n('timestamptz'),
    decided_at: n('timestamptz'),
    used_at: n('timestamptz'),
  },
} as const satisfies SchemaColumns;
