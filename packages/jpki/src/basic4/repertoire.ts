/**
 * The characters a J-LIS certificate's name and address can hold (docs/jpki.md §1.4): the
 * resident record's characters are JIS X 0208 levels 1–2 plus the supplementary kanji J-LIS
 * supports, and anything else is replaced by a substitute character (代替文字) whose position the
 * `0`/`1` map records — so the text itself never holds a character outside that repertoire.
 *
 * JIS X 0208 has no public machine-readable table in this repository, so the repertoire is
 * approximated by the Unicode ranges its characters map to [I]: printable ASCII without the
 * markup-significant `<>&"` and backslash/backtick; the Latin-1, Greek, Cyrillic, punctuation and
 * symbol characters of JIS X 0208 row 1–8; CJK symbols, kana and full-width forms; and every CJK
 * ideograph block (the supplementary kanji may lie outside JIS X 0208). Refused, whatever the
 * block: control characters (C0, DEL, C1), format characters such as the bidi overrides
 * U+202A–U+202E and U+2066–U+2069, line separators, private-use characters, noncharacters and
 * half-width katakana (JIS X 0201, not 0208). What a certificate can contain is what Watashi seals
 * and passes to relying parties, so a forged SAN cannot smuggle markup or reordering into an RP.
 */

/**
 * Longest name accepted, in characters. J-LIS documents no limit [?]; a resident-record name with
 * a former surname (旧氏) and, from 2026-05-26, furigana stays far below it (§1.4), while a name of
 * thousands of characters is no name J-LIS issues.
 */
export const MAX_NAME_LENGTH = 100;

/** Inclusive code point ranges of the repertoire (see the module comment). */
const RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x20, 0x21], // space, !
  [0x23, 0x25], // # $ %
  [0x27, 0x3b], // ' ( ) * + , - . / 0-9 : ;
  [0x3d, 0x3d], // =
  [0x3f, 0x5b], // ? @ A-Z [
  [0x5d, 0x5f], // ] ^ _
  [0x61, 0x7e], // a-z { | } ~
  [0xa7, 0xa8], // § ¨
  [0xb0, 0xb1], // ° ±
  [0xb4, 0xb4], // ´
  [0xb6, 0xb6], // ¶
  [0xd7, 0xd7], // ×
  [0xf7, 0xf7], // ÷
  [0x391, 0x3c9], // Greek
  [0x401, 0x451], // Cyrillic
  [0x2010, 0x2010], // ‐
  [0x2015, 0x2016], // ― ‖
  [0x2018, 0x2019], // ‘ ’
  [0x201c, 0x201d], // “ ”
  [0x2020, 0x2021], // † ‡
  [0x2025, 0x2026], // ‥ …
  [0x2030, 0x2030], // ‰
  [0x2032, 0x2033], // ′ ″
  [0x203b, 0x203b], // ※
  [0x2100, 0x2312], // letterlike symbols, arrows, mathematical operators, ⌒
  [0x2460, 0x24ff], // enclosed alphanumerics (①, in the common extensions)
  [0x2500, 0x266f], // box drawing, geometric shapes, ★, ♪
  [0x3000, 0x303f], // CJK symbols and punctuation (U+3000 separates surname and given name)
  [0x3041, 0x30ff], // hiragana, katakana
  [0x3200, 0x33ff], // enclosed CJK, CJK compatibility (㈱, ㍻)
  [0x3400, 0x4dbf], // CJK extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xff01, 0xff60], // full-width forms (full-width digits and － in addresses)
  [0xffe0, 0xffe5], // ￠ ￡ ￢ ￣ ￤ ￥
  [0x20000, 0x2fa1f], // CJK extensions B and beyond, compatibility supplement
];

/** True when the code point `cp` is in the repertoire. */
function inRepertoire(cp: number): boolean {
  for (const [lo, hi] of RANGES) if (cp >= lo && cp <= hi) return true;
  return false;
}

/**
 * The 0-based character (code point) position and value of the first character of `s` outside the
 * repertoire, or undefined when every character is in it.
 */
export function firstOutsideRepertoire(
  s: string,
): { readonly position: number; readonly codePoint: string } | undefined {
  let i = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (!inRepertoire(cp))
      return { position: i, codePoint: `U+${cp.toString(16).toUpperCase().padStart(4, '0')}` };
    i++;
  }
  return undefined;
}
