/** What the platform tells the wallet in `index.html` (packages/platform/src/wallet/spa.ts). */

/** The hosted cards' base URL (the J-LIS simulator), or undefined when there is no card reader. */
export function hostedCardsUrl(): string | undefined {
  const v = document.querySelector('meta[name="watashi-hosted-cards-url"]')?.getAttribute('content');
  return v === null || v === undefined || v === '' ? undefined : v.replace(/\/+$/, '');
}
