/**
 * Addresses: a small table of synthetic ones for the resident generator, and the mapping of any
 * address to the romanized prefecture and municipality that go into the signing certificate's
 * subject `L` attributes (docs/jpki.md §1.2: `L=<prefecture romanized>, L=<municipality
 * romanized>`, e.g. `Tokyo-to`, `Kiyose-shi`). The mapping covers every municipality of Japan
 * (municipalities.ts, generated from the JIS X 0402 code list). Town names of the generator are
 * invented; a few use 﨑 / 髙 so the address needs substitute characters too. Digits and hyphens
 * are full-width, as in real 住所 values (docs/jpki.md §1.4).
 */
import { MUNICIPALITY_ROWS, PREFECTURE_ROWS } from './municipalities.ts';

/** A municipality (or a ward of a designated city) of the generator, with a few invented town names. */
export interface Municipality {
  readonly name: string;
  readonly towns: ReadonlyArray<string>;
}

/** A prefecture of the generator and its sample municipalities. */
export interface Prefecture {
  readonly name: string;
  readonly municipalities: ReadonlyArray<Municipality>;
}

/** Prefectures used by the generator. */
export const PREFECTURES: ReadonlyArray<Prefecture> = [
  {
    name: '東京都',
    municipalities: [
      { name: '清瀬市', towns: ['梅園', '中清戸', '野塩'] },
      { name: '世田谷区', towns: ['桜丘', '若林', '砧'] },
      { name: '八王子市', towns: ['元本郷町', '山﨑町', '旭町'] },
    ],
  },
  {
    name: '大阪府',
    municipalities: [
      { name: '豊中市', towns: ['本町', '緑丘', '曽根東町'] },
      { name: '堺市堺区', towns: ['大町東', '市之町西'] },
    ],
  },
  {
    name: '北海道',
    municipalities: [
      { name: '札幌市中央区', towns: ['北一条西', '南三条東'] },
      { name: '旭川市', towns: ['豊岡', '末広'] },
    ],
  },
  {
    name: '福岡県',
    municipalities: [
      { name: '福岡市博多区', towns: ['博多駅前', '住吉'] },
      { name: '久留米市', towns: ['東町', '髙良内町'] },
    ],
  },
  {
    name: '愛知県',
    municipalities: [
      { name: '名古屋市中区', towns: ['栄', '丸の内'] },
      { name: '豊田市', towns: ['小坂本町', '若宮町'] },
    ],
  },
  {
    name: '宮城県',
    municipalities: [{ name: '仙台市青葉区', towns: ['一番町', '国分町'] }],
  },
  {
    name: '長崎県',
    municipalities: [{ name: '長崎市', towns: ['大浦町', '浜町'] }],
  },
  {
    name: '沖縄県',
    municipalities: [{ name: '那覇市', towns: ['久茂地', '泊'] }],
  },
];

/** The romanized location of an address (certificate subject `L` values). */
export interface AddressLocation {
  readonly prefecture: string;
  readonly municipality: string;
}

/** A municipality of Japan as the address mapping knows it. */
export interface MunicipalityEntry {
  /** JIS X 0402 code (6 digits as published; the first two are the prefecture's JIS X 0401 code). */
  readonly code: string;
  /** Official name, e.g. `清瀬市`, `千代田区`, `倶知安町`. */
  readonly name: string;
  /** Romanized name written into `L`, e.g. `Kiyose-shi`. */
  readonly roman: string;
  /** Official name of its prefecture. */
  readonly prefecture: string;
  /** Romanized prefecture, e.g. `Tokyo-to`. */
  readonly prefectureRoman: string;
}

// ヶ and ケ (and the small ヵ) are written interchangeably in names such as 龍ケ崎 / 鶴ヶ島; the
// official list uses both, so matching folds them.
const fold = (s: string): string => s.replace(/[ヶヵ]/g, 'ケ');

interface PrefectureIndex {
  readonly name: string;
  readonly roman: string;
  /** Longest name first, so that a name that is a prefix of another never wins wrongly. */
  readonly municipalities: ReadonlyArray<MunicipalityEntry & { readonly folded: string }>;
}

const INDEX: ReadonlyArray<PrefectureIndex> = PREFECTURE_ROWS.map(([code, name, roman]) => ({
  name,
  roman,
  municipalities: MUNICIPALITY_ROWS.filter(([c]) => c.startsWith(code))
    .map(([c, n, r]) => ({
      code: c,
      name: n,
      roman: r,
      prefecture: name,
      prefectureRoman: roman,
      folded: fold(n),
    }))
    .sort((a, b) => b.folded.length - a.folded.length),
}));

const withoutFold = (m: MunicipalityEntry): MunicipalityEntry => ({
  code: m.code,
  name: m.name,
  roman: m.roman,
  prefecture: m.prefecture,
  prefectureRoman: m.prefectureRoman,
});

/** Every municipality of Japan (1,741: 市, Tokyo's 23 特別区, 町, 村), in JIS X 0402 order. */
export const ALL_MUNICIPALITIES: ReadonlyArray<MunicipalityEntry> = INDEX.flatMap((p) =>
  p.municipalities.map(withoutFold),
).sort((a, b) => a.code.localeCompare(b.code));

const FULLWIDTH_DIGITS = '０１２３４５６７８９';

/** Full-width decimal digits of `n` (住所 values use full-width digits). */
export const fullWidth = (n: number): string =>
  String(n)
    .split('')
    .map((d) => FULLWIDTH_DIGITS[Number(d)] ?? d)
    .join('');

/**
 * The municipality an address lies in, read from its start: the prefecture, then the longest
 * municipality name of that prefecture. A 住所 written with its district (郡, which towns and
 * villages keep in their address: `長野県北佐久郡軽井沢町…`) is matched after the 郡. Wards of a
 * designated city (`札幌市中央区…`) belong to the city. Undefined when nothing matches.
 */
export function municipalityOf(address: string): MunicipalityEntry | undefined {
  const a = fold(address);
  const p = INDEX.find((x) => a.startsWith(x.name));
  if (!p) return undefined;
  const rest = a.slice(p.name.length);
  const at = (s: string, townOrVillage: boolean): MunicipalityEntry | undefined =>
    p.municipalities.find((m) => s.startsWith(m.folded) && (!townOrVillage || /[町村]$/.test(m.name)));
  let found = at(rest, false);
  // District names are short (1–5 characters before 郡); cities are never in a district.
  for (let i = rest.indexOf('郡'); !found && i > 0 && i <= 6; i = rest.indexOf('郡', i + 1))
    found = at(rest.slice(i + 1), true);
  return found && withoutFold(found);
}

/**
 * The romanized prefecture and municipality of an address (the signing certificate's two `L`
 * values). Every municipality of Japan has its own value. An address that names no municipality
 * of Japan (fictional addresses that tests and callers may give the simulator) keeps its
 * prefecture if that is known and gets `Unlisted` for the rest.
 */
export function locateAddress(address: string): AddressLocation {
  const m = municipalityOf(address);
  if (m) return { prefecture: m.prefectureRoman, municipality: m.roman };
  const p = INDEX.find((x) => fold(address).startsWith(x.name));
  return { prefecture: p?.roman ?? 'Unlisted', municipality: 'Unlisted' };
}
