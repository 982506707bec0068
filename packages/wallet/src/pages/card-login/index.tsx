/**
 * Sign in with the My Number card (`/wallet/card-login`): the card's user-authentication key signs
 * a platform challenge after its 4-digit PIN is verified (authn/card.ts): `POST
 * /api/authn/card/login/options`, the card signs `message`, `POST /api/authn/card/login`. The key
 * finds the account it was bound to. Reached from the login page, from the OpenID Provider's
 * step-up (`return_to=/oidc/interaction/…`) and from the "no passkey left" state; `next=recover`
 * goes on to register a new passkey.
 */
import { useState } from 'preact/hooks';
import { api } from '../../api/client.ts';
import { Alert, Notice, PageTitle, Status } from '../../components/ui.tsx';
import { useT } from '../../i18n/index.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import { afterSignIn } from '../cross-device/pending.ts';
import { navigate, type PageProps } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { fromBase64, safeReturnTo, signWithCard } from '../../lib/card.ts';
import { CardForm } from './card-form.tsx';
import { messages } from './messages.ts';

interface CardChallenge {
  readonly challenge: string;
  /** The bytes the card signs (base64). */
  readonly message: string;
}

/** Signs in with the card; resolves with the account id. */
export async function cardSignIn(card: { url: string; id: string }, pin: string, onReading: () => void) {
  const ch = await api<CardChallenge>('POST', '/api/authn/card/login/options', {});
  onReading();
  const proof = await signWithCard(card.url, card.id, 'auth', pin, fromBase64(ch.message));
  return api<{ accountId: string }>('POST', '/api/authn/card/login', { challenge: ch.challenge, ...proof });
}

/** The card sign-in page. */
export default function CardLoginPage({ query }: PageProps) {
  const t = useT(messages);
  const describe = useDescribeError(messages);
  const { refresh } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [attempt, setAttempt] = useState(0);
  const returnTo = safeReturnTo(query);
  const recovering = query.get('next') === 'recover';
  const stepUp = query.get('step_up') !== null;

  const submit = (card: { url: string; id: string }, pin: string) => {
    setBusy(true);
    setError(undefined);
    setStatus(t('reading'));
    cardSignIn(card, pin, () => setStatus(t('checking')))
      .then(async () => {
        setStatus(t('signedIn'));
        await refresh();
        const to = recovering ? '/wallet/recover' : (returnTo ?? afterSignIn('/wallet/account'));
        navigate(to);
      })
      .catch((e: unknown) => {
        setStatus(undefined);
        setError(describe(e));
        setAttempt((n) => n + 1);
      })
      .finally(() => setBusy(false));
  };

  return (
    <div id="card-login">
      <PageTitle text={t('title')} />
      <p>{stepUp ? t('stepUpIntro') : t('intro')}</p>
      <Alert error={error} />
      {error?.code === 'authn_card_not_bound' || error?.code === 'authn_authenticator_revoked' ? (
        <p>
          <a
            id="to-recover"
            href={`/wallet/recover${returnTo === undefined ? '' : `?return_to=${encodeURIComponent(returnTo)}`}`}
          >
            {t('toRecover')}
          </a>
        </p>
      ) : null}
      <CardForm
        kind="auth"
        pinLabel={t('pin')}
        pinHint={t('pinHint')}
        submit={t('submit')}
        busy={busy}
        attempt={attempt}
        onSubmit={submit}
        onInvalid={(e) => setError(describe(e))}
      />
      <Status message={status} />
      <Notice title={t('otherWays')}>
        <ul>
          <li>
            <a
              href={`/wallet/login${returnTo === undefined ? '' : `?return_to=${encodeURIComponent(returnTo)}`}`}
            >
              {t('usePasskey')}
            </a>
          </li>
          <li>
            <a href="/wallet/recover" id="lost-passkeys">
              {t('lostPasskeys')}
            </a>
          </li>
        </ul>
      </Notice>
    </div>
  );
}
