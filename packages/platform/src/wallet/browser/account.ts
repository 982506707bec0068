/**
 * The account page: notices from the lifecycle (`/api/me/notices`), who am I (`/api/me`), the
 * identity proofing level now with its reasons, the anchor certificate, this sign-in (acr, amr),
 * the authenticators, sign-out, and closing the account after a confirmation (`DELETE /api/me`;
 * a stale sign-in shows a link to sign in again).
 */
import { eraByDigit, type EraDigit } from '@watashi/jpki';
import {
  api,
  ApiError,
  me,
  notices,
  verifiedAttributes,
  type Me,
  type NoticeView,
  type VerifiedAttributes,
} from './api.ts';
import { bi, busy, byId, el, Feedback, when } from './dom.ts';
import { typeLabel } from './passkeys.ts';

const ANCHOR_STATUS: Readonly<Record<string, readonly [string, string]>> = {
  good: ['有効', 'good'],
  revoked: ['失効', 'revoked'],
  hold: ['一時停止（紛失届）', 'on hold (reported lost)'],
  expired: ['有効期限切れ', 'expired'],
  unknown: ['確認できていない', 'unknown'],
};

const ACCOUNT_STATUS: Readonly<Record<string, readonly [string, string]>> = {
  live: ['有効', 'live'],
  needs_reproofing: ['再確認が必要', 'needs re-proofing'],
  suspended: ['停止中', 'suspended'],
  closed: ['閉鎖', 'closed'],
};

function pair(t: Readonly<Record<string, readonly [string, string]>>, key: string): DocumentFragment {
  const v = t[key];
  return v === undefined ? bi(key, key) : bi(v[0], v[1]);
}

function facts(list: HTMLElement, rows: ReadonlyArray<readonly [DocumentFragment, Node | string]>): void {
  list.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

/** 性別 codes of the basic 4 information (docs/jpki.md §1.4). */
const SEX: Readonly<Record<string, readonly [string, string]>> = {
  '1': ['男', 'male'],
  '2': ['女', 'female'],
  '3': ['不明', 'not known'],
};

/** The era name of an era digit (`0`: unknown). */
const eraName = (digit: number): string =>
  digit >= 1 && digit <= 5 ? eraByDigit(digit as Exclude<EraDigit, 0>).name : '—';

function renderAttributes(a: VerifiedAttributes): void {
  const v = a.verified;
  facts(
    byId('attributes'),
    v === null
      ? [[bi('状態', 'Status'), bi('まだ確認されていません', 'not verified yet')]]
      : [
          [bi('氏名', 'Name'), el('span', { 'data-attribute': 'name' }, v.name)],
          [bi('住所', 'Address'), el('span', { 'data-attribute': 'address' }, v.address)],
          [
            bi('生年月日', 'Date of birth'),
            el('span', { 'data-attribute': 'dateOfBirth' }, `${v.dateOfBirth} (${eraName(v.era)})`),
          ],
          [bi('性別', 'Sex'), pair(SEX, v.sex)],
          ...(v.substituteCharacters
            ? ([
                [
                  bi('代替文字', 'Substitute characters'),
                  bi(
                    'カードでは一部の文字が代替文字で表されています',
                    'some characters are substitutes on the card',
                  ),
                ],
              ] as const)
            : []),
          [bi('読み取った日時', 'Read at'), when(v.verifiedAt)],
        ],
  );
}

function render(m: Me): void {
  const level = m.identityProofing.level;
  byId('ial').replaceChildren(
    bi(`身元確認保証レベル ${level}`, `JP IAL ${level}`),
    ...(m.identityProofing.reproofingWouldHelp && level < 3
      ? [el('br'), el('a', { href: '/wallet/enrol' }, bi('カードで再確認する', 'Re-proof with your card'))]
      : []),
  );
  byId('ial').dataset['level'] = String(level);
  byId('ial-reasons').replaceChildren(
    ...m.identityProofing.reasons.map((r) => el('li', { 'data-reason': r.code }, bi(r.ja, r.en))),
  );
  facts(byId('account-facts'), [
    [bi('アカウントID', 'Account ID'), el('code', {}, m.account.id)],
    [bi('状態', 'Status'), pair(ACCOUNT_STATUS, m.account.status)],
    [bi('身元確認の日時', 'Proofed at'), when(m.account.proofedAt)],
    [bi('失効確認の日時', 'Status last checked'), when(m.identityProofing.evidenceCheckedAt)],
    ...(m.anchor === null
      ? []
      : ([
          [
            bi('アンカー証明書', 'Anchor certificate'),
            m.anchor.purpose === 'sign'
              ? bi('署名用電子証明書', 'signing certificate')
              : bi('利用者証明用電子証明書', 'user-authentication certificate'),
          ],
          [bi('証明書の状態', 'Certificate status'), pair(ANCHOR_STATUS, m.anchor.status)],
          [bi('証明書の有効期限', 'Certificate valid until'), when(m.anchor.notAfter)],
        ] as const)),
  ]);
  const used = m.authenticators.find((a) => a.id === m.session.authenticatorId);
  facts(byId('session-facts'), [
    [bi('サインインした日時', 'Signed in at'), when(m.session.authTime)],
    [
      bi('方法', 'Method'),
      used === undefined
        ? bi('本人確認（カードの署名）', 'enrolment (card signature)')
        : typeLabel(used.type),
    ],
    [bi('認証コンテキスト (acr)', 'acr'), el('code', {}, m.session.acr ?? '—')],
    [bi('認証方式 (amr)', 'amr'), el('code', {}, m.session.amr.join(' ') || '—')],
  ]);
  byId('authenticators').replaceChildren(
    ...(m.authenticators.length === 0
      ? [el('li', {}, bi('まだありません。パスキーを登録してください。', 'None yet: register a passkey.'))]
      : m.authenticators.map((a) =>
          el(
            'li',
            { 'data-authenticator-id': a.id },
            el('strong', {}, a.label ?? '(名前なし)'),
            ' ',
            typeLabel(a.type),
            ' ',
            el('span', { class: 'hint' }, `当人認証保証レベル ${a.level} (JP AAL ${a.level})`),
          ),
        )),
  );
}

/** Notices from the lifecycle (re-proof, attributes updated from J-LIS, hold…), newest first. */
function renderNotices(list: readonly NoticeView[]): void {
  byId('notices').replaceChildren(
    ...(list.length === 0
      ? [el('li', {}, bi('お知らせはありません。', 'No notices.'))]
      : list.map((n) =>
          el(
            'li',
            { 'data-notice-kind': n.kind },
            when(n.at),
            ' ',
            bi(n.title.ja, n.title.en),
            ...(n.actionRequired
              ? [' ', el('a', { href: '/wallet/enrol' }, bi('カードで再確認する', 'Re-proof with your card'))]
              : []),
          ),
        )),
  );
}

/** The account page. */
export async function accountPage(): Promise<void> {
  const feedback = new Feedback();
  const logout = byId<HTMLButtonElement>('logout');
  logout.addEventListener('click', () => {
    void busy(logout, async () => {
      await api('POST', '/api/logout', {});
      window.location.assign('/wallet/login');
    }).catch((e: unknown) => feedback.error(e));
  });
  const close = byId<HTMLButtonElement>('close-account');
  close.addEventListener('click', () => {
    // Closing cannot be undone: a confirmation here, and the API asks for a recent sign-in.
    const ok = window.confirm(
      'アカウントを閉鎖しますか？基本4情報などが消去され、連携サービスでも使えなくなります。元に戻せません。\n' +
        'Close your account? Your basic 4 information and more are erased, and services can no longer use it. This cannot be undone.',
    );
    if (!ok) return;
    void busy(close, async () => {
      byId('close-reauth').hidden = true;
      await api('DELETE', '/api/me', { confirm: 'close' });
      byId('account').hidden = true;
      feedback.status(
        'アカウントを閉鎖しました。ご利用ありがとうございました。',
        'Your account is closed. Thank you for using Watashi.',
      );
    }).catch((e: unknown) => {
      if (e instanceof ApiError && e.code === 'reauthentication_required')
        byId('close-reauth').hidden = false;
      feedback.error(e);
    });
  });
  const m = await me();
  if (m === null) {
    byId('signed-out').hidden = false;
    return;
  }
  render(m);
  renderAttributes(await verifiedAttributes());
  renderNotices(await notices());
  byId('account').hidden = false;
}
