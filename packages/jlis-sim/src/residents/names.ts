/**
 * Synthetic Japanese names for simulated residents. A few surnames use characters outside JIS X 0208
 * levels 1 and 2 (髙, 𠮷, 﨑, 濵): in the certificate these become substitute characters (代替文字)
 * with a `1` in the position map (docs/jpki.md §1.4), which is exactly the case a verifier
 * must handle. Every name here is invented by combination; none belongs to a real person.
 */

/** A name part with its katakana reading. */
export interface NamePart {
  readonly kanji: string;
  readonly kana: string;
}

/** Common surnames (kanji, reading). */
export const SURNAMES: ReadonlyArray<NamePart> = [
  { kanji: '佐藤', kana: 'サトウ' },
  { kanji: '鈴木', kana: 'スズキ' },
  { kanji: '高橋', kana: 'タカハシ' },
  { kanji: '田中', kana: 'タナカ' },
  { kanji: '伊藤', kana: 'イトウ' },
  { kanji: '渡辺', kana: 'ワタナベ' },
  { kanji: '山本', kana: 'ヤマモト' },
  { kanji: '中村', kana: 'ナカムラ' },
  { kanji: '小林', kana: 'コバヤシ' },
  { kanji: '加藤', kana: 'カトウ' },
  { kanji: '吉田', kana: 'ヨシダ' },
  { kanji: '山田', kana: 'ヤマダ' },
  { kanji: '佐々木', kana: 'ササキ' },
  { kanji: '山口', kana: 'ヤマグチ' },
  { kanji: '松本', kana: 'マツモト' },
  { kanji: '井上', kana: 'イノウエ' },
  { kanji: '木村', kana: 'キムラ' },
  { kanji: '林', kana: 'ハヤシ' },
  { kanji: '清水', kana: 'シミズ' },
  { kanji: '渡邉', kana: 'ワタナベ' },
  { kanji: '齋藤', kana: 'サイトウ' },
  // Outside JIS X 0208 levels 1/2: become substitute characters in the certificate.
  { kanji: '髙橋', kana: 'タカハシ' },
  { kanji: '𠮷田', kana: 'ヨシダ' },
  { kanji: '山﨑', kana: 'ヤマサキ' },
  { kanji: '濵田', kana: 'ハマダ' },
];

/** Given names by sex code ('1' male, '2' female; docs/jpki.md §1.4). */
export const GIVEN_NAMES: Readonly<Record<'1' | '2', ReadonlyArray<NamePart>>> = {
  '1': [
    { kanji: '翔太', kana: 'ショウタ' },
    { kanji: '大輔', kana: 'ダイスケ' },
    { kanji: '健一', kana: 'ケンイチ' },
    { kanji: '拓也', kana: 'タクヤ' },
    { kanji: '蓮', kana: 'レン' },
    { kanji: '悠真', kana: 'ユウマ' },
    { kanji: '陽翔', kana: 'ハルト' },
    { kanji: '誠', kana: 'マコト' },
    { kanji: '浩二', kana: 'コウジ' },
    { kanji: '隆', kana: 'タカシ' },
    { kanji: '一郎', kana: 'イチロウ' },
    { kanji: '和也', kana: 'カズヤ' },
  ],
  '2': [
    { kanji: '陽子', kana: 'ヨウコ' },
    { kanji: '美咲', kana: 'ミサキ' },
    { kanji: '花子', kana: 'ハナコ' },
    { kanji: '結衣', kana: 'ユイ' },
    { kanji: '葵', kana: 'アオイ' },
    { kanji: '陽菜', kana: 'ヒナ' },
    { kanji: '恵美', kana: 'エミ' },
    { kanji: '由美子', kana: 'ユミコ' },
    { kanji: '千尋', kana: 'チヒロ' },
    { kanji: '真由美', kana: 'マユミ' },
    { kanji: '明子', kana: 'アキコ' },
    { kanji: 'さくら', kana: 'サクラ' },
  ],
};

/** Joins surname and given name with an ideographic space U+3000 (docs/jpki.md §1.4). */
export const fullName = (surname: string, given: string): string => `${surname}\u3000${given}`;

/** Splits a full name at its first U+3000 (or ASCII space); the given name may be empty. */
export function splitName(name: string): { surname: string; given: string } {
  const m = /^(.*?)[\u3000 ](.*)$/u.exec(name);
  return m ? { surname: m[1] ?? '', given: m[2] ?? '' } : { surname: name, given: '' };
}
