/*
 * Every message catalogue has every key in all three languages (README "Add a page"): a resident who
 * chose English or やさしい日本語 never meets a sentence in ordinary Japanese because a key was
 * forgotten, and a `{{placeholder}}` is never lost or misspelt in one language.
 */
import { describe, expect, it } from 'vitest';
import { labels as claims } from '../lib/claims.ts';
import { common } from './common.ts';
import { LOCALES, fixedT, register, type Messages } from './index.ts';

/** Every page's catalogue (pages/<name>/messages.ts), found by path so a new page is checked too. */
const pageModules = import.meta.glob<Record<string, unknown>>('../pages/*/messages.ts', { eager: true });

function isMessages(v: unknown): v is Messages<string> {
  return typeof v === 'object' && v !== null && 'ns' in v && 'ja' in v && 'en' in v && 'ja-x-easy' in v;
}

const catalogues: Messages<string>[] = [
  common,
  claims,
  ...Object.entries(pageModules).map(([path, mod]) => {
    const found = Object.values(mod).filter(isMessages);
    if (found.length !== 1)
      throw new Error(`${path}: expected one defineMessages(…) export, found ${found.length}`);
    return found[0]!;
  }),
];

/**
 * Easy-Japanese texts that may equal the ordinary Japanese one, as `namespace.key` → why. Keep it
 * short: anything a plainer word can say belongs in the catalogue instead.
 */
const SAME_AS_JA: Readonly<Record<string, string>> = {
  'claims.listSeparator': 'the Japanese list comma 、 is punctuation, not words',
  'common.brand': 'the service name 民間ID is a proper name',
  'common.langJa': 'each language is named in itself, the same on every screen',
  'common.langEn': 'each language is named in itself, the same on every screen',
  'common.langEasy': 'each language is named in itself, the same on every screen',
  'common.navLabel': 'メニュー is the everyday word, and a one-word landmark label',
  'common.navHome': 'ホーム is the everyday word for the start page, and a one-word menu entry',
  'common.navPasskeys': 'パスキー is the name of the thing (no Japanese word); the help page explains it',
  'common.navPersonas': 'ペルソナ is the name of the feature; the page and the help page explain it',
  'common.cancel': 'やめる is already the plainest verb',
  'common.yes': 'はい is already plain',
  'common.no': 'いいえ is already plain',
  'sign.bytes': 'バイト is the unit the file size is counted in; the size in KB/MB follows it',
  'sign.cancel': 'やめる is already the plainest verb',
  'security.kindComputer': 'パソコン is the everyday word; it fills {{kind}} in a device description',
  'security.kindTablet': 'タブレット has no Japanese word; it fills {{kind}} before a bracket',
  'settings.textNormal': 'ふつう is already plain (and written in hiragana)',
};

/** The `{{name}}` placeholders of a text, sorted (i18next allows spaces inside the braces). */
function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([^}]+?)\s*\}\}/g)].map((m) => m[1]!).sort();
}

describe('message catalogues', () => {
  it('ok-every-page-and-the-common-namespace-are-loaded', () => {
    const names = catalogues.map((c) => c.ns);
    expect(names).toContain('common');
    expect(names).toContain('claims');
    expect(names.length).toBeGreaterThanOrEqual(10);
    // The namespace is the page's folder name (README "Add a page"), and each is used once.
    for (const [path, mod] of Object.entries(pageModules)) {
      const folder = /pages\/([^/]+)\/messages\.ts$/.exec(path)![1];
      expect(Object.values(mod).filter(isMessages)[0]!.ns, path).toBe(folder);
    }
    expect(new Set(names).size).toBe(names.length);
  });

  describe.each(catalogues.map((c) => [c.ns, c] as const))('%s', (ns, m) => {
    const jaKeys = Object.keys(m.ja).sort();

    it.each(['en', 'ja-x-easy'] as const)('ok-%s-has-exactly-the-japanese-keys', (locale) => {
      const keys = Object.keys(m[locale]).sort();
      expect(
        jaKeys.filter((k) => !keys.includes(k)),
        `keys of ${ns} missing in ${locale}`,
      ).toEqual([]);
      expect(
        keys.filter((k) => !jaKeys.includes(k)),
        `keys of ${ns} in ${locale} that ja does not have`,
      ).toEqual([]);
    });

    it('ok-placeholders-are-the-same-in-every-language', () => {
      const differ: string[] = [];
      for (const k of jaKeys) {
        const want = placeholders(m.ja[k]!).join(',');
        for (const locale of ['en', 'ja-x-easy'] as const) {
          const text = m[locale][k];
          if (text === undefined) continue; // reported by the key test
          const got = placeholders(text).join(',');
          if (got !== want) differ.push(`${ns}.${k} ${locale}: {${got}} ≠ ja {${want}}`);
        }
      }
      expect(differ).toEqual([]);
    });

    it('ok-easy-japanese-is-rewritten-not-copied', () => {
      const copied = jaKeys.filter((k) => m['ja-x-easy'][k] === m.ja[k] && !(`${ns}.${k}` in SAME_AS_JA));
      expect(
        copied,
        `easy-Japanese texts of ${ns} identical to ja (rewrite, or add to SAME_AS_JA with a reason)`,
      ).toEqual([]);
    });

    it('ok-every-text-is-a-non-empty-string', () => {
      for (const locale of LOCALES)
        for (const [k, text] of Object.entries(m[locale]))
          expect(typeof text === 'string' && text.trim() !== '', `${ns}.${k} ${locale}`).toBe(true);
    });

    it('ok-i18next-answers-the-easy-text-itself-not-the-fallback', () => {
      register(m);
      const t = fixedT('ja-x-easy', m.ns);
      for (const k of jaKeys) {
        const easy = m['ja-x-easy'][k];
        if (easy === undefined || placeholders(easy).length > 0) continue;
        expect(t(k), `${ns}.${k}`).toBe(easy);
      }
    });
  });

  it('ok-every-exception-is-still-needed', () => {
    // An exception whose easy text has since been rewritten is removed, so the list stays short.
    const byNs = new Map(catalogues.map((c) => [c.ns, c]));
    const stale = Object.keys(SAME_AS_JA).filter((id) => {
      const dot = id.indexOf('.');
      const m = byNs.get(id.slice(0, dot));
      const k = id.slice(dot + 1);
      return m === undefined || m['ja-x-easy'][k] !== m.ja[k];
    });
    expect(stale).toEqual([]);
  });
});
