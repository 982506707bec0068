/**
 * Credentials to show in person (`/wallet/credentials`, docs/credentials.md): receive the
 * platform's SD-JWT VC (bound to the device key), see what it holds in plain words and whether it
 * is usable, scan a counter's QR with the camera (components/qr-scanner.tsx), see exactly what
 * will be told and to whom, confirm, and send. Nothing is sent before the resident confirms. A
 * counter with no network (docs/credentials.md §4.1) asks for the answer as a QR: after the same
 * confirmation the presentation is shown on this screen for the counter's camera, and nothing is
 * sent at all.
 */
import { useEffect, useState } from 'preact/hooks';
import { QrScanner } from '../../components/qr-scanner.tsx';
import { SignedOut } from '../../components/signed-out.tsx';
import { Alert, Button, Buttons, Facts, Notice, PageTitle, Status } from '../../components/ui.tsx';
import { useLocale, useT } from '../../i18n/index.ts';
import { DERIVED, useClaims, VERIFIED } from '../../lib/claims.ts';
import {
  createPresentation,
  credentialClaims,
  listCredentials,
  presentCredential,
  readPresentationRequest,
  receiveCredential,
  storedCredential,
  type CredentialView,
  type PresentationRequest,
} from '../../lib/credentials.ts';
import { formatDate } from '../../lib/dates.ts';
import { qrPath } from '../../lib/qr.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import type { PageProps } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { messages } from './messages.ts';

/** The credentials page. */
export default function CredentialsPage(_props: PageProps) {
  const t = useT(messages);
  const locale = useLocale();
  const claims = useClaims();
  const describe = useDescribeError(messages);
  const { session } = useSession();
  const accountId = session.status === 'signed-in' ? session.me.account.id : undefined;
  const [held, setHeld] = useState<readonly string[] | undefined>(undefined);
  const [current, setCurrent] = useState<CredentialView | undefined>(undefined);
  const [scanning, setScanning] = useState(false);
  const [request, setRequest] = useState<PresentationRequest | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  /** The presentation shown as a QR for a counter with no network. */
  const [shown, setShown] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ShownError | undefined>(undefined);

  const load = async (id: string): Promise<void> => {
    const stored = await storedCredential(id);
    // Only the attributes, in the wallet's usual order: never the SD-JWT's own members (iss, cnf…).
    const inside = stored === undefined ? {} : await credentialClaims(stored.sdJwt);
    setHeld([...VERIFIED, ...DERIVED].filter((c) => Object.hasOwn(inside, c)));
    setCurrent((await listCredentials())[0]);
  };
  useEffect(() => {
    if (accountId !== undefined) load(accountId).catch((e: unknown) => setError(describe(e)));
  }, [accountId]);

  if (session.status === 'signed-out' || accountId === undefined)
    return (
      <div id="credentials">
        <PageTitle text={t('title')} />
        {session.status === 'signed-out' ? <SignedOut /> : null}
      </div>
    );

  const run = (fn: () => Promise<void>): void => {
    setBusy(true);
    setError(undefined);
    setStatus(undefined);
    fn()
      .catch((e: unknown) => setError(describe(e)))
      .finally(() => setBusy(false));
  };
  const receive = () =>
    run(async () => {
      await receiveCredential(accountId);
      await load(accountId);
      setStatus(t('received'));
    });
  const send = (r: PresentationRequest) =>
    run(async () => {
      setRequest(undefined);
      if (r.mode === 'qr') {
        setShown(await createPresentation(accountId, r));
        setStatus(t('shown'));
        return;
      }
      await presentCredential(accountId, r);
      setStatus(t('sent'));
    });
  const usable = current?.status === 'valid' && held !== undefined && held.length > 0;

  return (
    <div id="credentials">
      <PageTitle text={t('title')} />
      <p>{t('intro')}</p>
      <Status message={status} />
      <Alert error={error} />
      {request !== undefined ? (
        <Notice kind="info" title={t('confirmTitle')} id="confirm">
          <p id="disclose" class="large">
            {request.claims.map((c) => claims.label(c)).join('、')}
          </p>
          <Facts rows={[[t('to'), `${request.verifierName ?? ''} (${request.verifierHost})`]]} />
          {request.mode === 'qr' ? <p>{t('byQr')}</p> : null}
          <Buttons>
            <Button id="send" busy={busy} onClick={() => send(request)}>
              {request.mode === 'qr' ? t('showQr') : t('send')}
            </Button>
            <Button
              id="cancel"
              variant="secondary"
              onClick={() => {
                setRequest(undefined);
                setStatus(t('cancelled'));
              }}
            >
              {t('cancel')}
            </Button>
          </Buttons>
        </Notice>
      ) : null}
      {shown !== undefined ? (
        <section aria-labelledby="shown-title" id="presentation">
          <h2 id="shown-title">{t('shownTitle')}</h2>
          <p>{t('shownHelp')}</p>
          <QrCode text={shown} label={t('shownQr')} />
          <Buttons>
            <Button
              id="close-presentation"
              variant="secondary"
              onClick={() => {
                setShown(undefined);
                setStatus(t('closed'));
              }}
            >
              {t('close')}
            </Button>
          </Buttons>
        </section>
      ) : null}
      {scanning ? (
        <section aria-labelledby="scan-title">
          <p id="scan-title">{t('scanning')}</p>
          <QrScanner
            label={t('camera')}
            accept={(text) => text.startsWith('openid4vp:')}
            onCode={(text) => {
              setScanning(false);
              try {
                setRequest(readPresentationRequest(text));
              } catch (e) {
                setError(describe(e));
              }
            }}
            onError={() => {
              setScanning(false);
              setError({ code: 'camera', text: t('err_camera') });
            }}
          />
          <Buttons>
            <Button variant="secondary" onClick={() => setScanning(false)}>
              {t('stopScan')}
            </Button>
          </Buttons>
        </section>
      ) : null}
      {held === undefined ? null : held.length === 0 || current === undefined ? (
        <p id="none">{t('none')}</p>
      ) : (
        <section aria-labelledby="held-title" id="held">
          <h2 id="held-title">{t('holds')}</h2>
          <p>{claims.list(held)}</p>
          <Facts
            rows={[
              [t('issuedAt'), formatDate(current.issuedAt, locale)],
              [t('expiresAt'), formatDate(current.expiresAt, locale)],
              [t('state'), t(`state_${current.status}`)],
            ]}
          />
        </section>
      )}
      {!scanning && request === undefined && shown === undefined ? (
        <Buttons>
          {usable ? (
            <Button id="scan" onClick={() => setScanning(true)}>
              {t('scan')}
            </Button>
          ) : null}
          <Button id="receive" variant={usable ? 'secondary' : 'primary'} busy={busy} onClick={receive}>
            {held !== undefined && held.length > 0 ? t('receiveAgain') : t('receive')}
          </Button>
        </Buttons>
      ) : null}
    </div>
  );
}

/**
 * A QR code drawn as one SVG path (lib/qr.ts), on white with its quiet zone, as wide as the screen
 * allows (28rem at most) but with every module a whole number of device pixels: modules of uneven
 * width (7 and 8 pixels, say) make jsQR lose its grid on a large code (docs/credentials.md §4.1).
 */
function QrCode({ text, label }: { text: string; label: string }) {
  const { size, d } = qrPath(text);
  const [width, setWidth] = useState(document.documentElement.clientWidth);
  useEffect(() => {
    const resized = (): void => setWidth(document.documentElement.clientWidth);
    window.addEventListener('resize', resized);
    return () => window.removeEventListener('resize', resized);
  }, []);
  const dpr = window.devicePixelRatio > 0 ? window.devicePixelRatio : 1;
  const room = Math.min(width - 32, 448);
  const side = (Math.max(1, Math.floor((room * dpr) / size)) * size) / dpr;
  return (
    <svg
      id="presentation-qr"
      class="qr-code"
      role="img"
      aria-label={label}
      width={side}
      height={side}
      viewBox={`0 0 ${size} ${size}`}
      shape-rendering="crispEdges"
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
