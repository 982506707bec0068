import { defineMessages } from '../../i18n/index.ts';

/** The step-up page's words (namespace `step-up`). */
export const messages = defineMessages(
  'step-up',
  {
    title: 'もっと確かな方法での確認が必要です',
    titleProofing: 'マイナンバーカードでの本人確認が必要です',
    asks: '「{{rp}}」は、この手続きに、より確かな確認を求めています。',
    signedInAs: '{{name}} さんとしてサインインしています',
    level2: '求められている確認: 一定時間内のパスキーまたはマイナンバーカードでのサインイン',
    level3: '求められている確認: 専用のセキュリティキー（ハードウェア）でのサインイン',
    levelProofing: '求められている確認: マイナンバーカードの署名用電子証明書による、最新の本人確認',
    ways: '次のどれかで確認できます',
    passkey: 'パスキーでもう一度サインインする',
    hardwareKey: 'セキュリティキーでサインインする',
    card: 'マイナンバーカードでサインインする',
    cardReproof: 'マイナンバーカードで本人確認をやり直す',
    impossibleTitle: 'お持ちの方法では、この確認ができません',
    impossibleBody:
      'このサービスが求める確認には、専用のセキュリティキー（ハードウェア）が必要ですが、あなたの民間IDには登録されていません。サービスに戻り、別の方法がないか確かめてください。',
    back: 'サービスに戻る',
    err_oidc_interaction_not_found:
      '時間切れになりました。利用していたサービスに戻り、もう一度お試しください。',
    err_csrf_invalid: '画面が古くなりました。読み込み直してから、もう一度お試しください。',
  },
  {
    title: 'A stronger check is needed',
    titleProofing: 'Your identity needs to be checked with your My Number Card',
    asks: '"{{rp}}" asks for a stronger check for this step.',
    signedInAs: 'Signed in as {{name}}',
    level2: 'Needed: a recent sign-in with a passkey or your My Number Card',
    level3: 'Needed: a sign-in with a dedicated hardware security key',
    levelProofing: 'Needed: an up-to-date identity check with the signing certificate of your My Number Card',
    ways: 'You can do it in one of these ways',
    passkey: 'Sign in again with your passkey',
    hardwareKey: 'Sign in with your security key',
    card: 'Sign in with your My Number Card',
    cardReproof: 'Check your identity again with your My Number Card',
    impossibleTitle: 'This check cannot be done with what you have',
    impossibleBody:
      'The check this service asks for needs a dedicated hardware security key, and none is registered with your Private ID. Go back to the service and see whether it offers another way.',
    back: 'Back to the service',
    err_oidc_interaction_not_found:
      'This has timed out. Go back to the service you were using and try again.',
    err_csrf_invalid: 'This page is out of date. Please reload it and try again.',
  },
  {
    title: 'もっと たしかな かくにんが ひつようです',
    titleProofing: 'マイナンバーカードで 本人だと 見せて ください',
    asks: '「{{rp}}」は、もっと たしかな かくにんを もとめて います。',
    signedInAs: '{{name}} さんとして サインイン して います',
    level2: 'サービスが ほしい たしかめ方: 少し 前に パスキーか マイナンバーカードで サインイン した こと',
    level3:
      'サービスが ほしい たしかめ方: サインイン 用の 特べつな かぎ（セキュリティキー）で サインインする こと',
    levelProofing:
      'サービスが ほしい たしかめ方: マイナンバーカードの 署名用電子証明書で、新しく 本人だと たしかめる こと',
    ways: 'つぎの どれかで たしかめられます',
    passkey: 'パスキーで もう一度 サインインする',
    hardwareKey: 'セキュリティキー（サインイン 用の かぎ）で サインインする',
    card: 'マイナンバーカードで サインインする',
    cardReproof: 'マイナンバーカードで もう一度 本人だと 見せる',
    impossibleTitle: 'いま もって いる ほうほうでは できません',
    impossibleBody:
      'この サービスには、とくべつな セキュリティキーが ひつようです。あなたは まだ とうろく して いません。サービスに もどって、ほかの ほうほうが ないか たしかめて ください。',
    back: 'サービスに もどる',
    err_oidc_interaction_not_found:
      '時間が 切れました。つかって いた サービスに もどって、もう一度 ためして ください。',
    err_csrf_invalid: '画面が 古く なりました。もう一度 よみこんでから、ためして ください。',
  },
);
