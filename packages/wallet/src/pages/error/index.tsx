/**
 * The error pages a person can meet in the browser, in their language with a way back:
 * `/wallet/error/not-found` (also every unknown path), `expired` (an OpenID Provider interaction
 * that timed out), `unknown-service` (a relying party that is not registered), `bad-request` (a
 * service sent a request the OpenID Provider cannot accept), `server`.
 */
import { LinkButton, Buttons, PageTitle } from '../../components/ui.tsx';
import { useT } from '../../i18n/index.ts';
import type { PageProps } from '../../router.tsx';
import { messages } from './messages.ts';

const KINDS = {
  'not-found': ['notFoundTitle', 'notFoundBody'],
  expired: ['expiredTitle', 'expiredBody'],
  'unknown-service': ['unknownServiceTitle', 'unknownServiceBody'],
  'bad-request': ['badRequestTitle', 'badRequestBody'],
  server: ['serverTitle', 'serverBody'],
} as const;

/** An error page; `params.kind` names which (anything else: not found). */
export default function ErrorPage({ params }: PageProps) {
  const t = useT(messages);
  const kind = Object.hasOwn(KINDS, params['kind'] ?? '')
    ? (params['kind'] as keyof typeof KINDS)
    : 'not-found';
  const [title, body] = KINDS[kind];
  return (
    <div class="error-page" data-error-page={kind}>
      <PageTitle text={t(title)} />
      <p>{t(body)}</p>
      <Buttons>
        <LinkButton href="/wallet/">{t('toHome')}</LinkButton>
        <LinkButton href="/wallet/help" variant="secondary">
          {t('toHelp')}
        </LinkButton>
      </Buttons>
    </div>
  );
}
