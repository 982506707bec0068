/**
 * Setting up sign-in with the card for next time, shared by every page that offers it (the end of
 * enrolment, recovery, the passkeys page): the card's user-authentication key signs the platform's
 * challenge after its 4-digit PIN is verified (`POST /api/authn/card/binding/options`, then
 * `POST /api/authn/card/binding`), so that losing every passkey never locks the resident out.
 * Always optional: `onSkip` shows a "not now" button.
 */
import { useState } from 'preact/hooks';
import { api } from '../../api/client.ts';
import { Alert, Button, Buttons, Notice, Status } from '../../components/ui.tsx';
import { useT } from '../../i18n/index.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import { CardForm } from './card-form.tsx';
import { fromBase64, signWithCard } from '../../lib/card.ts';
import { messages } from './messages.ts';

/** Props of {@link CardBinding}. */
export interface CardBindingProps {
  /** Called once the card is bound. */
  readonly onBound?: () => void;
  /** When given, a "not now" button calls it. */
  readonly onSkip?: () => void;
}

/** Binds the card's user-authentication key to the signed-in account. */
export function CardBinding(props: CardBindingProps) {
  const t = useT(messages);
  const describe = useDescribeError(messages);
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [bound, setBound] = useState(false);

  if (bound)
    return (
      <Notice kind="success" id="card-bound">
        <p>{t('bound')}</p>
      </Notice>
    );

  const bind = (card: { url: string; id: string }, pin: string) => {
    setBusy(true);
    setError(undefined);
    setStatus(t('reading'));
    void (async () => {
      try {
        const ch = await api<{ challenge: string; message: string }>(
          'POST',
          '/api/authn/card/binding/options',
          {},
        );
        const proof = await signWithCard(card.url, card.id, 'auth', pin, fromBase64(ch.message));
        setStatus(t('checking'));
        await api('POST', '/api/authn/card/binding', {
          challenge: ch.challenge,
          ...proof,
          label: t('cardLabel'),
        });
        setStatus(undefined);
        setBound(true);
        props.onBound?.();
      } catch (e) {
        setStatus(undefined);
        setError(describe(e));
        setAttempt((n) => n + 1);
      } finally {
        setBusy(false);
      }
    })();
  };

  return (
    <section aria-labelledby="bind-title" id="card-binding">
      <h2 id="bind-title">{t('bindTitle')}</h2>
      <p>{t('bindIntro')}</p>
      <Alert error={error} id="bind-error" />
      <CardForm
        kind="auth"
        pinLabel={t('pin')}
        pinHint={t('pinHint')}
        submit={t('bindSubmit')}
        busy={busy}
        attempt={attempt}
        onSubmit={bind}
        onInvalid={(e) => setError(describe(e))}
      />
      <Status message={status} id="bind-status" />
      {props.onSkip === undefined ? null : (
        <>
          <Buttons>
            <Button id="bind-skip" variant="secondary" onClick={props.onSkip}>
              {t('bindSkip')}
            </Button>
          </Buttons>
          <p class="hint">{t('bindLater')}</p>
        </>
      )}
    </section>
  );
}
