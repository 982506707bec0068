/**
 * A small reader and writer of PDF objects (ISO 32000-1 §7.3): enough to read the catalog, the
 * page tree, the AcroForm and signature dictionaries, and to write new versions of them in an
 * incremental update (§7.5.6). The file is handled as a latin1 string so that a character is a
 * byte and offsets are byte offsets.
 */
import { signatureError } from '../errors.ts';

/** A parsed PDF object. */
export type PdfValue =
  | { readonly t: 'num'; readonly raw: string }
  | { readonly t: 'name'; readonly v: string }
  | { readonly t: 'str'; readonly raw: string }
  | { readonly t: 'hex'; readonly raw: string }
  | { readonly t: 'arr'; readonly v: PdfValue[] }
  | { readonly t: 'dict'; readonly v: Map<string, PdfValue> }
  | { readonly t: 'ref'; readonly n: number; readonly g: number }
  | { readonly t: 'kw'; readonly v: string };

const WS = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
const DELIM = new Set('()<>[]{}/%'.split('').map((c) => c.charCodeAt(0)));

/** Skips white space and comments from `p`. */
export function skipWs(s: string, p: number): number {
  for (;;) {
    while (p < s.length && WS.has(s.charCodeAt(p))) p++;
    if (s[p] !== '%') return p;
    while (p < s.length && s[p] !== '\n' && s[p] !== '\r') p++;
  }
}

function bad(msg: string): never {
  throw signatureError('signature_malformed', `malformed PDF: ${msg}`);
}

/** Parses one object at `p`; returns it and the offset after it. References `n g R` are folded. */
export function parseValue(s: string, p0: number, depth = 0): { value: PdfValue; end: number } {
  if (depth > 64) bad('nesting too deep');
  let p = skipWs(s, p0);
  const c = s[p];
  if (c === undefined) bad('unexpected end');
  if (c === '/') {
    let e = p + 1;
    while (e < s.length && !WS.has(s.charCodeAt(e)) && !DELIM.has(s.charCodeAt(e))) e++;
    return { value: { t: 'name', v: s.slice(p + 1, e) }, end: e };
  }
  if (c === '<' && s[p + 1] === '<') {
    const v = new Map<string, PdfValue>();
    p += 2;
    for (;;) {
      p = skipWs(s, p);
      if (s[p] === '>' && s[p + 1] === '>') return { value: { t: 'dict', v }, end: p + 2 };
      const k = parseValue(s, p, depth + 1);
      if (k.value.t !== 'name') bad('dictionary key is not a name');
      const val = parseValue(s, k.end, depth + 1);
      v.set(k.value.v, val.value);
      p = val.end;
    }
  }
  if (c === '<') {
    const e = s.indexOf('>', p);
    if (e < 0) bad('unterminated hex string');
    return { value: { t: 'hex', raw: s.slice(p, e + 1) }, end: e + 1 };
  }
  if (c === '(') {
    let d = 0;
    let e = p;
    for (; e < s.length; e++) {
      const ch = s[e];
      if (ch === '\\') e++;
      else if (ch === '(') d++;
      else if (ch === ')' && --d === 0) break;
    }
    if (e >= s.length) bad('unterminated string');
    return { value: { t: 'str', raw: s.slice(p, e + 1) }, end: e + 1 };
  }
  if (c === '[') {
    const v: PdfValue[] = [];
    p++;
    for (;;) {
      p = skipWs(s, p);
      if (s[p] === ']') return { value: { t: 'arr', v }, end: p + 1 };
      if (p >= s.length) bad('unterminated array');
      const x = parseValue(s, p, depth + 1);
      v.push(x.value);
      p = x.end;
    }
  }
  let e = p;
  while (e < s.length && !WS.has(s.charCodeAt(e)) && !DELIM.has(s.charCodeAt(e))) e++;
  if (e === p) bad(`unexpected character ${JSON.stringify(c)}`);
  const tok = s.slice(p, e);
  if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(tok)) {
    // `n g R`: an indirect reference.
    const m = /^\s*(\d+)\s+R(?![^\s<>[\]()/%])/.exec(s.slice(e, e + 24));
    if (/^\d+$/.test(tok) && m)
      return { value: { t: 'ref', n: Number(tok), g: Number(m[1]) }, end: e + m[0].length };
    return { value: { t: 'num', raw: tok }, end: e };
  }
  return { value: { t: 'kw', v: tok }, end: e };
}

/** Writes a value back as PDF syntax. */
export function serialize(v: PdfValue): string {
  switch (v.t) {
    case 'num':
      return v.raw;
    case 'name':
      return `/${v.v}`;
    case 'str':
    case 'hex':
      return v.raw;
    case 'arr':
      return `[${v.v.map(serialize).join(' ')}]`;
    case 'dict':
      return `<<${[...v.v].map(([k, x]) => ` /${k} ${serialize(x)}`).join('')} >>`;
    case 'ref':
      return `${v.n} ${v.g} R`;
    case 'kw':
      return v.v;
  }
}

/** Shorthands for building values. */
export const pdf = {
  name: (v: string): PdfValue => ({ t: 'name', v }),
  num: (n: number): PdfValue => ({ t: 'num', raw: String(n) }),
  ref: (n: number): PdfValue => ({ t: 'ref', n, g: 0 }),
  arr: (v: PdfValue[]): PdfValue => ({ t: 'arr', v }),
  dict: (entries: Array<[string, PdfValue]>): PdfValue => ({ t: 'dict', v: new Map(entries) }),
  /** A literal string of ASCII text, escaped (§7.3.4.2). */
  text: (s: string): PdfValue => ({ t: 'str', raw: `(${s.replace(/[\\()]/g, (x) => `\\${x}`)})` }),
};

/** The text of a literal or hex string value (ASCII/latin1; escapes resolved for literals). */
export function stringOf(v: PdfValue | undefined): string | undefined {
  if (v?.t === 'hex') {
    const h = v.raw.slice(1, -1).replace(/\s+/g, '');
    let out = '';
    for (let i = 0; i < h.length; i += 2)
      out += String.fromCharCode(parseInt(h.slice(i, i + 2).padEnd(2, '0'), 16));
    return out;
  }
  if (v?.t !== 'str') return undefined;
  const body = v.raw.slice(1, -1);
  return body.replace(/\\([nrtbf()\\]|[0-7]{1,3})/g, (_m, x: string) => {
    const map: Record<string, string> = {
      n: '\n',
      r: '\r',
      t: '\t',
      b: '\b',
      f: '\f',
      '(': '(',
      ')': ')',
      '\\': '\\',
    };
    return map[x] ?? String.fromCharCode(parseInt(x, 8));
  });
}

/** A PDF date `D:YYYYMMDDHHmmSSZ` (§7.9.4) for `d`, or the Date of one. */
export function pdfDate(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `D:${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

/** Parses a PDF date (§7.9.4), with an optional offset; undefined when it is not one. */
export function parsePdfDate(s: string | undefined): Date | undefined {
  const m = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(Z|[+-]\d{2}'?\d{2}'?)?/.exec(s ?? '');
  if (!m) return undefined;
  const [y, mo = '01', d = '01', h = '00', mi = '00', se = '00'] = m.slice(1, 7);
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
  const z = m[7];
  if (z && z !== 'Z') {
    const sign = z[0] === '-' ? -1 : 1;
    const digits = z.slice(1).replace(/'/g, '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0')) * 60_000;
  }
  return Number.isNaN(t) ? undefined : new Date(t);
}
