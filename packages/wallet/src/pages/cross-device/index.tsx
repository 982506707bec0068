/**
 * Sign in on a computer (`/wallet/cross-device`, docs/cross-device.md): the phone's side of the
 * cross-device sign-in. The resident scans the QR the computer's sign-in page shows (the camera
 * scanner, components/qr-scanner.tsx; or the phone's own camera app opens this page with the token
 * in the fragment `#t=…`), sees which service and where the sign-in was started — the network,
 * browser and system the platform saw, and whether that is this phone's network —, picks the
 * number the computer shows among three, and approves with this browser's device key
 * (lib/device-key.ts) over the exact bytes the platform gave for that number. A wrong pick stops
 * the sign-in for good.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { toBase64 } from '@watashi/pki';
import {
  approveCrossDevice,
  denyCrossDevice,
  lookupCrossDevice,
  type CrossDeviceView,
} from '../../api/client.ts';
import { QrScanner } from '../../components/qr-scanner.tsx';
import { keepPendingToken, takePendingToken } from './pending.ts';
import { SignedOut } from '../../components/signed-out.tsx';
import { Alert, Button, Buttons, Facts, Notice, PageTitle } from '../../components/ui.tsx';
import { useLocale, useT } from '../../i18n/index.ts';
import { formatDate } from '../../lib/dates.ts';
import { getDeviceKey, type DeviceKey } from '../../lib/device-key.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import type { PageProps } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { messages } from './messages.ts';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Browsers and systems by their product names (the same in every language; me/device.ts). */
const PRODUCTS: Readonly<Record<string, string>> = {
  edge: 'Edge',
  opera: 'Opera',
  samsung: 'Samsung Internet',
  firefox: 'Firefox',
  chrome: 'Chrome',
  safari: 'Safari',
  android: 'Android',
  ios: 'iPhone',
  ipados: 'iPad',
  windows: 'Windows',
  macos: 'Mac',
  chromeos: 'ChromeOS',
  linux: 'Linux',
};

/** The token of a scanned or opened cross-device URL (`…/wallet/cross-device#t=<token>`), if any. */
export function tokenOf(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text, location.href);
  } catch {
    return undefined;
  }
  if (url.origin !== location.origin || url.pathname !== '/wallet/cross-device') return undefined;
  const token = new URLSearchParams(url.hash.slice(1)).get('t');
  return token !== null && TOKEN.test(token) ? token : undefined;
}

/** The cross-device approval page. */
export default function CrossDevicePage(_props: PageProps) {
  const t = useT(messages);
  const locale = useLocale();
  const describe = useDescribeError(messages);
  const { session } = useSession();
  const accountId = session.status === 'signed-in' ? session.me.account.id : undefined;
  const [key, setKey] = useState<DeviceKey | null | undefined>(undefined);
  const [token, setToken] = useState<string | undefined>(() => tokenOf(location.href) ?? takePendingToken());
  const [view, setView] = useState<CrossDeviceView | undefined>(undefined);
  const [scanning, setScanning] = useState(false);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [done, setDone] = useState<'approved' | 'denied' | undefined>(undefined);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    // The token is not kept in the address bar (nor in history) once read.
    if (location.hash !== '') history.replaceState(history.state, '', location.pathname);
  }, []);
  useEffect(() => {
    if (accountId === undefined) return;
    getDeviceKey(accountId)
      .then(setKey)
      .catch(() => setKey(null));
  }, [accountId]);
  useEffect(() => {
    if (accountId === undefined || token === undefined) return;
    setError(undefined);
    lookupCrossDevice(token)
      .then((v) => {
        setView(v);
        headingRef.current?.focus();
      })
      .catch((e: unknown) => setError(describe(e)));
  }, [accountId, token]);

  if (session.status === 'signed-out') {
    // Signing in first must not lose the scanned QR (pending.ts).
    if (token !== undefined) keepPendingToken(token);
    return (
      <div id="cross-device-page">
        <PageTitle text={t('title')} />
        <SignedOut />
      </div>
    );
  }
  const certificate = key?.certificate() ?? null;
  const canSign = key !== null && key !== undefined && certificate !== null;

  const answer = (kind: 'approve' | 'deny', choice?: CrossDeviceView['choices'][number]): void => {
    if (token === undefined) return;
    setBusy(choice === undefined ? kind : String(choice.number));
    setError(undefined);
    (async () => {
      if (kind === 'deny') await denyCrossDevice(token);
      else {
        if (key === null || key === undefined || certificate === null || choice === undefined) return;
        const signature = await key.sign(new TextEncoder().encode(choice.signingInput));
        await approveCrossDevice(token, choice.number, toBase64(certificate), toBase64(signature));
      }
      setDone(kind === 'deny' ? 'denied' : 'approved');
    })()
      .catch((e: unknown) => {
        // A refused or expired request cannot be answered again: take its choices away.
        setView(undefined);
        setError(describe(e));
      })
      .finally(() => setBusy(undefined));
  };

  const origin = view?.origin;
  const device =
    origin === undefined
      ? ''
      : [
          (origin.device.browser === null ? undefined : PRODUCTS[origin.device.browser]) ??
            t('unknownBrowser'),
          (origin.device.system === null ? undefined : PRODUCTS[origin.device.system]) ?? t('unknownSystem'),
        ].join(' / ');
  return (
    <div id="cross-device-page">
      <PageTitle text={t('title')} />
      {done !== undefined ? (
        <Notice kind="success" id="xdevice-done" title={t(done === 'approved' ? 'approved' : 'denied')}>
          <p>{t(done === 'approved' ? 'approvedNext' : 'deniedNext')}</p>
        </Notice>
      ) : view !== undefined && origin !== undefined ? (
        <section aria-labelledby="xdevice-heading" id="xdevice-request">
          <h2 id="xdevice-heading" tabindex={-1} ref={headingRef}>
            {t('requestTitle', { rp: view.rp.name })}
          </h2>
          <Facts
            rows={[
              [t('rp'), view.rp.name],
              [t('purpose'), view.rp.purpose],
              [
                t('network'),
                <span id="xdevice-network">
                  {origin.network ?? t('unknownNetwork')}
                  {' — '}
                  {origin.sameNetworkAsThisPhone ? t('sameNetwork') : t('otherNetwork')}
                </span>,
              ],
              [t('device'), device],
              [
                t('startedAt'),
                <time dateTime={origin.startedAt}>
                  {formatDate(origin.startedAt, locale)}{' '}
                  {new Date(origin.startedAt).toLocaleTimeString(locale === 'en' ? 'en-GB' : 'ja-JP', {
                    hour: '2-digit',
                    minute: '2-digit',
                  })}
                </time>,
              ],
            ]}
          />
          <p class="hint">{t('noPlace')}</p>
          {origin.sameNetworkAsThisPhone ? null : (
            <Notice kind="warning" id="xdevice-other-network">
              <p>{t('otherNetworkWarning')}</p>
            </Notice>
          )}
          {canSign ? null : (
            <p id="no-device-key">
              {t('noKey')} <a href="/wallet/devices">{t('toDevices')}</a>
            </p>
          )}
          <h3 id="xdevice-pick">{t('pick')}</h3>
          <p>{t('pickHint')}</p>
          <div class="choices" role="group" aria-labelledby="xdevice-pick">
            {view.choices.map((c) => (
              <Button
                key={c.number}
                id={`xdevice-choice-${String(c.number)}`}
                disabled={!canSign || busy !== undefined}
                busy={busy === String(c.number)}
                onClick={() => answer('approve', c)}
              >
                {String(c.number)}
              </Button>
            ))}
          </div>
          <Buttons>
            <Button
              id="xdevice-deny"
              variant="secondary"
              disabled={busy !== undefined}
              busy={busy === 'deny'}
              onClick={() => answer('deny')}
            >
              {t('deny')}
            </Button>
          </Buttons>
        </section>
      ) : (
        <section aria-labelledby="xdevice-scan-title">
          <p id="xdevice-scan-title">{t('intro')}</p>
          {scanning ? (
            <>
              <p>{t('scanning')}</p>
              <QrScanner
                label={t('camera')}
                accept={(text) => tokenOf(text) !== undefined}
                onCode={(text) => {
                  setScanning(false);
                  setToken(tokenOf(text));
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
            </>
          ) : (
            <Buttons>
              <Button
                id="xdevice-scan"
                onClick={() => {
                  setError(undefined);
                  setToken(undefined);
                  setScanning(true);
                }}
              >
                {t('scan')}
              </Button>
            </Buttons>
          )}
        </section>
      )}
      <Alert error={error} />
    </div>
  );
}
