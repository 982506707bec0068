/**
 * Sign-ins and devices (`/wallet/security`): the devices signed in now (each with how, when, the
 * services it signed in to, and a way to sign it out), "sign out everywhere", and the history of
 * sign-ins, newest first. Links on to "download my data" and — as a plain link at the bottom, away
 * from the sign-out buttons — to closing the Private ID.
 */
import { useEffect, useState } from 'preact/hooks';
import {
  Alert,
  Button,
  Buttons,
  Check,
  Facts,
  Notice,
  PageTitle,
  Status,
  useBusy,
} from '../../components/ui.tsx';
import { useLocale, useT } from '../../i18n/index.ts';
import { formatDateTime } from '../../lib/dates.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import type { PageProps } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import {
  listSessions,
  listSignIns,
  signOutEverywhere,
  signOutSession,
  type ActiveSessionView,
  type SignInView,
} from '../../api/client.ts';
import { SignedOut } from '../../components/signed-out.tsx';
import { messages } from './messages.ts';
import { deviceWords, methodWords } from './words.ts';

/** Sign-ins shown at a time. */
const HISTORY_PAGE = 20;

/** The security page. */
export default function SecurityPage(_props: PageProps) {
  const t = useT(messages);
  const locale = useLocale();
  const describe = useDescribeError(messages);
  const { refresh } = useSession();
  const [sessions, setSessions] = useState<readonly ActiveSessionView[] | null | undefined>(undefined);
  const [history, setHistory] = useState<readonly SignInView[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [revoke, setRevoke] = useState(false);
  const [everywhereDone, setEverywhereDone] = useState(false);
  const [busy, run] = useBusy();
  const fail = (e: unknown): void => setError(describe(e));

  const load = async (): Promise<void> => {
    const s = await listSessions();
    // This device first, then the others newest first (as the server lists them).
    setSessions(s === null ? null : [...s.sessions].sort((a, b) => Number(b.current) - Number(a.current)));
    if (s === null) return;
    const h = await listSignIns(HISTORY_PAGE, null);
    setHistory(h.signIns);
    setNext(h.next);
  };
  useEffect(() => {
    load().catch(fail);
  }, []);

  const when = (iso: string): string => formatDateTime(iso, locale);

  if (everywhereDone)
    return (
      <div id="security">
        <PageTitle text={t('title')} />
        <Notice kind="success" id="signed-out-everywhere">
          <p>{t('everywhereDone')}</p>
        </Notice>
      </div>
    );

  if (sessions === null)
    return (
      <div id="security">
        <PageTitle text={t('title')} />
        <SignedOut />
      </div>
    );

  return (
    <div id="security">
      <PageTitle text={t('title')} />
      <p>{t('intro')}</p>
      <Alert error={error} />
      <Status message={status} />

      <section aria-labelledby="active-title">
        <h2 id="active-title">{t('activeTitle')}</h2>
        <p class="hint">{t('placeNote')}</p>
        {sessions === undefined ? null : sessions.length === 0 ? (
          <p>{t('activeNone')}</p>
        ) : (
          <ul class="items" id="sessions">
            {sessions.map((s) => {
              const device = deviceWords(t, s.device);
              return (
                <li key={s.id} data-session={s.id} data-current={s.current ? 'true' : undefined}>
                  <h3>
                    {device}
                    {s.current ? ` — ${t('thisDevice')}` : null}
                  </h3>
                  <Facts
                    rows={[
                      [t('how'), methodWords(t, s.method, s.authenticatorLabel)],
                      [t('signedInAt'), when(s.signedInAt)],
                      [t('lastSeenAt'), when(s.lastSeenAt)],
                      [
                        t('services'),
                        s.services.length === 0
                          ? t('servicesNone')
                          : s.services.map((x) => x.name).join('、'),
                      ],
                    ]}
                  />
                  <Buttons>
                    <Button
                      variant="secondary"
                      busy={busy}
                      onClick={() =>
                        run(
                          async () => {
                            setError(undefined);
                            await signOutSession(s.id);
                            if (s.current) {
                              await refresh();
                              setEverywhereDone(true);
                              return;
                            }
                            setStatus(t('signedOutOne', { device }));
                            await load();
                          },
                          (e) => {
                            fail(e);
                            void load().catch(() => undefined);
                          },
                        )
                      }
                    >
                      {s.current ? t('signOutThis') : t('signOutOne')}
                    </Button>
                  </Buttons>
                </li>
              );
            })}
          </ul>
        )}
      </section>

      <section aria-labelledby="everywhere-title" id="everywhere">
        <h2 id="everywhere-title">{t('everywhereTitle')}</h2>
        <p>{t('everywhereBody')}</p>
        <Check id="revoke-refresh" checked={revoke} onChange={setRevoke} hint={t('everywhereRefreshHint')}>
          {t('everywhereRefresh')}
        </Check>
        <Buttons>
          <Button
            variant="secondary"
            id="sign-out-everywhere"
            busy={busy}
            onClick={() =>
              run(async () => {
                setError(undefined);
                await signOutEverywhere(revoke);
                await refresh();
                setEverywhereDone(true);
              }, fail)
            }
          >
            {t('everywhereButton')}
          </Button>
        </Buttons>
      </section>

      <section aria-labelledby="history-title">
        <h2 id="history-title">{t('historyTitle')}</h2>
        {history.length === 0 ? (
          <p>{t('historyNone')}</p>
        ) : (
          <ol class="items" id="history">
            {history.map((h) => (
              <li key={h.id} data-sign-in={h.id}>
                <p>
                  {t('historyRow', {
                    when: when(h.at),
                    how: methodWords(t, h.method, h.authenticatorLabel),
                    device: deviceWords(t, h.device),
                  })}
                </p>
                <p class="hint">
                  {h.active
                    ? t('stateActive')
                    : h.ended === 'expired'
                      ? t('stateExpired')
                      : t('stateSignedOut')}
                  {h.current ? ` — ${t('thisDevice')}` : ''}
                </p>
              </li>
            ))}
          </ol>
        )}
        {next === null ? null : (
          <Buttons>
            <Button
              variant="secondary"
              id="more"
              busy={busy}
              onClick={() =>
                run(async () => {
                  const h = await listSignIns(HISTORY_PAGE, next);
                  setHistory([...history, ...h.signIns]);
                  setNext(h.next);
                }, fail)
              }
            >
              {t('more')}
            </Button>
          </Buttons>
        )}
      </section>

      <section aria-labelledby="other-title">
        <h2 id="other-title">{t('otherTitle')}</h2>
        <ul class="links">
          <li>
            <a href="/wallet/data" id="to-data">
              {t('toData')}
            </a>
          </li>
          <li>
            <a href="/wallet/close" class="danger-link" id="to-close">
              {t('toClose')}
            </a>
          </li>
        </ul>
      </section>
    </div>
  );
}
