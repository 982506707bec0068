import { defineMessages } from '../../i18n/index.ts';

/** Recovering after losing every passkey: the card finds the account, then a new passkey. */
export const messages = defineMessages(
  'recover',
  {
    title: 'パスキーをなくしたとき',
    intro:
      'スマートフォンをなくした・買い替えたなどで、パスキーが使えなくなったときは、マイナンバーカードで民間IDにサインインしてから、新しいパスキーを登録します。民間IDはそのままです。',
    step1: '1. マイナンバーカードでサインイン',
    withPin: '暗証番号（数字4けた）でサインイン',
    withPinHint: 'カードでのサインインを設定ずみの方',
    withPassword: 'または、署名用パスワードで本人確認',
    withPasswordHint:
      'カードでのサインインをまだ設定していない方は、署名用パスワード（英数字6〜16文字）で本人確認すると、あなたの民間IDが見つかります。',
    pin: '署名用パスワード（英数字6〜16文字）',
    pinHint: 'カードを受け取ったときに決めた、英字と数字をまぜた6〜16文字のパスワードです。',
    submit: '本人確認してサインイン',
    signing: 'カードで署名しています…',
    checking: '署名と証明書を確かめています…',
    step2: '2. 新しいパスキーを登録',
    signedIn: 'サインインしました。この端末で新しいパスキーを登録してください。',
    newAccount: 'このカードの民間IDは見つからなかったため、新しい民間IDを作りました。',
    register: '新しいパスキーを登録',
    waiting: 'パスキーの操作を待っています…',
    doneTitle: '新しいパスキーを登録しました',
    done: 'これからは、このパスキーでサインインできます。なくしたパスキーは「パスキー」のページで取り消してください。',
    toPasskeys: 'パスキーの一覧を見る',
    backToService: 'サービスに戻る',
    bindTitle: '次からカードでもサインインできるようにする',
    bindIntro:
      'カードの暗証番号（数字4けた）でもサインインできるようにしておくと、パスキーをなくしても、すぐにサインインできます。',
    bindPin: '暗証番号（数字4けた）',
    bindPinHint: 'カードを受け取ったときに決めた、数字4けたの暗証番号です。',
    bindSubmit: 'カードでのサインインを設定',
    bound: 'カードでのサインインを設定しました。',
    cardLabel: 'マイナンバーカード',
    alreadyBound: 'カードでのサインインは設定ずみです。',
    err_card_pin_format: '入力の形が違います。ヒントをご確認ください。',
    err_card_pin_incorrect: 'パスワードまたは暗証番号が違います。あと{{n}}回まちがえると、ロックされます。',
    err_card_pin_blocked: 'ロックされました。お住まいの市区町村の窓口で、設定しなおしてください。',
    err_card_required: 'カードを選んでください。',
    err_card_not_found: 'カードを読み取れませんでした。カードを選びなおしてください。',
    err_card_reader_unreachable: 'カードを読み取れませんでした。少し待ってから、もう一度お試しください。',
    err_enrolment_person_unconfirmed:
      'あなたの民間IDを、このカードだけでは確かめられませんでした（引っ越しのあとなど）。カードでのサインイン（暗証番号4けた）をお試しください。',
    err_enrolment_certificate_revoked:
      'このカードの署名用電子証明書は失効しています。お住まいの市区町村の窓口で、新しい証明書を発行してもらってください。',
    err_enrolment_certificate_on_hold:
      'このカードは紛失届により一時停止されています。見つかったら、市区町村の窓口で停止を解除してください。',
    err_enrolment_account_closed: 'このカードの民間IDは閉鎖されています。',
    err_authn_credential_exists: 'このカードは、別の民間IDで設定されています。',
  },
  {
    title: 'If you lost your passkeys',
    intro:
      'If your passkeys no longer work (a lost or new phone), sign in to your Private ID with your My Number card, then register a new passkey. Your Private ID stays the same.',
    step1: '1. Sign in with your My Number card',
    withPin: 'Sign in with the 4-digit PIN',
    withPinHint: 'If you have set up signing in with your card',
    withPassword: 'Or confirm your identity with the signing password',
    withPasswordHint:
      'If you have not set up signing in with your card, confirm your identity with the signing password (6–16 letters and digits) to find your Private ID.',
    pin: 'Signing password (6–16 letters and digits)',
    pinHint: 'The password of 6 to 16 letters and digits you chose when you received the card.',
    submit: 'Confirm and sign in',
    signing: 'Signing with your card…',
    checking: 'Checking the signature and the certificate…',
    step2: '2. Register a new passkey',
    signedIn: 'You are signed in. Register a new passkey on this device.',
    newAccount: 'No Private ID was found for this card, so a new one was made.',
    register: 'Register a new passkey',
    waiting: 'Waiting for your passkey…',
    doneTitle: 'Your new passkey is registered',
    done: 'From now on you can sign in with this passkey. Remove the lost passkey on the Passkeys page.',
    toPasskeys: 'See your passkeys',
    backToService: 'Back to the service',
    bindTitle: 'Also sign in with your card next time',
    bindIntro:
      'With signing in by your card’s 4-digit PIN set up, you can sign in at once even if you lose your passkeys.',
    bindPin: 'PIN (4 digits)',
    bindPinHint: 'The 4-digit PIN you chose when you received the card.',
    bindSubmit: 'Set up signing in with your card',
    bound: 'Signing in with your card is set up.',
    cardLabel: 'My Number card',
    alreadyBound: 'Signing in with your card is already set up.',
    err_card_pin_format: 'That is not the right form. See the hint.',
    err_card_pin_incorrect: 'Wrong password or PIN. {{n}} more wrong tries and it will be locked.',
    err_card_pin_blocked: 'It is locked. Please have it reset at your city, ward, town or village office.',
    err_card_required: 'Choose your card.',
    err_card_not_found: 'The card could not be read. Choose it again.',
    err_card_reader_unreachable: 'The card could not be read. Wait a moment and try again.',
    err_enrolment_person_unconfirmed:
      'Your Private ID could not be confirmed with this card alone (for example after a move). Try signing in with the card’s 4-digit PIN.',
    err_enrolment_certificate_revoked:
      "This card's signing certificate is revoked. Please have a new one issued at your municipal office.",
    err_enrolment_certificate_on_hold:
      'This card is on hold after a loss report. When found, have the hold lifted at your municipal office.',
    err_enrolment_account_closed: 'The Private ID of this card is closed.',
    err_authn_credential_exists: 'This card is set up for another Private ID.',
  },
  {
    title: 'パスキーを なくした とき',
    intro:
      'スマートフォンを なくした ときなどは、マイナンバーカードで サインイン してから、あたらしい パスキーを とうろく します。民間ID は そのまま です。',
    register: 'あたらしい パスキーを とうろく',
    doneTitle: 'あたらしい パスキーを とうろく しました',
  },
);
