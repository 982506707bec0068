/**
 * The reading settings remembered in this browser: larger text (localStorage `watashi.text`).
 * Applied to `<html data-text>` before the first render, so the page never jumps.
 */

/** Text sizes. */
export type TextSize = 'normal' | 'large';

const KEY = 'watashi.text';

/** The remembered text size. */
export function textSize(): TextSize {
  try {
    return localStorage.getItem(KEY) === 'large' ? 'large' : 'normal';
  } catch {
    return 'normal';
  }
}

/** Applies (and remembers) a text size. */
export function setTextSize(s: TextSize): void {
  try {
    localStorage.setItem(KEY, s);
  } catch {
    // storage disabled: applies to this page only
  }
  applyTextSize(s);
}

/** Sets `<html data-text>` for the stylesheet. */
export function applyTextSize(s: TextSize): void {
  document.documentElement.dataset['text'] = s;
}
