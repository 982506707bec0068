/**
 * Small DOM helpers for the wallet pages. Text always goes in through `textContent` (never
 * `innerHTML`), so nothing from the server, the card or the URL is parsed as markup.
 */
import { describeError, type Described } from './messages.ts';

/** The element with `id`; a missing element is a page/script mismatch (a bug), hence TypeError. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new TypeError(`the page has no #${id}`);
  return e as T;
}

/** The element with `id`, or null when this page does not have it. */
export function maybeId<T extends HTMLElement = HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null;
}

/** Creates an element with attributes and children (strings become text nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Readonly<Record<string, string>> = {},
  ...children: ReadonlyArray<Node | string>
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** Japanese text followed by its English in small print, as the pages write it. */
export function bi(ja: string, en: string): DocumentFragment {
  const f = document.createDocumentFragment();
  f.append(`${ja} `, el('span', { class: 'en', lang: 'en' }, en));
  return f;
}

/** The status line and the error box of a page. */
export class Feedback {
  readonly #status = maybeId('status');
  readonly #error = maybeId('error');

  /** Shows progress (polite live region); clears any error. */
  status(ja: string, en: string): void {
    this.clearError();
    this.#status?.replaceChildren(bi(ja, en));
  }

  /** Clears the status line. */
  clearStatus(): void {
    this.#status?.replaceChildren();
  }

  /** Shows an error (alert region) with its stable code; returns what was shown. */
  error(e: unknown): Described {
    const d = describeError(e);
    this.clearStatus();
    if (this.#error !== null) {
      this.#error.replaceChildren(
        el('p', {}, bi(d.ja, d.en)),
        el('p', { class: 'code' }, 'code: ', el('code', { 'data-error-code': d.code }, d.code)),
      );
      this.#error.hidden = false;
    }
    if (!(e instanceof Error) || d.code === 'internal_error') console.error(e);
    return d;
  }

  /** Hides the error box. */
  clearError(): void {
    if (this.#error === null) return;
    this.#error.hidden = true;
    this.#error.replaceChildren();
  }
}

/** Runs `fn` with `button` disabled (and `aria-busy` on it), re-enabling it afterwards. */
export async function busy<T>(button: HTMLButtonElement, fn: () => Promise<T>): Promise<T> {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/** A local date-time for people, in the browser's time zone (ISO string in, Japanese format out). */
export function when(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString('ja-JP', { dateStyle: 'medium', timeStyle: 'short' });
}
