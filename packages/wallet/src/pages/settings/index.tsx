/** Settings: the language (remembered) and larger text (remembered). Works offline. */
import { useState } from 'preact/hooks';
import { useSetLocale } from '../../app.tsx';
import { Check, PageTitle, Status } from '../../components/ui.tsx';
import { common } from '../../i18n/common.ts';
import { LOCALES, useLocale, useT, type Locale } from '../../i18n/index.ts';
import { setTextSize, textSize, type TextSize } from '../../lib/settings.ts';
import type { PageProps } from '../../router.tsx';
import { messages } from './messages.ts';

const LANG_KEYS = { ja: 'langJa', en: 'langEn', 'ja-x-easy': 'langEasy' } as const;

/** The settings page. */
export default function SettingsPage(_props: PageProps) {
  const t = useT(messages);
  const c = useT(common);
  const locale = useLocale();
  const setLocale = useSetLocale();
  const [size, setSize] = useState<TextSize>(textSize);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const pickSize = (s: TextSize): void => {
    setTextSize(s);
    setSize(s);
    setStatus(t('saved'));
  };
  return (
    <div id="settings">
      <PageTitle text={t('title')} />
      <fieldset class="field">
        <legend>{t('language')}</legend>
        <p class="hint" id="lang-hint">
          {t('languageHint')}
        </p>
        {LOCALES.map((l: Locale) => (
          <Check
            key={l}
            type="radio"
            name="lang"
            id={`lang-${l}`}
            value={l}
            checked={locale === l}
            onChange={() => {
              setLocale(l);
              setStatus(undefined);
            }}
          >
            <span lang={l === 'en' ? 'en' : 'ja'}>{c(LANG_KEYS[l])}</span>
          </Check>
        ))}
      </fieldset>
      <fieldset class="field">
        <legend>{t('textSize')}</legend>
        <Check
          type="radio"
          name="text"
          id="text-normal"
          value="normal"
          checked={size === 'normal'}
          onChange={() => pickSize('normal')}
        >
          {t('textNormal')}
        </Check>
        <Check
          type="radio"
          name="text"
          id="text-large"
          value="large"
          checked={size === 'large'}
          onChange={() => pickSize('large')}
        >
          {t('textLarge')}
        </Check>
      </fieldset>
      <Status message={status} />
    </div>
  );
}
