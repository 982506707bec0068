/**
 * Sign in with a discoverable passkey. When a relying party sent the resident here
 * (`?return_to=/oidc/interaction/…`, lib/return-to.ts), the page says why and goes back there
 * after signing in; the enrolment link carries the request along.
 */
import { useState } from 'preact/hooks';
import { Alert, Button, Buttons, LinkButton, Notice, PageTitle, Status } from '../../components/ui.tsx';
import { useT } from '../../i18n/index.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import { signInWithPasskey } from '../../lib/passkeys.ts';
import { carry, serviceRequest } from '../../lib/return-to.ts';
import { navigate, type PageProps } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { messages } from './messages.ts';

/** The sign-in page. */
export default function LoginPage(_props: PageProps) {
  const t = useT(messages);
  const describe = useDescribeError(messages);
  const { refresh } = useSession();
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const request = serviceRequest();
  const why =
    request === undefined
      ? undefined
      : request.stepUp === 'proofing'
        ? t('forProofing')
        : request.stepUp === 'authentication'
          ? t('forStepUp')
          : t('forService');
  const signIn = (): void => {
    setBusy(true);
    setError(undefined);
    setStatus(t('waiting'));
    signInWithPasskey()
      .then(async () => {
        setStatus(t('signedIn'));
        if (request !== undefined) {
          location.assign(request.returnTo);
          return;
        }
        await refresh();
        navigate('/wallet/account');
      })
      .catch((e: unknown) => {
        setStatus(undefined);
        setError(describe(e));
      })
      .finally(() => setBusy(false));
  };
  return (
    <div id="login">
      <PageTitle text={t('title')} />
      {why === undefined ? null : (
        <Notice id="service-request">
          <p>{why}</p>
        </Notice>
      )}
      <p>{t('intro')}</p>
      <Buttons>
        <Button id="login-passkey" busy={busy} onClick={signIn}>
          {t('signIn')}
        </Button>
      </Buttons>
      <Status message={status} />
      <Alert error={error} />
      <h2>{t('notYet')}</h2>
      <LinkButton
        id="to-enrol"
        variant="secondary"
        href={request === undefined ? '/wallet/enrol' : carry('/wallet/enrol', request)}
      >
        {t('enrol')}
      </LinkButton>
    </div>
  );
}
