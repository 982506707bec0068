import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildCertificate,
  encodeName,
  ext,
  explicit,
  ia5,
  isWatashiError,
  nameFrom,
  OID,
  parseCertificate,
  printable,
  toHex,
  utf8,
  type GeneralName,
  type Signer,
} from '@watashi/pki';
import { nodeGenerateKey, nodeSigner } from '@watashi/pki/node';
import { jpkiCaName } from '../profile/names.ts';
import { basic4From, type Basic4 } from './basic4.ts';
import { eraOf, formatDateOfBirth, formatJapaneseDate, parseDateOfBirth } from './era.ts';
import { assertBasic4, encodeBasic4San, readBasic4 } from './san.ts';
import { characterLength, substitute } from './substitute.ts';

/** Expects a WatashiError with `code` (and `detail.field`, when given). */
function expectError(f: () => unknown, code: string, field?: string): void {
  try {
    f();
  } catch (e) {
    expect(isWatashiError(e, code), String(e)).toBe(true);
    if (field !== undefined) expect((e as { detail?: { field?: string } }).detail?.field).toBe(field);
    return;
  }
  expect.fail(`expected ${code}`);
}

// The public test-card holder (docs/jpki.md §1.4, [mynacard-text]).
const KOKUTO = {
  name: '黒桐\u3000幹也',
  address: '東京都清瀬市観布子南１２－７－２０２',
  birthDate: '1980-02-17',
  sex: '1',
} as const;

describe('eras (docs/jpki.md §1.4)', () => {
  it.each([
    ['1868-01-25', 1],
    ['1912-07-29', 1],
    ['1912-07-30', 2],
    ['1926-12-24', 2],
    ['1926-12-25', 3],
    ['1989-01-07', 3],
    ['1989-01-08', 4],
    ['2019-04-30', 4],
    ['2019-05-01', 5],
  ])('ok-%s is era %i', (date, digit) => {
    expect(eraOf(date)?.digit).toBe(digit);
  });

  it('fail-no era before Meiji', () => {
    expect(eraOf('1868-01-24')).toBeUndefined();
  });

  it('ok-Japanese display, 元年 and incomplete dates', () => {
    expect(formatJapaneseDate({ era: 3, date: '1980-02-17' })).toBe('昭和55年2月17日');
    expect(formatJapaneseDate({ era: 5, date: '2019-05-01' })).toBe('令和元年5月1日');
    expect(formatJapaneseDate({ era: 5, date: '2019-05-01' }, { gannen: false })).toBe('令和1年5月1日');
    expect(formatJapaneseDate({ era: 4, date: '1989-01-08' })).toBe('平成元年1月8日');
    expect(formatJapaneseDate({ era: 3, date: '1989-01-07' })).toBe('昭和64年1月7日');
    expect(formatJapaneseDate({ era: 1, date: '1899-12-01' })).toBe('明治32年12月1日');
    expect(formatJapaneseDate({ era: 3, date: '19550000' })).toBe('昭和30年月日不詳');
    expect(formatJapaneseDate({ era: 3, date: '19550300' })).toBe('昭和30年3月日不詳');
    expect(formatJapaneseDate({ era: 0, date: '1980-02-17' })).toBe('1980年2月17日');
  });

  it('ok-wire form EYYYYMMDD', () => {
    expect(formatDateOfBirth({ era: 4, date: '1990-01-02' })).toBe('419900102');
    expect(parseDateOfBirth('118991201')).toEqual({ era: 1, date: '1899-12-01' });
    expect(parseDateOfBirth('319550000')).toEqual({ era: 3, date: '19550000' });
    expect(parseDateOfBirth('019800217')).toEqual({ era: 0, date: '1980-02-17' });
  });

  it.each([
    ['31980021', 'not 9 characters'],
    ['3198002170', 'not 9 characters'],
    ['31980021a', 'not all digits'],
    ['619800217', 'invalid era digit'],
    ['319800230', 'impossible date'],
    ['319801317', 'impossible date'],
    ['319800017', 'day given without a month'],
    ['419800217', 'era does not match the date'],
    ['319890108', 'era does not match the date'],
    ['520100000', 'era does not match the year'],
  ])('fail-date of birth %s: %s', (s, reason) => {
    expectError(() => parseDateOfBirth(s), 'basic4_malformed', 'dateOfBirth');
    try {
      parseDateOfBirth(s);
    } catch (e) {
      expect((e as { detail: { reason: string } }).detail.reason).toBe(reason);
    }
  });
});

describe('substitute characters', () => {
  it('ok-maps are per code point; 𠮷 (outside the BMP) is one position', () => {
    const r = substitute('𠮷田\u3000太郎');
    expect(r.text).toBe('吉田\u3000太郎');
    expect(r.map).toBe('10000');
    expect(characterLength('𠮷田\u3000太郎')).toBe(5);
    expect('𠮷田\u3000太郎'.length).toBe(6);
  });

  it('ok-compatibility ideographs and explicit positions', () => {
    expect(substitute('山\uFA11\u3000髙志').map).toBe('01010');
    expect(substitute('山\uFA11\u3000髙志').text).toBe('山崎\u3000高志');
    expect(substitute('渡邉\u3000一', [1]).map).toBe('0100');
  });

  it('fail-explicit position outside the field', () => {
    expect(() => substitute('山田', [2])).toThrow(RangeError);
  });
});

describe('basic4From', () => {
  it('ok-the test-card holder', () => {
    const b4 = basic4From(KOKUTO);
    expect(b4).toEqual({
      name: '黒桐\u3000幹也',
      nameSubstitute: '00000',
      dateOfBirth: { era: 3, date: '1980-02-17' },
      sex: '1',
      address: KOKUTO.address,
      addressSubstitute: '0'.repeat(18),
    });
  });

  it('ok-substitutes in name and address', () => {
    const b4 = basic4From({ ...KOKUTO, name: '髙橋\u3000𠮷郎', address: '東京都八王子市山\uFA11町１' });
    expect(b4.name).toBe('高橋\u3000吉郎');
    expect(b4.nameSubstitute).toBe('10010');
    expect(b4.address).toBe('東京都八王子市山崎町１');
    expect(b4.addressSubstitute).toBe('00000000100');
  });

  it.each([
    [{ name: '黒桐幹也' }, 'name'],
    [{ name: '\u3000幹也' }, 'name'],
    [{ name: '黒桐\u3000' }, 'name'],
    [{ name: '黒桐\u3000幹\n也' }, 'name'],
    [{ address: '清瀬市観布子南１' }, 'address'],
    [{ address: `東京都${'あ'.repeat(198)}` }, 'address'],
    [{ birthDate: '1980-02-30' }, 'dateOfBirth'],
    [{ birthDate: '1850-01-01' }, 'dateOfBirth'],
    [{ sex: '4' }, 'sex'],
  ])('fail-%j', (patch, field) => {
    expectError(() => basic4From({ ...KOKUTO, ...(patch as object) }), 'basic4_malformed', field);
  });

  it('ok-an address of exactly 200 characters', () => {
    expect(basic4From({ ...KOKUTO, address: `東京都${'あ'.repeat(197)}` }).addressSubstitute).toHaveLength(
      200,
    );
  });
});

describe('subjectAltName encoding and readBasic4', () => {
  let key: Signer;
  const issuer = jpkiCaName('sign', 'JPKI-SIM');
  beforeAll(() => {
    key = nodeSigner(nodeGenerateKey('RSA-SHA256'), 'RSA-SHA256');
  });

  async function certWith(
    san: GeneralName[] | undefined,
    issuerName = issuer,
  ): Promise<ReturnType<typeof parseCertificate>> {
    const der = await buildCertificate(
      {
        serial: 1n,
        issuer: issuerName,
        subject: encodeName(
          nameFrom([
            ['C', 'JP'],
            ['CN', 'x'],
          ]),
        ),
        notBefore: new Date('2025-01-01T00:00:00Z'),
        notAfter: new Date('2030-01-01T14:59:59Z'),
        spki: key.spki,
        extensions: san ? [ext.subjectAltName(san)] : [],
      },
      key,
    );
    return parseCertificate(der);
  }
  const b4: Basic4 = basic4From(KOKUTO);
  const good = (): GeneralName[] => encodeBasic4San(b4);
  const on = (oid: string, value: Uint8Array): GeneralName => ({ type: 'otherName', oid, value });
  const replace = (oid: string, value: Uint8Array): GeneralName[] =>
    good().map((g) => (g.type === 'otherName' && g.oid === oid ? on(oid, value) : g));

  it('ok-encodes the reference example byte for byte (docs/jpki.md §1.4)', () => {
    const der = ext.subjectAltName(good()).value;
    const addr = Buffer.from(KOKUTO.address, 'utf8').toString('hex');
    expect(toHex(der)).toBe(
      '3081d2' +
        'a01f060a2a83088c9b5508050501a0110c0fe9bb92e6a190e38080e5b9b9e4b99f' +
        'a019060a2a83088c9b5508050504a00b0c09333139383030323137' +
        'a011060a2a83088c9b5508050503a0030c0131' +
        `a046060a2a83088c9b5508050505a0380c36${addr}` +
        'a015060a2a83088c9b5508050502a0070c053030303030' +
        `a022060a2a83088c9b5508050506a0140c12${'30'.repeat(18)}`,
    );
  });

  it('ok-round trip build → readBasic4, including a character outside the BMP', async () => {
    expect(readBasic4(await certWith(good()))).toEqual(b4);
    const odd = basic4From({ ...KOKUTO, name: '𠮷田\u3000花子', sex: '2', birthDate: '2019-05-01' });
    expect(readBasic4(await certWith(encodeBasic4San(odd)))).toEqual(odd);
  });

  it('ok-order-independent reading', async () => {
    expect(readBasic4(await certWith(good().reverse()))).toEqual(b4);
  });

  it('fail-not a JPKI signing issuer', async () => {
    const c = await certWith(good(), jpkiCaName('auth', 'JPKI-SIM'));
    expectError(() => readBasic4(c), 'not_jpki_certificate');
  });

  it('fail-missing SAN', async () => {
    const c = await certWith(undefined);
    expectError(() => readBasic4(c), 'basic4_missing');
  });

  const cases: Array<[string, () => GeneralName[], string]> = [
    ['five entries', () => good().slice(0, 5), 'addressSubstitute'],
    ['seven entries (duplicate)', () => [...good(), good()[0]!], 'name'],
    ['unknown OID', () => [...good().slice(0, 5), on('1.2.392.200149.8.5.5.7', utf8('x'))], 'subjectAltName'],
    ['a non-otherName entry', () => [...good(), { type: 'uri', value: 'http://x' }], 'subjectAltName'],
    ['value not UTF8String', () => replace(OID.jpkiName, printable('YAMADA TARO')), 'name'],
    ['IA5String sex', () => replace(OID.jpkiSex, ia5('1')), 'sex'],
    ['invalid UTF-8', () => replace(OID.jpkiName, Uint8Array.of(0x0c, 0x02, 0xc3, 0x28)), 'name'],
    ['nested value', () => replace(OID.jpkiSex, explicit(0, utf8('1'))), 'sex'],
    ['DOB of 8 characters', () => replace(OID.jpkiDateOfBirth, utf8('31980021')), 'dateOfBirth'],
    ['DOB invalid era', () => replace(OID.jpkiDateOfBirth, utf8('719800217')), 'dateOfBirth'],
    ['DOB impossible date', () => replace(OID.jpkiDateOfBirth, utf8('319800231')), 'dateOfBirth'],
    ['sex 0', () => replace(OID.jpkiSex, utf8('0')), 'sex'],
    ['sex 12', () => replace(OID.jpkiSex, utf8('12')), 'sex'],
    ['name map too short', () => replace(OID.jpkiNameSubstitute, utf8('0000')), 'nameSubstitute'],
    ['name map counts UTF-16 units', () => replace(OID.jpkiNameSubstitute, utf8('000000')), 'nameSubstitute'],
    ['name map with 2', () => replace(OID.jpkiNameSubstitute, utf8('00200')), 'nameSubstitute'],
    [
      'address map too long',
      () => replace(OID.jpkiAddressSubstitute, utf8('0'.repeat(19))),
      'addressSubstitute',
    ],
    [
      'address of 201 characters',
      () => replace(OID.jpkiAddress, utf8(`東京都${'あ'.repeat(198)}`)),
      'address',
    ],
    ['empty name', () => replace(OID.jpkiName, utf8('')), 'name'],
    // Issue 15: only what a J-LIS certificate can contain (basic4/repertoire.ts).
    ['NUL in the name', () => replace(OID.jpkiName, utf8('黒桐\u0000幹也')), 'name'],
    ['bidi override U+202E in the name', () => replace(OID.jpkiName, utf8('黒桐\u202E幹也')), 'name'],
    ['markup in the name', () => replace(OID.jpkiName, utf8('<b>x</b>')), 'name'],
    ['a 4,000-character name', () => replace(OID.jpkiName, utf8('山'.repeat(4000))), 'name'],
    ['private-use character in the name', () => replace(OID.jpkiName, utf8('黒桐\uE000幹也')), 'name'],
    ['half-width katakana in the name', () => replace(OID.jpkiName, utf8('黒桐\uFF76幹也')), 'name'],
    [
      'line separator in the address',
      () => replace(OID.jpkiAddress, utf8(`東京都清瀬市\u2028${'あ'.repeat(11)}`)),
      'address',
    ],
    ['NUL in the address', () => replace(OID.jpkiAddress, utf8(`東京都\u0000${'あ'.repeat(14)}`)), 'address'],
  ];
  it.each(cases)('fail-%s', async (_label, san, field) => {
    const c = await certWith(san());
    expectError(() => readBasic4(c), 'basic4_malformed', field);
  });

  it('fail-trailing bytes after a value are already refused by parseCertificate', async () => {
    await expect(certWith(replace(OID.jpkiSex, Uint8Array.of(0x0c, 0x01, 0x31, 0x00)))).rejects.toMatchObject(
      {
        code: 'certificate_malformed',
      },
    );
  });

  it('fail-assertBasic4 refuses a hand-made Basic4 with a wrong map', () => {
    expectError(() => assertBasic4({ ...b4, nameSubstitute: '0000' }), 'basic4_malformed', 'nameSubstitute');
    expectError(
      () => assertBasic4({ ...b4, dateOfBirth: { era: 4, date: '1980-02-17' } }),
      'basic4_malformed',
      'dateOfBirth',
    );
    expectError(
      () => assertBasic4({ ...b4, dateOfBirth: { era: 3, date: '1980/02/17' } }),
      'basic4_malformed',
      'dateOfBirth',
    );
  });
});
