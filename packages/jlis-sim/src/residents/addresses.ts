/**
 * Synthetic addresses across several prefectures, with the romanized prefecture and municipality
 * that go into the signing certificate's subject `L` attributes (reference/jpki.md §1.2:
 * `L=<prefecture romanized>, L=<municipality romanized>`, e.g. `Tokyo-to`, `Kiyose-shi`).
 * Town names are invented; a few use 﨑 / 髙 so the address needs substitute characters too.
 * Digits and hyphens are full-width, as in real 住所 values (reference/jpki.md §1.4).
 */

/** A municipality with its romanization and a few (invented) town names. */
export interface Municipality {
  readonly name: string;
  readonly roman: string;
  readonly towns: ReadonlyArray<string>;
}

/** A prefecture with its romanization and sample municipalities. */
export interface Prefecture {
  readonly name: string;
  readonly roman: string;
  readonly municipalities: ReadonlyArray<Municipality>;
}

/** Prefectures used by the generator. */
export const PREFECTURES: ReadonlyArray<Prefecture> = [
  {
    name: '東京都',
    roman: 'Tokyo-to',
    municipalities: [
      { name: '清瀬市', roman: 'Kiyose-shi', towns: ['梅園', '中清戸', '野塩'] },
      { name: '世田谷区', roman: 'Setagaya-ku', towns: ['桜丘', '若林', '砧'] },
      { name: '八王子市', roman: 'Hachioji-shi', towns: ['元本郷町', '山﨑町', '旭町'] },
    ],
  },
  {
    name: '大阪府',
    roman: 'Osaka-fu',
    municipalities: [
      { name: '豊中市', roman: 'Toyonaka-shi', towns: ['本町', '緑丘', '曽根東町'] },
      { name: '堺市堺区', roman: 'Sakai-shi', towns: ['大町東', '市之町西'] },
    ],
  },
  {
    name: '北海道',
    roman: 'Hokkaido',
    municipalities: [
      { name: '札幌市中央区', roman: 'Sapporo-shi', towns: ['北一条西', '南三条東'] },
      { name: '旭川市', roman: 'Asahikawa-shi', towns: ['豊岡', '末広'] },
    ],
  },
  {
    name: '福岡県',
    roman: 'Fukuoka-ken',
    municipalities: [
      { name: '福岡市博多区', roman: 'Fukuoka-shi', towns: ['博多駅前', '住吉'] },
      { name: '久留米市', roman: 'Kurume-shi', towns: ['東町', '髙良内町'] },
    ],
  },
  {
    name: '愛知県',
    roman: 'Aichi-ken',
    municipalities: [
      { name: '名古屋市中区', roman: 'Nagoya-shi', towns: ['栄', '丸の内'] },
      { name: '豊田市', roman: 'Toyota-shi', towns: ['小坂本町', '若宮町'] },
    ],
  },
  {
    name: '宮城県',
    roman: 'Miyagi-ken',
    municipalities: [{ name: '仙台市青葉区', roman: 'Sendai-shi', towns: ['一番町', '国分町'] }],
  },
  {
    name: '長崎県',
    roman: 'Nagasaki-ken',
    municipalities: [{ name: '長崎市', roman: 'Nagasaki-shi', towns: ['大浦町', '浜町'] }],
  },
  {
    name: '沖縄県',
    roman: 'Okinawa-ken',
    municipalities: [{ name: '那覇市', roman: 'Naha-shi', towns: ['久茂地', '泊'] }],
  },
];

/** The romanized location of an address (certificate subject `L` values). */
export interface AddressLocation {
  readonly prefecture: string;
  readonly municipality: string;
}

const FULLWIDTH_DIGITS = '０１２３４５６７８９';

/** Full-width decimal digits of `n` (住所 values use full-width digits). */
export const fullWidth = (n: number): string =>
  String(n)
    .split('')
    .map((d) => FULLWIDTH_DIGITS[Number(d)] ?? d)
    .join('');

/**
 * Finds the romanized prefecture and municipality of an address by its leading prefecture and
 * municipality names. Addresses outside the table keep their prefecture if known and get
 * `Unlisted` for the rest: the romanization of arbitrary municipalities is not derivable here.
 */
export function locateAddress(address: string): AddressLocation {
  for (const p of PREFECTURES) {
    if (!address.startsWith(p.name)) continue;
    const rest = address.slice(p.name.length);
    const m = p.municipalities.find((x) => rest.startsWith(x.name));
    return { prefecture: p.roman, municipality: m ? m.roman : 'Unlisted' };
  }
  return { prefecture: 'Unlisted', municipality: 'Unlisted' };
}
