import { defineMessages } from '../../i18n/index.ts';

export const messages = defineMessages(
  'settings',
  {
    title: '設定',
    language: '表示する言語',
    languageHint: '選んだ言語は、このブラウザで次に開いたときも使われます。',
    textSize: '文字の大きさ',
    textNormal: 'ふつう',
    textLarge: '大きい',
    saved: '設定を変更しました。',
  },
  {
    title: 'Settings',
    language: 'Language',
    languageHint: 'This browser remembers your choice for next time.',
    textSize: 'Text size',
    textNormal: 'Normal',
    textLarge: 'Large',
    saved: 'Settings changed.',
  },
  {
    title: 'せってい',
    language: 'ことば',
    languageHint: 'えらんだ ことばは、つぎに ひらいた ときも つかいます。',
    textSize: 'もじの おおきさ',
    textNormal: 'ふつう',
    textLarge: 'おおきい',
    saved: 'せっていを かえました。',
  },
);
