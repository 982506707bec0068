/**
 * The step-up page (`/wallet/step-up?return_to=/oidc/interaction/<uid>&…`; the interaction's
 * login step hands over here when the signed-in resident falls short of what the service asks,
 * oidc/login.ts): what is needed, in words, and the ways this resident has to reach it — or,
 * when none does (a level-3 check without a hardware key), a clear refusal and the way back to
 * the service, which then learns that the level could not be met.
 */
import { useEffect, useState } from 'preact/hooks';
import { abortInteraction, getInteraction, type LoginDetailsJson, type StepUpWay } from '../../api/client.ts';
import { Alert, Button, Buttons, LinkButton, Notice, PageTitle } from '../../components/ui.tsx';
import { useLocale, useT } from '../../i18n/index.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import type { PageProps } from '../../router.tsx';
import { messages } from './messages.ts';

const INTERACTION = /^\/oidc\/interaction\/([A-Za-z0-9_-]{1,64})$/;

const WAY_KEYS = {
  passkey: 'passkey',
  hardware_key: 'hardwareKey',
  card: 'card',
  card_reproof: 'cardReproof',
} as const satisfies Record<StepUpWay, string>;

/** Where each way starts, coming back to the interaction when done. */
function wayHref(way: StepUpWay, returnTo: string, query: URLSearchParams): string {
  const q = new URLSearchParams({ return_to: returnTo });
  for (const k of ['acr_values', 'step_up']) {
    const v = query.get(k);
    if (v !== null) q.set(k, v);
  }
  if (way === 'card') return `/wallet/card-login?${q.toString()}`;
  if (way === 'card_reproof') return `/wallet/reproof?${q.toString()}`;
  return `/wallet/login?${q.toString()}`;
}

/** The step-up page. */
export default function StepUpPage({ query }: PageProps) {
  const t = useT(messages);
  const locale = useLocale();
  const describe = useDescribeError(messages);
  const returnTo = query.get('return_to') ?? '';
  // Only an interaction of this OP (no open redirect).
  const uid = INTERACTION.exec(returnTo)?.[1];
  const [details, setDetails] = useState<LoginDetailsJson | undefined>(undefined);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (uid === undefined) {
      location.replace('/wallet/error/not-found');
      return;
    }
    getInteraction(uid, locale).then(
      (d) => {
        if (d.prompt !== 'login' || d.stepUp === null) location.assign(returnTo);
        else setDetails(d);
      },
      (e: unknown) => setError(describe(e)),
    );
  }, [uid, locale]);

  const back = (): void => {
    if (uid === undefined || details === undefined) return;
    setBusy(true);
    abortInteraction(uid, details.csrf).then(
      (r) => location.assign(r.location),
      (e: unknown) => {
        setBusy(false);
        setError(describe(e));
      },
    );
  };

  const stepUp = details?.stepUp ?? null;
  const title = stepUp?.reason === 'proofing' ? t('titleProofing') : t('title');
  if (details === undefined || stepUp === null)
    return (
      <div id="step-up">
        <PageTitle text={t('title')} />
        <Alert error={error} />
      </div>
    );
  const needed =
    stepUp.reason === 'proofing' ? t('levelProofing') : stepUp.needed.aal >= 3 ? t('level3') : t('level2');
  return (
    <div id="step-up" data-possible={stepUp.possible ? 'true' : 'false'}>
      <PageTitle text={title} />
      {details.signedInAs?.displayName ? (
        <p class="hint" id="step-up-signed-in-as">
          {t('signedInAs', { name: details.signedInAs.displayName })}
        </p>
      ) : null}
      <p id="asks">{t('asks', { rp: details.rp.name })}</p>
      <p id="needed">{needed}</p>
      {stepUp.possible ? (
        <section aria-labelledby="ways-title" id="ways">
          <h2 id="ways-title">{t('ways')}</h2>
          <Buttons>
            {stepUp.ways.map((w, i) => (
              <LinkButton
                key={w}
                id={`way-${w}`}
                href={wayHref(w, returnTo, query)}
                variant={i === 0 ? 'primary' : 'secondary'}
              >
                {t(WAY_KEYS[w])}
              </LinkButton>
            ))}
          </Buttons>
        </section>
      ) : (
        <Notice id="impossible" kind="warning" title={t('impossibleTitle')}>
          <p>{t('impossibleBody')}</p>
        </Notice>
      )}
      <Alert error={error} />
      <Buttons>
        <Button
          id="back-to-service"
          variant={stepUp.possible ? 'secondary' : 'primary'}
          busy={busy}
          onClick={back}
        >
          {t('back')}
        </Button>
      </Buttons>
    </div>
  );
}
