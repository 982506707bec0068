import { defineMessages } from '../../i18n/index.ts';

export const messages = defineMessages(
  'disclosures',
  {
    title: 'サービスに渡した情報',
    intro:
      'どのサービスに、いつ、どの情報を渡したかの記録です（新しい順）。情報の中身そのものは記録していません。',
    none: 'まだ情報を渡したことはありません。',
    row: '{{rp}}に {{claims}} を提供',
    viaToken: 'サインインのとき',
    viaUserinfo: 'サービスからの問い合わせ',
    more: 'さらに表示',
    added: '{{n}}件を追加で表示しました。',
  },
  {
    title: 'What services received',
    intro:
      'A record of which service received which details, and when (newest first). The details themselves are not recorded.',
    none: 'No details have been shared yet.',
    row: 'Gave {{rp}}: {{claims}}',
    viaToken: 'at sign-in',
    viaUserinfo: 'when the service asked',
    more: 'Show older',
    added: 'Showing {{n}} more.',
  },
  {
    title: 'サービスに わたした じょうほう',
    intro:
      'どの サービスに、いつ、どの 情報を わたしたかの 記ろくです。新しい ものが 上です。情報の 中身は 記ろくして いません。',
    none: 'まだ 情報を わたした ことは ありません。',
    row: '{{rp}}に {{claims}} を わたしました',
    viaToken: 'サインインの とき',
    viaUserinfo: 'サービスから 聞かれた とき',
    more: 'もっと みる',
    added: '{{n}}件を 下に ふやしました。',
  },
);
