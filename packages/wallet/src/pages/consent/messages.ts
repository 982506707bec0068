import { defineMessages } from '../../i18n/index.ts';

/** The consent page's words (namespace `consent`). */
export const messages = defineMessages(
  'consent',
  {
    title: '「{{rp}}」に情報を提供しますか？',
    purpose: '利用目的',
    signedInAs: '{{name}} さんとしてサインインしています',
    signedInAsNoName: 'サインインしています',
    choose: '提供する情報を選んでください',
    chooseHint: '選んだ内容に合わせて、下の「提供される情報」が変わります。',
    optionAll: '求められた情報をすべて',
    optionPrevious: '前回と同じ内容',
    optionPreviousPersona: '前回と同じ内容（{{name}}）',
    widens: '前回より多くの情報を提供します',
    willSend: '提供される情報',
    onlyId: 'この事業者専用の番号だけを提供します（氏名などは提供しません）',
    noValue: '（記録がありません）',
    newTitle: '前回より多くの情報を求めています',
    newBody:
      '新たに求められている情報: {{claims}}。前回と同じ内容が選ばれています。増やす場合は、上の選択肢から選び直してください。',
    offline: 'あなたがサービスを使っていない間も、この事業者は同じ情報を取り直すことができます。',
    verified: '氏名・生年月日・性別・住所は、マイナンバーカードで確認済みであることを添えて提供します。',
    approve: '同意して提供する',
    deny: '提供しない',
    sending: '送っています…',
    err_oidc_interaction_not_found:
      '時間切れになりました。利用していたサービスに戻り、もう一度お試しください。',
    err_oidc_interaction_wrong_step:
      'この手続きは、すでに終わっているか、別の画面で進んでいます。サービスに戻ってやり直してください。',
    err_persona_not_found: '選んだペルソナが見つかりません。画面を読み込み直してください。',
    err_csrf_invalid: '画面が古くなりました。読み込み直してから、もう一度お試しください。',
  },
  {
    title: 'Share your information with "{{rp}}"?',
    purpose: 'Purpose',
    signedInAs: 'Signed in as {{name}}',
    signedInAsNoName: 'You are signed in',
    choose: 'Choose what to share',
    chooseHint: 'The list "What will be sent" below changes with your choice.',
    optionAll: 'Everything the service asks for',
    optionPrevious: 'The same as last time',
    optionPreviousPersona: 'The same as last time ({{name}})',
    widens: 'Shares more than last time',
    willSend: 'What will be sent',
    onlyId: 'Only a number used just for this service (no name or other details)',
    noValue: '(not on record)',
    newTitle: 'This service now asks for more than last time',
    newBody:
      'Newly asked for: {{claims}}. The same as last time is selected. To share more, choose another option above.',
    offline: 'The service may fetch the same information again while you are not using it.',
    verified: 'Your name, date of birth, sex and address are sent as checked with your My Number Card.',
    approve: 'Agree and share',
    deny: 'Do not share',
    sending: 'Sending…',
    err_oidc_interaction_not_found:
      'This has timed out. Go back to the service you were using and try again.',
    err_oidc_interaction_wrong_step:
      'This step is already finished or continues elsewhere. Go back to the service and start again.',
    err_persona_not_found: 'The persona you chose no longer exists. Please reload the page.',
    err_csrf_invalid: 'This page is out of date. Please reload it and try again.',
  },
  {
    title: '「{{rp}}」に じょうほうを わたしますか？',
    purpose: 'つかう りゆう',
    signedInAs: '{{name}} さん として はいって います',
    signedInAsNoName: 'はいって います',
    choose: 'わたす じょうほうを えらんで ください',
    chooseHint: 'えらぶと、下の「わたす じょうほう」が かわります。',
    optionAll: 'もとめられた じょうほう ぜんぶ',
    optionPrevious: 'まえと おなじ',
    optionPreviousPersona: 'まえと おなじ（{{name}}）',
    widens: 'まえより おおく わたします',
    willSend: 'わたす じょうほう',
    onlyId: 'この サービス だけの ばんごうを わたします（なまえ などは わたしません）',
    noValue: '（記ろくが ありません）',
    newTitle: 'まえより おおくの じょうほうを もとめて います',
    newBody:
      'あたらしく もとめられて いる もの: {{claims}}。いまは「まえと おなじ」が えらばれて います。ふやす ときは、上で えらびなおして ください。',
    offline:
      'あなたが サービスを つかって いない ときも、この 会社は 同じ 情報を もう一度 もらう ことが できます。',
    verified:
      '名前・生まれた 日・せいべつ・住所は、マイナンバーカードで たしかめた ことも いっしょに わたします。',
    approve: 'いいよ、わたす',
    deny: 'わたさない',
    sending: 'おくって います…',
    err_oidc_interaction_not_found:
      '時間が 切れました。つかって いた サービスに もどって、もう一度 ためして ください。',
    err_oidc_interaction_wrong_step:
      'この 手つづきは もう 終わって いるか、別の 画面で すすんで います。サービスに もどって、はじめから して ください。',
    err_persona_not_found: 'えらんだ ペルソナが 見つかりません。画面を もう一度 よみこんで ください。',
    err_csrf_invalid: '画面が 古く なりました。もう一度 よみこんでから、ためして ください。',
  },
);
