/**
 * Re-proving in one step (`/wallet/reproof`), from the notice 「引っ越しまたは氏名の変更により、
 * カードの署名用電子証明書が失効しました」 (notice `action: "reproof"`) or from the OpenID Provider's
 * step-up (`step_up=proofing`, `return_to=/oidc/interaction/…`): the signed-in resident signs a
 * re-proofing document with the card's (new) signing certificate — `POST /api/enrolments/reproofing`,
 * the card signs the document's exact bytes, `POST /api/enrolments/reproofing/:id/complete`. The
 * same account is kept (so the same pairwise `sub` at every service) and the session goes on.
 *
 * What you see is what you sign: the summary is read from the very bytes the card signs.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, getNotices } from '../../api/client.ts';
import { Alert, Facts, LinkButton, Buttons, Notice, PageTitle, Status } from '../../components/ui.tsx';
import { useLocale, useT } from '../../i18n/index.ts';
import { formatDateTime } from '../../lib/dates.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import type { PageProps } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { fromBase64, safeReturnTo, signWithCard } from '../../lib/card.ts';
import { CardForm } from '../card-login/card-form.tsx';
import { messages } from './messages.ts';

type NoticeJson = Awaited<ReturnType<typeof getNotices>>[number];

interface Issued {
  readonly id: string;
  readonly document: { readonly bytes: string };
}

/** The parts of the signed document shown (src/enrolment/document.ts `EnrolmentDocument`). */
interface DocumentSummary {
  readonly purpose: string;
  readonly operator: { readonly id: string; readonly url: string };
  readonly attributes: readonly string[];
  readonly expiresAt: string;
}

function parseDocument(bytes: Uint8Array): DocumentSummary {
  const d = JSON.parse(
    new TextDecoder('utf-8', { fatal: true }).decode(bytes),
  ) as Partial<DocumentSummary> & {
    type?: string;
  };
  if (d.type !== 'watashi/enrolment-document' || d.purpose !== 'reproofing' || !Array.isArray(d.attributes))
    throw new TypeError('not a re-proofing document');
  return d as DocumentSummary;
}

/** The re-proofing page. */
export default function ReproofPage({ query }: PageProps) {
  const t = useT(messages);
  const locale = useLocale();
  const describe = useDescribeError(messages);
  const { session, refresh } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [attempt, setAttempt] = useState(0);
  const [doc, setDoc] = useState<{ id: string; bytes: Uint8Array; summary: DocumentSummary } | undefined>(
    undefined,
  );
  const shown = doc?.summary;
  const [done, setDone] = useState<{ proofingLevel: number } | undefined>(undefined);
  const [notice, setNotice] = useState<NoticeJson | undefined>(undefined);
  const returnTo = safeReturnTo(query);
  const here = `/wallet/reproof${returnTo === undefined ? '' : `?return_to=${encodeURIComponent(returnTo)}`}`;

  const signedIn = session.status === 'signed-in';
  // The document is issued and shown before anything is signed (what you see is what you sign).
  const issue = async () => {
    const issued = await api<Issued>('POST', '/api/enrolments/reproofing', {});
    const bytes = fromBase64(issued.document.bytes);
    const next = { id: issued.id, bytes, summary: parseDocument(bytes) };
    setDoc(next);
    return next;
  };
  useEffect(() => {
    if (!signedIn) return;
    if (doc === undefined) issue().catch((e: unknown) => setError(describe(e)));
    // The notice that brought the resident here (what happened), in the resident's language.
    getNotices()
      .then((list) => setNotice(list.find((n) => n.action === 'reproof')))
      .catch(() => setNotice(undefined));
  }, [signedIn]);

  if (session.status === 'loading') return <p aria-busy="true">…</p>;
  if (session.status !== 'signed-in')
    return (
      <div id="reproof">
        <PageTitle text={t('title')} />
        <p>{t('why')}</p>
        <Notice kind="warning" title={t('signedOut')} id="signed-out-reproof">
          <Buttons>
            <LinkButton href={`/wallet/login?return_to=${encodeURIComponent(here)}`}>
              {t('signInPasskey')}
            </LinkButton>
            <LinkButton variant="secondary" href={`/wallet/card-login?return_to=${encodeURIComponent(here)}`}>
              {t('signInCard')}
            </LinkButton>
          </Buttons>
        </Notice>
      </div>
    );

  if (done !== undefined)
    return (
      <div id="reproof">
        <PageTitle text={t('doneTitle')} />
        <Notice kind="success" id="reproof-done">
          <p>{t('done')}</p>
          <p id="reproof-level" data-level={done.proofingLevel}>
            {t('level', { level: t(`level${Math.min(3, Math.max(0, done.proofingLevel))}` as 'level3') })}
          </p>
        </Notice>
        <Buttons>
          {returnTo === undefined ? (
            <LinkButton href="/wallet/account" id="to-account">
              {t('toAccount')}
            </LinkButton>
          ) : (
            <LinkButton href={returnTo} id="to-service">
              {t('backToService')}
            </LinkButton>
          )}
        </Buttons>
      </div>
    );

  const submit = (card: { url: string; id: string }, pin: string) => {
    setBusy(true);
    setError(undefined);
    void (async () => {
      try {
        const current =
          doc === undefined || Date.parse(doc.summary.expiresAt) <= Date.now() ? await issue() : doc;
        setStatus(t('signing'));
        const signed = await signWithCard(card.url, card.id, 'sign', pin, current.bytes);
        setStatus(t('checking'));
        let r: { proofingLevel: number };
        try {
          r = await api<{ proofingLevel: number }>(
            'POST',
            `/api/enrolments/reproofing/${encodeURIComponent(current.id)}/complete`,
            signed,
          );
        } catch (e) {
          // A refused document is not signed again: a fresh one is shown for the next attempt.
          await issue().catch(() => undefined);
          throw e;
        }
        await refresh();
        setStatus(undefined);
        setDone(r);
      } catch (e) {
        setStatus(undefined);
        setError(describe(e));
        setAttempt((n) => n + 1);
      } finally {
        setBusy(false);
      }
    })();
  };

  const attrs = (shown?.attributes ?? ['name', 'address', 'birthDate', 'sex'])
    .map((a) => t(`attr_${a}` as 'attr_name'))
    .join(locale === 'en' ? ', ' : '、');
  return (
    <div id="reproof">
      <PageTitle text={t('title')} />
      {notice === undefined ? null : (
        <Notice kind="warning" id="reproof-notice">
          <p>{locale === 'en' ? notice.title.en : notice.title.ja}</p>
        </Notice>
      )}
      <p>{query.get('step_up') === 'proofing' ? t('stepUp') : t('why')}</p>
      <section aria-labelledby="what-you-sign">
        <h2 id="what-you-sign">{t('whatYouSign')}</h2>
        <Facts
          id="reproof-document"
          rows={[
            [t('request'), t('requestValue')],
            [
              t('operator'),
              shown === undefined ? location.host : shown.operator.url.replace(/^https?:\/\//, ''),
            ],
            [t('reads'), attrs],
            ...(shown === undefined
              ? []
              : ([[t('before'), formatDateTime(shown.expiresAt, locale)]] as const)),
          ]}
        />
      </section>
      <Alert error={error} />
      <CardForm
        kind="sign"
        pinLabel={t('pin')}
        pinHint={t('pinHint')}
        submit={t('submit')}
        busy={busy}
        attempt={attempt}
        onSubmit={submit}
        onInvalid={(e) => setError(describe(e))}
      />
      <Status message={status} />
    </div>
  );
}
