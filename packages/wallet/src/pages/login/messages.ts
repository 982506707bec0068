import { defineMessages } from '../../i18n/index.ts';

export const messages = defineMessages(
  'login',
  {
    title: 'サインイン',
    intro: 'この端末に登録したパスキー（指紋・顔・画面ロック）でサインインします。',
    forService: 'サービスを続けるために、サインインしてください。',
    forStepUp: 'サービスが、もう一度サインインすることを求めています。',
    forProofing: 'サービスが、マイナンバーカードでの本人確認のやり直しを求めています。',
    signIn: 'パスキーでサインイン',
    waiting: '端末の確認画面を待っています…',
    signedIn: 'サインインしました。',
    withCard: 'マイナンバーカードでサインイン（暗証番号4けた）',
    reproof: 'マイナンバーカードで本人確認をやり直す',
    lostPasskeys: 'パスキーをなくしたとき',
    notYet: 'まだ登録していない方',
    enrol: 'マイナンバーカードで本人確認',
    err_authn_unknown_credential:
      'このパスキーは登録されていません。はじめての方は、マイナンバーカードで本人確認をしてください。',
    err_authn_authenticator_revoked:
      'このパスキーは使えなくなっています。別のパスキーか、マイナンバーカードをお使いください。',
    err_authn_account_unavailable: 'このアカウントは使えません。',
    err_authn_challenge_expired: '時間がたちすぎました。もう一度お試しください。',
    withDevice: 'この端末の証明書でサインイン',
    withDeviceHint: 'この端末には民間IDの証明書が入っています。カードもパスキーもいりません。',
    err_device_certificate_revoked:
      'この端末の証明書は使えなくなっています。パスキーかマイナンバーカードをお使いください。',
    err_device_certificate_inactive: 'この端末の証明書は、まだ有効になっていません。',
    err_device_certificate_unknown: 'この端末の証明書は確かめられませんでした。',
    err_device_certificate_expired: 'この端末の証明書は期限が切れています。',
    err_device_account_unavailable: 'このアカウントは使えません。',
  },
  {
    title: 'Sign in',
    intro: 'Sign in with a passkey registered on this device (fingerprint, face or screen lock).',
    forService: 'Please sign in to continue to the service.',
    forStepUp: 'The service asks you to sign in again.',
    forProofing: 'The service asks you to verify again with your My Number card.',
    signIn: 'Sign in with a passkey',
    waiting: 'Waiting for your device…',
    signedIn: 'Signed in.',
    withCard: 'Sign in with your My Number card (4-digit PIN)',
    reproof: 'Confirm your identity again with your My Number card',
    lostPasskeys: 'If you lost your passkeys',
    notYet: 'Not registered yet',
    enrol: 'Verify with your My Number card',
    err_authn_unknown_credential:
      'This passkey is not registered. If you are new, verify with your My Number card.',
    err_authn_authenticator_revoked:
      'This passkey can no longer be used. Use another passkey or your My Number card.',
    err_authn_account_unavailable: 'This account cannot be used.',
    err_authn_challenge_expired: 'Too much time passed. Please try again.',
    withDevice: 'Sign in with this device’s certificate',
    withDeviceHint: 'This device holds a Watashi certificate. No card or passkey needed.',
    err_device_certificate_revoked:
      'The certificate of this device no longer works. Please use a passkey or your My Number card.',
    err_device_certificate_inactive: 'The certificate of this device is not turned on yet.',
    err_device_certificate_unknown: 'The certificate of this device could not be confirmed.',
    err_device_certificate_expired: 'The certificate of this device has expired.',
    err_device_account_unavailable: 'This account cannot be used.',
  },
  {
    title: 'サインインする',
    intro: 'この きかいに とうろく した パスキー（ゆびもん・かお・がめんロック）で サインイン します。',
    forService: 'サービスを つづけるには、サインインして ください。',
    forStepUp: 'サービスが、もう一度 サインインして ほしいと 言って います。',
    forProofing: 'サービスが、マイナンバーカードで もう一度 本人だと 見せて ほしいと 言って います。',
    signIn: 'パスキーで サインイン',
    waiting: 'スマホや パソコンの 画面を まって います…',
    signedIn: 'サインイン できました。',
    withCard: 'マイナンバーカードで サインイン（あんしょうばんごう 4けた）',
    reproof: 'マイナンバーカードで もう一度 本人だと 見せる',
    lostPasskeys: 'パスキーを なくした とき',
    notYet: 'まだ とうろく して いない ひと',
    enrol: 'マイナンバーカードで ほんにん かくにん',
    err_authn_unknown_credential:
      'この パスキーは 民間IDに ありません。はじめての 人は、マイナンバーカードで 本人だと 見せて ください。',
    err_authn_authenticator_revoked:
      'この パスキーは もう つかえません。ほかの パスキーか、マイナンバーカードを つかって ください。',
    err_authn_account_unavailable: 'この アカウントは つかえません。',
    err_authn_challenge_expired: '時間が たちすぎました。もう一度 ためして ください。',
    withDevice: 'この たんまつの しょうめいしょで サインイン',
    withDeviceHint:
      'この たんまつには 民間IDの しょうめいしょが 入って います。カードも パスキーも いりません。',
    err_device_certificate_revoked:
      'この たんまつの しょうめいしょは つかえなく なって います。パスキーか マイナンバーカードを つかって ください。',
    err_device_certificate_inactive:
      'この たんまつの しょうめいしょは、まだ つかえるように なって いません。',
    err_device_certificate_unknown: 'この たんまつの しょうめいしょを たしかめられませんでした。',
    err_device_certificate_expired: 'この たんまつの しょうめいしょは きげんが きれて います。',
    err_device_account_unavailable: 'この アカウントは つかえません。',
  },
);
