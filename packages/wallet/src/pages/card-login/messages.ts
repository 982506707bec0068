import { defineMessages } from '../../i18n/index.ts';

/** Sign in with the My Number card (also the card part of reproof and recover: namespace card-login). */
export const messages = defineMessages(
  'card-login',
  {
    title: 'マイナンバーカードでサインイン',
    intro: 'マイナンバーカードと、数字4けたの暗証番号でサインインします。',
    stepUpIntro:
      'サービスが、より確かなサインインを求めています。マイナンバーカードでサインインしてください。',
    simulated: 'この環境では本物のカードの代わりに、練習用のカードを選びます。',
    noCards: '使えるカードが見つかりません。',
    noReader: 'この環境ではカードを読み取れません。パスキーでサインインしてください。',
    pickCard: 'カードを選んでください',
    cardOf: '{{holder}} さんのカード',
    phoneOf: '{{holder}} さんのスマートフォン',
    cardStatus_lost: '（紛失届が出ています）',
    cardStatus_revoked: '（使えなくなっています）',
    pin: '暗証番号（数字4けた）',
    pinHint: 'カードを受け取ったときに決めた、数字4けたの暗証番号です。',
    tries: 'あと{{n}}回まちがえると、暗証番号がロックされます。',
    locked: 'この暗証番号はロックされています。お住まいの市区町村の窓口で、設定しなおしてください。',
    triesSign: 'あと{{n}}回まちがえると、署名用パスワードがロックされます。',
    lockedSign:
      'この署名用パスワードはロックされています。お住まいの市区町村の窓口で、設定しなおしてください。',
    submit: 'サインイン',
    reading: 'カードを読み取っています…',
    checking: 'カードが有効かどうか確かめています…',
    signedIn: 'サインインしました。',
    otherWays: 'ほかの方法',
    usePasskey: 'パスキーでサインイン',
    lostPasskeys: 'パスキーをなくしたとき',
    toRecover: '署名用パスワードで本人確認してサインインする',
    err_card_pin_format: '暗証番号は数字4けたで入力してください。',
    err_card_pin_incorrect: '暗証番号が違います。あと{{n}}回まちがえると、暗証番号がロックされます。',
    err_card_pin_blocked:
      '暗証番号がロックされました。お住まいの市区町村の窓口で、暗証番号を設定しなおしてください。',
    err_card_required: 'カードを選んでください。',
    err_card_not_found: 'カードを読み取れませんでした。カードを選びなおしてください。',
    err_card_reader_unreachable: 'カードを読み取れませんでした。少し待ってから、もう一度お試しください。',
    err_card_transport_failed: 'カードを読み取れませんでした。少し待ってから、もう一度お試しください。',
    err_card_not_jpki: 'このカードには電子証明書がありません。',
    err_card_file_not_found: 'このカードには電子証明書がありません。',
    err_authn_card_not_bound:
      'このカードでのサインインは、まだ設定されていません。署名用パスワード（英数字6〜16文字）で本人確認すると、あなたの民間IDを探してサインインできます。',
    err_authn_card_revoked:
      'このカードの電子証明書は使えなくなっています。お住まいの市区町村の窓口でご相談ください。',
    err_authn_card_status_unavailable:
      'いまはカードが有効かどうか確かめられません。しばらくしてから、もう一度お試しください。',
    err_authn_card_certificate_invalid: 'このカードはサインインに使えません。',
    err_authn_card_chain_invalid: 'このカードはサインインに使えません。',
    err_authn_card_signature_invalid: 'カードの読み取りがうまくいきませんでした。もう一度お試しください。',
    err_authn_challenge_expired: '時間がたちすぎました。もう一度お試しください。',
    err_authn_challenge_unknown: '時間がたちすぎました。もう一度お試しください。',
    err_authn_authenticator_revoked:
      'このカードでのサインインは取り消されています。署名用パスワードで本人確認してください。',
    err_authn_account_unavailable:
      'この民間IDはいま使えません（停止中または閉鎖）。お知らせをご確認ください。',
  },
  {
    title: 'Sign in with your My Number card',
    intro: 'Sign in with your My Number card and its 4-digit PIN.',
    stepUpIntro: 'The service asks for a stronger sign-in. Please sign in with your My Number card.',
    simulated: 'In this environment you pick a practice card instead of a real one.',
    noCards: 'No usable card was found.',
    noReader: 'Cards cannot be read here. Please sign in with a passkey.',
    pickCard: 'Choose your card',
    cardOf: "{{holder}}'s card",
    phoneOf: "{{holder}}'s smartphone",
    cardStatus_lost: ' (reported lost)',
    cardStatus_revoked: ' (no longer usable)',
    pin: 'PIN (4 digits)',
    pinHint: 'The 4-digit PIN you chose when you received the card.',
    tries: '{{n}} more wrong tries and the PIN will be locked.',
    locked: 'This PIN is locked. Please have it reset at your municipal office.',
    triesSign: '{{n}} more wrong tries and the signing password will be locked.',
    lockedSign: 'This signing password is locked. Please have it reset at your municipal office.',
    submit: 'Sign in',
    reading: 'Reading your card…',
    checking: 'Checking that your card is valid…',
    signedIn: 'You are signed in.',
    otherWays: 'Other ways',
    usePasskey: 'Sign in with a passkey',
    lostPasskeys: 'If you lost your passkeys',
    toRecover: 'Confirm your identity with the signing password and sign in',
    err_card_pin_format: 'The PIN is 4 digits.',
    err_card_pin_incorrect: 'Wrong PIN. {{n}} more wrong tries and the PIN will be locked.',
    err_card_pin_blocked:
      'The PIN is locked. Please have it reset at your city, ward, town or village office.',
    err_card_required: 'Choose your card.',
    err_card_not_found: 'The card could not be read. Choose it again.',
    err_card_reader_unreachable: 'The card could not be read. Wait a moment and try again.',
    err_card_transport_failed: 'The card could not be read. Wait a moment and try again.',
    err_card_not_jpki: 'This card has no certificates.',
    err_card_file_not_found: 'This card has no certificates.',
    err_authn_card_not_bound:
      'Signing in with this card is not set up yet. Confirm your identity with the signing password (6–16 letters and digits) to find your Private ID and sign in.',
    err_authn_card_revoked:
      "This card's certificate can no longer be used. Please ask at your city, ward, town or village office.",
    err_authn_card_status_unavailable: 'Your card cannot be checked right now. Please try again later.',
    err_authn_card_certificate_invalid: 'This card cannot be used to sign in.',
    err_authn_card_chain_invalid: 'This card cannot be used to sign in.',
    err_authn_card_signature_invalid: 'Reading the card did not work. Please try again.',
    err_authn_challenge_expired: 'Too much time passed. Please try again.',
    err_authn_challenge_unknown: 'Too much time passed. Please try again.',
    err_authn_authenticator_revoked:
      'Signing in with this card was turned off. Confirm your identity with the signing password.',
    err_authn_account_unavailable:
      'This Private ID cannot be used now (suspended or closed). See your notices.',
  },
  {
    title: 'マイナンバーカードで サインイン',
    intro: 'マイナンバーカードと、すうじ 4けたの あんしょうばんごうで サインイン します。',
    stepUpIntro:
      'サービスが、もっと たしかな サインインを もとめて います。マイナンバーカードで サインイン して ください。',
    simulated: 'ここでは ほんものの カードの かわりに、れんしゅうようの カードを えらびます。',
    pickCard: 'カードを えらんで ください',
    pin: 'あんしょうばんごう（すうじ 4けた）',
    pinHint: 'カードを うけとった ときに きめた、すうじ 4けたの ばんごう です。',
    tries: 'あと {{n}}かい まちがえると、あんしょうばんごうが つかえなく なります。',
    triesSign: 'あと {{n}}かい まちがえると、しょめいよう パスワードが つかえなく なります。',
    err_card_pin_incorrect:
      'あんしょうばんごうが ちがいます。あと {{n}}かい まちがえると、つかえなく なります。',
    err_card_pin_blocked:
      'あんしょうばんごうが つかえなく なりました。すんでいる しやくしょ・まちやくば の まどぐちで、あたらしく きめて ください。',
    err_authn_card_not_bound:
      'この カードで サインイン する じゅんびが まだ です。しょめいよう パスワード（えいすうじ 6〜16もじ）で ほんにん かくにん すると、あなたの 民間ID を さがして サインイン できます。',
  },
);
