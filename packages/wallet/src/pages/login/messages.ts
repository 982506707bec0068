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
  },
);
