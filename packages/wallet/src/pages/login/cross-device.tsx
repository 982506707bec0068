/**
 * 「スマートフォンでサインイン」 on the sign-in page of a computer (docs/cross-device.md): shows a
 * QR for the wallet on the resident's phone and the 2-digit number to pick there, then asks the
 * platform every 2 s whether the phone answered (polling: a plain GET that works through every
 * proxy, for at most 2 minutes; docs/cross-device.md "Why polling"). Approved → the sign-in is
 * collected (once, by this browser only: the QR's cookie) and the browser goes on to the service.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { completeCrossDevice, crossDeviceStatus, startCrossDevice } from '../../api/client.ts';
import type { CrossDeviceStartJson, CrossDeviceStatus } from '../../api/client.ts';
import { Alert, Button, Buttons, Status } from '../../components/ui.tsx';
import { useT } from '../../i18n/index.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import { messages } from './messages.ts';

/** How often the computer asks whether the phone answered. */
const POLL_MS = 2000;

/** Statuses that end a QR: the resident must show a new one. */
const ENDED: ReadonlySet<CrossDeviceStatus> = new Set(['refused', 'denied', 'expired', 'used']);

/** The cross-device section of the sign-in page, for the interaction at `returnTo`. */
export function CrossDeviceSignIn({ returnTo }: { readonly returnTo: string }) {
  const t = useT(messages);
  const describe = useDescribeError(messages);
  const [shown, setShown] = useState<CrossDeviceStartJson | undefined>(undefined);
  const [state, setState] = useState<CrossDeviceStatus | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const collecting = useRef(false);

  const start = (): void => {
    setBusy(true);
    setError(undefined);
    setState(undefined);
    collecting.current = false;
    startCrossDevice(returnTo)
      .then((s) => {
        setShown(s);
        setState('waiting');
      })
      .catch((e: unknown) => setError(describe(e)))
      .finally(() => setBusy(false));
  };

  useEffect(() => {
    if (shown === undefined) return;
    let stopped = false;
    let timer: number | undefined;
    const poll = async (): Promise<void> => {
      const { status } = await crossDeviceStatus(returnTo, shown.id);
      if (stopped) return;
      setState(status);
      if (status === 'approved' && !collecting.current) {
        collecting.current = true;
        const { location: next } = await completeCrossDevice(returnTo, shown.id);
        location.assign(next);
        return;
      }
      if (ENDED.has(status)) {
        setShown(undefined);
        setError({ code: `xdevice_${status}`, text: t(`ended_${status as 'refused'}`) });
        return;
      }
      timer = window.setTimeout(() => void poll().catch(fail), POLL_MS);
    };
    const fail = (e: unknown): void => {
      if (stopped) return;
      setShown(undefined);
      setError(describe(e));
    };
    timer = window.setTimeout(() => void poll().catch(fail), POLL_MS);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [shown?.id]);

  const live =
    state === 'waiting'
      ? t('xdeviceWaiting')
      : state === 'scanned'
        ? t('xdeviceScanned')
        : state === 'approved'
          ? t('xdeviceApproved')
          : undefined;
  return (
    <section id="cross-device" aria-labelledby="cross-device-title">
      <h2 id="cross-device-title">{t('xdeviceTitle')}</h2>
      <p>{t('xdeviceIntro')}</p>
      {shown === undefined ? (
        <Buttons>
          <Button id="xdevice-start" variant="secondary" busy={busy} onClick={start}>
            {error === undefined ? t('xdeviceShow') : t('xdeviceShowAgain')}
          </Button>
        </Buttons>
      ) : (
        <div class="xdevice">
          <ol class="steps">
            <li>{t('xdeviceStep1')}</li>
            <li>{t('xdeviceStep2')}</li>
          </ol>
          <img
            id="xdevice-qr"
            class="qr"
            width={240}
            height={240}
            alt={t('xdeviceQrAlt')}
            src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(shown.qr.svg)}`}
          />
          <p class="xdevice-number-label">{t('xdeviceNumber')}</p>
          <p id="xdevice-number" class="xdevice-number" aria-describedby="cross-device-title">
            {String(shown.number)}
          </p>
          <p>{t('xdeviceExpires')}</p>
        </div>
      )}
      <Status id="xdevice-status" message={live} />
      <Alert id="xdevice-error" error={error} />
    </section>
  );
}
