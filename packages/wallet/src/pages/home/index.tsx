/** The landing page (`/wallet/`, where `/` leads): what Private ID is and the two ways in. */
import { LinkButton, Buttons, PageTitle } from '../../components/ui.tsx';
import { useT } from '../../i18n/index.ts';
import type { PageProps } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { messages } from './messages.ts';

/** The home page. */
export default function HomePage(_props: PageProps) {
  const t = useT(messages);
  const { session } = useSession();
  if (session.status === 'signed-in')
    return (
      <div id="home">
        <PageTitle
          text={session.name === undefined ? t('welcomeNoName') : t('welcome', { name: session.name })}
        />
        <Buttons>
          <LinkButton href="/wallet/account" id="to-account">
            {t('toAccount')}
          </LinkButton>
          <LinkButton href="/wallet/sign" variant="secondary" id="to-sign">
            {t('toSign')}
          </LinkButton>
        </Buttons>
      </div>
    );
  return (
    <div id="home">
      <PageTitle text={t('title')} />
      <p>{t('intro')}</p>
      <p>{t('privacy')}</p>
      <section aria-labelledby="new-here">
        <h2 id="new-here">{t('newHere')}</h2>
        <LinkButton href="/wallet/enrol" id="to-enrol">
          {t('enrol')}
        </LinkButton>
      </section>
      <section aria-labelledby="registered">
        <h2 id="registered">{t('registered')}</h2>
        <LinkButton href="/wallet/login" variant="secondary" id="to-login">
          {t('signIn')}
        </LinkButton>
      </section>
      <p>
        <a href="/wallet/help">{t('toHelp')}</a>
      </p>
    </div>
  );
}
