import { defineMessages } from '../../i18n/index.ts';

export const messages = defineMessages(
  'close',
  {
    title: '民間IDを閉鎖する',
    warningTitle: '閉鎖すると、元に戻せません',
    intro: '民間IDを閉鎖すると、次のようになります。',
    effectSignIn: 'この民間IDでは、二度とサインインできなくなります。パスキーも使えなくなります。',
    effectServices:
      '民間IDでサインインしていたサービスには、閉鎖したことが伝わり、サインアウトされます。サービスへの同意はすべて取り消されます。',
    effectErase:
      'マイナンバーカードで確認した氏名・生年月日・性別・住所と、ペルソナ、カードの証明書の記録を消します。',
    effectKept:
      '法律で保存が必要な記録（どのサービスにいつ何を提供したか）と、変更できない監査記録は残ります。',
    effectAgain:
      'あとで、同じマイナンバーカードで新しい民間IDを作れます。ただし、サービスからは別の人として扱われます。',
    beforeTitle: '閉鎖する前に',
    beforeData: '必要なら、先にあなたのデータをダウンロードしてください。',
    toData: 'あなたのデータをダウンロードする',
    reauthTitle: 'もう一度サインインしてください',
    reauthBody:
      '安全のため、閉鎖は、サインインしてから5分以内にだけできます。もう一度サインインしてから、このページに戻ってください。',
    reauthButton: 'もう一度サインインする',
    confirmWord: '閉鎖',
    confirmLabel: '確認のことば',
    confirmButton: '民間IDを閉鎖する',
    back: '閉鎖しないで戻る',
    closedTitle: '民間IDを閉鎖しました',
    closedBody: 'ご利用ありがとうございました。このブラウザでもサインアウトしました。',
    closedHome: 'ホームへ',
    err_reauthentication_required:
      '安全のため、もう一度サインインしてから閉鎖してください（サインインから5分を過ぎました）。',
    err_account_close_refused:
      'この民間IDは、運営者が一時停止しているため、ここでは閉鎖できません。運営者にお問い合わせください。',
    err_confirmation_required: '確認のことばが正しくありません。',
    err_account_already_closed: 'この民間IDは、すでに閉鎖されています。',
  },
  {
    title: 'Close your Private ID',
    warningTitle: 'Closing cannot be undone',
    intro: 'When you close your Private ID:',
    effectSignIn: 'You can never sign in with this Private ID again. Your passkeys stop working.',
    effectServices:
      'Services you signed in to with it are told and sign you out. All your consents to services are withdrawn.',
    effectErase:
      'Your name, date of birth, sex and address as verified with your My Number card, your personas and the record of your card certificates are erased.',
    effectKept:
      'Records the law requires (which service received what, and when) and the unchangeable audit log are kept.',
    effectAgain:
      'You can make a new Private ID later with the same My Number card, but services will see it as a different person.',
    beforeTitle: 'Before you close it',
    beforeData: 'If you need it, download your data first.',
    toData: 'Download your data',
    reauthTitle: 'Please sign in again',
    reauthBody:
      'For your safety, you can close your Private ID only within 5 minutes of signing in. Sign in again, then come back to this page.',
    reauthButton: 'Sign in again',
    confirmWord: 'close',
    confirmLabel: 'Confirmation word',
    confirmButton: 'Close your Private ID',
    back: 'Go back without closing',
    closedTitle: 'Your Private ID is closed',
    closedBody: 'Thank you for using it. This browser is signed out too.',
    closedHome: 'Home',
    err_reauthentication_required:
      'For your safety, sign in again before closing (more than 5 minutes have passed since you signed in).',
    err_account_close_refused:
      'The operator has suspended this Private ID, so it cannot be closed here. Please contact the operator.',
    err_confirmation_required: 'The confirmation word is not right.',
    err_account_already_closed: 'This Private ID is already closed.',
  },
  {
    title: '民間ID を やめる（へいさ）',
    warningTitle: 'やめると、もとに もどせません',
    intro: '民間ID を やめると、つぎの ように なります。',
    effectSignIn: 'この 民間ID では、もう サインイン できません。パスキーも つかえなく なります。',
    effectServices:
      '民間ID で サインイン していた サービスに しらせて、サインアウト します。サービスへの「いいよ」は ぜんぶ とりけします。',
    effectErase:
      'マイナンバーカードで たしかめた なまえ・うまれた ひ・せいべつ・じゅうしょ と、ペルソナ、カードの きろくを けします。',
    effectKept:
      'ほうりつで のこす ことに なっている きろく（どの サービスに いつ なにを わたしたか）は のこります。',
    effectAgain:
      'あとで、おなじ マイナンバーカードで あたらしい 民間ID を つくれます。でも、サービスからは べつの ひと に みえます。',
    beforeTitle: 'やめる まえに',
    beforeData: 'ひつようなら、さきに あなたの データを ダウンロード してください。',
    toData: 'あなたの データを ダウンロード する',
    reauthTitle: 'もういちど サインイン してください',
    reauthBody:
      'あんぜんの ため、サインインしてから 5ふん いないに だけ やめられます。もういちど サインイン してから、この ページに もどって ください。',
    reauthButton: 'もういちど サインイン する',
    confirmWord: 'やめる',
    confirmLabel: 'たしかめる ための ことば',
    confirmButton: '民間ID を やめる',
    back: 'やめないで もどる',
    closedTitle: '民間ID を やめました',
    closedBody: 'つかって くれて ありがとう ございました。この ブラウザ でも サインアウト しました。',
    closedHome: 'ホームに もどる',
    err_reauthentication_required:
      'あんぜんの ため、もういちど サインイン してから やめて ください（サインインから 5ふん すぎました）。',
    err_account_close_refused:
      'うんえいしゃが この 民間ID を とめているので、ここでは やめられません。うんえいしゃに きいて ください。',
    err_confirmation_required: 'たしかめる ための ことばが ちがいます。',
    err_account_already_closed: 'この 民間ID は もう やめて います。',
  },
);
