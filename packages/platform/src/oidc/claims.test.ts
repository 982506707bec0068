// Derived claims: resident_of at both granularities and age brackets around their edges.
import { describe, expect, it } from 'vitest';
import { ageBracket, ageOn, residentOf } from './claims.ts';

describe('residentOf', () => {
  it.each([
    ['東京都清瀬市観布子南１２－７－２０２', { region: '東京都', locality: '清瀬市' }],
    ['東京都千代田区千代田１－１', { region: '東京都', locality: '千代田区' }],
    ['北海道札幌市中央区北一条西２', { region: '北海道', locality: '札幌市' }],
    ['大阪府大阪市北区梅田１', { region: '大阪府', locality: '大阪市' }],
    ['神奈川県足柄下郡箱根町湯本１', { region: '神奈川県', locality: '足柄下郡箱根町' }],
    ['千葉県市川市八幡１', { region: '千葉県', locality: '市川市' }],
    ['沖縄県島尻郡渡嘉敷村渡嘉敷１', { region: '沖縄県', locality: '島尻郡渡嘉敷村' }],
    ['三重県四日市市諏訪町１－５', { region: '三重県', locality: '四日市市' }],
    ['広島県廿日市市下平良１', { region: '広島県', locality: '廿日市市' }],
    ['東京都東村山市本町１', { region: '東京都', locality: '東村山市' }],
    ['東京都町田市森野２', { region: '東京都', locality: '町田市' }],
    ['新潟県十日町市千歳町３', { region: '新潟県', locality: '十日町市' }],
    ['北海道余市郡余市町朝日町４', { region: '北海道', locality: '余市郡余市町' }],
    ['奈良県高市郡明日香村岡５', { region: '奈良県', locality: '高市郡明日香村' }],
    ['山形県北村山郡大石田町緑町１', { region: '山形県', locality: '北村山郡大石田町' }],
    ['沖縄県国頭郡東村平良１', { region: '沖縄県', locality: '国頭郡東村' }],
    ['福島県郡山市朝日１', { region: '福島県', locality: '郡山市' }],
  ])('ok-%s', (address, want) => {
    expect(residentOf(address, 'prefecture')).toEqual({ country: 'JP', region: want.region });
    expect(residentOf(address, 'municipality')).toEqual({ country: 'JP', ...want });
  });

  it('fail-an-address-without-a-prefecture-is-undefined', () => {
    expect(residentOf('清瀬市観布子南１', 'prefecture')).toBeUndefined();
  });
});

describe('ageBracket', () => {
  it.each([
    [0, '0-17'],
    [17, '0-17'],
    [18, '18-19'],
    [19, '18-19'],
    [20, '20-29'],
    [29, '20-29'],
    [30, '30-39'],
    [101, '100-109'],
  ])('ok-%i-is-%s', (age, want) => {
    expect(ageBracket(age)).toBe(want);
  });

  it('ok-the-bracket-changes-on-the-jst-birthday', () => {
    // 2026-04-01T15:00Z is 2026-04-02 00:00 JST: the 30th birthday of someone born 1996-04-02.
    expect(ageBracket(ageOn('1996-04-02', new Date('2026-04-01T14:59:59Z'))!)).toBe('20-29');
    expect(ageBracket(ageOn('1996-04-02', new Date('2026-04-01T15:00:00Z'))!)).toBe('30-39');
  });

  it('fail-a-negative-age-is-a-range-error', () => {
    expect(() => ageBracket(-1)).toThrow(RangeError);
  });
});
