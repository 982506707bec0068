import { defineMessages } from '../../i18n/index.ts';
import { cardMessages } from '../card-login/card-form-messages.ts';

/** Recovering after losing every passkey: the card finds the account, then a new passkey. */
export const messages = defineMessages(
  'recover',
  {
    ...cardMessages.ja,
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
    alreadyBound: 'カードでのサインインは設定ずみです。',
    err_card_pin_format: '入力の形が違います。ヒントをご確認ください。',
    err_card_pin_incorrect: 'パスワードまたは暗証番号が違います。あと{{n}}回まちがえると、ロックされます。',
    err_card_pin_blocked: 'ロックされました。お住まいの市区町村の窓口で、設定しなおしてください。',
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
    ...cardMessages.en,
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
    alreadyBound: 'Signing in with your card is already set up.',
    err_card_pin_format: 'That is not the right form. See the hint.',
    err_card_pin_incorrect: 'Wrong password or PIN. {{n}} more wrong tries and it will be locked.',
    err_card_pin_blocked: 'It is locked. Please have it reset at your city, ward, town or village office.',
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
    ...cardMessages['ja-x-easy'],
    title: 'パスキーを なくした とき',
    intro:
      'スマートフォンを なくした ときなどは、マイナンバーカードで サインイン してから、あたらしい パスキーを とうろく します。民間ID は そのまま です。',
    step1: '1. マイナンバーカードで サインインする',
    withPin: '暗しょう番号（数字 4けた）で サインインする',
    withPinHint: 'カードで サインインする 用意が もう できて いる 人',
    withPassword: 'または、署名用パスワードで 本人だと 見せる',
    withPasswordHint:
      'カードで サインインする 用意が まだの 人は、署名用パスワード（英字と 数字の 6〜16文字）で 本人だと 見せて ください。あなたの 民間IDが 見つかります。',
    pin: '署名用パスワード（英字と 数字の 6〜16文字）',
    pinHint: 'カードを もらった ときに きめた、英字と 数字を まぜた 6〜16文字の パスワードです。',
    submit: '本人だと 見せて サインインする',
    signing: 'カードで 署名して います…',
    checking: '署名と 証明書を たしかめて います…',
    step2: '2. 新しい パスキーを つくる',
    signedIn: 'サインイン できました。この スマホや パソコンで 新しい パスキーを つくって ください。',
    newAccount: 'この カードの 民間IDは 見つかりませんでした。だから、新しい 民間IDを つくりました。',
    register: 'あたらしい パスキーを とうろく',
    waiting: 'パスキーの 手つづきを まって います…',
    doneTitle: 'あたらしい パスキーを とうろく しました',
    done: 'これからは、この パスキーで サインイン できます。なくした パスキーは「パスキー」の ページで つかえなく して ください。',
    toPasskeys: 'パスキーの 一らんを 見る',
    backToService: 'サービスに もどる',
    alreadyBound: 'カードで サインイン できる 用意は もう できて います。',
    err_card_pin_format: '書いた 形が ちがいます。下の 説明を 見て ください。',
    err_card_pin_incorrect:
      'パスワードか 暗しょう番号が ちがいます。あと {{n}}回 まちがえると、ロックされて つかえなく なります。',
    err_card_pin_blocked:
      'ロックされて、つかえなく なりました。住んで いる 市や 町の 役所で、もう一度 きめて ください。',
    err_enrolment_person_unconfirmed:
      'この カードだけでは、あなたの 民間IDが わかりませんでした（引っこしの あとなど）。カードの 暗しょう番号（4けた）で サインインして みて ください。',
    err_enrolment_certificate_revoked:
      'この カードの 署名用電子証明書は もう つかえません。住んで いる 市や 町の 役所で、新しい 証明書を もらって ください。',
    err_enrolment_certificate_on_hold:
      'この カードは、なくしたと とどけが 出たので、いまは とめて います。カードが 見つかったら、市や 町の 役所で また つかえる ように して もらって ください。',
    err_enrolment_account_closed: 'この カードの 民間IDは もう やめて います。',
    err_authn_credential_exists: 'この カードは、別の 民間IDで もう つかって います。',
  },
);
