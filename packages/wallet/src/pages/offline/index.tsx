/**
 * The offline page: shown in place of any page that needs the network while there is none (and at
 * `/wallet/offline`). It reloads by itself when the connection comes back.
 */
import { useEffect } from 'preact/hooks';
import { Button, Buttons, LinkButton, PageTitle } from '../../components/ui.tsx';
import { common } from '../../i18n/common.ts';
import { useT } from '../../i18n/index.ts';
import type { PageProps } from '../../router.tsx';

/** The offline page (its words are in the shell's common catalogue: the banner shares them). */
export default function OfflinePage(_props: PageProps) {
  const t = useT(common);
  useEffect(() => {
    const back = (): void => location.reload();
    window.addEventListener('online', back);
    return () => window.removeEventListener('online', back);
  }, []);
  return (
    <div id="offline" class="offline-page">
      <PageTitle text={t('offlineTitle')} />
      <p>{t('offlineBody')}</p>
      <Buttons>
        <Button onClick={() => location.reload()}>{t('offlineRetry')}</Button>
        <LinkButton href="/wallet/help" variant="secondary">
          {t('navHelp')}
        </LinkButton>
      </Buttons>
    </div>
  );
}
