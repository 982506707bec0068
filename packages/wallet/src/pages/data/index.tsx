/**
 * Download my data (`/wallet/data`): what the file holds and does not hold, and the download — a
 * plain link to `GET /api/me/export`, which answers with `Content-Disposition: attachment`, so the
 * browser saves the file and no script handles the resident's data.
 */
import { SignedOut } from '../../components/signed-out.tsx';
import { Notice, PageTitle } from '../../components/ui.tsx';
import { useT } from '../../i18n/index.ts';
import type { PageProps } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { messages } from './messages.ts';

const WHAT = [
  'whatAccount',
  'whatAttributes',
  'whatCards',
  'whatAuthenticators',
  'whatSignIns',
  'whatSharing',
  'whatNotices',
] as const;

/** The data page. */
export default function DataPage(_props: PageProps) {
  const t = useT(messages);
  const { session } = useSession();
  if (session.status === 'signed-out')
    return (
      <div id="data">
        <PageTitle text={t('title')} />
        <SignedOut />
      </div>
    );
  return (
    <div id="data">
      <PageTitle text={t('title')} />
      <p>{t('intro')}</p>
      <section aria-labelledby="what-title">
        <h2 id="what-title">{t('whatTitle')}</h2>
        <ul>
          {WHAT.map((k) => (
            <li key={k}>{t(k)}</li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="not-title">
        <h2 id="not-title">{t('notTitle')}</h2>
        <ul>
          <li>{t('notMyNumber')}</li>
          <li>{t('notSecrets')}</li>
        </ul>
      </section>
      <Notice kind="warning" title={t('careTitle')}>
        <p>{t('care')}</p>
      </Notice>
      <p class="hint" id="download-hint">
        {t('downloadHint')}
      </p>
      <div class="buttons">
        <a
          class="button primary"
          id="download"
          href="/api/me/export"
          download
          aria-describedby="download-hint"
        >
          {t('download')}
        </a>
      </div>
    </div>
  );
}
