import { describe, expect, it } from 'vitest';
import { DerReader, readBigInt, readTlv, Tag, valueOf, parseTopLevel } from './reader.ts';
import { int, seq, oid, utf8, encodeLength, setOf, utcTime, generalizedTime, x509Time } from './writer.ts';
import { decodeOidContent, encodeOidContent } from './oid.ts';
import { readTime } from './time.ts';
import { isWatashiError } from '../errors.ts';

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

  it('fail-non-minimal-integer', () => {
    const b = Uint8Array.of(0x02, 0x02, 0x00, 0x01);
    expect(() => readBigInt(b, readTlv(b, 0))).toThrow(/non-minimal/);
  });

  it('fail-impossible-date', () => {
    const b = Uint8Array.from([0x17, 13, ...new TextEncoder().encode('250230000000Z')]);
    expect(() => readTime(b, readTlv(b, 0))).toThrow(/impossible/);
  });
});
