/**
 * What the wallet says about an error, in Japanese and English, keyed by the stable error codes
 * of the platform (RFC 9457 `code`), the card protocol (`@watashi/jpki`), the simulator's hosted
 * cards, and WebAuthn (`@simplewebauthn/browser` codes and DOMException names). The code itself is
 * always shown too, so a person can report it; unknown codes fall back to the server's `detail`.
 */
import { isWatashiError } from '@watashi/pki';
import { ApiError } from './api.ts';

/** An error as shown to a person. */
export interface Described {
  readonly code: string;
  readonly ja: string;
  readonly en: string;
}

type Text = readonly [ja: string, en: string];

const MESSAGES: Readonly<Record<string, Text>> = {
  // The card (docs/jpki.md §3.4) and the hosted-card reader.
  card_pin_blocked: [
    'パスワードがロックされています。市区町村の窓口で初期化してください。',
    'The password is locked. Have it reset at your municipal office.',
  ],
  card_pin_format: [
    '署名用電子証明書のパスワードは、英字と数字を両方含む6〜16文字です（試行回数は減っていません）。',
    'The signing password is 6–16 letters and digits with at least one of each (no try was used).',
  ],
  card_id_required: ['カードIDを入力してください。', 'Please enter the card ID.'],
  card_not_found: [
    'このIDのカードが見つかりません。カードIDを確かめてください。',
    'No card with this ID. Check the card ID.',
  ],
  card_not_jpki: ['このカードには公的個人認証のアプリがありません。', 'This card has no JPKI application.'],
  card_transport_failed: [
    'カードと通信できませんでした。もう一度お試しください。',
    'Could not talk to the card. Please try again.',
  ],
  card_reader_unreachable: [
    'カードリーダー（J-LIS シミュレーター）に接続できません。シミュレーターが起動しているか、このサイトのオリジンが cardOrigins に含まれているかを確かめてください。',
    'Cannot reach the card reader (the J-LIS simulator). Check that it runs and lists this site in cardOrigins.',
  ],
  origin_not_allowed: [
    'J-LIS シミュレーターがこのサイトからのカード利用を許可していません（設定 cardOrigins）。',
    'The J-LIS simulator does not let this site use its cards (its cardOrigins setting).',
  ],
  card_security_status_not_satisfied: [
    'カードがパスワードの確認を求めています。もう一度お試しください。',
    'The card wants the password verified first. Please try again.',
  ],
  card_file_not_found: [
    'カードに必要な情報がありません（署名用電子証明書が入っていない可能性があります）。',
    'The card lacks what is needed (it may have no signing certificate).',
  ],
  card_status: ['カードがエラーを返しました。', 'The card answered with an error.'],
  card_response_malformed: ['カードの応答を読み取れませんでした。', 'Could not read the card’s answer.'],
  device_not_active: ['この端末の鍵は消去されています。', 'The keys of this device have been erased.'],
  // Enrolment (platform src/enrolment/errors.ts).
  enrolment_certificate_revoked: [
    'この署名用電子証明書は失効しています。住所や氏名の変更後は、窓口で新しい証明書を受け取ってください。',
    'This signing certificate has been revoked. After a change of address or name, get a new certificate at your municipal office.',
  ],
  enrolment_certificate_on_hold: [
    'この証明書は一時停止中です（カードの紛失届が出ています）。',
    'This certificate is on hold (the card was reported lost).',
  ],
  enrolment_certificate_expired: [
    'この署名用電子証明書は有効期限が切れています。窓口で更新してください。',
    'This signing certificate has expired. Renew it at your municipal office.',
  ],
  enrolment_certificate_not_yet_valid: [
    'この証明書はまだ有効になっていません。',
    'This certificate is not valid yet.',
  ],
  enrolment_revocation_unavailable: [
    '証明書の失効確認ができませんでした。しばらくしてからもう一度お試しください。',
    'The certificate’s revocation status could not be checked. Please try again later.',
  ],
  enrolment_certificate_chain: [
    'この証明書は信頼できる発行者のものではありません。',
    'This certificate does not come from a trusted issuer.',
  ],
  enrolment_not_jpki_certificate: ['公的個人認証の証明書ではありません。', 'This is not a JPKI certificate.'],
  enrolment_certificate_profile: [
    '署名用電子証明書ではありません。',
    'This is not a JPKI signing certificate.',
  ],
  enrolment_simulator_root_in_production: [
    '本番環境ではシミュレーターのカードは使えません。',
    'Simulator cards are not accepted in production.',
  ],
  enrolment_signature_mismatch: [
    '署名が文書と一致しません。もう一度お試しください。',
    'The signature does not match the document. Please try again.',
  ],
  enrolment_nonce_expired: [
    '文書の有効期限が切れました。新しい文書を表示しましたので、もう一度署名してください。',
    'The document expired. A new one is shown: please sign again.',
  ],
  enrolment_nonce_replayed: [
    'この文書はすでに使われました。新しい文書に署名してください。',
    'This document was already used. Please sign the new one.',
  ],
  enrolment_nonce_invalid: ['文書が無効です。', 'The document is not valid.'],
  enrolment_not_found: ['申込みが見つかりません。', 'The enrolment was not found.'],
  enrolment_person_unconfirmed: [
    '同じ氏名・生年月日・性別のアカウントがすでにあります。そのアカウントでサインインしてから再確認してください。',
    'An account with the same name, date of birth and sex exists. Sign in to it and re-proof from there.',
  ],
  enrolment_account_closed: ['このアカウントは閉じられています。', 'This account is closed.'],
  enrolment_request_invalid: ['申込みの形式が正しくありません。', 'The request is malformed.'],
  enrolment_certificate_malformed: ['証明書を読み取れません。', 'The certificate cannot be read.'],
  // Passkeys and sessions (platform src/authn/errors.ts, server).
  authn_unknown_credential: ['このパスキーは登録されていません。', 'This passkey is not registered here.'],
  authn_authenticator_revoked: ['このパスキーは無効にされています。', 'This passkey has been revoked.'],
  authn_credential_exists: ['このパスキーはすでに登録されています。', 'This passkey is already registered.'],
  authn_last_authenticator: [
    '最後の認証器は確認なしでは無効にできません。',
    'The last authenticator cannot be revoked without confirmation.',
  ],
  authn_account_unavailable: ['このアカウントは利用できません。', 'This account is not available.'],
  authn_challenge_expired: [
    '時間切れです。もう一度お試しください。',
    'The request timed out. Please try again.',
  ],
  authn_origin_mismatch: [
    'このサイトのアドレスがサーバーの設定（publicUrl）と異なります。',
    'This site’s address differs from the server’s publicUrl.',
  ],
  // Personas, consents and disclosures (platform src/oidc/personas.ts, consents.ts, disclosures.ts).
  persona_name_required: ['ペルソナの名前を入力してください。', 'Please enter a name for the persona.'],
  persona_claims_required: [
    '提供してよい情報を1つ以上選んでください。',
    'Please pick at least one item of information.',
  ],
  persona_name_taken: [
    '同じ名前のペルソナがすでにあります。別の名前にしてください。',
    'You already have a persona with this name. Please choose another name.',
  ],
  persona_limit_reached: [
    'ペルソナの数が上限に達しています。使わないものを削除してから作成してください。',
    'You have as many personas as allowed. Delete one you no longer use first.',
  ],
  persona_claim_unknown: [
    '選んだ情報の中に、提供できない項目が含まれています。',
    'One of the chosen items is not something Watashi can share.',
  ],
  persona_not_found: [
    'このペルソナは見つかりません（すでに削除された可能性があります）。',
    'This persona was not found (it may have been deleted already).',
  ],
  consent_not_found: [
    'このサービスへの同意は見つかりません（すでに取り消された可能性があります）。',
    'No consent to this service was found (it may have been withdrawn already).',
  ],
  request_invalid: [
    '入力の形式が正しくありません（長すぎるか、使えない文字が含まれています）。',
    'The input is not in the expected form (too long, or it has characters that cannot be used).',
  ],
  session_required: ['サインインしてください。', 'Please sign in.'],
  // Closing the account (platform src/lifecycle/account-routes.ts).
  reauthentication_required: [
    'アカウントを閉鎖するには、もう一度サインインしてから5分以内に操作してください。',
    'To close your account, sign in again and close it within 5 minutes.',
  ],
  confirmation_required: ['閉鎖の確認が必要です。', 'Closing the account needs your confirmation.'],
  account_close_refused: [
    '運営者がこのアカウントを停止しているため、ここでは閉鎖できません。お問い合わせ窓口にご連絡ください。',
    'The operator suspended this account, so it cannot be closed here. Please contact support.',
  ],
  rate_limited: [
    '試行回数が多すぎます。しばらくしてからもう一度お試しください。',
    'Too many attempts. Please wait a little and try again.',
  ],
  network_error: ['サーバーに接続できません。', 'Cannot reach the server.'],
  // WebAuthn in the browser.
  webauthn_unsupported: [
    'このブラウザはパスキーに対応していません。',
    'This browser does not support passkeys.',
  ],
  webauthn_cancelled: [
    'パスキーの操作がキャンセルされたか、時間切れになりました。',
    'The passkey prompt was cancelled or timed out.',
  ],
  webauthn_invalid_domain: [
    'パスキーには localhost またはドメイン名のアドレスが必要です（IPアドレスでは使えません）。',
    'Passkeys need localhost or a domain name in the address (not an IP address).',
  ],
  ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED: [
    'この認証器はすでに登録されています。',
    'This authenticator is already registered.',
  ],
};

/** Maps the many shapes of a WebAuthn failure to a few codes. */
function webAuthnCode(e: Error & { code?: unknown }): string | undefined {
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code === 'ERROR_INVALID_DOMAIN' || code === 'ERROR_INVALID_RP_ID' || e.name === 'SecurityError')
    return 'webauthn_invalid_domain';
  if (code === 'ERROR_CEREMONY_ABORTED' || e.name === 'NotAllowedError' || e.name === 'AbortError')
    return 'webauthn_cancelled';
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED') return code;
  if (code?.startsWith('ERROR_') === true) return code;
  return undefined;
}

/** Describes any error the wallet can meet. */
export function describeError(e: unknown): Described {
  let code = 'internal_error';
  let detail = '';
  if (e instanceof ApiError) {
    code = e.code;
    detail = e.message;
  } else if (isWatashiError(e)) {
    code = e.code;
    detail = e.message;
    if (code === 'card_pin_incorrect' || code === 'pin_incorrect') {
      const left = e.detail?.['triesLeft'] ?? e.detail?.['remaining'];
      const n = typeof left === 'number' ? left : undefined;
      return {
        code: 'card_pin_incorrect',
        ja: `パスワードが違います。残り${n ?? '?'}回です。${n === 1 ? '次に間違えるとロックされます。' : ''}`,
        en: `Wrong password: ${n ?? '?'} ${n === 1 ? 'try' : 'tries'} left.${n === 1 ? ' One more mistake locks it.' : ''}`,
      };
    }
    if (code === 'pin_blocked') code = 'card_pin_blocked';
  } else if (e instanceof Error) {
    code = webAuthnCode(e) ?? 'internal_error';
    detail = e.message;
  }
  const text = MESSAGES[code];
  if (text !== undefined) return { code, ja: text[0], en: text[1] };
  return {
    code,
    ja: `エラーが発生しました${detail === '' ? '' : `（${detail}）`}。`,
    en: `Something went wrong${detail === '' ? '' : ` (${detail})`}.`,
  };
}
