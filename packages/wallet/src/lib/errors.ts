/**
 * Turning any failure into words for the resident. A page's catalogue may hold `err_<code>` keys
 * for the codes it expects (problem codes of the platform, card and WebAuthn codes); what it does
 * not cover falls back to the shell's generic sentences (no network, server error, too many tries,
 * signed out, unknown). The code itself is never shown: it is kept in `data-error-code` on the
 * alert for tests and support.
 */
import { isWatashiError } from '@watashi/pki';
import i18next from 'i18next';
import { ApiError } from '../api/client.ts';
import { common } from '../i18n/common.ts';
import { fixedT, register, useLocale, type Messages } from '../i18n/index.ts';

/** An error as shown: the sentence and the code it came from. */
export interface ShownError {
  readonly code: string;
  readonly text: string;
}

/** The stable code of an error, and its HTTP status when it came from the platform. */
export function errorCode(e: unknown): {
  code: string;
  status: number | undefined;
  values: Record<string, string | number>;
} {
  if (e instanceof ApiError) return { code: e.code, status: e.status, values: {} };
  if (isWatashiError(e)) {
    const left = e.detail?.['triesLeft'] ?? e.detail?.['remaining'];
    const values: Record<string, string | number> = typeof left === 'number' ? { n: left } : {};
    if (e.code === 'pin_incorrect') return { code: 'card_pin_incorrect', status: undefined, values };
    if (e.code === 'pin_blocked') return { code: 'card_pin_blocked', status: undefined, values };
    return { code: e.code, status: undefined, values };
  }
  if (e instanceof Error) {
    // WebAuthn in the browser: @simplewebauthn/browser codes and DOMException names.
    const raw = (e as Error & { code?: unknown }).code;
    const code = typeof raw === 'string' ? raw : '';
    if (code === 'ERROR_INVALID_DOMAIN' || code === 'ERROR_INVALID_RP_ID' || e.name === 'SecurityError')
      return { code: 'webauthn_invalid_domain', status: undefined, values: {} };
    if (code === 'ERROR_CEREMONY_ABORTED' || e.name === 'NotAllowedError' || e.name === 'AbortError')
      return { code: 'webauthn_cancelled', status: undefined, values: {} };
    if (code.startsWith('ERROR_')) return { code, status: undefined, values: {} };
  }
  return { code: 'internal_error', status: undefined, values: {} };
}

const GENERIC: Readonly<Record<string, keyof typeof common.ja>> = {
  network_error: 'errorNetwork',
  rate_limited: 'errorRateLimited',
  session_required: 'errorSession',
  request_invalid: 'errorInput',
  webauthn_unsupported: 'webauthnUnsupported',
  webauthn_cancelled: 'webauthnCancelled',
  webauthn_invalid_domain: 'webauthnDomain',
};

/** Describes `e` with the page's catalogue `m`, in the current language. */
export function useDescribeError<K extends string>(m: Messages<K>): (e: unknown) => ShownError {
  const locale = useLocale();
  register(m);
  register(common);
  return (e) => {
    const { code, status, values } = errorCode(e);
    const key = `err_${code}`;
    if (i18next.exists(key, { ns: m.ns, lng: locale }))
      return { code, text: fixedT(locale, m.ns)(key, values) };
    const t = fixedT(locale, 'common');
    const generic = GENERIC[code];
    if (generic !== undefined) return { code, text: t(generic) };
    if (status !== undefined && status >= 500) return { code, text: t('errorServer') };
    if (code === 'internal_error' && !(e instanceof ApiError)) console.error(e);
    return { code, text: t('errorUnknown') };
  };
}
