/** The notice a page that needs a session shows to someone not signed in, with the two ways in. */
import { common } from '../i18n/common.ts';
import { useT } from '../i18n/index.ts';
import { Buttons, LinkButton, Notice } from './ui.tsx';

/** "You are not signed in", sign in with a passkey, or enrol with the card. */
export function SignedOut() {
  const t = useT(common);
  return (
    <Notice id="signed-out" title={t('signedOutTitle')}>
      <p>{t('signedOutBody')}</p>
      <Buttons>
        <LinkButton href="/wallet/login">{t('signIn')}</LinkButton>
        <LinkButton href="/wallet/enrol" variant="secondary">
          {t('enrol')}
        </LinkButton>
      </Buttons>
    </Notice>
  );
}
