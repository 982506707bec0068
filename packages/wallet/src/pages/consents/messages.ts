import { defineMessages } from '../../i18n/index.ts';

export const messages = defineMessages(
  'consents',
  {
    title: '同意しているサービス',
    intro:
      '次のサービスは、あなたの同意にもとづいて情報を受け取れます。同意を取り消すと、そのサービスはあなたの情報をもう受け取れなくなり、次に使うときに改めて同意を求められます（すでに渡した情報は取り戻せません）。',
    listHeading: 'サービスの一覧',
    none: '同意しているサービスはありません。',
    purpose: '利用目的',
    noPurpose: '（書かれていません）',
    receives: '渡す情報',
    persona: 'ペルソナ',
    noPersona: 'なし（サービスが求めた情報をそのまま）',
    deletedPersona: '（削除済み）',
    offline: 'あなたがいないとき',
    offlineYes: 'あなたがサービスを使っていないときも、情報を受け取り直せます',
    since: '同意した日',
    withdraw: '同意を取り消す',
    confirm:
      '「{{rp}}」への同意を取り消しますか？このサービスはあなたの情報をもう受け取れなくなり、次に使うときに改めて同意を求められます。',
    withdrawn: '「{{rp}}」への同意を取り消しました。',
    toDisclosures: 'どのサービスに何を渡したかを見る',
    err_consent_not_found: 'このサービスへの同意は見つかりません（すでに取り消された可能性があります）。',
  },
  {
    title: 'Services you agreed to',
    intro:
      'These services may receive your details because you agreed. Withdrawing stops a service from receiving them again; it will ask for your consent next time (what it already received cannot be recalled).',
    listHeading: 'The services',
    none: 'You have not agreed to any service.',
    purpose: 'Purpose',
    noPurpose: '(not stated)',
    receives: 'Details it receives',
    persona: 'Persona',
    noPersona: 'None (what the service asked for)',
    deletedPersona: '(deleted)',
    offline: 'While you are away',
    offlineYes: 'It may receive your details again while you are not using it',
    since: 'Agreed on',
    withdraw: 'Withdraw consent',
    confirm:
      'Withdraw your consent to “{{rp}}”? It will no longer receive your details, and will ask for your consent next time.',
    withdrawn: 'Withdrew your consent to “{{rp}}”.',
    toDisclosures: 'See what each service received',
    err_consent_not_found: 'No consent to this service was found (it may have been withdrawn already).',
  },
  {
    title: '「いいよ」と いった サービス',
    intro:
      '下の サービスは、あなたが いいと 言ったので、情報を もらえます。「いいと 言った」を とりけすと、その サービスは もう 情報を もらえません。つぎに つかう ときに、もう一度 聞かれます。もう わたした 情報は とりもどせません。',
    listHeading: 'サービスの 一らん',
    none: 'いいと 言った サービスは ありません。',
    purpose: '何に つかうか',
    noPurpose: '（書いて ありません）',
    receives: 'わたす 情報',
    persona: 'つかう ペルソナ',
    noPersona: 'ありません（サービスが ほしいと 言った 情報を そのまま わたします）',
    deletedPersona: '（けしました）',
    offline: 'あなたが いない とき',
    offlineYes: 'あなたが サービスを つかって いない ときも、情報を もう一度 もらえます',
    since: 'いいと 言った 日',
    withdraw: '「いいよ」を とりけす',
    confirm:
      '「{{rp}}」に いいと 言ったのを とりけしますか？この サービスは もう あなたの 情報を もらえません。つぎに つかう ときに、もう一度 聞かれます。',
    withdrawn: '「{{rp}}」に いいと 言ったのを とりけしました。',
    toDisclosures: 'どの サービスに 何を わたしたかを 見る',
    err_consent_not_found:
      'この サービスに いいと 言った 記ろくが 見つかりません。もう とりけして いるかも しれません。',
  },
);
