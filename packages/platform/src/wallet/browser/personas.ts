/**
 * The personas page: list the resident's personas, create one, edit one in the same form, delete
 * one after confirmation. Bad input is caught here first (name, at least one claim) with the
 * field marked invalid and focused; whatever the API refuses shows with its problem `code`.
 */
import { api, ApiError, type PersonaView } from './api.ts';
import { claimList } from './claims.ts';
import { bi, busy, byId, el, Feedback, when } from './dom.ts';

/** A check in the browser, reported like an API problem (codes in messages.ts). */
function invalid(code: string, message: string): ApiError {
  return new ApiError(code, 400, message);
}

/** The personas page. */
export async function personasPage(): Promise<void> {
  const feedback = new Feedback();
  const section = byId('personas');
  const list = byId<HTMLUListElement>('persona-list');
  const none = byId('no-personas');
  const count = byId('persona-count');
  const form = byId<HTMLFormElement>('persona-form');
  const heading = byId('persona-form-heading');
  const name = byId<HTMLInputElement>('persona-name');
  const claimsBox = byId('persona-claims');
  const residenceBox = byId<HTMLFieldSetElement>('persona-residence');
  const submit = byId<HTMLButtonElement>('persona-submit');
  const cancel = byId<HTMLButtonElement>('persona-cancel');
  const boxes = (): HTMLInputElement[] => [
    ...form.querySelectorAll<HTMLInputElement>('input[name="claims"]'),
  ];
  const radio = (v: string): HTMLInputElement => byId<HTMLInputElement>(`residence-${v}`);
  /** The persona being edited, or undefined while the form creates one. */
  let editing: PersonaView | undefined;

  const syncResidence = (): void => {
    residenceBox.disabled = !byId<HTMLInputElement>('claim-resident_of').checked;
  };
  const clearInvalid = (): void => {
    name.removeAttribute('aria-invalid');
    claimsBox.removeAttribute('aria-invalid');
  };

  const resetForm = (): void => {
    editing = undefined;
    form.reset();
    clearInvalid();
    heading.replaceChildren(bi('ペルソナを作成', 'Create a persona'));
    submit.replaceChildren(bi('作成する', 'Create'));
    cancel.hidden = true;
    syncResidence();
  };

  const startEdit = (p: PersonaView): void => {
    editing = p;
    clearInvalid();
    feedback.clearError();
    name.value = p.name;
    for (const b of boxes()) b.checked = (p.claims as readonly string[]).includes(b.value);
    radio(p.residence ?? 'prefecture').checked = true;
    syncResidence();
    heading.replaceChildren(bi(`ペルソナ「${p.name}」を編集`, `Edit the persona “${p.name}”`));
    submit.replaceChildren(bi('変更を保存する', 'Save changes'));
    cancel.hidden = false;
    heading.focus();
  };

  const render = async (): Promise<boolean> => {
    let answer: { personas: PersonaView[]; max: number };
    try {
      answer = await api('GET', '/api/me/personas');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return false;
      throw e;
    }
    const { personas, max } = answer;
    none.hidden = personas.length > 0;
    count.replaceChildren(bi(`${personas.length} / ${max} 件`, `${personas.length} of at most ${max}`));
    list.replaceChildren(
      ...personas.map((p) => {
        const edit = el(
          'button',
          { type: 'button', class: 'secondary', 'aria-label': `「${p.name}」を編集 Edit “${p.name}”` },
          bi('編集', 'Edit'),
        );
        edit.addEventListener('click', () => startEdit(p));
        const remove = el(
          'button',
          { type: 'button', class: 'secondary', 'aria-label': `「${p.name}」を削除 Delete “${p.name}”` },
          bi('削除', 'Delete'),
        );
        remove.addEventListener('click', () => {
          void busy(remove, () => removeOne(p)).catch((e: unknown) => feedback.error(e));
        });
        const residence =
          p.residence === null
            ? []
            : [
                ' ',
                el(
                  'span',
                  { class: 'hint' },
                  p.residence === 'municipality'
                    ? bi('（居住地: 市区町村まで）', '(residence: municipality)')
                    : bi('（居住地: 都道府県まで）', '(residence: prefecture)'),
                ),
              ];
        return el(
          'li',
          { 'data-persona-id': p.id, 'data-persona-name': p.name },
          el('strong', {}, p.name),
          el('br'),
          el('span', { 'data-claims': p.claims.join(' ') }, claimList(p.claims)),
          ...residence,
          el('br'),
          el('span', { class: 'hint' }, `作成 ${when(p.createdAt)}`),
          el('span', { class: 'buttons' }, edit, ' ', remove),
        );
      }),
    );
    return true;
  };

  const removeOne = async (p: PersonaView): Promise<void> => {
    const ok = window.confirm(
      `ペルソナ「${p.name}」を削除しますか？すでに同意した内容は変わりません。\n` +
        `Delete the persona "${p.name}"? Consents already given do not change.`,
    );
    if (!ok) return;
    await api('DELETE', `/api/me/personas/${encodeURIComponent(p.id)}`);
    if (editing?.id === p.id) resetForm();
    await render();
    feedback.status(`ペルソナ「${p.name}」を削除しました。`, `Deleted the persona "${p.name}".`);
    heading.focus();
  };

  const save = async (): Promise<void> => {
    clearInvalid();
    const claims = boxes()
      .filter((b) => b.checked)
      .map((b) => b.value);
    const trimmed = name.value.trim();
    if (trimmed === '') {
      name.setAttribute('aria-invalid', 'true');
      name.focus();
      throw invalid('persona_name_required', 'a name is required');
    }
    if (claims.length === 0) {
      claimsBox.setAttribute('aria-invalid', 'true');
      boxes()[0]?.focus();
      throw invalid('persona_claims_required', 'pick at least one claim');
    }
    const body = {
      name: trimmed,
      claims,
      ...(claims.includes('resident_of')
        ? { residence: radio('municipality').checked ? 'municipality' : 'prefecture' }
        : {}),
    };
    const was = editing;
    try {
      const saved =
        was === undefined
          ? await api<PersonaView>('POST', '/api/me/personas', body)
          : await api<PersonaView>('PATCH', `/api/me/personas/${encodeURIComponent(was.id)}`, body);
      resetForm();
      await render();
      feedback.status(
        was === undefined
          ? `ペルソナ「${saved.name}」を作成しました。`
          : `ペルソナ「${saved.name}」を保存しました。`,
        was === undefined ? `Created the persona "${saved.name}".` : `Saved the persona "${saved.name}".`,
      );
    } catch (e) {
      if (e instanceof ApiError && (e.code === 'persona_name_taken' || e.code === 'request_invalid')) {
        name.setAttribute('aria-invalid', 'true');
        name.focus();
      } else if (e instanceof ApiError && e.code === 'persona_not_found') {
        resetForm();
        await render();
      }
      throw e;
    }
  };

  byId('claim-resident_of').addEventListener('change', syncResidence);
  cancel.addEventListener('click', () => {
    resetForm();
    feedback.clearError();
    name.focus();
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void busy(submit, save).catch((e: unknown) => feedback.error(e));
  });

  syncResidence();
  if (!(await render())) {
    byId('signed-out').hidden = false;
    return;
  }
  section.hidden = false;
}
