/**
 * Substitute characters (代替文字). docs/jpki.md §1.4: name and address characters outside
 * JIS X 0208 levels 1–2 (and the supplementary kanji J-LIS supports) are replaced by a substitute
 * character, and a `0`/`1` string of the same length marks the replaced positions with `1`.
 *
 * Positions are counted in **Unicode code points**, not UTF-16 units: the map describes characters
 * (文字), and names such as 𠮷田 contain a character outside the BMP that is one position, not two.
 * [I] — the J-LIS profile is not public; a code point is the only unit that means "one character"
 * for every string J-LIS could emit (it never emits combining sequences in these fields that we know of).
 */

/**
 * The simulator's substitution table: real, common characters outside JIS X 0208 levels 1–2 that
 * appear in names and place names, with the JIS X 0208 character used as the substitute.
 * Compatibility ideographs are written as escapes: editors and normalizers (NFC) fold them silently.
 * Every key is outside JIS X 0208; every value is inside level 1 or 2.
 */
const SUBSTITUTE_CHARACTERS: ReadonlyMap<string, string> = new Map([
  ['\u9AD9', '\u9AD8'], // はしごだか (U+9AD9) — 髙橋
  ['\uFA11', '\u5D0E'], // たつさき (U+FA11, CJK compatibility) — 山﨑
  ['\u{20BB7}', '\u5409'], // つちよし (U+20BB7, outside the BMP) — 𠮷田
  ['\u5FB7', '\u5FB3'], // U+5FB7 — 德永
  ['\u6FF5', '\u6FF1'], // U+6FF5 — 濵田 (濱 is JIS level 2)
  ['\u6801', '\u67F3'], // U+6801 — 栁田
  ['\u66FB', '\u6607'], // U+66FB — 曻 (given name)
  ['\uF9DC', '\u9686'], // U+F9DC, CJK compatibility form of 隆
  ['\uFA10', '\u585A'], // U+FA10, CJK compatibility form of 塚
  ['\uFA4A', '\u7422'], // U+FA4A, CJK compatibility form of 琢
]);

/** Number of characters (code points) of `s` — the unit of the substitute maps. */
export function characterLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Applies {@link SUBSTITUTE_CHARACTERS} to `text` and returns the substituted text and its
 * `0`/`1` map. `extraPositions` (0-based code point indices) are marked `1` as well: they are
 * characters the caller has already substituted.
 */
export function substitute(
  text: string,
  extraPositions: ReadonlyArray<number> = [],
  table: ReadonlyMap<string, string> = SUBSTITUTE_CHARACTERS,
): { text: string; map: string } {
  const chars = [...text];
  for (const p of extraPositions)
    if (!Number.isInteger(p) || p < 0 || p >= chars.length)
      throw new RangeError(`substitute position ${String(p)} is outside 0..${String(chars.length - 1)}`);
  const marks = new Set(extraPositions);
  const out = chars.map((c, i) => {
    const r = table.get(c);
    if (r !== undefined) {
      if (characterLength(r) !== 1) throw new RangeError(`substitute for ${c} must be one character`);
      marks.add(i);
      return r;
    }
    return c;
  });
  return { text: out.join(''), map: chars.map((_, i) => (marks.has(i) ? '1' : '0')).join('') };
}
