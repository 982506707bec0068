/**
 * Help and glossary (works offline): what to do when the card is lost, a password is locked
 * (5 wrong tries: the municipal office), a certificate expired or was renewed, every passkey is
 * lost; then the words the wallet uses, explained.
 */
import { PageTitle } from '../../components/ui.tsx';
import { useT } from '../../i18n/index.ts';
import type { PageProps } from '../../router.tsx';
import { messages } from './messages.ts';

const TOPICS = [
  ['lost', 'lostTitle', ['lost1', 'lost2', 'lost3']],
  ['locked', 'lockedTitle', ['locked1', 'locked2', 'locked3']],
  ['expired', 'expiredTitle', ['expired1', 'expired2']],
  ['renewed', 'renewedTitle', ['renewed1', 'renewed2', 'renewed3']],
  ['passkeys', 'passkeysTitle', ['passkeys1']],
] as const;

const GLOSSARY = [
  ['gMinkanId', 'gMinkanIdText'],
  ['gCard', 'gCardText'],
  ['gMyNumber', 'gMyNumberText'],
  ['gSign', 'gSignText'],
  ['gAuth', 'gAuthText'],
  ['gPasskey', 'gPasskeyText'],
  ['gPersona', 'gPersonaText'],
  ['gConsent', 'gConsentText'],
  ['gLevel', 'gLevelText'],
  ['gJlis', 'gJlisText'],
  ['gBasic4', 'gBasic4Text'],
] as const;

/** The help page. */
export default function HelpPage(_props: PageProps) {
  const t = useT(messages);
  return (
    <div id="help">
      <PageTitle text={t('title')} />
      <p>{t('intro')}</p>
      {TOPICS.map(([id, title, paras]) => (
        <section key={id} id={`help-${id}`} aria-labelledby={`help-${id}-title`}>
          <h2 id={`help-${id}-title`}>{t(title)}</h2>
          {paras.map((p) => (
            <p key={p}>{t(p)}</p>
          ))}
        </section>
      ))}
      <section id="glossary" aria-labelledby="glossary-title">
        <h2 id="glossary-title">{t('glossaryTitle')}</h2>
        <dl class="glossary">
          {GLOSSARY.map(([term, text]) => (
            <div key={term}>
              <dt>{t(term)}</dt>
              <dd>{t(text)}</dd>
            </div>
          ))}
        </dl>
      </section>
      <p>
        <a href="/wallet/settings">{t('toSettings')}</a>
      </p>
    </div>
  );
}
