/** A sign-in's method and device in the resident's words (never a code). */
import type { T } from '../../i18n/index.ts';
import type { SignInView } from '../../api/client.ts';
import type { messages } from './messages.ts';

type Keys = keyof typeof messages.ja;

const BROWSERS: Readonly<Record<string, string>> = {
  chrome: 'Chrome',
  safari: 'Safari',
  firefox: 'Firefox',
  edge: 'Edge',
  samsung: 'Samsung Internet',
  opera: 'Opera',
};
const SYSTEMS: Readonly<Record<string, string>> = {
  android: 'Android',
  ios: 'iPhone',
  ipados: 'iPad',
  windows: 'Windows',
  macos: 'Mac',
  chromeos: 'Chromebook',
  linux: 'Linux',
};
const KINDS = { phone: 'kindPhone', tablet: 'kindTablet', computer: 'kindComputer' } as const;

/** "Android のスマートフォン（Chrome）", "iPhone（Safari）". */
export function deviceWords(t: T<Keys>, d: SignInView['device']): string {
  const browser = d.browser === null ? undefined : BROWSERS[d.browser];
  const system = d.system === null ? undefined : SYSTEMS[d.system];
  if (system === undefined)
    return browser === undefined ? t('deviceUnknown') : t('deviceBrowserOnly', { browser });
  // An iPhone or iPad names its own kind: "iPhone のスマートフォン" would say it twice.
  if (d.system === 'ios' || d.system === 'ipados')
    return browser === undefined ? system : t('deviceNamed', { system, browser });
  const kind = t(d.kind === null ? 'kindUnknown' : KINDS[d.kind]);
  return browser === undefined
    ? t('deviceNoBrowser', { system, kind })
    : t('deviceWords', { system, kind, browser });
}

/** "パスキー「iPhone」". */
export function methodWords(t: T<Keys>, method: SignInView['method'], label: string | null): string {
  switch (method) {
    case 'passkey':
      return label === null ? t('methodPasskey') : t('methodPasskeyNamed', { label });
    case 'card':
      return t('methodCard');
    case 'card_signature':
      return t('methodCardSignature');
    case 'device':
      return t('methodDevice');
  }
}
