/**
 * Sign in with a discoverable passkey. When a relying party sent the resident here
 * (`?return_to=/oidc/interaction/…`, lib/return-to.ts), the page says why and goes back there
 * after signing in; the enrolment link carries the request along. With a service's request it
 * also offers signing in with the phone by QR (cross-device.tsx).
 */
import { useEffect, useState } from 'preact/hooks';
import { Alert, Button, Buttons, LinkButton, Notice, PageTitle, Status } from '../../components/ui.tsx';
import { useT } from '../../i18n/index.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import { signInKeys, signInWithDeviceKey } from '../../lib/device-cert.ts';
import type { DeviceKey } from '../../lib/device-key.ts';
import { signInWithPasskey } from '../../lib/passkeys.ts';
import { carry, serviceRequest } from '../../lib/return-to.ts';
import { afterSignIn } from '../cross-device/pending.ts';
import { navigate, type PageProps } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { CrossDeviceSignIn } from './cross-device.tsx';
import { messages } from './messages.ts';

/** The sign-in page. */
export default function LoginPage(_props: PageProps) {
  const t = useT(messages);
  const describe = useDescribeError(messages);
  const { refresh } = useSession();
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const [deviceKeys, setDeviceKeys] = useState<DeviceKey[]>([]);
  useEffect(() => {
    // A key whose certificate was revoked is erased by the layout's start-up check first.
    signInKeys()
      .then(setDeviceKeys)
      .catch(() => setDeviceKeys([]));
  }, []);
  const request = serviceRequest();
  const why =
    request === undefined
      ? undefined
      : request.stepUp === 'proofing'
        ? t('forProofing')
        : request.stepUp === 'authentication'
          ? t('forStepUp')
          : t('forService');
  const signIn = (device?: DeviceKey): void => {
    setBusy(true);
    setError(undefined);
    setStatus(device === undefined ? t('waiting') : undefined);
    (device === undefined ? signInWithPasskey() : signInWithDeviceKey(device))
      .then(async () => {
        setStatus(t('signedIn'));
        if (request !== undefined) {
          location.assign(request.returnTo);
          return;
        }
        await refresh();
        navigate(afterSignIn('/wallet/account'));
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
      {deviceKeys.length === 0 ? null : (
        <>
          <p id="device-key-hint">{t('withDeviceHint')}</p>
          <Buttons>
            {deviceKeys.map((k) => (
              <Button key={k.accountId} id="login-device" busy={busy} onClick={() => signIn(k)}>
                {t('withDevice')}
              </Button>
            ))}
          </Buttons>
        </>
      )}
      <Buttons>
        <Button
          id="login-passkey"
          variant={deviceKeys.length === 0 ? 'primary' : 'secondary'}
          busy={busy}
          onClick={() => signIn()}
        >
          {t('signIn')}
        </Button>
      </Buttons>
      <Status message={status} />
      <Alert error={error} />
      {/* A computer without a passkey: approve on the phone (docs/cross-device.md). */}
      {request === undefined ? null : <CrossDeviceSignIn returnTo={request.returnTo} />}
      {/* The card pages (wallet-card): a re-proof the service asked for, card sign-in, recovery. */}
      {request?.stepUp === 'proofing' ? (
        <p>
          <a id="to-reproof" href={carry('/wallet/reproof', request)}>
            {t('reproof')}
          </a>
        </p>
      ) : null}
      <p>
        <a
          id="to-card-login"
          href={request === undefined ? '/wallet/card-login' : carry('/wallet/card-login', request)}
        >
          {t('withCard')}
        </a>
      </p>
      <p>
        <a id="to-recover" href="/wallet/recover">
          {t('lostPasskeys')}
        </a>
      </p>
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
