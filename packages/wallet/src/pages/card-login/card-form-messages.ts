/**
 * Words of the card form (card-form.tsx) that are the same on every page that uses it, kept once:
 * each page spreads them into its own catalogue (`...cardMessages.ja`), so it keeps its one
 * namespace and a change is made here only.
 */

/** The card's answers while it is being chosen and read (card-login, recover, sign, reproof). */
export const cardMessages = {
  ja: {
    err_card_required: 'カードを選んでください。',
    err_card_not_found: 'カードを読み取れませんでした。カードを選びなおしてください。',
    err_card_reader_unreachable: 'カードを読み取れませんでした。少し待ってから、もう一度お試しください。',
  },
  en: {
    err_card_required: 'Choose your card.',
    err_card_not_found: 'The card could not be read. Choose it again.',
    err_card_reader_unreachable: 'The card could not be read. Wait a moment and try again.',
  },
  'ja-x-easy': {
    err_card_required: 'カードを えらんで ください。',
    err_card_not_found: 'カードを 読めませんでした。もう一度 カードを えらんで ください。',
    err_card_reader_unreachable: 'カードを 読めませんでした。少し まってから、もう一度 ためして ください。',
  },
} as const;

/**
 * The signing password (署名用パスワード) of the form with `kind="sign"`, with the card's answers:
 * the sign and re-proving pages.
 */
export const signPasswordMessages = {
  ja: {
    pin: '署名用パスワード（英数字6〜16文字）',
    pinHint: 'カードを受け取ったときに決めた、英字と数字をまぜた6〜16文字のパスワードです。',
    err_card_pin_format: '署名用パスワードは、英字と数字をまぜた6〜16文字です。',
    err_card_pin_incorrect:
      '署名用パスワードが違います。あと{{n}}回まちがえると、パスワードがロックされます。',
    err_card_pin_blocked:
      '署名用パスワードがロックされました。お住まいの市区町村の窓口で、パスワードを設定しなおしてください。',
    err_card_file_not_found:
      'このカードには署名用電子証明書がありません。市区町村の窓口で発行してもらってください。',
    ...cardMessages.ja,
  },
  en: {
    pin: 'Signing password (6–16 letters and digits)',
    pinHint: 'The password of 6 to 16 letters and digits you chose when you received the card.',
    err_card_pin_format: 'The signing password is 6 to 16 letters and digits, mixed.',
    err_card_pin_incorrect: 'Wrong signing password. {{n}} more wrong tries and it will be locked.',
    err_card_pin_blocked:
      'The signing password is locked. Please have it reset at your city, ward, town or village office.',
    err_card_file_not_found:
      'This card has no signing certificate. Please have one issued at your municipal office.',
    ...cardMessages.en,
  },
  'ja-x-easy': {
    pin: 'しょめいよう パスワード（えいすうじ 6〜16もじ）',
    pinHint: 'カードを うけとった ときに きめた、えいじ と すうじ の パスワード です。',
    err_card_pin_format: '署名用パスワードは、英字と 数字を まぜた 6〜16文字です。',
    err_card_pin_incorrect: 'パスワードが ちがいます。あと {{n}}かい まちがえると、つかえなく なります。',
    err_card_pin_blocked:
      'パスワードが つかえなく なりました。すんでいる しやくしょ・まちやくば の まどぐちで、あたらしく きめて ください。',
    err_card_file_not_found:
      'この カードには 署名用電子証明書が ありません。市や 町の 役所で つくって もらって ください。',
    ...cardMessages['ja-x-easy'],
  },
} as const;
