/**
 * Disclosures: one row per disclosure, in words (「山田酒店に 20歳以上であること を提供」), with
 * when and how, newest first, a page at a time; "show older" appends the next page and moves focus
 * to its first row.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { listDisclosures, type DisclosureView } from '../../api/client.ts';
import { SignedOut } from '../../components/signed-out.tsx';
import { Alert, Button, Buttons, PageTitle, Status } from '../../components/ui.tsx';
import { useLocale, useT } from '../../i18n/index.ts';
import { useClaims } from '../../lib/claims.ts';
import { formatDateTime } from '../../lib/dates.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import type { PageProps } from '../../router.tsx';
import { messages } from './messages.ts';

/** Rows per page. */
const PAGE = 20;

/** The disclosures page. */
export default function DisclosuresPage(_props: PageProps) {
  const t = useT(messages);
  const locale = useLocale();
  const claims = useClaims();
  const describe = useDescribeError(messages);
  const [rows, setRows] = useState<readonly DisclosureView[] | null | undefined>(undefined);
  const [next, setNext] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const focusSeq = useRef<string | undefined>(undefined);

  const load = async (before: string | null): Promise<void> => {
    const page = await listDisclosures(PAGE, before);
    if (page === null) {
      setRows(null);
      return;
    }
    setRows((old) => [...(before === null ? [] : (old ?? [])), ...page.disclosures]);
    setNext(page.next);
    if (before !== null) {
      setStatus(t('added', { n: page.disclosures.length }));
      focusSeq.current = page.disclosures[0]?.seq;
    }
  };
  useEffect(() => {
    load(null).catch((e: unknown) => setError(describe(e)));
  }, []);
  useEffect(() => {
    if (focusSeq.current === undefined) return;
    document.querySelector<HTMLElement>(`#disclosure-rows [data-seq="${focusSeq.current}"]`)?.focus();
    focusSeq.current = undefined;
  }, [rows]);

  if (rows === null)
    return (
      <>
        <PageTitle text={t('title')} />
        <SignedOut />
      </>
    );
  return (
    <div id="disclosures-page">
      <PageTitle text={t('title')} />
      <section id="disclosures" hidden={rows === undefined}>
        <p>{t('intro')}</p>
        {rows?.length === 0 ? <p id="no-disclosures">{t('none')}</p> : null}
        <ol id="disclosure-rows" class="items">
          {(rows ?? []).map((d) => (
            <li
              key={d.seq}
              data-seq={d.seq}
              data-client-id={d.clientId}
              data-endpoint={d.endpoint}
              tabindex={-1}
            >
              <p>
                <time dateTime={d.at}>{formatDateTime(d.at, locale)}</time>
                {' — '}
                {d.endpoint === 'userinfo' ? t('viaUserinfo') : t('viaToken')}
              </p>
              <p data-claims={d.claims.join(' ')}>
                {t('row', { rp: d.rpName, claims: claims.list(d.claims) })}
              </p>
            </li>
          ))}
        </ol>
        {next === null ? null : (
          <Buttons>
            <Button
              id="disclosures-more"
              variant="secondary"
              busy={busy}
              onClick={() => {
                setBusy(true);
                load(next)
                  .catch((e: unknown) => setError(describe(e)))
                  .finally(() => setBusy(false));
              }}
            >
              {t('more')}
            </Button>
          </Buttons>
        )}
      </section>
      <Status message={status} />
      <Alert error={error} />
    </div>
  );
}
