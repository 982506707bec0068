import { describe, expect, it } from 'vitest';
import { canonicalJson, jsonb, jsonbOfObject } from './json.ts';

describe('canonicalJson', () => {
  it('ok-sorted-keys-no-whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 0, y: -0 } })).toBe(
      '{"a":[true,null,"x"],"b":1,"c":{"y":0,"z":0}}',
    );
  });

  it('ok-keys-sorted-by-utf16-code-units', () => {
    // RFC 8785 §3.2.3: compare UTF-16 code units: "€" is U+20AC, "😀" starts with U+D83D.
    expect(canonicalJson({ '😀': 1, '€': 2, a: 3 })).toBe('{"a":3,"€":2,"😀":1}');
  });

  it('ok-numbers-in-shortest-form', () => {
    expect(canonicalJson([1e21, 1e-7, 0.1 + 0.2, 10])).toBe('[1e+21,1e-7,0.30000000000000004,10]');
  });

  it.each([
    ['undefined', { a: undefined }],
    ['bigint', { a: 1n }],
    ['NaN', [Number.NaN]],
    ['Infinity', [Infinity]],
    ['Date', { a: new Date(0) }],
    ['Map', new Map()],
    ['lone surrogate', ['\uD800']],
    ['U+0000', ['a\u0000b']],
    ['function', [() => 1]],
  ])('fail-%s', (_name, value) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
  });

  it('ok-jsonb-is-canonical-text', () => {
    expect(jsonb({ b: [1, 2], a: 'é' }) as string).toBe('{"a":"é","b":[1,2]}');
  });
});

describe('jsonbOfObject', () => {
  it('ok-json-stringify-rules-undefined-members-dropped', () => {
    expect(jsonbOfObject({ b: 1, a: undefined, c: ['x', null], d: { e: true } }) as string).toBe(
      '{"b":1,"c":["x",null],"d":{"e":true}}',
    );
    // Paired surrogates and escaped backslashes before a "u" are text, not refused escapes.
    expect(JSON.parse(jsonbOfObject({ s: '😀 \\u0000 \\\\ud800' }))).toEqual({ s: '😀 \\u0000 \\\\ud800' });
  });

  it('fail-what-jsonb-cannot-store-is-refused', () => {
    for (const bad of [{ s: 'a\u0000b' }, { s: '\ud800' }, { s: 'x\udc00' }, { k: [{ s: '\\\ud83d' }] }])
      expect(() => jsonbOfObject(bad)).toThrow(TypeError);
    expect(() => jsonbOfObject(new Date(0))).toThrow(TypeError);
    expect(() => jsonbOfObject([1])).toThrow(TypeError);
  });
});
