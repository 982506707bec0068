/**
 * The account overview: notices in plain words (what happened, what to do), the verification
 * level in words, the details read from the card (date of birth in the Japanese calendar), the
 * ways to sign in, links to everything else, and signing out. No codes, claim names or URNs.
 */
import { useEffect, useState } from 'preact/hooks';
import { getAttributes, getNotices, logout, type AttributesJson, type NoticeView } from '../../api/client.ts';
import { SignedOut } from '../../components/signed-out.tsx';
import { Alert, Button, Buttons, Facts, LinkButton, Notice, PageTitle } from '../../components/ui.tsx';
import { useLocale, useT } from '../../i18n/index.ts';
import { formatDate } from '../../lib/dates.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import { navigate, type PageProps } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { messages } from './messages.ts';

const STATUS = {
  good: 'statusGood',
  revoked: 'statusRevoked',
  hold: 'statusHold',
  expired: 'statusExpired',
  unknown: 'statusUnknown',
} as const;
const SEX = { '1': 'sex1', '2': 'sex2', '3': 'sex3' } as const;
const LEVEL = ['level0', 'level1', 'level2', 'level3'] as const;

/** The account page. */
export default function AccountPage(_props: PageProps) {
  const t = useT(messages);
  const locale = useLocale();
  const describe = useDescribeError(messages);
  const { session, refresh } = useSession();
  const [notices, setNotices] = useState<readonly NoticeView[] | undefined>(undefined);
  const [attrs, setAttrs] = useState<AttributesJson | null | undefined>(undefined);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (session.status !== 'signed-in') return;
    Promise.all([getNotices(), getAttributes()])
      .then(([n, a]) => {
        setNotices(n);
        setAttrs(a);
      })
      .catch((e: unknown) => setError(describe(e)));
  }, [session.status]);

  if (session.status === 'signed-out')
    return (
      <>
        <PageTitle text={t('title')} />
        <SignedOut />
      </>
    );
  if (session.status !== 'signed-in')
    return (
      <>
        <PageTitle text={t('title')} />
        <Alert error={session.status === 'unknown' ? describe(session.error) : error} />
      </>
    );
  const { me } = session;
  const level = Math.max(0, Math.min(3, me.identityProofing.level));
  const v = attrs?.verified;
  const date = (iso: string | null): string => (iso === null ? '—' : formatDate(iso, locale));
  return (
    <div id="account">
      <PageTitle text={t('title')} />
      <section aria-labelledby="notices-heading">
        <h2 id="notices-heading">{t('noticesHeading')}</h2>
        <ul id="notices" class="items">
          {notices === undefined ? null : notices.length === 0 ? (
            <li>{t('noNotices')}</li>
          ) : (
            notices.map((n) => (
              <li key={n.id} data-notice-kind={n.kind}>
                <p>
                  <strong>{date(n.at)}</strong>
                  <br />
                  {locale === 'en' ? n.title.en : n.title.ja}
                </p>
                {n.actionRequired ? <LinkButton href="/wallet/reproof">{t('reproof')}</LinkButton> : null}
              </li>
            ))
          )}
        </ul>
      </section>
      <section aria-labelledby="level-heading">
        <h2 id="level-heading">{t('levelHeading')}</h2>
        <p id="ial" class="level" data-level={level}>
          {t(LEVEL[level] ?? 'level0')}
        </p>
        {me.identityProofing.reproofingWouldHelp && level < 3 ? (
          <Notice kind="warning">
            <p>{t('levelDrop')}</p>
            <LinkButton href="/wallet/reproof">{t('reproof')}</LinkButton>
          </Notice>
        ) : null}
        <Facts
          id="account-facts"
          rows={[
            [t('proofedAt'), date(me.account.proofedAt)],
            ...(me.anchor === null
              ? []
              : ([
                  [t('cardStatus'), t(STATUS[me.anchor.status as keyof typeof STATUS] ?? 'statusUnknown')],
                  [t('cardUntil'), date(me.anchor.notAfter)],
                ] as const)),
            [t('checkedAt'), date(me.identityProofing.evidenceCheckedAt)],
          ]}
        />
      </section>
      <section aria-labelledby="attributes-heading">
        <h2 id="attributes-heading">{t('attributesHeading')}</h2>
        <p class="hint">{t('attributesHint')}</p>
        {attrs === undefined ? null : v === null || v === undefined ? (
          <p>{t('notVerified')}</p>
        ) : (
          <Facts
            id="attributes"
            rows={[
              [t('name'), <span data-attribute="name">{v.name}</span>],
              [t('address'), <span data-attribute="address">{v.address}</span>],
              [
                t('birthDate'),
                <span data-attribute="dateOfBirth" data-value={v.dateOfBirth}>
                  {formatDate(v.dateOfBirth, locale)}
                </span>,
              ],
              [t('sex'), <span data-attribute="sex">{t(SEX[v.sex as keyof typeof SEX] ?? 'sex3')}</span>],
              ...(v.substituteCharacters ? ([['', t('substitute')]] as const) : []),
            ]}
          />
        )}
      </section>
      <section aria-labelledby="ways-heading">
        <h2 id="ways-heading">{t('waysHeading')}</h2>
        <p id="authenticators" data-count={me.authenticators.length}>
          {me.authenticators.length === 0
            ? t('noWays')
            : `${t('passkeyCount', { n: me.authenticators.length })}: ${me.authenticators.map((a) => a.label ?? '—').join(locale === 'en' ? ', ' : '、')}`}
        </p>
        <LinkButton href="/wallet/passkeys" variant="secondary">
          {t('managePasskeys')}
        </LinkButton>
      </section>
      <section aria-labelledby="sharing-heading">
        <h2 id="sharing-heading">{t('sharingHeading')}</h2>
        <ul id="sharing-links" class="links">
          <li>
            <a href="/wallet/personas">{t('personas')}</a>
          </li>
          <li>
            <a href="/wallet/consents">{t('consents')}</a>
          </li>
          <li>
            <a href="/wallet/disclosures">{t('disclosures')}</a>
          </li>
        </ul>
      </section>
      <section aria-labelledby="more-heading">
        <h2 id="more-heading">{t('moreHeading')}</h2>
        <ul id="more-links" class="links">
          <li>
            <a href="/wallet/security">{t('security')}</a>
          </li>
          <li>
            <a href="/wallet/data">{t('data')}</a>
          </li>
          <li>
            <a href="/wallet/close">{t('close')}</a>
          </li>
        </ul>
        <Buttons>
          <Button
            id="logout"
            variant="secondary"
            busy={busy}
            onClick={() => {
              setBusy(true);
              logout()
                .then(async () => {
                  await refresh();
                  navigate('/wallet/login');
                })
                .catch((e: unknown) => setError(describe(e)))
                .finally(() => setBusy(false));
            }}
          >
            {t('signOut')}
          </Button>
        </Buttons>
      </section>
      <Alert error={error} />
    </div>
  );
}
