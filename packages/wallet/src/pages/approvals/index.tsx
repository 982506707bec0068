/**
 * Approvals (issue 19, docs/approvals.md): the out-of-band requests (OpenID Connect CIBA) waiting
 * for this resident — the service's registered name and purpose, the check code (binding
 * message) and the exact transaction text — with "approve" and "do not approve" equally plain.
 * Approving signs the request's signing input with this browser's device key
 * (lib/device-key.ts); the text shown is decoded by the server from those very bytes.
 *
 * New requests appear while the page is open by polling `GET /api/approvals` every few seconds
 * while the page is visible (README.md "Approvals: polling, not server-sent events").
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { toBase64 } from '@watashi/pki';
import { approveRequest, denyRequest, listApprovals, type ApprovalView } from '../../api/client.ts';
import { SignedOut } from '../../components/signed-out.tsx';
import { Alert, Button, Buttons, Facts, PageTitle, Status } from '../../components/ui.tsx';
import { useLocale, useT } from '../../i18n/index.ts';
import { formatDate } from '../../lib/dates.ts';
import { getDeviceKey, type DeviceKey } from '../../lib/device-key.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import type { PageProps } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { messages } from './messages.ts';

/** How often the open page asks for new requests. */
const POLL_MS = 3000;

/** The approvals page. */
export default function ApprovalsPage(_props: PageProps) {
  const t = useT(messages);
  const locale = useLocale();
  const describe = useDescribeError(messages);
  const { session } = useSession();
  const [list, setList] = useState<readonly ApprovalView[] | null | undefined>(undefined);
  const [key, setKey] = useState<DeviceKey | null | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const accountId = session.status === 'signed-in' ? session.me.account.id : undefined;

  const load = async (): Promise<void> => setList((await listApprovals())?.requests ?? null);
  useEffect(() => {
    if (session.status === 'loading') return;
    load().catch((e: unknown) => setError(describe(e)));
    getDeviceKey(accountId ?? '')
      .then((k) => setKey(accountId === undefined ? null : k))
      .catch(() => setKey(null));
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') load().catch(() => undefined);
    }, POLL_MS);
    return () => window.clearInterval(timer);
  }, [session.status, accountId]);

  const answer = async (r: ApprovalView, approve: boolean): Promise<void> => {
    if (approve) {
      const certificate = key?.certificate();
      if (key === null || key === undefined || certificate === null || certificate === undefined) return;
      const signature = await key.sign(new TextEncoder().encode(r.signingInput));
      await approveRequest(r.id, toBase64(certificate), toBase64(signature));
    } else {
      await denyRequest(r.id);
    }
    await load();
    setStatus(t(approve ? 'approved' : 'denied', { rp: r.rp.name }));
    headingRef.current?.focus();
  };

  if (list === null)
    return (
      <>
        <PageTitle text={t('title')} />
        <SignedOut />
      </>
    );
  const canSign = key !== null && key !== undefined && key.certificate() !== null;
  return (
    <div id="approvals-page">
      <PageTitle text={t('title')} />
      <section aria-labelledby="approvals-heading" hidden={list === undefined}>
        <p>{t('intro')}</p>
        <h2 id="approvals-heading" tabindex={-1} ref={headingRef}>
          {list?.length === 0 ? t('none') : t('waiting', { count: String(list?.length ?? 0) })}
        </h2>
        <p>{t('watching')}</p>
        {key === null || (key !== undefined && !canSign) ? (
          <p id="no-device-key">
            {t('noKey')} <a href="/wallet/devices">{t('toDevices')}</a>
          </p>
        ) : null}
        <ul id="approval-list" class="items">
          {(list ?? []).map((r, i) => (
            <li key={r.id} data-request-id={r.id}>
              <h3 id={`approval-${i}`}>{r.rp.name}</h3>
              <Facts
                rows={[
                  [t('rp'), r.rp.name],
                  [t('purpose'), r.rp.purpose],
                  ...(r.bindingMessage === null
                    ? []
                    : ([
                        [
                          t('code'),
                          <span>
                            <strong class="binding-message">{r.bindingMessage}</strong> ({t('codeHint')})
                          </span>,
                        ],
                      ] as const)),
                  [
                    t('transaction'),
                    r.authorizationDetails === null ? (
                      t('login')
                    ) : (
                      <ul class="transaction">
                        {r.authorizationDetails.map((d, j) => (
                          <li key={j}>
                            <strong class="transaction-text">{d.text}</strong>
                          </li>
                        ))}
                      </ul>
                    ),
                  ],
                  [
                    t('expires'),
                    <time dateTime={r.expiresAt}>
                      {formatDate(r.expiresAt, locale)}{' '}
                      {new Date(r.expiresAt).toLocaleTimeString(locale === 'en' ? 'en-GB' : 'ja-JP', {
                        hour: '2-digit',
                        minute: '2-digit',
                      })}
                    </time>,
                  ],
                ]}
              />
              <Buttons>
                <Button
                  aria-describedby={`approval-${i}`}
                  disabled={!canSign}
                  busy={busy === `${r.id}:approve`}
                  onClick={() => {
                    setBusy(`${r.id}:approve`);
                    setError(undefined);
                    answer(r, true)
                      .catch((e: unknown) => setError(describe(e)))
                      .finally(() => setBusy(undefined));
                  }}
                >
                  {t('approve')}
                </Button>
                <Button
                  aria-describedby={`approval-${i}`}
                  busy={busy === `${r.id}:deny`}
                  onClick={() => {
                    setBusy(`${r.id}:deny`);
                    setError(undefined);
                    answer(r, false)
                      .catch((e: unknown) => setError(describe(e)))
                      .finally(() => setBusy(undefined));
                  }}
                >
                  {t('deny')}
                </Button>
              </Buttons>
            </li>
          ))}
        </ul>
      </section>
      <Status message={status} />
      <Alert error={error} />
    </div>
  );
}
