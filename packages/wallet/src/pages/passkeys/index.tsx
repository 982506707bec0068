/**
 * The passkeys page: the account's authenticators (passkeys, the card, device certificates) with
 * rename and revoke, and registering a new passkey. Revoking the last one asks first (the API
 * refuses with `authn_last_authenticator` without `force`); revoking the one this session was
 * opened with signs this browser out.
 */
import { useEffect, useState } from 'preact/hooks';
import {
  ApiError,
  listAuthenticators,
  renameAuthenticator,
  revokeAuthenticator,
  type AuthenticatorView,
} from '../../api/client.ts';
import { SignedOut } from '../../components/signed-out.tsx';
import { Alert, Button, Buttons, Field, PageTitle, Status } from '../../components/ui.tsx';
import { common } from '../../i18n/common.ts';
import { useLocale, useT } from '../../i18n/index.ts';
import { formatDate } from '../../lib/dates.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import { registerPasskey } from '../../lib/passkeys.ts';
import { navigate, type PageProps } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { messages } from './messages.ts';

const TYPES = { passkey: 'typePasskey', card_auth: 'typeCard', device_cert: 'typeDevice' } as const;

/** The passkeys page. */
export default function PasskeysPage(_props: PageProps) {
  const t = useT(messages);
  const c = useT(common);
  const locale = useLocale();
  const describe = useDescribeError(messages);
  const { refresh } = useSession();
  const [list, setList] = useState<readonly AuthenticatorView[] | null | undefined>(undefined);
  const [renaming, setRenaming] = useState<string | undefined>(undefined);
  const [newName, setNewName] = useState('');
  const [label, setLabel] = useState('');
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ShownError | undefined>(undefined);

  const load = async (): Promise<void> => setList((await listAuthenticators())?.authenticators ?? null);
  useEffect(() => {
    load().catch((e: unknown) => setError(describe(e)));
  }, []);

  const run = (key: string, fn: () => Promise<void>): void => {
    setBusy(key);
    setError(undefined);
    fn()
      .catch((e: unknown) => {
        setStatus(undefined);
        setError(describe(e));
      })
      .finally(() => setBusy(undefined));
  };
  const name = (a: AuthenticatorView): string => a.label ?? t('unnamed');

  const revoke = (a: AuthenticatorView): void =>
    run(`revoke-${a.id}`, async () => {
      try {
        await revokeAuthenticator(a.id);
      } catch (e) {
        if (!(e instanceof ApiError) || e.code !== 'authn_last_authenticator') throw e;
        if (!window.confirm(t('lastConfirm', { label: name(a) }))) return;
        await revokeAuthenticator(a.id, true);
      }
      setStatus(t('revoked', { label: name(a) }));
      const s = await refresh();
      if (s.status === 'signed-out') {
        navigate('/wallet/login');
        return;
      }
      await load();
    });

  if (list === null)
    return (
      <>
        <PageTitle text={t('title')} />
        <SignedOut />
      </>
    );
  return (
    <div id="passkeys-page">
      <PageTitle text={t('title')} />
      <p>{t('intro')}</p>
      <p>
        <a id="to-devices" href="/wallet/devices">
          {t('toDevices')}
        </a>
      </p>
      <section id="passkeys" aria-labelledby="list-heading" hidden={list === undefined}>
        <h2 id="list-heading">{t('listHeading')}</h2>
        {list !== undefined && list.length === 0 ? <p id="no-authenticators">{t('none')}</p> : null}
        {list !== undefined && !list.some((a) => a.type === 'passkey') ? (
          <p id="no-passkey-left">
            {t('noPasskeyLeft')} <a href="/wallet/recover">{t('toRecover')}</a>
          </p>
        ) : null}
        <ul id="authenticator-list" class="items">
          {(list ?? []).map((a) => (
            <li key={a.id} data-authenticator-id={a.id}>
              <h3>{name(a)}</h3>
              <p>
                {t(TYPES[a.type])}
                {a.synced ? ` — ${t('synced')}` : ''}
                <br />
                <span class="hint">
                  {t('registered', { date: formatDate(a.createdAt, locale) })} /{' '}
                  {a.lastUsedAt === null
                    ? t('neverUsed')
                    : t('lastUsed', { date: formatDate(a.lastUsedAt, locale) })}
                </span>
              </p>
              {renaming === a.id ? (
                <form
                  onSubmit={(e) => {
                    e.preventDefault();
                    run(`rename-${a.id}`, async () => {
                      const r = await renameAuthenticator(a.id, newName.trim());
                      setRenaming(undefined);
                      setStatus(t('renamed', { label: r.label ?? '' }));
                      await load();
                    });
                  }}
                >
                  <Field
                    id={`rename-${a.id}`}
                    label={t('renameLabel')}
                    value={newName}
                    onValue={setNewName}
                    maxLength={64}
                    autocomplete="off"
                  />
                  <Buttons>
                    <Button type="submit" busy={busy === `rename-${a.id}`}>
                      {t('save')}
                    </Button>
                    <Button variant="secondary" onClick={() => setRenaming(undefined)}>
                      {c('cancel')}
                    </Button>
                  </Buttons>
                </form>
              ) : (
                <Buttons>
                  <Button
                    variant="secondary"
                    aria-label={`${t('rename')}: ${name(a)}`}
                    onClick={() => {
                      setRenaming(a.id);
                      setNewName(a.label ?? '');
                    }}
                  >
                    {t('rename')}
                  </Button>
                  <Button
                    variant="danger"
                    aria-label={`${t('revoke')}: ${name(a)}`}
                    busy={busy === `revoke-${a.id}`}
                    onClick={() => revoke(a)}
                  >
                    {t('revoke')}
                  </Button>
                </Buttons>
              )}
            </li>
          ))}
        </ul>
        <form
          id="passkey-form"
          onSubmit={(e) => {
            e.preventDefault();
            run('add', async () => {
              setStatus(t('waiting'));
              const a = await registerPasskey(label);
              setLabel('');
              await load();
              setStatus(t('added', { label: a.label ?? '' }));
            });
          }}
        >
          <h2>{t('addHeading')}</h2>
          <Field
            id="passkey-label"
            label={t('addLabel')}
            hint={t('addHint')}
            value={label}
            onValue={setLabel}
            maxLength={64}
            autocomplete="off"
          />
          <Buttons>
            <Button id="passkey-register" type="submit" busy={busy === 'add'}>
              {t('add')}
            </Button>
          </Buttons>
        </form>
      </section>
      <Status message={status} />
      <Alert error={error} />
    </div>
  );
}
