/**
 * The devices page (`/wallet/devices`, docs/trust-service.md): Watashi's certificates on the
 * resident's devices.
 *
 * - This device: put a certificate on it in plain steps — a key made inside the browser
 *   (non-extractable, lib/device-key.ts), the request, the certificate issued but not yet usable,
 *   then the device signs the activation challenge and it works.
 * - The list of every device: name, kind, state in words, dates; stop a lost one from here (any
 *   session of the account: another device, a passkey, the card).
 * - Device change from the new device alone: sign in with the card right here (the card form of the
 *   card pages), choose the old device, and this device takes its place (the platform revokes the
 *   old certificate and issues the new one in one transaction). The old device, when it next opens
 *   the wallet, finds its certificate revoked and erases its key (check.tsx).
 */
import { useEffect, useState } from 'preact/hooks';
import { listDevices, revokeDeviceCertificate, type DeviceView } from '../../api/client.ts';
import { SignedOut } from '../../components/signed-out.tsx';
import { Alert, Button, Buttons, Field, LinkButton, PageTitle, Status } from '../../components/ui.tsx';
import { common } from '../../i18n/common.ts';
import { useLocale, useT } from '../../i18n/index.ts';
import { formatDate } from '../../lib/dates.ts';
import {
  activateThisDevice,
  applyForDeviceCertificate,
  checkDeviceKeysOnce,
  defaultDeviceLabel,
  newDeviceSlot,
  signingCertificateName,
  type PendingActivation,
} from '../../lib/device-cert.ts';
import { eraseDeviceKey, getDeviceKey, type DeviceKey } from '../../lib/device-key.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import type { PageProps } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { cardSignIn } from '../card-login/index.tsx';
import { CardForm } from '../card-login/card-form.tsx';
import { messages as cardMessages } from '../card-login/messages.ts';
import { messages } from './messages.ts';

const REASONS = new Set([
  'keyCompromise',
  'cessationOfOperation',
  'superseded',
  'privilegeWithdrawn',
  'affiliationChanged',
]);

/** The devices page. */
export default function DevicesPage(_props: PageProps) {
  const t = useT(messages);
  const c = useT(common);
  const locale = useLocale();
  const describe = useDescribeError(messages);
  const describeCard = useDescribeError(cardMessages);
  const { session, refresh } = useSession();
  const accountId = session.status === 'signed-in' ? session.me.account.id : undefined;
  const [list, setList] = useState<readonly DeviceView[] | null | undefined>(undefined);
  const [key, setKey] = useState<DeviceKey | null | undefined>(undefined);
  const [pending, setPending] = useState<PendingActivation | undefined>(undefined);
  // The signing certificate's key on this device (a key of its own: device-key.ts).
  const [signKey, setSignKey] = useState<DeviceKey | null>(null);
  const [signPending, setSignPending] = useState<PendingActivation | undefined>(undefined);
  const [label, setLabel] = useState('');
  const [confirming, setConfirming] = useState<string | undefined>(undefined);
  const [cardProven, setCardProven] = useState(false);
  const [cardAttempt, setCardAttempt] = useState(0);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ShownError | undefined>(undefined);

  const load = async (): Promise<void> => {
    const l = await listDevices();
    setList(l?.devices ?? null);
    const id = session.status === 'signed-in' ? session.me.account.id : undefined;
    // After the start-up check, so that a key it erases is not shown as this device's.
    await checkDeviceKeysOnce();
    setKey(id === undefined ? null : await getDeviceKey(id));
    setSignKey(id === undefined ? null : await getDeviceKey(id, 'sign'));
  };
  useEffect(() => {
    if (session.status === 'loading') return;
    load().catch((e: unknown) => setError(describe(e)));
  }, [session.status, accountId]);

  const run = (name: string, fn: () => Promise<void>): void => {
    setBusy(name);
    setError(undefined);
    fn()
      .catch((e: unknown) => {
        setStatus(undefined);
        setError(describe(e));
      })
      .finally(() => setBusy(undefined));
  };

  const mine = key?.certificateInfo() ?? null;
  const thisDevice = list?.find((d) => d.serial === mine?.serial);
  const name = (d: DeviceView): string => d.label ?? t('unnamed');

  /** Steps 1–2: key, request, certificate on hold. `slot`: the old device's, for a device change. */
  const apply = (change?: DeviceView): void =>
    run(change === undefined ? 'apply' : `move-${change.serial}`, async () => {
      if (accountId === undefined) return;
      setStatus(t('applying'));
      const p = await applyForDeviceCertificate(accountId, {
        slot: change?.slot ?? newDeviceSlot(),
        label: label.trim() === '' ? (change?.label ?? defaultDeviceLabel()) : label.trim(),
        change: change !== undefined,
      });
      setPending(p);
      setStatus(t('appliedNext'));
      await load();
    });

  /** The signing certificate: its own key, a request for the signing profile, on hold. */
  const applySign = (): void =>
    run('sign-apply', async () => {
      if (accountId === undefined) return;
      setStatus(t('signApplying'));
      const p = await applyForDeviceCertificate(accountId, {
        slot: key?.slot ?? newDeviceSlot(),
        label: thisDevice?.label ?? defaultDeviceLabel(),
        change: false,
        purpose: 'sign',
      });
      setSignPending(p);
      setStatus(t('signAppliedNext'));
      await load();
    });

  /** … activated as the authentication one: the signing key signs the challenge. */
  const activateSign = (): void =>
    run('sign-activate', async () => {
      if (accountId === undefined || signPending === undefined) return;
      await activateThisDevice(accountId, signPending, 'sign');
      setSignPending(undefined);
      setStatus(t('signActivated'));
      await load();
    });

  /** Step 3: the device key signs the activation challenge. */
  const activate = (): void =>
    run('activate', async () => {
      if (accountId === undefined || pending === undefined) return;
      setStatus(t('activating'));
      await activateThisDevice(accountId, pending);
      const changed = pending.replaced.length > 0;
      setPending(undefined);
      setStatus(changed ? t('activatedChanged') : t('activated'));
      await load();
    });

  /** A stuck application (the page was left between the steps): withdraw it and forget the key. */
  const retry = (): void =>
    run('retry', async () => {
      if (accountId === undefined || mine === null) return;
      await revokeDeviceCertificate(mine.serial, false);
      await eraseDeviceKey(accountId);
      setStatus(undefined);
      await load();
    });

  const removeThis = (): void =>
    run('remove-this', async () => {
      if (accountId === undefined || mine === null) return;
      await revokeDeviceCertificate(mine.serial, false);
      await eraseDeviceKey(accountId);
      setStatus(t('removedThis'));
      await load();
    });

  const revokeLost = (d: DeviceView): void =>
    run(`lost-${d.serial}`, async () => {
      await revokeDeviceCertificate(d.serial, true);
      setConfirming(undefined);
      setStatus(t('lostDone', { label: name(d) }));
      await load();
    });

  const signInWithCard = (card: { url: string; id: string }, pin: string): void => {
    setBusy('card');
    setError(undefined);
    setStatus(t('cardReading'));
    cardSignIn(card, pin, () => undefined)
      .then(async () => {
        setCardProven(true);
        setStatus(t('cardDone'));
        await refresh();
      })
      .catch((e: unknown) => {
        setStatus(undefined);
        setError(describeCard(e));
        setCardAttempt((n) => n + 1);
      })
      .finally(() => setBusy(undefined));
  };

  const stateWords = (d: DeviceView): string =>
    d.state === 'active'
      ? t('stateActive')
      : d.state === 'pending'
        ? t('statePending')
        : `${t('stateRevoked')} — ${t(
            REASONS.has(d.revocationReason ?? '')
              ? (`reason_${d.revocationReason}` as 'reason_other')
              : 'reason_other',
          )}`;

  const signMine = signKey?.certificateInfo() ?? null;
  const signRow = list?.find((d) => d.serial === signMine?.serial);
  const signActive = signMine?.state === 'active' && signRow?.state === 'active';
  // A signing certificate of this account stopped by a change of the card's information (a move):
  // the start-up check erased its key; the platform issues a new one on the new anchor.
  const signMoved =
    !signActive &&
    (list ?? []).some(
      (d) => d.profile === 'watashi-device-sign' && d.revocationReason === 'affiliationChanged',
    );
  const signName = signMine === null ? undefined : signingCertificateName(signMine.der);

  const movable = (list ?? []).filter((d) => d.state !== 'revoked' && d.serial !== mine?.serial);
  const hasLiveKey = mine !== null && mine.state !== 'revoked' && thisDevice?.state !== 'revoked';

  const changeSection = (
    <section id="device-change" aria-labelledby="change-heading">
      <h2 id="change-heading">{t('changeHeading')}</h2>
      <p>{t('changeIntro')}</p>
      {cardProven ? (
        <p id="change-choose">{movable.length === 0 ? t('changeNothing') : t('changeChoose')}</p>
      ) : (
        <>
          <p>{t('changeCardFirst')}</p>
          <CardForm
            kind="auth"
            pinLabel={t('cardPin')}
            pinHint={t('cardPinHint')}
            submit={t('cardSubmit')}
            busy={busy === 'card'}
            attempt={cardAttempt}
            onSubmit={signInWithCard}
            onInvalid={(e) => setError(describeCard(e))}
          />
        </>
      )}
    </section>
  );

  if (list === null)
    return (
      <div id="devices-page">
        <PageTitle text={t('title')} />
        <SignedOut />
        {changeSection}
        <Status message={status} />
        <Alert error={error} />
      </div>
    );
  return (
    <div id="devices-page">
      <PageTitle text={t('title')} />
      <p>{t('intro')}</p>
      <section id="this-device" aria-labelledby="this-heading" hidden={list === undefined}>
        <h2 id="this-heading">{t('thisHeading')}</h2>
        {pending !== undefined ? (
          <div id="device-steps">
            <p>{t('step1')}</p>
            <p>{t('step2')}</p>
            <p>{t('step3')}</p>
            <Buttons>
              <Button id="device-activate" busy={busy === 'activate'} onClick={activate}>
                {t('activate')}
              </Button>
            </Buttons>
          </div>
        ) : hasLiveKey && mine.state === 'active' ? (
          <>
            <p id="this-device-active">{t('thisActive')}</p>
            <Buttons>
              <Button
                variant="secondary"
                id="device-remove-this"
                busy={busy === 'remove-this'}
                onClick={removeThis}
              >
                {t('removeThis')}
              </Button>
            </Buttons>
          </>
        ) : hasLiveKey ? (
          <>
            <p id="this-device-stuck">{t('thisStuck')}</p>
            <Buttons>
              <Button variant="secondary" id="device-retry" busy={busy === 'retry'} onClick={retry}>
                {t('retry')}
              </Button>
            </Buttons>
          </>
        ) : (
          <form
            id="device-form"
            onSubmit={(e) => {
              e.preventDefault();
              apply();
            }}
          >
            <p id="this-device-none">{t('thisNone')}</p>
            <Field
              id="device-label"
              label={t('nameLabel')}
              hint={t('nameHint')}
              value={label}
              onValue={setLabel}
              maxLength={64}
              autocomplete="off"
            />
            <Buttons>
              <Button id="device-apply" type="submit" busy={busy === 'apply'}>
                {t('apply')}
              </Button>
            </Buttons>
            {error?.code === 'device_fresh_authentication_required' ? (
              <p>
                <LinkButton
                  id="device-sign-in-again"
                  variant="secondary"
                  href={`/wallet/card-login?return_to=${encodeURIComponent('/wallet/devices')}`}
                >
                  {t('signInAgain')}
                </LinkButton>
              </p>
            ) : null}
          </form>
        )}
      </section>
      <section id="this-device-sign" aria-labelledby="sign-heading" hidden={list === undefined}>
        <h2 id="sign-heading">{t('signHeading')}</h2>
        {signPending !== undefined ? (
          <Buttons>
            <Button id="device-sign-activate" busy={busy === 'sign-activate'} onClick={activateSign}>
              {t('signActivate')}
            </Button>
          </Buttons>
        ) : signActive ? (
          <p id="this-device-sign-active">{t('signActive', { name: signName ?? t('unnamed') })}</p>
        ) : (
          <>
            <p>{signMoved ? t('signMoved') : t('signIntro')}</p>
            <Buttons>
              <Button
                variant="secondary"
                id="device-sign-apply"
                busy={busy === 'sign-apply'}
                onClick={applySign}
              >
                {signMoved ? t('signApplyNew') : t('signApply')}
              </Button>
            </Buttons>
          </>
        )}
      </section>
      <Status message={status} />
      <Alert error={error} />
      <section id="devices" aria-labelledby="devices-heading" hidden={list === undefined}>
        <h2 id="devices-heading">{t('listHeading')}</h2>
        {list !== undefined && list.length === 0 ? <p id="no-devices">{t('none')}</p> : null}
        <ul id="device-list" class="items">
          {(list ?? []).map((d) => (
            <li key={d.serial} data-serial={d.serial} data-state={d.state}>
              <h3>
                {name(d)}
                {d.serial === mine?.serial || d.serial === signMine?.serial ? ` ${t('thisDeviceMark')}` : ''}
              </h3>
              <p>
                {t(d.keyStorage === 'pkcs11' ? 'kindToken' : 'kindBrowser')} /{' '}
                {t(d.profile === 'watashi-device-sign' ? 'purposeSign' : 'purposeAuth')}
                <br />
                <strong class="device-state">{stateWords(d)}</strong>
                <br />
                <span class="hint">
                  {t('issued', { date: formatDate(d.createdAt, locale) })} /{' '}
                  {d.activatedAt === null
                    ? t('notActivated')
                    : t('activatedOn', { date: formatDate(d.activatedAt, locale) })}
                  {d.revokedAt === null
                    ? ''
                    : ` / ${t('revokedOn', { date: formatDate(d.revokedAt, locale) })}`}
                </span>
              </p>
              {d.state === 'revoked' ||
              d.serial === mine?.serial ||
              d.serial === signMine?.serial ? null : confirming === d.serial ? (
                <div class="confirm">
                  <p>{t('lostConfirm', { label: name(d) })}</p>
                  <Buttons>
                    <Button
                      variant="danger"
                      id={`device-lost-confirm-${d.serial}`}
                      busy={busy === `lost-${d.serial}`}
                      onClick={() => revokeLost(d)}
                    >
                      {t('lostDo')}
                    </Button>
                    <Button variant="secondary" onClick={() => setConfirming(undefined)}>
                      {c('cancel')}
                    </Button>
                  </Buttons>
                </div>
              ) : (
                <Buttons>
                  {cardProven && pending === undefined ? (
                    <Button
                      id={`device-move-${d.serial}`}
                      busy={busy === `move-${d.serial}`}
                      aria-label={`${t('moveHere')}: ${name(d)}`}
                      onClick={() => apply(d)}
                    >
                      {t('moveHere')}
                    </Button>
                  ) : null}
                  <Button
                    variant="danger"
                    id={`device-lost-${d.serial}`}
                    aria-label={`${t('lost')}: ${name(d)}`}
                    onClick={() => setConfirming(d.serial)}
                  >
                    {t('lost')}
                  </Button>
                </Buttons>
              )}
            </li>
          ))}
        </ul>
      </section>
      {hasLiveKey ? null : changeSection}
    </div>
  );
}
