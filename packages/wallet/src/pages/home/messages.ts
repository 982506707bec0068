import { defineMessages } from '../../i18n/index.ts';

export const messages = defineMessages(
  'home',
  {
    title: '民間ID',
    intro:
      'マイナンバーカードで一度だけ本人確認をすると、民間IDが作られます。そのあとは、パスキー（スマートフォンやパソコンの指紋・顔・画面ロック）でサインインできます。',
    privacy:
      'マイナンバー（12けたの個人番号）は読み取りません。サービスには、あなたが同意した情報だけが渡ります。',
    newHere: 'はじめての方',
    enrol: 'マイナンバーカードで本人確認する',
    registered: '登録済みの方',
    signIn: 'パスキーでサインイン',
    welcome: 'ようこそ、{{name}} さん',
    welcomeNoName: 'ようこそ',
    toAccount: 'アカウントを見る',
    toSign: '書類に電子署名する',
    toHelp: 'はじめに読むヘルプ',
  },
  {
    title: 'Private ID',
    intro:
      'Verify who you are once with your My Number card to get a Private ID. After that, sign in with a passkey (the fingerprint, face or screen lock of your phone or computer).',
    privacy: 'Your 12-digit My Number is never read. Services receive only the information you agree to.',
    newHere: 'New here',
    enrol: 'Verify with your My Number card',
    registered: 'Already registered',
    signIn: 'Sign in with a passkey',
    welcome: 'Welcome, {{name}}',
    welcomeNoName: 'Welcome',
    toAccount: 'See your account',
    toSign: 'Sign a document',
    toHelp: 'Help for getting started',
  },
  {
    title: '民間ID の はじめの ページ',
    intro:
      'マイナンバーカードで いちど だけ ほんにん かくにん を すると、民間ID が できます。そのあとは、パスキー（スマートフォンや パソコンの ゆびもん・かお・がめんロック）で サインイン できます。',
    privacy:
      'マイナンバー（12けたの ばんごう）は よみとりません。あなたが「いいよ」と いった じょうほう だけ を サービスに わたします。',
    newHere: 'はじめての ひと',
    enrol: 'マイナンバーカードで ほんにん かくにん する',
    registered: 'とうろく した ひと',
    signIn: 'パスキーで サインインする',
    welcome: 'ようこそ、{{name}} さん。',
    welcomeNoName: 'ようこそ。',
    toAccount: 'アカウントを みる',
    toSign: '書類に カードで サインする',
    toHelp: 'はじめに よむ ヘルプ',
  },
);
