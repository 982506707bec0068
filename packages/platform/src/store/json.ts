/**
 * JSON for `jsonb` columns, and the canonical form the audit chain hashes.
 *
 * Why a helper at all: the two drivers disagree on how a JavaScript value becomes a `jsonb`
 * parameter. `pg` turns a JS array into a PostgreSQL array literal (`{1,2}`), which `jsonb`
 * rejects, while PGlite serialises it as JSON. Both accept JSON *text*, so every `jsonb` column is
 * written with `jsonb(value)`, which produces that text; the `Schema` types make the branded text
 * the only accepted insert/update type, so a raw object cannot slip through.
 */

/** A JSON value as stored in `jsonb` and read back by both drivers. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object (what every `jsonb` column of the store holds). */
export type JsonObject = { [key: string]: JsonValue };

declare const jsonbBrand: unique symbol;
/** JSON text made by {@link jsonb}; the only value the `Schema` accepts for a `jsonb` column. */
export type JsonbText<T = JsonValue> = string & { readonly [jsonbBrand]: T };

/**
 * Serialise `value` for a `jsonb` column (canonical form, see {@link canonicalJson}).
 * Throws `TypeError` for values `jsonb` cannot hold faithfully.
 */
export function jsonb<T extends JsonValue>(value: T): JsonbText<T> {
  return canonicalJson(value) as JsonbText<T>;
}

/** `JSON.stringify`'s escapes of U+0000 and of lone surrogates (the only ones it writes as \uD8xx–\uDFxx). */
const REFUSED_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

/**
 * JSON text for a `jsonb` column from a value another library made (oidc-provider's payloads),
 * by `JSON.stringify`'s rules — members whose value is `undefined` are left out, `toJSON` is
 * honoured, keys keep their order — in one pass: cheaper than {@link jsonb} where the text is
 * not hashed. Still refuses, with `TypeError`, what `jsonb` cannot store (U+0000, ill-formed
 * UTF-16, which `JSON.stringify` writes as `\u` escapes) and a value that is not an object.
 */
export function jsonbOfObject(value: object): JsonbText<JsonObject> {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined || !text.startsWith('{')) throw new TypeError('jsonbOfObject: not a JSON object');
  // A \u escape preceded by an even number of backslashes (none included) is an escape, not text.
  if (REFUSED_ESCAPE.test(text)) throw new TypeError('jsonbOfObject: U+0000 or ill-formed UTF-16');
  return text as JsonbText<JsonObject>;
}

/**
 * Canonical JSON in the spirit of RFC 8785 (JCS) for the subset we store: object keys sorted by
 * UTF-16 code units (RFC 8785 §3.2.3), no insignificant whitespace, numbers in ECMAScript
 * shortest form (RFC 8785 §3.2.2.3, which `JSON.stringify` implements).
 *
 * Stricter than `JSON.stringify` so that a value survives a `jsonb` round trip unchanged and
 * hashes the same after it: `undefined`, functions, symbols, `bigint`, non-finite numbers,
 * non-plain objects (Date, Map, class instances), ill-formed UTF-16 and U+0000 (which `jsonb`
 * refuses) throw `TypeError`. `-0` becomes `0`, as `jsonb` would make it.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

function write(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number at ${path}`);
      return JSON.stringify(value);
    case 'string':
      checkString(value, path);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((v, i) => write(v, `${path}[${i}]`)).join(',')}]`;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(`canonicalJson: only plain objects are allowed (at ${path})`);
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      const parts: string[] = [];
      for (const key of keys) {
        checkString(key, `${path} key`);
        parts.push(`${JSON.stringify(key)}:${write(record[key], `${path}.${key}`)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: ${typeof value} is not JSON (at ${path})`);
  }
}

// String.prototype.isWellFormed is ES2024, beyond our ES2023 lib: test for a lone surrogate.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkString(s: string, path: string): void {
  if (LONE_SURROGATE.test(s)) throw new TypeError(`canonicalJson: ill-formed UTF-16 at ${path}`);
  // PostgreSQL jsonb cannot store \u0000 ("unsupported Unicode escape sequence").
  if (s.includes('\u0000')) throw new TypeError(`canonicalJson: U+0000 at ${path}`);
}
