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
