/**
 * Consents: each service holding a live consent (registered name and purpose), what it receives
 * in words, through which persona, since when; withdrawal after a confirmation. Withdrawing
 * revokes the service's grant and tokens, so its next refresh fails and its next login asks again.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, listConsents, withdrawConsent, type ConsentView } from '../../api/client.ts';
import { SignedOut } from '../../components/signed-out.tsx';
import { Alert, Button, Buttons, Facts, PageTitle, Status } from '../../components/ui.tsx';
import { useLocale, useT } from '../../i18n/index.ts';
import { useClaims } from '../../lib/claims.ts';
import { formatDate } from '../../lib/dates.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import type { PageProps } from '../../router.tsx';
import { messages } from './messages.ts';

/** The consents page. */
export default function ConsentsPage(_props: PageProps) {
  const t = useT(messages);
  const locale = useLocale();
  const claims = useClaims();
  const describe = useDescribeError(messages);
  const [list, setList] = useState<readonly ConsentView[] | null | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const headingRef = useRef<HTMLHeadingElement>(null);

  const load = async (): Promise<void> => setList((await listConsents())?.consents ?? null);
  useEffect(() => {
    load().catch((e: unknown) => setError(describe(e)));
  }, []);

  const withdraw = async (c: ConsentView): Promise<void> => {
    if (!window.confirm(t('confirm', { rp: c.rpName }))) return;
    try {
      await withdrawConsent(c.clientId);
    } catch (e) {
      // Already withdrawn elsewhere: show the list as it is now, with the error.
      if (e instanceof ApiError && e.code === 'consent_not_found') await load();
      throw e;
    }
    await load();
    setStatus(t('withdrawn', { rp: c.rpName }));
    headingRef.current?.focus();
  };

  if (list === null)
    return (
      <>
        <PageTitle text={t('title')} />
        <SignedOut />
      </>
    );
  return (
    <div id="consents-page">
      <PageTitle text={t('title')} />
      <section id="consents" aria-labelledby="list-heading" hidden={list === undefined}>
        <p>{t('intro')}</p>
        <h2 id="list-heading" tabindex={-1} ref={headingRef}>
          {t('listHeading')}
        </h2>
        {list?.length === 0 ? <p id="no-consents">{t('none')}</p> : null}
        <ul id="consent-list" class="items">
          {(list ?? []).map((c, i) => (
            <li key={c.clientId} data-client-id={c.clientId}>
              <h3 id={`consent-${i}`}>{c.rpName}</h3>
              <Facts
                rows={[
                  [t('purpose'), c.purpose === '' ? t('noPurpose') : c.purpose],
                  [t('receives'), <span data-claims={c.claims.join(' ')}>{claims.list(c.claims)}</span>],
                  [
                    t('persona'),
                    c.persona === null ? (
                      t('noPersona')
                    ) : (
                      <span data-persona={c.persona.name}>
                        {c.persona.name}
                        {c.persona.id === null ? ` ${t('deletedPersona')}` : ''}
                      </span>
                    ),
                  ],
                  ...(c.scopes.includes('offline_access')
                    ? ([[t('offline'), t('offlineYes')]] as const)
                    : []),
                  [t('since'), <time dateTime={c.grantedAt}>{formatDate(c.grantedAt, locale)}</time>],
                ]}
              />
              <Buttons>
                <Button
                  variant="danger"
                  aria-describedby={`consent-${i}`}
                  busy={busy === c.clientId}
                  onClick={() => {
                    setBusy(c.clientId);
                    setError(undefined);
                    withdraw(c)
                      .catch((e: unknown) => setError(describe(e)))
                      .finally(() => setBusy(undefined));
                  }}
                >
                  {t('withdraw')}
                </Button>
              </Buttons>
            </li>
          ))}
        </ul>
        <p>
          <a href="/wallet/disclosures">{t('toDisclosures')}</a>
        </p>
      </section>
      <Status message={status} />
      <Alert error={error} />
    </div>
  );
}
