/**
 * The disclosures page: what each service received (`/api/me/disclosures`, the `oidc.disclosure`
 * entries of the audit log: claim names, never values), newest first, a page at a time; "show
 * older" appends the next page and moves focus to its first row.
 */
import { api, ApiError, type DisclosurePage } from './api.ts';
import { claimList } from './claims.ts';
import { bi, busy, byId, el, Feedback, when } from './dom.ts';

/** Rows per page. */
const PAGE = 20;

const ENDPOINTS: Readonly<Record<string, readonly [string, string]>> = {
  token: ['IDトークン', 'ID token'],
  userinfo: ['UserInfo', 'UserInfo'],
};

/** The disclosures page. */
export async function disclosuresPage(): Promise<void> {
  const feedback = new Feedback();
  const section = byId('disclosures');
  const table = byId('disclosure-table');
  const rows = byId('disclosure-rows');
  const none = byId('no-disclosures');
  const more = byId<HTMLButtonElement>('disclosures-more');
  let next: string | null = null;

  const load = async (before: string | null): Promise<boolean> => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (before !== null) q.set('before', before);
    let page: DisclosurePage;
    try {
      page = await api<DisclosurePage>('GET', `/api/me/disclosures?${q.toString()}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return false;
      throw e;
    }
    const added = page.disclosures.map((d) => {
      const via = ENDPOINTS[d.endpoint];
      return el(
        'tr',
        { 'data-seq': d.seq, 'data-client-id': d.clientId, tabindex: '-1' },
        el('td', {}, el('time', { datetime: d.at }, when(d.at))),
        el('td', {}, d.rpName),
        el('td', { 'data-claims': d.claims.join(' ') }, claimList(d.claims)),
        el('td', {}, via === undefined ? d.endpoint : bi(via[0], via[1])),
      );
    });
    rows.append(...added);
    next = page.next;
    more.hidden = next === null;
    const shown = rows.childElementCount;
    none.hidden = shown > 0;
    table.hidden = shown === 0;
    if (before !== null) {
      feedback.status(`${added.length}件を追加で表示しました。`, `Showing ${added.length} more.`);
      added[0]?.focus();
    }
    return true;
  };

  more.addEventListener('click', () => {
    void busy(more, () => load(next)).catch((e: unknown) => feedback.error(e));
  });

  if (!(await load(null))) {
    byId('signed-out').hidden = false;
    return;
  }
  section.hidden = false;
}
