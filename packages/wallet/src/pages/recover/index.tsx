/**
 * Recovery after losing every passkey (`/wallet/recover`; also where the "no passkey left" state
 * leads): 1. sign in with the card — its user-authentication key and 4-digit PIN when that is set
 * up (pages/card-login, `next=recover`), or else the signing password, whose enrolment signature
 * finds the same account (enrolment README, "Same person") and signs the resident in; 2. register
 * a new passkey; and, if not yet done, set up signing in with the card for next time
 * (`POST /api/authn/card/binding`).
 */
import { startRegistration, type PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/browser';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api/client.ts';
import { Alert, Button, Buttons, LinkButton, Notice, PageTitle, Status } from '../../components/ui.tsx';
import { useT } from '../../i18n/index.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import type { PageProps } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { fromBase64, safeReturnTo, signWithCard } from '../../lib/card.ts';
import { CardBinding } from '../card-login/card-binding.tsx';
import { CardForm } from '../card-login/card-form.tsx';
import { messages } from './messages.ts';

interface Issued {
  readonly id: string;
  readonly document: { readonly bytes: string };
}

/** The recovery page. */
export default function RecoverPage({ query }: PageProps) {
  const t = useT(messages);
  const describe = useDescribeError(messages);
  const { session, refresh } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [attempt, setAttempt] = useState(0);
  const [created, setCreated] = useState(false);
  const [registered, setRegistered] = useState(false);
  const [cardBound, setCardBound] = useState<boolean | undefined>(undefined);
  const returnTo = safeReturnTo(query);
  const signedIn = session.status === 'signed-in';

  useEffect(() => {
    if (!signedIn) return;
    api<{ authenticators: Array<{ type: string }> }>('GET', '/api/authn/authenticators')
      .then((r) => setCardBound(r.authenticators.some((a) => a.type === 'card_auth')))
      .catch(() => setCardBound(undefined));
  }, [signedIn, registered]);

  const fail = (e: unknown) => {
    setStatus(undefined);
    setError(describe(e));
    setAttempt((n) => n + 1);
  };

  if (session.status === 'loading') return <p aria-busy="true">…</p>;

  if (!signedIn) {
    const signWithPassword = (card: { url: string; id: string }, pin: string) => {
      setBusy(true);
      setError(undefined);
      void (async () => {
        try {
          const issued = await api<Issued>('POST', '/api/enrolments', {});
          setStatus(t('signing'));
          const signed = await signWithCard(
            card.url,
            card.id,
            'sign',
            pin,
            fromBase64(issued.document.bytes),
          );
          setStatus(t('checking'));
          const done = await api<{ created: boolean }>(
            'POST',
            `/api/enrolments/${encodeURIComponent(issued.id)}/complete`,
            signed,
          );
          setCreated(done.created);
          setStatus(undefined);
          await refresh();
        } catch (e) {
          fail(e);
        } finally {
          setBusy(false);
        }
      })();
    };
    return (
      <div id="recover">
        <PageTitle text={t('title')} />
        <p>{t('intro')}</p>
        <section aria-labelledby="step1">
          <h2 id="step1">{t('step1')}</h2>
          <p class="hint">{t('withPinHint')}</p>
          <Buttons>
            <LinkButton
              id="recover-card-login"
              href={`/wallet/card-login?next=recover${returnTo === undefined ? '' : `&return_to=${encodeURIComponent(returnTo)}`}`}
            >
              {t('withPin')}
            </LinkButton>
          </Buttons>
          <h3>{t('withPassword')}</h3>
          <p>{t('withPasswordHint')}</p>
          <Alert error={error} />
          <CardForm
            kind="sign"
            pinLabel={t('pin')}
            pinHint={t('pinHint')}
            submit={t('submit')}
            busy={busy}
            attempt={attempt}
            onSubmit={signWithPassword}
            onInvalid={(e) => setError(describe(e))}
          />
          <Status message={status} />
        </section>
      </div>
    );
  }

  const register = () => {
    setBusy(true);
    setError(undefined);
    setStatus(t('waiting'));
    void (async () => {
      try {
        const optionsJSON = await api<PublicKeyCredentialCreationOptionsJSON>(
          'POST',
          '/api/authn/passkeys/registration/options',
          {},
        );
        const response = await startRegistration({ optionsJSON });
        await api('POST', '/api/authn/passkeys/registration', { response });
        setStatus(undefined);
        setRegistered(true);
      } catch (e) {
        fail(e);
      } finally {
        setBusy(false);
      }
    })();
  };

  return (
    <div id="recover">
      <PageTitle text={registered ? t('doneTitle') : t('title')} />
      {created ? <p id="recover-new-account">{t('newAccount')}</p> : null}
      <Alert error={error} />
      {registered ? (
        <Notice kind="success" id="recover-done">
          <p>{t('done')}</p>
          <Buttons>
            {returnTo === undefined ? (
              <LinkButton href="/wallet/passkeys" id="to-passkeys">
                {t('toPasskeys')}
              </LinkButton>
            ) : (
              <LinkButton href={returnTo} id="to-service">
                {t('backToService')}
              </LinkButton>
            )}
          </Buttons>
        </Notice>
      ) : (
        <section aria-labelledby="step2">
          <h2 id="step2">{t('step2')}</h2>
          <p>{t('signedIn')}</p>
          <Buttons>
            <Button id="register-passkey" busy={busy} onClick={register}>
              {t('register')}
            </Button>
          </Buttons>
        </section>
      )}
      <Status message={status} />
      {/* Stays once offered: it says when the card is set up. */}
      {cardBound === false ? <CardBinding /> : null}
    </div>
  );
}
