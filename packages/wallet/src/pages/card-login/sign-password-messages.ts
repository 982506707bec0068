/**
 * The signing password (署名用パスワード) of the card form with `kind="sign"` (card-form.tsx): the
 * field and the card's answers, the same words wherever the card signs — the sign page and the
 * re-proving page spread them into their catalogues (`...signPasswordMessages.ja`), so a
 * change is made once. Not a catalogue of its own: each page keeps its one namespace.
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
    err_card_required: 'カードを選んでください。',
    err_card_not_found: 'カードを読み取れませんでした。カードを選びなおしてください。',
    err_card_reader_unreachable: 'カードを読み取れませんでした。少し待ってから、もう一度お試しください。',
    err_card_file_not_found:
      'このカードには署名用電子証明書がありません。市区町村の窓口で発行してもらってください。',
  },
  en: {
    pin: 'Signing password (6–16 letters and digits)',
    pinHint: 'The password of 6 to 16 letters and digits you chose when you received the card.',
    err_card_pin_format: 'The signing password is 6 to 16 letters and digits, mixed.',
    err_card_pin_incorrect: 'Wrong signing password. {{n}} more wrong tries and it will be locked.',
    err_card_pin_blocked:
      'The signing password is locked. Please have it reset at your city, ward, town or village office.',
    err_card_required: 'Choose your card.',
    err_card_not_found: 'The card could not be read. Choose it again.',
    err_card_reader_unreachable: 'The card could not be read. Wait a moment and try again.',
    err_card_file_not_found:
      'This card has no signing certificate. Please have one issued at your municipal office.',
  },
  'ja-x-easy': {
    pin: 'しょめいよう パスワード（えいすうじ 6〜16もじ）',
    pinHint: 'カードを うけとった ときに きめた、えいじ と すうじ の パスワード です。',
    err_card_pin_format: '署名用パスワードは、英字と 数字を まぜた 6〜16文字です。',
    err_card_pin_incorrect: 'パスワードが ちがいます。あと {{n}}かい まちがえると、つかえなく なります。',
    err_card_pin_blocked:
      'パスワードが つかえなく なりました。すんでいる しやくしょ・まちやくば の まどぐちで、あたらしく きめて ください。',
    err_card_required: 'カードを えらんで ください。',
    err_card_not_found: 'カードを 読めませんでした。もう一度 カードを えらんで ください。',
    err_card_reader_unreachable: 'カードを 読めませんでした。少し まってから、もう一度 ためして ください。',
    err_card_file_not_found:
      'この カードには 署名用電子証明書が ありません。市や 町の 役所で つくって もらって ください。',
  },
} as const;
