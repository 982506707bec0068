/**
 * The consents page: every service holding a live consent (its registered name and stated
 * purpose), what it receives, through which persona, since when; withdrawal after confirmation.
 * Withdrawing (`DELETE /api/me/consents/:clientId`, src/oidc/consents.ts) revokes the service's
 * grant with its tokens, so its next refresh fails and its next login asks for consent again.
 */
import { api, ApiError, type ConsentView } from './api.ts';
import { claimList } from './claims.ts';
import { bi, busy, byId, el, Feedback, when } from './dom.ts';

function facts(rows: ReadonlyArray<readonly [DocumentFragment, Node | string]>): HTMLDListElement {
  return el('dl', { class: 'facts' }, ...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

/** The consents page. */
export async function consentsPage(): Promise<void> {
  const feedback = new Feedback();
  const section = byId('consents');
  const list = byId<HTMLUListElement>('consent-list');
  const none = byId('no-consents');
  const heading = byId('list-heading');

  const render = async (): Promise<boolean> => {
    let consents: ConsentView[];
    try {
      ({ consents } = await api<{ consents: ConsentView[] }>('GET', '/api/me/consents'));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return false;
      throw e;
    }
    none.hidden = consents.length > 0;
    list.replaceChildren(
      ...consents.map((c, i) => {
        const title = `consent-${i}`;
        const withdraw = el(
          'button',
          { type: 'button', class: 'secondary', 'aria-describedby': title },
          bi('同意を取り消す', 'Withdraw consent'),
        );
        withdraw.addEventListener('click', () => {
          void busy(withdraw, () => withdrawOne(c)).catch((e: unknown) => feedback.error(e));
        });
        const persona =
          c.persona === null
            ? bi('なし（求められた情報のみ）', 'none (only what the service asked for)')
            : el(
                'span',
                { 'data-persona': c.persona.name },
                c.persona.name,
                ...(c.persona.id === null ? [' ', bi('（削除済み）', '(deleted)')] : []),
              );
        return el(
          'li',
          { 'data-client-id': c.clientId },
          el('h3', { id: title }, c.rpName),
          facts([
            [bi('利用目的', 'Purpose'), c.purpose === '' ? '—' : c.purpose],
            [
              bi('提供する情報', 'Receives'),
              el('span', { 'data-claims': c.claims.join(' ') }, claimList(c.claims)),
            ],
            [bi('ペルソナ', 'Persona'), persona],
            ...(c.scopes.includes('offline_access')
              ? ([
                  [
                    bi('再取得', 'Offline access'),
                    bi('あなたがいない間も情報を再取得できます', 'may fetch it again while you are away'),
                  ],
                ] as const)
              : []),
            [bi('同意した日時', 'Since'), el('time', { datetime: c.grantedAt }, when(c.grantedAt))],
          ]),
          withdraw,
        );
      }),
    );
    return true;
  };

  const withdrawOne = async (c: ConsentView): Promise<void> => {
    const ok = window.confirm(
      `「${c.rpName}」への同意を取り消しますか？このサービスはあなたの情報を再取得できなくなり、次に利用するときに改めて同意を求められます。\n` +
        `Withdraw your consent to "${c.rpName}"? It will no longer be able to fetch your information, and will ask for your consent next time.`,
    );
    if (!ok) return;
    try {
      await api('DELETE', `/api/me/consents/${encodeURIComponent(c.clientId)}`);
    } catch (e) {
      // Already withdrawn elsewhere: show the list as it is now, with the error.
      if (e instanceof ApiError && e.code === 'consent_not_found') await render();
      throw e;
    }
    await render();
    feedback.status(`「${c.rpName}」への同意を取り消しました。`, `Withdrew your consent to "${c.rpName}".`);
    heading.focus();
  };

  if (!(await render())) {
    byId('signed-out').hidden = false;
    return;
  }
  section.hidden = false;
}
