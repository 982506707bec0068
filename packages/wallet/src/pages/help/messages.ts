import { defineMessages } from '../../i18n/index.ts';

export const messages = defineMessages(
  'help',
  {
    title: 'ヘルプ',
    intro: '困ったときに読むページです。ことばの意味は、下の「ことばの説明」にあります。',
    lostTitle: 'マイナンバーカードをなくしたとき',
    lost1:
      'すぐに、マイナンバーカードの一時利用停止を申し出てください（個人番号カードコールセンター 0120-95-0178、24時間）。カードの電子証明書が止まり、他人に使われなくなります。',
    lost2: '警察に遺失届を出し、お住まいの市区町村の窓口で、カードの再発行を申し込んでください。',
    lost3:
      '民間IDは、登録したパスキーでそのまま使えます。新しいカードを受け取ったら、お知らせの「カードで本人確認をやり直す」から、新しいカードで確認し直してください。同じアカウントのままです。',
    lockedTitle: 'パスワードがロックされたとき',
    locked1:
      '署名用電子証明書のパスワード（英数字6〜16文字）は、5回続けて間違えるとロックされます。利用者証明用電子証明書の暗証番号（数字4けた）は、3回でロックされます。',
    locked2:
      'ロックは、お住まいの市区町村の窓口で、カードを持って行けば初期化（パスワードの再設定）できます。民間IDの画面からは解除できません。',
    locked3: '残りの回数は、本人確認の画面で、カードIDを入れると表示されます。',
    expiredTitle: '電子証明書の有効期限が切れたとき',
    expired1:
      '署名用電子証明書は、発行から5回目の誕生日まで使えます。期限が近づくと、市区町村から通知が届きます。',
    expired2:
      '市区町村の窓口で更新したら、新しい証明書で本人確認をやり直してください。やり直すまでは、本人確認の強さが下がることがあります。',
    renewedTitle: '引っ越しや氏名の変更で、電子証明書が新しくなったとき',
    renewed1:
      '住所や氏名が変わると、それまでの署名用電子証明書は使えなくなり、窓口で新しい証明書が発行されます。',
    renewed2:
      '民間IDのお知らせに「カードの署名用電子証明書が使えなくなりました」と表示されます。お知らせのボタンから、カードで1回確認し直すだけで、同じアカウントのまま元に戻ります。連携しているサービスからも同じ人として扱われます。',
    renewed3:
      '本人確認のときに「新しい情報を受け取ることに同意」していれば、新しい住所や氏名は自動で反映されます。',
    passkeysTitle: 'パスキーをすべてなくしたとき（端末の買い替えなど）',
    passkeys1: 'マイナンバーカードでサインインして、新しい端末でパスキーを登録し直せます。',
    glossaryTitle: 'ことばの説明',
    gMinkanId: '民間ID',
    gMinkanIdText:
      'マイナンバーカードで一度本人確認をして作る、あなたのIDです。サービスへのサインインや、年齢などの確認に使います。',
    gCard: 'マイナンバーカード',
    gCardText: '市区町村が発行する、顔写真つきのカードです。中に電子証明書が入っています。',
    gMyNumber: 'マイナンバー（個人番号）',
    gMyNumberText: '12けたの番号です。民間IDは、この番号を読み取りも保存もしません。',
    gSign: '署名用電子証明書',
    gSignText:
      'カードに入っている、電子署名のための証明書です。氏名・住所・生年月日・性別が記録されています。パスワードは英数字6〜16文字です。',
    gAuth: '利用者証明用電子証明書',
    gAuthText: 'カードに入っている、本人であることを示すための証明書です。暗証番号は数字4けたです。',
    gPasskey: 'パスキー',
    gPasskeyText:
      'スマートフォンやパソコンの指紋・顔・画面ロックでサインインする仕組みです。パスワードを覚える必要がなく、偽のサイトにだまされにくいです。',
    gPersona: 'ペルソナ',
    gPersonaText:
      'サービスに渡してよい情報の組み合わせです。たとえば「20歳以上であることだけ」のように決めておけます。',
    gConsent: '同意',
    gConsentText: 'サービスに情報を渡してよいと、あなたが認めることです。いつでも取り消せます。',
    gLevel: '本人確認の強さ（レベル）',
    gLevelText:
      'あなたが本人であることを、どれだけ確かに確認したかです。マイナンバーカードで確認すると、いちばん高いレベル3になります。',
    gJlis: 'J-LIS（地方公共団体情報システム機構）',
    gJlisText:
      'マイナンバーカードの電子証明書を発行・管理している機関です。証明書が有効かどうかを確かめるときに問い合わせます。',
    gBasic4: '基本4情報',
    gBasic4Text: '氏名・住所・生年月日・性別の4つの情報です。',
    toSettings: '言語や文字の大きさを変える',
  },
  {
    title: 'Help',
    intro: 'What to do when something goes wrong. Words are explained in the glossary at the end.',
    lostTitle: 'If you lose your My Number card',
    lost1:
      'At once, ask for the card to be suspended (Individual Number Card call centre 0120-95-0178, 24 hours). Its certificates stop working, so nobody else can use them.',
    lost2: 'Report the loss to the police, and ask your municipal office for a new card.',
    lost3:
      'Your Private ID keeps working with your passkeys. When you have the new card, use “Verify again with your card” in the notice to verify with it. It stays the same account.',
    lockedTitle: 'If a password is locked',
    locked1:
      'The signing password (6 to 16 letters and digits) locks after 5 wrong tries in a row. The user-authentication PIN (4 digits) locks after 3.',
    locked2:
      'Take the card to your municipal office to have it reset. It cannot be unlocked from Private ID.',
    locked3: 'The verification page shows how many tries are left once you enter the card ID.',
    expiredTitle: 'If a certificate has expired',
    expired1:
      'The signing certificate is valid until your 5th birthday after it was issued. Your municipality writes to you before then.',
    expired2:
      'After renewing it at your municipal office, verify again with the new certificate. Until then your verification may count as weaker.',
    renewedTitle: 'If your certificate was renewed after a move or a change of name',
    renewed1:
      'When your address or name changes, the old signing certificate stops working and the office issues a new one.',
    renewed2:
      'Private ID shows a notice that the card’s signing certificate can no longer be used. One check with the card from the notice puts everything back, with the same account; services you use still see the same person.',
    renewed3:
      'If you agreed to receive new details when you verified, your new address or name is updated by itself.',
    passkeysTitle: 'If you lost every passkey (a new phone, for example)',
    passkeys1: 'Sign in with your My Number card and register a passkey on the new device.',
    glossaryTitle: 'Glossary',
    gMinkanId: 'Private ID (民間ID)',
    gMinkanIdText:
      'Your ID, made after verifying once with your My Number card. Use it to sign in to services and to prove things like your age.',
    gCard: 'My Number card',
    gCardText: 'The photo card issued by your municipality. It holds electronic certificates.',
    gMyNumber: 'My Number (individual number)',
    gMyNumberText: 'A 12-digit number. Private ID never reads or stores it.',
    gSign: 'Signing certificate',
    gSignText:
      'The certificate on the card for electronic signatures. It records your name, address, date of birth and sex. Its password is 6 to 16 letters and digits.',
    gAuth: 'User-authentication certificate',
    gAuthText: 'The certificate on the card that shows it is you. Its PIN is 4 digits.',
    gPasskey: 'Passkey',
    gPasskeyText:
      'Sign in with the fingerprint, face or screen lock of your phone or computer. Nothing to remember, and hard for fake sites to steal.',
    gPersona: 'Persona',
    gPersonaText: 'A set of details you are willing to give a service, such as “only that I am 20 or over”.',
    gConsent: 'Consent',
    gConsentText: 'Your permission for a service to receive your details. You can withdraw it at any time.',
    gLevel: 'Strength of verification (level)',
    gLevelText:
      'How surely it was checked that you are you. Verifying with the My Number card gives the highest, level 3.',
    gJlis: 'J-LIS',
    gJlisText:
      'The Japan Agency for Local Authority Information Systems, which issues and manages the card’s certificates. Asked whether a certificate is still valid.',
    gBasic4: 'Basic 4 information',
    gBasic4Text: 'Name, address, date of birth and sex.',
    toSettings: 'Change the language or text size',
  },
  {
    title: 'たすけ（ヘルプ）',
    intro: 'こまった ときに よむ ページ です。',
    lostTitle: 'マイナンバーカードを なくした とき',
    lost1:
      'すぐに でんわ して ください（0120-95-0178、いつでも）。カードが つかえなく なるので、ほかの ひとに つかわれません。',
    lost2: 'けいさつ に とどけて、しやくしょ・やくば で あたらしい カードを たのんで ください。',
    lost3:
      '民間IDは、いま ある パスキーで そのまま つかえます。新しい カードを もらったら、お知らせの「カードで もう一度 本人だと たしかめる」から、新しい カードで たしかめて ください。アカウントは 同じままです。',
    lockedTitle: 'パスワードが つかえなく なった とき',
    locked1:
      'しょめい よう の パスワードは 5かい まちがえると つかえなく なります。4けたの ばんごうは 3かい で つかえなく なります。',
    locked2: 'カードを もって、しやくしょ・やくば に いって ください。なおして もらえます。',
    locked3: 'あと 何回 ためせるかは、本人だと たしかめる 画面で カードの IDを 入れると 出ます。',
    expiredTitle: 'しょうめいしょ の きげんが きれた とき',
    expired1:
      '署名用電子証明書は、作ってから 5回目の たんじょう日まで つかえます。その 日が 近づくと、市や 町から お知らせが きます。',
    expired2:
      'しやくしょ・やくば で あたらしく したら、もういちど カードで ほんにん かくにん を して ください。',
    renewedTitle: 'ひっこし や なまえが かわって、しょうめいしょ が あたらしく なった とき',
    renewed1:
      '住所や 名前が かわると、前の 署名用電子証明書は つかえなく なります。役所で 新しい 証明書を もらいます。',
    renewed2:
      'おしらせ の ボタンから、カードで いちど たしかめれば もとに もどります。おなじ アカウントの まま です。',
    renewed3:
      '本人だと たしかめた とき、「新しい 情報を もらって いい」に チェックして いれば、新しい 住所や 名前は 自分で 直さなくても かわります。',
    passkeysTitle: 'パスキーを ぜんぶ なくした とき（スマホを 買いかえた ときなど）',
    passkeys1:
      'マイナンバーカードで サインインして、新しい スマホや パソコンで パスキーを もう一度 つくれます。',
    glossaryTitle: 'ことばの せつめい',
    gMinkanId: '民間ID（みんかん アイディー）',
    gMinkanIdText:
      'マイナンバーカードで 一度 本人だと たしかめて つくる、あなたの IDです。サービスに サインインする ときや、年れいなどを 見せる ときに つかいます。',
    gCard: 'マイナンバーカード（顔の 写真が ある カード）',
    gCardText: '市や 町が 作る、顔の 写真が ある カードです。中に 電子証明書が 入って います。',
    gMyNumber: 'マイナンバー（あなただけの 12けたの 番号）',
    gMyNumberText: '12けたの 番号です。民間IDは、この 番号を 読みません。しまって おく ことも しません。',
    gSign: '署名用電子証明書（書類に サインする ための 証明書）',
    gSignText:
      'カードの 中に ある、書類に サイン（署名）する ための 証明書です。名前・住所・生まれた 日・せいべつが 入って います。パスワードは 英字と 数字の 6〜16文字です。',
    gAuth: '利用者証明用電子証明書（本人だと 見せる ための 証明書）',
    gAuthText:
      'カードの 中に ある、あなたが 本人だと 見せる ための 証明書です。暗しょう番号は 数字 4けたです。',
    gPasskey: 'パスキー（スマホや パソコンで サインインする かぎ）',
    gPasskeyText:
      'スマホや パソコンの 指・顔・画面の ロックで サインインする しくみです。パスワードを おぼえなくて いいです。にせものの サイトに だまされにくいです。',
    gPersona: 'ペルソナ（わたして いい 情報の くみあわせ）',
    gPersonaText:
      'サービスに わたして いい 情報の くみあわせです。たとえば「20才より 上だと いう ことだけ」の ように 前もって きめて おけます。',
    gConsent: 'いいと 言う こと（同意）',
    gConsentText: 'サービスに 情報を わたして いいと、あなたが 言う ことです。いつでも とりけせます。',
    gLevel: '本人だと たしかめた つよさ（レベル）',
    gLevelText:
      'あなたが 本人だと、どれだけ しっかり たしかめたかです。マイナンバーカードで たしかめると、いちばん 高い レベル3に なります。',
    gJlis: 'J-LIS（マイナンバーカードの 証明書を 出す ところ）',
    gJlisText:
      'マイナンバーカードの 電子証明書を 作って、まもって いる ところです。証明書が つかえるか どうか 見る とき、ここに 聞きます。',
    gBasic4: '4つの 大切な 情報（基本4情報）',
    gBasic4Text: '名前・住所・生まれた 日・せいべつの 4つの 情報です。',
    toSettings: 'ことばや 文字の 大きさを かえる',
  },
);
