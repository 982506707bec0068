/**
 * Closing the Private ID (`/wallet/close`): a page of its own, reached by a plain link from the
 * security page (never a button beside "sign out"), danger-styled, saying what closing does and
 * cannot undo, behind typing a word shown on screen (「閉鎖」, "close", 「やめる」). The API asks
 * for `{"confirm":"close"}` and a sign-in within 5 minutes (lifecycle/account-routes.ts); when the
 * server answers that the sign-in is older, the page says so and offers signing in again, back to
 * this page. (The server decides: the browser's clock may differ from the platform's.)
 */
import { useState } from 'preact/hooks';
import { closeAccount } from '../../api/client.ts';
import { SignedOut } from '../../components/signed-out.tsx';
import { Alert, LinkButton, Notice, PageTitle, TypeToConfirm, useBusy } from '../../components/ui.tsx';
import { useT } from '../../i18n/index.ts';
import { errorCode, useDescribeError, type ShownError } from '../../lib/errors.ts';
import type { PageProps } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { messages } from './messages.ts';

const EFFECTS = ['effectSignIn', 'effectServices', 'effectErase', 'effectKept', 'effectAgain'] as const;

/** The close page. */
export default function ClosePage(_props: PageProps) {
  const t = useT(messages);
  const describe = useDescribeError(messages);
  const { session, refresh } = useSession();
  const [stale, setStale] = useState(false);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const [closed, setClosed] = useState(false);
  const [busy, run] = useBusy();

  if (closed)
    return (
      <div id="close">
        <PageTitle text={t('closedTitle')} />
        <Notice kind="success" id="closed">
          <p>{t('closedBody')}</p>
        </Notice>
        <LinkButton href="/wallet/" variant="secondary">
          {t('closedHome')}
        </LinkButton>
      </div>
    );

  if (session.status === 'signed-out')
    return (
      <div id="close">
        <PageTitle text={t('title')} />
        <SignedOut />
      </div>
    );

  return (
    <div id="close" class="danger-zone">
      <PageTitle text={t('title')} />
      <Notice kind="warning" title={t('warningTitle')}>
        <p>{t('intro')}</p>
        <ul>
          {EFFECTS.map((k) => (
            <li key={k}>{t(k)}</li>
          ))}
        </ul>
      </Notice>
      <section aria-labelledby="before-title">
        <h2 id="before-title">{t('beforeTitle')}</h2>
        <p>
          {t('beforeData')} <a href="/wallet/data">{t('toData')}</a>
        </p>
      </section>
      <Alert error={error} />
      {stale ? (
        <Notice kind="info" title={t('reauthTitle')} id="reauth">
          <p>{t('reauthBody')}</p>
          <LinkButton href="/wallet/login" variant="secondary">
            {t('reauthButton')}
          </LinkButton>
        </Notice>
      ) : (
        <TypeToConfirm
          id="confirm-close"
          word={t('confirmWord')}
          label={t('confirmLabel')}
          action={t('confirmButton')}
          busy={busy}
          onConfirm={() =>
            run(
              async () => {
                setError(undefined);
                await closeAccount();
                await refresh();
                setClosed(true);
              },
              (e) => {
                if (errorCode(e).code === 'reauthentication_required') setStale(true);
                else setError(describe(e));
              },
            )
          }
        />
      )}
      <p>
        <a href="/wallet/security">{t('back')}</a>
      </p>
    </div>
  );
}
