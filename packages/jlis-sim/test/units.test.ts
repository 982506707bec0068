// Unit checks of the simulator's own parts: PRNG, configuration, store, resident generation,
// validity helpers, fee meter arithmetic.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isWatashiError } from '@watashi/pki';
import { parseConfig, configDocs } from '../src/config.ts';
import { createRandom, newSignPin, newAuthPin, seedState } from '../src/random.ts';
import { Store } from '../src/store.ts';
import { generateResident } from '../src/residents/generate.ts';
import { ALL_MUNICIPALITIES, locateAddress, municipalityOf } from '../src/residents/addresses.ts';
import { ageAt, checkAuthPin, checkSignPin, nthBirthdayAfter } from '../src/issuance.ts';
import { monthOf } from '../src/fees.ts';
import type { SimState } from '../src/model.ts';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'jlis-sim-unit-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('random', () => {
  it('ok-same-seed-same-sequence', () => {
    const a = createRandom(seedState('x'));
    const b = createRandom(seedState('x'));
    const c = createRandom(seedState('y'));
    const seq = (r: ReturnType<typeof createRandom>): number[] =>
      Array.from({ length: 20 }, () => r.int(1000));
    const sa = seq(a);
    expect(sa).toEqual(seq(b));
    expect(sa).not.toEqual(seq(c));
  });
  it('ok-state-resumes', () => {
    const a = createRandom(seedState('s'));
    a.int(10);
    const resumed = createRandom(a.state(), false);
    expect(Array.from({ length: 5 }, () => resumed.int(1e6))).toEqual(
      Array.from({ length: 5 }, () => a.int(1e6)),
    );
  });
  it('ok-generated-pins-are-valid', () => {
    const r = createRandom(seedState('pins'));
    for (let i = 0; i < 50; i++) {
      expect(checkSignPin(newSignPin(r))).toMatch(/^[A-Z0-9]{6}$/);
      expect(checkAuthPin(newAuthPin(r))).toMatch(/^\d{4}$/);
    }
  });
});

describe('config', () => {
  it('ok-defaults', () => {
    const c = parseConfig({ dataDir: '/tmp/x' });
    expect(c.crlIntervalSeconds).toBe(86_400);
    expect(c.ocspRefreshSeconds).toBe(900);
    expect(c.generations.map((g) => g.name)).toEqual(['2015', '2019', '2023']);
    expect(c.fees).toEqual({ freePeriod: false, signCheckYen: 20, authCheckYen: 2, provisionYen: 20 });
    expect(configDocs().every((l) => l.length > 12)).toBe(true);
  });
  it('fail-unknown-key', () => {
    expect(() => parseConfig({ dataDir: '/tmp/x', bogus: 1 })).toThrow(/bogus/);
    try {
      parseConfig({ dataDir: '/tmp/x', fees: { freePeriod: true, extra: 1 } });
      expect.unreachable();
    } catch (e) {
      expect(isWatashiError(e, 'config_invalid')).toBe(true);
    }
  });
});

describe('store', () => {
  it('ok-atomic-save-and-lock', () => {
    const dir = tmp();
    const s = Store.open(dir);
    expect(() => Store.open(dir)).toThrow(expect.objectContaining({ code: 'data_dir_locked' }));
    const state = { version: 1, seed: 's', residents: {} } as unknown as SimState;
    s.save(state);
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'))).toMatchObject({ seed: 's' });
    expect(statSync(join(dir, 'state.json')).mode & 0o777).toBe(0o600);
    s.writeKey('k.pem', 'KEY');
    expect(statSync(join(dir, 'keys', 'k.pem')).mode & 0o777).toBe(0o600);
    s.close(state);
    const again = Store.open(dir);
    expect(again.load()?.seed).toBe('s');
    again.close();
  });
  it('fail-corrupt-state', () => {
    const dir = tmp();
    const s = Store.open(dir);
    s.writePublic('state.json', new TextEncoder().encode('{not json'));
    expect(() => s.load()).toThrow(expect.objectContaining({ code: 'state_corrupt' }));
    s.close();
  });
});

describe('residents', () => {
  const now = new Date('2026-11-22T00:00:00Z');
  it('ok-seeded-generation-reproducible', () => {
    const gen = (seed: string) => {
      const r = createRandom(seedState(seed));
      return Array.from({ length: 30 }, () => generateResident(r, now));
    };
    const a = gen('residents');
    expect(a).toEqual(gen('residents'));
    expect(a).not.toEqual(gen('other'));
    for (const p of a) {
      expect(p.name).toMatch(/^\S+\u3000\S+$/u);
      expect(p.birthDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(locateAddress(p.address).prefecture).not.toBe('Unlisted');
      expect(locateAddress(p.address).municipality).not.toBe('Unlisted');
      expect(p.address).not.toMatch(/\d{12}/);
    }
    expect(a.some((p) => ageAt(p.birthDate, now) < 15)).toBe(true);
  });
  it('ok-locate-address', () => {
    expect(locateAddress('東京都清瀬市梅園１丁目２－３')).toEqual({
      prefecture: 'Tokyo-to',
      municipality: 'Kiyose-shi',
    });
    expect(locateAddress('大阪府どこか市')).toEqual({ prefecture: 'Osaka-fu', municipality: 'Unlisted' });
    expect(locateAddress('東京都四日市町１－２－３')).toEqual({
      prefecture: 'Tokyo-to',
      municipality: 'Unlisted',
    });
    expect(locateAddress('どこか県どこか市')).toEqual({ prefecture: 'Unlisted', municipality: 'Unlisted' });
  });

  it('ok-every municipality of Japan maps to its own L value (JIS X 0402 list: 1,741)', () => {
    // The subject L format of the builder (@watashi/jpki end-entity.ts checkPlace).
    const ROMANIZED = /^[A-Za-z][A-Za-z0-9 .'-]{0,63}$/;
    expect(ALL_MUNICIPALITIES).toHaveLength(1741);
    expect(new Set(ALL_MUNICIPALITIES.map((m) => m.prefecture)).size).toBe(47);
    expect(
      ALL_MUNICIPALITIES.filter((m) => m.prefecture === '東京都' && m.roman.endsWith('-ku')),
    ).toHaveLength(23);
    const byPlace = new Map<string, string[]>();
    for (const m of ALL_MUNICIPALITIES) {
      const loc = locateAddress(`${m.prefecture}${m.name}本町１丁目２－３`);
      expect(loc, m.name).toEqual({ prefecture: m.prefectureRoman, municipality: m.roman });
      expect(m.roman).toMatch(ROMANIZED);
      expect(m.prefectureRoman).toMatch(ROMANIZED);
      expect(m.roman).toMatch(/-(shi|ku|machi|cho|mura|son)$/);
      const key = `${m.prefectureRoman}/${m.roman}`;
      byPlace.set(key, [...(byPlace.get(key) ?? []), m.name]);
    }
    // One pair of Hokkaido towns share a reading (えさしちょう), so their romanization is the same.
    expect([...byPlace].filter(([, names]) => names.length > 1)).toEqual([
      ['Hokkaido/Esashi-cho', ['江差町', '枝幸町']],
    ]);
  });

  it.each([
    ['東京都清瀬市梅園１丁目２－３', 'Tokyo-to', 'Kiyose-shi'], // the test card's value ([mynacard-test])
    ['東京都千代田区千代田１－１', 'Tokyo-to', 'Chiyoda-ku'],
    ['東京都八王子市元本郷町１－１', 'Tokyo-to', 'Hachioji-shi'],
    ['東京都西多摩郡瑞穂町箱根ケ崎２３３５', 'Tokyo-to', 'Mizuho-machi'],
    ['東京都青ケ島村無番地', 'Tokyo-to', 'Aogashima-mura'],
    ['北海道札幌市中央区北一条西２丁目', 'Hokkaido', 'Sapporo-shi'],
    ['北海道虻田郡倶知安町北１条東３丁目', 'Hokkaido', 'Kutchan-cho'],
    ['京都府京都市左京区吉田本町', 'Kyoto-fu', 'Kyoto-shi'],
    ['大阪府大阪市北区中之島１丁目３－２０', 'Osaka-fu', 'Osaka-shi'],
    ['長野県北佐久郡軽井沢町大字軽井沢１３２３', 'Nagano-ken', 'Karuizawa-machi'],
    ['福島県郡山市朝日一丁目２３－７', 'Fukushima-ken', 'Koriyama-shi'],
    ['奈良県大和郡山市北郡山町２４８－４', 'Nara-ken', 'Yamatokoriyama-shi'],
    ['奈良県生駒郡斑鳩町法隆寺西３丁目７－１２', 'Nara-ken', 'Ikaruga-cho'],
    ['岐阜県郡上市八幡町島谷２２８', 'Gifu-ken', 'Gujo-shi'],
    ['福岡県糟屋郡粕屋町駕与丁１丁目１－１', 'Fukuoka-ken', 'Kasuya-machi'],
    ['福岡県小郡市小郡２５５－１', 'Fukuoka-ken', 'Ogori-shi'],
    ['茨城県龍ヶ崎市３７１０', 'Ibaraki-ken', 'Ryugasaki-shi'],
    ['埼玉県鶴ケ島市大字中新田１２３', 'Saitama-ken', 'Tsurugashima-shi'],
    ['三重県四日市市諏訪町１－５', 'Mie-ken', 'Yokkaichi-shi'],
    ['兵庫県美方郡新温泉町浜坂２６７３－１', 'Hyogo-ken', "Shin'onsen-cho"],
    ['沖縄県島尻郡久米島町字比嘉２８７０', 'Okinawa-ken', 'Kumejima-cho'],
    ['沖縄県国頭郡国頭村字辺土名１２１', 'Okinawa-ken', 'Kunigami-son'],
  ])('ok-%s → L=%s, L=%s', (address, prefecture, municipality) => {
    expect(locateAddress(address)).toEqual({ prefecture, municipality });
    expect(municipalityOf(address)?.code).toMatch(/^\d{6}$/);
  });
});

describe('validity helpers', () => {
  it('ok-age-and-birthdays', () => {
    expect(ageAt('2011-11-23', new Date('2026-11-22T00:00:00Z'))).toBe(14);
    expect(ageAt('2011-11-22', new Date('2026-11-22T00:00:00Z'))).toBe(15);
    expect(nthBirthdayAfter('1980-02-17', new Date('2025-10-27T00:00:00Z'), 5).toISOString()).toBe(
      '2030-02-17T14:59:59.000Z',
    );
    // Same calendar rule as jpkiValidity: 29 February → 28 February in common years.
    expect(nthBirthdayAfter('2000-02-29', new Date('2026-01-01T00:00:00Z'), 1).toISOString()).toBe(
      '2026-02-28T14:59:59.000Z',
    );
    // A birthday on the (JST) day of issuance has already passed.
    expect(nthBirthdayAfter('1990-11-22', new Date('2026-11-22T03:00:00Z'), 1).toISOString()).toBe(
      '2027-11-22T14:59:59.000Z',
    );
  });
  it('fail-pin-formats', () => {
    expect(() => checkSignPin('abcdef')).toThrow(expect.objectContaining({ code: 'pin_format' }));
    expect(() => checkSignPin('12345')).toThrow(expect.objectContaining({ code: 'pin_format' }));
    expect(checkSignPin('abc123')).toBe('ABC123');
    expect(() => checkAuthPin('12a4')).toThrow(expect.objectContaining({ code: 'pin_format' }));
  });
  it('ok-fee-month-is-jst', () => {
    expect(monthOf(new Date('2026-11-30T15:00:00Z'))).toBe('2026-12');
    expect(monthOf(new Date('2026-11-30T14:59:59Z'))).toBe('2026-11');
  });
});
