/**
 * Passkeys in the browser (WebAuthn Level 3 through `@simplewebauthn/browser`) against the
 * platform's ceremonies (src/authn/routes.ts), and the passkeys page: list, register, revoke.
 */
import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';
import { carry, serviceRequest } from './return-to.ts';
import { WatashiError } from '@watashi/pki';
import { api, ApiError, me } from './api.ts';
import { bi, busy, byId, el, Feedback, when } from './dom.ts';

/** An authenticator as `/api/authn/authenticators` lists it. */
export interface AuthenticatorView {
  readonly id: string;
  readonly type: string;
  readonly label: string | null;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly synced: boolean;
  readonly userVerified: boolean;
}

/** A login as `/api/authn/passkeys/login` answers it. */
export interface LoginResult {
  readonly accountId: string;
  readonly authenticatorId: string;
  readonly acr: string;
  readonly amr: ReadonlyArray<string>;
}

function requireWebAuthn(): void {
  if (!browserSupportsWebAuthn())
    throw new WatashiError('webauthn_unsupported', 'this browser has no WebAuthn');
}

/** A default name for a new passkey: the platform the browser runs on. */
function defaultLabel(): string {
  const ua = navigator.userAgent;
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Mac OS X/.test(ua)
        ? 'macOS'
        : /Windows/.test(ua)
          ? 'Windows'
          : /Linux/.test(ua)
            ? 'Linux'
            : 'ブラウザ';
  return `${os} のパスキー`;
}

/** Registers a passkey for the signed-in account (registration options → create → verify). */
export async function registerPasskey(label?: string): Promise<AuthenticatorView> {
  requireWebAuthn();
  const optionsJSON = await api<PublicKeyCredentialCreationOptionsJSON>(
    'POST',
    '/api/authn/passkeys/registration/options',
    {},
  );
  const response = await startRegistration({ optionsJSON });
  const name = label?.trim() === '' || label === undefined ? defaultLabel() : label.trim();
  return api<AuthenticatorView>('POST', '/api/authn/passkeys/registration', { response, label: name });
}

/** Signs in with a discoverable passkey (no account named, so nothing is revealed by asking). */
export async function signInWithPasskey(): Promise<LoginResult> {
  requireWebAuthn();
  const optionsJSON = await api<PublicKeyCredentialRequestOptionsJSON>(
    'POST',
    '/api/authn/passkeys/login/options',
    {},
  );
  const response = await startAuthentication({ optionsJSON });
  return api<LoginResult>('POST', '/api/authn/passkeys/login', { response });
}

const TYPE_LABELS: Readonly<Record<string, readonly [string, string]>> = {
  passkey: ['パスキー', 'passkey'],
  card_auth: ['マイナンバーカード（利用者証明用）', 'My Number card (user authentication)'],
  device_cert: ['端末の証明書', 'device certificate'],
};

/** The display name of an authenticator type. */
export function typeLabel(type: string): DocumentFragment {
  const t = TYPE_LABELS[type];
  return t === undefined ? bi(type, type) : bi(t[0], t[1]);
}

/** The passkeys page. */
export async function passkeysPage(): Promise<void> {
  const feedback = new Feedback();
  const section = byId('passkeys');
  const list = byId<HTMLUListElement>('authenticator-list');
  const none = byId('no-authenticators');
  const form = byId<HTMLFormElement>('passkey-form');
  const button = byId<HTMLButtonElement>('passkey-register');
  const label = byId<HTMLInputElement>('passkey-label');

  const render = async (): Promise<void> => {
    const { authenticators } = await api<{ authenticators: AuthenticatorView[] }>(
      'GET',
      '/api/authn/authenticators',
    );
    none.hidden = authenticators.length > 0;
    list.replaceChildren(
      ...authenticators.map((a) => {
        const revoke = el('button', { type: 'button', class: 'secondary' }, bi('無効にする', 'Revoke'));
        revoke.addEventListener('click', () => {
          void busy(revoke, () => revokeOne(a)).catch((e: unknown) => feedback.error(e));
        });
        return el(
          'li',
          { 'data-authenticator-id': a.id },
          el('strong', {}, a.label ?? '(名前なし)'),
          ' ',
          typeLabel(a.type),
          el('br'),
          el(
            'span',
            { class: 'hint' },
            `登録 ${when(a.createdAt)} ・ 最終利用 ${when(a.lastUsedAt)}${a.synced ? ' ・ 同期型 (synced)' : ''}`,
          ),
          ' ',
          revoke,
        );
      }),
    );
  };

  const revokeOne = async (a: AuthenticatorView): Promise<void> => {
    const name = a.label ?? a.type;
    try {
      await api('POST', `/api/authn/authenticators/${a.id}/revoke`, {});
    } catch (e) {
      // manage.ts: the last authenticator needs `force`; ask the resident first.
      if (!(e instanceof ApiError) || e.code !== 'authn_last_authenticator') throw e;
      const ok = window.confirm(
        `「${name}」は最後の認証器です。無効にすると、次はマイナンバーカードでしかサインインできません。無効にしますか？\n` +
          `"${name}" is your last authenticator. After revoking it you can only sign in with your My Number card. Revoke?`,
      );
      if (!ok) return;
      await api('POST', `/api/authn/authenticators/${a.id}/revoke`, { force: true });
    }
    feedback.status(`「${name}」を無効にしました。`, `Revoked "${name}".`);
    if ((await me()) === null) {
      window.location.assign('/wallet/login');
      return;
    }
    await render();
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void busy(button, async () => {
      feedback.status('認証器の操作を待っています…', 'Waiting for your authenticator…');
      const a = await registerPasskey(label.value);
      label.value = '';
      await render();
      feedback.status(
        `パスキー「${a.label ?? ''}」を登録しました。`,
        `Registered the passkey "${a.label ?? ''}".`,
      );
    }).catch((e: unknown) => feedback.error(e));
  });

  const who = await me();
  if (who === null) {
    byId('signed-out').hidden = false;
    return;
  }
  section.hidden = false;
  await render();
}

/** The sign-in page. */
export function loginPage(): void {
  const feedback = new Feedback();
  const button = byId<HTMLButtonElement>('login-passkey');
  const request = serviceRequest();
  if (request !== undefined) {
    // A relying party sent the resident here: say why, and keep the way back on every link.
    const notice = byId('service-request');
    notice.replaceChildren(
      el(
        'p',
        {},
        request.stepUp === 'proofing'
          ? bi(
              '連携先のサービスは、マイナンバーカードでの本人確認のやり直しを求めています。',
              'The service asks you to prove who you are again with your My Number card.',
            )
          : request.stepUp === 'authentication'
            ? bi(
                '連携先のサービスは、もう一度サインインすることを求めています。',
                'The service asks you to sign in again.',
              )
            : bi('連携先のサービスにサインインします。', 'Sign in to continue to the service.'),
      ),
    );
    notice.hidden = false;
    byId<HTMLAnchorElement>('to-enrol').href = carry('/wallet/enrol', request);
  }
  button.addEventListener('click', () => {
    void busy(button, async () => {
      feedback.status('認証器の操作を待っています…', 'Waiting for your authenticator…');
      await signInWithPasskey();
      feedback.status('サインインしました。', 'Signed in.');
      window.location.assign(request?.returnTo ?? '/wallet/account');
    }).catch((e: unknown) => feedback.error(e));
  });
}
