/**
 * The wallet's page check for e2e suites (packages/wallet/README.md "Test a page"): for the page
 * as it is now, at phone size (390×844) and desktop size (1280×800),
 *
 * - axe-core with the WCAG 2.0/2.1/2.2 A and AA rules, best practices and `target-size`: no violation;
 * - every visible text at least 16 CSS px;
 * - every visible control and link at least 44×44 CSS px (a checkbox or radio counts with its label);
 * - no horizontal scrolling;
 * - a full-page screenshot at `test-results/screens/<journey>/<step>-<size>.png` (repository root).
 *
 * axe runs through the DevTools protocol (`page.evaluate`), which the page's CSP does not govern:
 * nothing is injected into the page as a script element. Throws one error listing every problem.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import type { Page } from 'playwright-core';

/** Where screenshots go: `<repository>/test-results/screens`. */
export const SCREENS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../../test-results/screens');

/** The two sizes every wallet page must work at. */
export const SIZES = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1280, height: 800 },
] as const;

/** What axe checks: WCAG 2.2 AA (with 2.0/2.1 A and AA), best practices, and target size. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

interface AxeViolation {
  readonly id: string;
  readonly help: string;
  readonly nodes: ReadonlyArray<{ readonly target: readonly unknown[] }>;
}

/** Runs axe in the page; the violations in short. */
async function axeViolations(page: Page): Promise<string[]> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluate(axe.source);
  const violations = await page.evaluate(async (tags) => {
    const a = (
      window as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: unknown[] }> } }
    ).axe;
    const r = await a.run(document, {
      runOnly: { type: 'tag', values: tags },
      rules: { 'target-size': { enabled: true } },
      resultTypes: ['violations'],
    });
    return r.violations;
  }, AXE_TAGS);
  return (violations as AxeViolation[]).map(
    (v) =>
      `axe ${v.id}: ${v.help} — ${v.nodes
        .map((n) => n.target.join(' '))
        .slice(0, 5)
        .join(', ')}`,
  );
}

/** Text under 16 px, small targets and horizontal scrolling, measured in the page. */
async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const visible = (e: Element): boolean => {
      const r = e.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) return false;
      const s = getComputedStyle(e);
      return s.visibility !== 'hidden' && s.display !== 'none' && s.opacity !== '0';
    };
    const name = (e: Element): string => {
      const id = e.id === '' ? '' : `#${e.id}`;
      const text = (e.textContent ?? '').trim().slice(0, 30);
      return `<${e.tagName.toLowerCase()}${id}> "${text}"`;
    };
    // Text: every element with its own visible text.
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set<Element>();
    for (let n = walker.nextNode(); n !== null; n = walker.nextNode()) {
      const parent = n.parentElement;
      if (parent === null || seen.has(parent) || (n.textContent ?? '').trim() === '') continue;
      seen.add(parent);
      if (parent.closest('noscript, script, style, [hidden], [aria-hidden="true"]') !== null) continue;
      if (!visible(parent)) continue;
      const px = parseFloat(getComputedStyle(parent).fontSize);
      if (px < 16) problems.push(`text ${px}px < 16px: ${name(parent)}`);
    }
    // Targets: links, buttons, fields, summaries; a checkbox or radio measured with its label, a
    // visually hidden file input with the label that stands in for it (the wallet's FilePicker).
    for (const e of document.querySelectorAll(
      'a[href], button, input:not([type="hidden"]), select, textarea, summary, [role="button"], [tabindex]:not([tabindex="-1"])',
    )) {
      if (!visible(e)) continue;
      if (e.classList.contains('skip')) continue; // off-screen until focused
      const box =
        e instanceof HTMLInputElement && (e.type === 'checkbox' || e.type === 'radio')
          ? (e.closest('label') ?? e)
          : e instanceof HTMLInputElement && e.type === 'file' && e.labels !== null && e.labels.length > 0
            ? e.labels[e.labels.length - 1]!
            : e;
      const r = box.getBoundingClientRect();
      if (r.width < 44 || r.height < 44)
        problems.push(`target ${Math.round(r.width)}×${Math.round(r.height)} < 44×44: ${name(e)}`);
    }
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth)
      problems.push(`horizontal scroll: ${doc.scrollWidth}px wide in ${doc.clientWidth}px`);
    return problems;
  });
}

/** Options of {@link checkPage}. */
export interface CheckPageOptions {
  /**
   * Only these sizes (default both): for a state that exists at one size only, such as the phone's
   * opened menu, which a desktop does not have.
   */
  readonly sizes?: ReadonlyArray<(typeof SIZES)[number]['name']>;
}

/**
 * Checks the page at both sizes and writes its screenshots; throws listing every problem found.
 * The viewport is left at the last size checked (desktop, unless `options.sizes` says otherwise).
 */
export async function checkPage(
  page: Page,
  journey: string,
  step: string,
  options: CheckPageOptions = {},
): Promise<void> {
  const problems: string[] = [];
  // A page shows its level-one heading once it has loaded what it shows (a wallet page renders a
  // busy placeholder while its data loads): checking before that would judge the placeholder. A page
  // that never gets one is reported by axe below.
  await page
    .locator('h1')
    .first()
    .waitFor({ state: 'visible', timeout: 45_000 })
    .catch(() => undefined);
  for (const size of SIZES.filter((s) => options.sizes?.includes(s.name) ?? true)) {
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.evaluate(() => document.fonts.ready.then(() => undefined));
    const found = [...(await axeViolations(page)), ...(await layoutProblems(page))];
    problems.push(...found.map((p) => `[${size.name}] ${p}`));
    const file = join(SCREENS_DIR, journey, `${step}-${size.name}.png`);
    mkdirSync(dirname(file), { recursive: true });
    await page.screenshot({ path: file, fullPage: true });
  }
  if (problems.length > 0) throw new Error(`${journey}/${step} (${page.url()}):\n  ${problems.join('\n  ')}`);
}
