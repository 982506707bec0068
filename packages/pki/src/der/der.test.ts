import { describe, expect, it } from 'vitest';
import { DerReader, readBigInt, readSmallInt, readTlv, Tag, valueOf, parseTopLevel } from './reader.ts';
import { int, seq, oid, utf8, encodeLength, setOf, utcTime, generalizedTime, x509Time } from './writer.ts';
import { decodeOidContent, encodeOidContent } from './oid.ts';
import { readTime } from './time.ts';
import { isWatashiError, pkiError } from '../errors.ts';

describe('DER', () => {
  it('ok-round-trips integers, including sign padding', () => {
    for (const v of [0n, 1n, 127n, 128n, 255n, 256n, -1n, -128n, -129n, 2n ** 64n + 5n]) {
      const enc = int(v);
      const t = readTlv(enc, 0);
      expect(readBigInt(enc, t)).toBe(v);
    }
    expect(Array.from(int(128))).toEqual([0x02, 0x02, 0x00, 0x80]);
    expect(Array.from(int(Uint8Array.of(0, 0, 0x80)))).toEqual([0x02, 0x02, 0x00, 0x80]);
  });

  it('ok-encodes long lengths minimally', () => {
    expect(Array.from(encodeLength(127))).toEqual([127]);
    expect(Array.from(encodeLength(128))).toEqual([0x81, 128]);
    expect(Array.from(encodeLength(65536))).toEqual([0x83, 1, 0, 0]);
  });

  it('ok-round-trips OIDs', () => {
    for (const o of ['1.2.840.113549.1.1.11', '2.5.29.17', '1.2.392.200149.8.5.5.1', '2.999.1']) {
      expect(decodeOidContent(encodeOidContent(o))).toBe(o);
    }
    expect(Array.from(oid('1.2.392.200149.8.5.5.1'))).toEqual([
      0x06, 0x0a, 0x2a, 0x83, 0x08, 0x8c, 0x9b, 0x55, 0x08, 0x05, 0x05, 0x01,
    ]);
  });

  it('ok-oid-cache: OIDs whose octets share a hash bucket stay apart, and a buffer reused is read anew', () => {
    // These two have the same 32-bit FNV-1a hash of their content octets (found by search).
    const a = '1.2.26355.84941.70206.88139';
    const b = '1.2.28427.90';
    for (let i = 0; i < 2; i++) {
      expect(decodeOidContent(encodeOidContent(a))).toBe(a);
      expect(decodeOidContent(encodeOidContent(b))).toBe(b);
    }
    const buf = encodeOidContent('2.5.29.17');
    expect(decodeOidContent(buf)).toBe('2.5.29.17');
    buf[buf.length - 1] = 19;
    expect(decodeOidContent(buf)).toBe('2.5.29.19');
    expect(() => decodeOidContent(Uint8Array.of(0x2a, 0x86))).toThrow(/truncated OID/);
  });

  it('ok-sorts SET OF by encoding', () => {
    const s = setOf(utf8('b'), utf8('a'));
    expect(Array.from(s)).toEqual([0x31, 6, 0x0c, 1, 0x61, 0x0c, 1, 0x62]);
  });

  it('ok-reads nested structures without copying', () => {
    const der = seq(int(5), utf8('山田'));
    const top = parseTopLevel(der, Tag.SEQUENCE, 'test');
    const r = DerReader.of(der, top);
    expect(readBigInt(der, r.expect(Tag.INTEGER))).toBe(5n);
    const s = r.expect(Tag.UTF8_STRING);
    expect(valueOf(der, s).buffer).toBe(der.buffer);
    r.end();
  });

  it('ok-times: UTCTime before 2050, GeneralizedTime after', () => {
    const d = new Date(Date.UTC(2030, 1, 17, 14, 59, 59));
    expect(readTime(x509Time(d), readTlv(x509Time(d), 0)).getTime()).toBe(d.getTime());
    const far = new Date(Date.UTC(2051, 0, 1));
    expect(x509Time(far)[0]).toBe(Tag.GENERALIZED_TIME);
    expect(readTime(generalizedTime(far), readTlv(generalizedTime(far), 0)).getTime()).toBe(far.getTime());
    expect(utcTime(d)[0]).toBe(Tag.UTC_TIME);
  });

  it.each([
    ['fail-truncated', [0x30, 0x05, 0x02, 0x01]],
    ['fail-indefinite-length', [0x30, 0x80, 0x00, 0x00]],
    ['fail-non-minimal-length', [0x04, 0x81, 0x01, 0x00]],
    ['fail-empty', []],
  ])('%s is der_malformed', (_name, bytes) => {
    let err: unknown;
    try {
      parseTopLevel(Uint8Array.from(bytes), Tag.SEQUENCE, 'x');
    } catch (e) {
      err = e;
    }
    expect(isWatashiError(err)).toBe(true);
    expect((err as { code: string }).code).toMatch(/^der_/);
  });

  it('fail-trailing-data', () => {
    expect(() => parseTopLevel(Uint8Array.of(0x30, 0x00, 0x00), Tag.SEQUENCE, 'x')).toThrow(/trailing/);
  });

  it('ok-small-ints: readSmallInt agrees with readBigInt on every one- and two-octet INTEGER', () => {
    const outcome = (f: () => unknown): string => {
      try {
        return String(f());
      } catch (e) {
        return isWatashiError(e) ? e.message : String(e);
      }
    };
    for (let v = 0; v < 0x10000 + 0x100; v++) {
      const content = v < 0x100 ? [v] : [(v - 0x100) >> 8, (v - 0x100) & 0xff];
      const b = Uint8Array.from([Tag.INTEGER, content.length, ...content]);
      const t = readTlv(b, 0);
      const expected = outcome(() => {
        const n = readBigInt(b, t);
        if (n < 0n) throw pkiError('der_malformed', 'DER: integer out of range');
        return Number(n);
      });
      if (outcome(() => readSmallInt(b, t)) !== expected)
        expect(outcome(() => readSmallInt(b, t))).toBe(expected);
    }
  });

  it('fail-non-minimal-integer', () => {
    const b = Uint8Array.of(0x02, 0x02, 0x00, 0x01);
    expect(() => readBigInt(b, readTlv(b, 0))).toThrow(/non-minimal/);
  });

  it('ok-times-as-the-regex-reading: the byte reading accepts, dates and rejects what the original regular expressions did', () => {
    // The implementation before the byte reading (RFC 5280 §4.1.2.5 forms), kept as the oracle.
    const oracle = (tag: number, s: string): string => {
      const m =
        tag === Tag.UTC_TIME
          ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s)
          : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
      if (!m) return `time_malformed: bad ${tag === Tag.UTC_TIME ? 'UTCTime' : 'GeneralizedTime'}: ${s}`;
      const yy = Number(m[1]);
      const year = tag === Tag.UTC_TIME ? (yy >= 50 ? 1900 + yy : 2000 + yy) : yy;
      const [mo, d, h, mi, se] = [2, 3, 4, 5, 6].map((i) => Number(m[i]));
      const date = new Date(Date.UTC(year, mo! - 1, d, h, mi, se));
      // The oracle had the reader's bug (found by the fuzz suite): Date.UTC reads years 0–99 as 19xx.
      if (year < 100) date.setUTCFullYear(year, mo! - 1, d);
      if (date.getUTCMonth() !== mo! - 1 || date.getUTCDate() !== d || h! > 23 || mi! > 59 || se! > 59)
        return `time_malformed: impossible date: ${s}`;
      return date.toISOString();
    };
    const actual = (tag: number, s: string): string => {
      const b = Uint8Array.from([tag, s.length, ...Array.from(s, (c) => c.charCodeAt(0))]);
      try {
        return readTime(b, readTlv(b, 0)).toISOString();
      } catch (e) {
        return isWatashiError(e) ? `${e.code}: ${e.message}` : String(e);
      }
    };
    const utc = [
      '250301000000Z',
      '491231235959Z',
      '500101000000Z',
      '240229120000Z',
      '250229120000Z',
      '251301000000Z',
      '250100000000Z',
      '250301240000Z',
      '250301236000Z',
      '250301235960Z',
      '2503010000Z',
      '250301000000z',
      '250301000000',
      '250301000000+0900',
      '25030100000/Z',
      '2503010000:0Z',
      ' 50301000000Z',
      '250301000000.5Z',
      '',
      'Z',
      '\u00b2\u00b3\u00b9\u00bc\u00bd\u00be000000Z',
    ];
    const gen = [
      '20250301000000Z',
      '20510101000000Z',
      '00000101000000Z',
      '00500101000000Z',
      '00000229000000Z',
      '19000229000000Z',
      '99991231235959Z',
      '20240229000000Z',
      '20250229000000Z',
      '2025030100000Z',
      '20250301000000.5Z',
      '2025030100000aZ',
      '/0250301000000Z',
      '202503010000000',
    ];
    for (const s of utc) expect(actual(Tag.UTC_TIME, s), s).toBe(oracle(Tag.UTC_TIME, s));
    for (const s of gen) expect(actual(Tag.GENERALIZED_TIME, s), s).toBe(oracle(Tag.GENERALIZED_TIME, s));
  });

  it('ok-generalized-time-years-0-99: year 0050 is the year 50, not 1950 (fuzz round trip)', () => {
    const read = (s: string): string => {
      const b = Uint8Array.from([Tag.GENERALIZED_TIME, s.length, ...new TextEncoder().encode(s)]);
      return readTime(b, readTlv(b, 0)).toISOString();
    };
    expect(read('00500101000000Z')).toBe('0050-01-01T00:00:00.000Z');
    expect(read('00991231235959Z')).toBe('0099-12-31T23:59:59.000Z');
    // Year 0 is a leap year in the proleptic Gregorian calendar; 1900 is not.
    expect(read('00000229120000Z')).toBe('0000-02-29T12:00:00.000Z');
    const d = new Date('0099-12-31T23:59:59Z');
    expect(readTime(generalizedTime(d), readTlv(generalizedTime(d), 0)).getTime()).toBe(d.getTime());
  });

  it('fail-impossible-date', () => {
    const b = Uint8Array.from([0x17, 13, ...new TextEncoder().encode('250230000000Z')]);
    expect(() => readTime(b, readTlv(b, 0))).toThrow(/impossible/);
  });
});
