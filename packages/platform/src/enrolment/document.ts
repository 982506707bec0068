/**
 * The enrolment document (docs/architecture.md §3.1 step 1): what the resident signs with the card's signing
 * key. Signing meaningless bytes with a signing certificate (署名用電子証明書) is improper use, so
 * the document is a real statement — the terms of use in Japanese and English, the attributes
 * that will be read, the operator, a single-use nonce, when it was issued and until when it can be
 * signed. The exact bytes are UTF-8 JSON with a fixed key order; their SHA-256 is stored with the
 * nonce (`enrolment_nonces.document_hash`) and the bytes themselves in `enrolment_nonces.document`
 * (migration 0002), so detached CMS and raw PKCS#1 signatures can be checked against them.
 *
 * The consent document for latest-basic-4 provision (本人同意に基づく基本4情報の提供, §3.1 step 5)
 * is in the format the J-LIS simulator accepts (packages/jlis-sim/README.md, "Latest basic 4"):
 * `{"type":"jlis-sim/basic4-consent","operatorId","service","items","date"}`. The real J-LIS
 * format is in its NDA specification (docs/jpki.md §4.2); a standard-CA backend has no
 * provision service, so the consent is offered only with the simulator backend.
 */
import { isUtf8 } from 'node:buffer';
import { fromBase64, toBase64Url } from '@watashi/pki';
import type { NoncePurpose } from '../store/schema.ts';
import { enrolmentError } from './errors.ts';

/** `type` of enrolment documents. */
const ENROLMENT_DOCUMENT_TYPE = 'watashi/enrolment-document';
/** Version of the terms below; bump it whenever their text changes. */
const TERMS_VERSION = '2026-11-22';
/** The attributes read from the signing certificate (docs/jpki.md §1.4). */
const ENROLMENT_ATTRIBUTES = ['name', 'address', 'birthDate', 'sex'] as const;
/** Nonce length in bytes (enrolment_nonces requires ≥ 16). */
export const NONCE_BYTES = 32;

/** Who runs the platform, as named in the document. */
export interface OperatorInfo {
  /** Operator id (the one sent to J-LIS, e.g. `watashi`). */
  readonly id: string;
  /** The platform's public URL. */
  readonly url: string;
}

/** The parsed enrolment document. */
export interface EnrolmentDocument {
  readonly type: typeof ENROLMENT_DOCUMENT_TYPE;
  readonly version: 1;
  readonly purpose: Extract<NoncePurpose, 'enrolment' | 'reproofing'>;
  readonly operator: OperatorInfo;
  /** Re-proofing: the account the new card is bound to. */
  readonly account?: string;
  readonly attributes: ReadonlyArray<(typeof ENROLMENT_ATTRIBUTES)[number]>;
  readonly termsVersion: string;
  readonly terms: { readonly ja: string; readonly en: string };
  /** base64url, no padding. */
  readonly nonce: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
}

/** The terms of use (Japanese). `{operator}` is replaced by the operator id and URL. */
function termsJa(op: OperatorInfo, reproofing: boolean): string {
  return [
    `利用規約（第${TERMS_VERSION}版）`,
    `1. ${op.id}（${op.url}、以下「事業者」）は、あなたのマイナンバーカードの署名用電子証明書による電子署名を用いて本人確認（身元確認）を行い、${reproofing ? 'あなたのアカウントに新しい証明書を結び付けます（再確認）' : '民間IDを発行します'}。`,
    '2. 読み取る情報は、署名用電子証明書に記録された基本4情報（氏名、住所、生年月日、性別）と、証明書の発行者、シリアル番号および有効期間です。個人番号（マイナンバー）は読み取らず、保存せず、何にも用いません。',
    '3. 利用目的は、本人確認、同一人物による重複したアカウントの防止、およびあなたが個別に同意した連携先への属性の提供に限ります。',
    '4. 基本4情報は暗号化して保存し、ログには記録しません。アカウントを閉じた後も、法令と監査のために必要な範囲で記録を保存します。',
    '5. 証明書の有効性（失効の有無）は、地方公共団体情報システム機構（J-LIS）に照会して確認し、その結果を本人確認の記録として保存します。以後も定期的に確認します。',
    '6. 法令に基づく場合を除き、あなたの同意なく第三者に情報を提供しません。',
    '7. あなたはいつでもアカウントを閉じることができます。',
    '8. この文書への電子署名は、上記に同意し、本人確認を申し込む意思表示です。署名は一度だけ、有効期限までに限り有効です。',
  ].join('\n');
}

/** The terms of use (English), the same text as {@link termsJa}. */
function termsEn(op: OperatorInfo, reproofing: boolean): string {
  return [
    `Terms of use (version ${TERMS_VERSION})`,
    `1. ${op.id} (${op.url}, "the operator") verifies your identity with an electronic signature made by the signing certificate of your My Number card, and ${reproofing ? 'binds the new certificate to your account (re-proofing)' : 'issues you a private ID'}.`,
    '2. It reads the basic 4 information recorded in the signing certificate (name, address, date of birth, sex) and the certificate’s issuer, serial number and validity. It never reads, stores or uses your 12-digit individual number (My Number).',
    '3. The information is used only to verify your identity, to prevent duplicate accounts of one person, and to provide attributes to services you consent to one by one.',
    '4. The basic 4 information is stored encrypted and never written to logs. Records needed by law and for audit are kept after the account is closed.',
    '5. The validity (revocation status) of the certificate is checked with J-LIS (Japan Agency for Local Authority Information Systems); the answer is kept as proofing evidence and checked again periodically.',
    '6. Except as required by law, nothing is given to third parties without your consent.',
    '7. You may close your account at any time.',
    '8. Signing this document means you agree to these terms and ask for identity verification. The signature is valid once, and only until the expiry below.',
  ].join('\n');
}

/** base64url without padding (RFC 4648 §5). */
export { toBase64Url };

/** Decodes base64url (no padding); undefined when it is not. */
export function fromBase64Url(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return undefined;
  try {
    const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
    return fromBase64(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  } catch {
    return undefined; // not base64: the caller answers "not found"
  }
}

/** Inputs of {@link buildEnrolmentDocument}. */
export interface BuildEnrolmentDocumentInput {
  readonly purpose: 'enrolment' | 'reproofing';
  readonly operator: OperatorInfo;
  readonly accountId?: string;
  readonly nonce: Uint8Array;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

/** The document as bytes to sign, parsed, and rendered for reading. */
export interface BuiltEnrolmentDocument {
  /** The exact bytes to sign (UTF-8 JSON). */
  readonly bytes: Uint8Array;
  readonly document: EnrolmentDocument;
  /** Plain-text rendering of the same content, Japanese then English. */
  readonly rendering: string;
}

/** Builds the enrolment document for a nonce. */
export function buildEnrolmentDocument(input: BuildEnrolmentDocumentInput): BuiltEnrolmentDocument {
  if (input.nonce.length < 16) throw new RangeError('the nonce must have at least 16 bytes');
  if (input.purpose === 'reproofing' && input.accountId === undefined)
    throw new TypeError('a re-proofing document names its account');
  const reproofing = input.purpose === 'reproofing';
  // Key order is fixed here; the bytes, not a re-serialisation, are what is signed and hashed.
  const document: EnrolmentDocument = {
    type: ENROLMENT_DOCUMENT_TYPE,
    version: 1,
    purpose: input.purpose,
    operator: { id: input.operator.id, url: input.operator.url },
    ...(reproofing ? { account: input.accountId! } : {}),
    attributes: [...ENROLMENT_ATTRIBUTES],
    termsVersion: TERMS_VERSION,
    terms: { ja: termsJa(input.operator, reproofing), en: termsEn(input.operator, reproofing) },
    nonce: toBase64Url(input.nonce),
    issuedAt: input.issuedAt.toISOString(),
    expiresAt: input.expiresAt.toISOString(),
  };
  const bytes = new TextEncoder().encode(JSON.stringify(document));
  return { bytes, document, rendering: renderEnrolmentDocument(document) };
}

const ATTRIBUTE_LABELS: Readonly<Record<(typeof ENROLMENT_ATTRIBUTES)[number], [string, string]>> = {
  name: ['氏名', 'name'],
  address: ['住所', 'address'],
  birthDate: ['生年月日', 'date of birth'],
  sex: ['性別', 'sex'],
};

/** The readable rendering of a document: what the wallet shows before the resident signs. */
function renderEnrolmentDocument(d: EnrolmentDocument): string {
  const ja = d.attributes.map((a) => ATTRIBUTE_LABELS[a][0]).join('、');
  const en = d.attributes.map((a) => ATTRIBUTE_LABELS[a][1]).join(', ');
  return [
    d.purpose === 'reproofing' ? '本人確認（再確認）の申込み' : '本人確認と民間IDの発行の申込み',
    `事業者: ${d.operator.id} (${d.operator.url})`,
    ...(d.account === undefined ? [] : [`アカウント: ${d.account}`]),
    `読み取る情報: ${ja}`,
    d.terms.ja,
    `ワンタイム番号: ${d.nonce}`,
    `発行: ${d.issuedAt}　有効期限: ${d.expiresAt}`,
    '',
    d.purpose === 'reproofing'
      ? 'Request for identity re-proofing'
      : 'Request for identity verification and a private ID',
    `Operator: ${d.operator.id} (${d.operator.url})`,
    ...(d.account === undefined ? [] : [`Account: ${d.account}`]),
    `Attributes read: ${en}`,
    d.terms.en,
    `Single-use nonce: ${d.nonce}`,
    `Issued: ${d.issuedAt}  Expires: ${d.expiresAt}`,
  ].join('\n');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The checks both readers apply: this platform's document type and version, a nonce of ≥ 16 bytes. */
function checkedNonce(d: Partial<EnrolmentDocument> | null): Uint8Array {
  // JSON `null`, a number or an array parse too: property reads on null threw a TypeError (a 500).
  if (typeof d !== 'object' || d === null)
    throw enrolmentError('enrolment_nonce_invalid', 'not an enrolment document of this platform');
  const nonce = typeof d.nonce === 'string' ? fromBase64Url(d.nonce) : undefined;
  if (d.type !== ENROLMENT_DOCUMENT_TYPE || d.version !== 1 || nonce === undefined || nonce.length < 16)
    throw enrolmentError('enrolment_nonce_invalid', 'not an enrolment document of this platform');
  return nonce;
}

/**
 * Parses document bytes the platform issued (from `enrolment_nonces.document`) and returns the
 * document and its nonce. A malformed document here is a platform bug or a tampered row.
 */
export function parseEnrolmentDocument(bytes: Uint8Array): {
  document: EnrolmentDocument;
  nonce: Uint8Array;
} {
  let d: Partial<EnrolmentDocument>;
  try {
    d = JSON.parse(strictUtf8.decode(bytes)) as Partial<EnrolmentDocument>;
  } catch (cause) {
    throw enrolmentError('enrolment_nonce_invalid', 'the enrolment document does not parse', { cause });
  }
  return { document: d as EnrolmentDocument, nonce: checkedNonce(d) };
}

/**
 * The nonce of a document, accepting and rejecting exactly what {@link parseEnrolmentDocument}
 * does, at a fraction of the cost: decoding the 3 KB of Japanese terms to UTF-16 took 20 µs, a
 * tenth of a whole verification. The bytes are checked to be UTF-8 (native), then parsed as
 * latin1: every byte of a multi-byte UTF-8 sequence is ≥ 0x80, which JSON allows inside strings
 * and nowhere else, so the parse succeeds or fails alike, and the ASCII fields checked here
 * (type, version, nonce) read the same. TextDecoder drops a leading BOM; so does this.
 */
export function readEnrolmentNonce(bytes: Uint8Array): Uint8Array {
  let d: Partial<EnrolmentDocument>;
  try {
    if (!isUtf8(bytes)) throw new TypeError('the enrolment document is not UTF-8');
    const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + bom, bytes.length - bom).toString('latin1');
    d = JSON.parse(text) as Partial<EnrolmentDocument>;
  } catch (cause) {
    throw enrolmentError('enrolment_nonce_invalid', 'the enrolment document does not parse', { cause });
  }
  return checkedNonce(d);
}

/** `type` of the simulator's consent documents. */
const CONSENT_DOCUMENT_TYPE = 'jlis-sim/basic4-consent';
/** The service named in the consent (per-service consent, docs/jpki.md §4.2). */
const CONSENT_SERVICE = 'Watashi private ID: keeping basic 4 information up to date';

/** The JST calendar date of `at` (the consent document's `date`). */
export const jstDate = (at: Date): string => new Date(at.getTime() + 9 * 3600_000).toISOString().slice(0, 10);

/** The consent document for latest-basic-4 provision, in the simulator's format. */
export function buildConsentDocument(input: { operatorId: string; now: Date }): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      type: CONSENT_DOCUMENT_TYPE,
      operatorId: input.operatorId,
      service: CONSENT_SERVICE,
      items: [...ENROLMENT_ATTRIBUTES],
      date: jstDate(input.now),
    }),
  );
}
