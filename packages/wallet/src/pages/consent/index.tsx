/**
 * The OpenID Provider's consent screen (`/wallet/consent/:uid`; the interaction hands over here,
 * oidc/routes.ts): the service's name and purpose, who is signed in, a choice of what to share —
 * every persona, everything asked for and, when the service now asks for more than last time,
 * "the same as last time" — and the exact values that choice sends, updated as the choice
 * changes. The choice remembered for this service is preselected and never sends more than last
 * time (the server decides it: `selected`). Agree and refuse are two equally large buttons.
 */
import { useEffect, useState } from 'preact/hooks';
import {
  decideConsent,
  getInteraction,
  type ConsentDetailsJson,
  type ConsentOptionView,
} from '../../api/client.ts';
import { Alert, Button, Check, Facts, Notice, PageTitle } from '../../components/ui.tsx';
import { useLocale, useT } from '../../i18n/index.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import type { PageProps } from '../../router.tsx';
import { messages } from './messages.ts';

/** The consent page. */
export default function ConsentPage({ params }: PageProps) {
  const t = useT(messages);
  const locale = useLocale();
  const describe = useDescribeError(messages);
  const uid = params['uid'] ?? '';
  const [details, setDetails] = useState<ConsentDetailsJson | undefined>(undefined);
  const [choice, setChoice] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const [busy, setBusy] = useState<'approve' | 'deny' | undefined>(undefined);

  useEffect(() => {
    // Values are formatted in the page's language, so a language switch reads them again.
    getInteraction(uid, locale).then(
      (d) => {
        if (d.prompt !== 'consent') {
          // Not (or no longer) at the consent step: the interaction itself knows where to go.
          location.assign(`/oidc/interaction/${encodeURIComponent(uid)}`);
          return;
        }
        setDetails(d);
        setChoice((c) => c ?? d.selected);
      },
      (e: unknown) => setError(describe(e)),
    );
  }, [uid, locale]);

  const answer = (decision: 'approve' | 'deny'): void => {
    if (details === undefined || choice === undefined) return;
    setBusy(decision);
    setError(undefined);
    const done =
      decision === 'approve'
        ? decideConsent(uid, { csrf: details.csrf, decision, persona: choice })
        : decideConsent(uid, { csrf: details.csrf, decision, persona: details.selected });
    done.then(
      (r) => location.assign(r.location),
      (e: unknown) => {
        setBusy(undefined);
        setError(describe(e));
      },
    );
  };

  if (details === undefined)
    return (
      <div id="consent">
        <PageTitle text={t('title', { rp: '…' })} />
        <Alert error={error} />
      </div>
    );

  const optionLabel = (o: ConsentOptionView): string =>
    o.kind === 'persona'
      ? (o.name ?? '')
      : o.kind === 'all'
        ? t('optionAll')
        : o.name === null
          ? t('optionPrevious')
          : t('optionPreviousPersona', { name: o.name });
  const picked = details.options.find((o) => o.id === choice) ?? details.options[0];
  const labelOf = (claim: string): string =>
    details.options.flatMap((o) => o.values).find((v) => v.claim === claim)?.label ?? '';
  return (
    <div id="consent">
      <PageTitle text={t('title', { rp: details.rp.name })} />
      <p id="consent-signed-in-as" class="hint">
        {details.signedInAs.displayName === null
          ? t('signedInAsNoName')
          : t('signedInAs', { name: details.signedInAs.displayName })}
      </p>
      <Facts id="rp-purpose" rows={[[t('purpose'), details.rp.purpose]]} />
      {details.options.length > 1 ? (
        <fieldset class="field" id="persona-choice">
          <legend>{t('choose')}</legend>
          <p class="hint">{t('chooseHint')}</p>
          {details.options.map((o) => (
            <Check
              key={o.id}
              type="radio"
              name="persona"
              id={`option-${o.kind}-${o.id === '' ? 'all' : o.id}`}
              value={o.id}
              checked={picked?.id === o.id}
              onChange={() => setChoice(o.id)}
              {...(o.widens ? { hint: t('widens') } : {})}
            >
              {optionLabel(o)}
            </Check>
          ))}
        </fieldset>
      ) : null}
      {details.newClaims.length > 0 ? (
        <Notice id="new-claims" kind="warning" title={t('newTitle')}>
          <p>{t('newBody', { claims: details.newClaims.map(labelOf).join('、') })}</p>
        </Notice>
      ) : null}
      <section aria-labelledby="will-send-title" id="will-send" aria-live="polite">
        <h2 id="will-send-title">{t('willSend')}</h2>
        {picked === undefined || picked.values.length === 0 ? (
          <p>{t('onlyId')}</p>
        ) : (
          <Facts rows={picked.values.map((v) => [v.label, v.display ?? t('noValue')] as const)} />
        )}
      </section>
      {details.verified ? <p>{t('verified')}</p> : null}
      {details.offline ? <p>{t('offline')}</p> : null}
      <Alert error={error} />
      <div class="buttons consent-answer">
        <Button
          id="approve"
          variant="primary"
          busy={busy === 'approve'}
          disabled={busy !== undefined}
          onClick={() => answer('approve')}
        >
          {busy === 'approve' ? t('sending') : t('approve')}
        </Button>
        <Button
          id="deny"
          variant="secondary"
          busy={busy === 'deny'}
          disabled={busy !== undefined}
          onClick={() => answer('deny')}
        >
          {t('deny')}
        </Button>
      </div>
    </div>
  );
}
