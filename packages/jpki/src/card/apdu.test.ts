import { describe, expect, it } from 'vitest';
import { fromHex, isWatashiError, toHex } from '@watashi/pki';
import {
  SW,
  decodeCommandApdu,
  decodeResponseApdu,
  encodeCommandApdu,
  encodeResponseApdu,
  swName,
  triesLeftOf,
} from './apdu.ts';

describe('command APDUs', () => {
  const data = fromHex('d392f000260100000001');
  it('ok-encodes the four short cases', () => {
    expect(toHex(encodeCommandApdu({ cla: 0, ins: 0x20, p1: 0, p2: 0x80, data: new Uint8Array(0) }))).toBe(
      '00200080',
    );
    expect(
      toHex(encodeCommandApdu({ cla: 0, ins: 0xb0, p1: 1, p2: 2, data: new Uint8Array(0), ne: 256 })),
    ).toBe('00b0010200');
    expect(toHex(encodeCommandApdu({ cla: 0, ins: 0xa4, p1: 4, p2: 0x0c, data }))).toBe(
      '00a4040c0ad392f000260100000001',
    );
    expect(
      toHex(encodeCommandApdu({ cla: 0x80, ins: 0x2a, p1: 0, p2: 0x80, data: Uint8Array.of(1, 2), ne: 256 })),
    ).toBe('802a0080020102' + '00');
  });
  it('ok-decodes what it encodes', () => {
    for (const cmd of [
      { cla: 0, ins: 0x20, p1: 0, p2: 0x80, data: new Uint8Array(0) },
      { cla: 0, ins: 0xb0, p1: 0, p2: 4, data: new Uint8Array(0), ne: 4 },
      { cla: 0, ins: 0xa4, p1: 4, p2: 0x0c, data },
      { cla: 0x80, ins: 0x2a, p1: 0, p2: 0x80, data, ne: 256 },
    ])
      expect(decodeCommandApdu(encodeCommandApdu(cmd))).toEqual(cmd);
  });
  it('fail-decode of malformed APDUs returns undefined (no throw)', () => {
    for (const h of ['', '00', '00a404', '00a4040c0ad392', '00a4040c02000a0000ff', '00b00000000100'])
      expect(decodeCommandApdu(fromHex(h))).toBeUndefined();
  });
  it('fail-caller bugs throw RangeError', () => {
    expect(() => encodeCommandApdu({ cla: 0, ins: 0, p1: 0, p2: 0, data: new Uint8Array(256) })).toThrow(
      RangeError,
    );
    expect(() => encodeCommandApdu({ cla: 0, ins: 0, p1: 0, p2: 0, data: new Uint8Array(0), ne: 0 })).toThrow(
      RangeError,
    );
    expect(() => encodeCommandApdu({ cla: 256, ins: 0, p1: 0, p2: 0, data: new Uint8Array(0) })).toThrow(
      RangeError,
    );
  });
});

describe('response APDUs and status words', () => {
  it('ok-round-trips data and SW', () => {
    const r = decodeResponseApdu(encodeResponseApdu(Uint8Array.of(1, 2, 3), 0x9000));
    expect(r.sw).toBe(SW.OK);
    expect([...r.data]).toEqual([1, 2, 3]);
  });
  it('fail-a one-byte response is card_response_malformed', () => {
    let err: unknown;
    try {
      decodeResponseApdu(Uint8Array.of(0x90));
    } catch (e) {
      err = e;
    }
    expect(isWatashiError(err, 'card_response_malformed')).toBe(true);
  });
  it('ok-names status words and reads 63Cx', () => {
    expect(triesLeftOf(0x63c2)).toBe(2);
    expect(triesLeftOf(0x63c0)).toBe(0);
    expect(triesLeftOf(0x6984)).toBeUndefined();
    expect(swName(0x6982)).toBe('6982 security status not satisfied');
    expect(swName(0x63c1)).toBe('63c1 verification failed, 1 tries left');
    expect(swName(0x6a82)).toBe('6a82 file not found');
    expect(swName(0x1234)).toBe('1234 unknown status');
  });
});
