// Signing a PDF from the wallet with the My Number card, then checking it on the public
// verification page, in real Chromium on PGlite (support.ts journeyEngines) (issue 20): the wallet reads the
// file's name, size and SHA-256, the hosted card of the simulator verifies the signing password and
// hands over its certificate, the resident sees the name and address the signature will show and
// signs; the downloaded PDF is checked by poppler's pdfsig, and /verify (no account) says
// TOTAL-PASSED with the signer's name.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { minimalPdf } from '../../../signature/test/fixtures.ts';
import {
  AUTH_PIN,
  SIGN_PIN,
  enrolledWithCard,
  visibleText,
  launchBrowser,
  startStack,
  type Stack,
  type TestBrowser,
  journeyEngines,
} from './support.ts';
import { checkPage } from './page-check.ts';

const WAIT = { timeout: 45_000 };

let stack: Stack;
let browser: TestBrowser;
let page: Page;
let dir: string;

for (const engine of journeyEngines('pglite')) {
  describe(engine, () => {
    beforeAll(async () => {
      stack = await startStack(`sign-e2e-${engine}`, engine);
      browser = await launchBrowser();
      page = browser.page;
      dir = mkdtempSync(join(tmpdir(), 'watashi-sign-e2e-'));
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await stack?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('ok-sign-a-pdf-in-the-wallet-pdfsig-passes-and-verify-says-total-passed', async () => {
      const { card } = await enrolledWithCard(stack, '署名　太郎', '1975-05-05', true, '1');
      await page.goto(`${stack.base}/wallet/card-login`);
      await page.locator(`#card-${card.tokenId}`).check();
      await page.fill('#card-pin', AUTH_PIN);
      await page.click('#card-submit');
      await page.waitForURL('**/wallet/account', WAIT);

      // Choose the file: its name, size and fingerprint are shown before anything is signed.
      const pdf = minimalPdf('Lease agreement');
      const hash = createHash('sha256').update(pdf).digest('hex');
      await page.goto(`${stack.base}/wallet/sign`);
      // The picker's button speaks the page's language (not Chromium's 「Choose File」): a label
      // for the visually hidden native input, which keeps the keyboard — Space opens the picker.
      expect(await visibleText(page, '#sign-file-button')).toBe('ファイルを選ぶ');
      expect(await visibleText(page, '#sign-file-chosen')).toBe('まだ選んでいません');
      // Named by the field's title and the button's words (WCAG 2.5.3: the visible words).
      const input = page.getByLabel('ファイルを選ぶ');
      expect(await input.getAttribute('id')).toBe('sign-file');
      expect(await input.ariaSnapshot()).toBe('- button "署名するファイル ファイルを選ぶ"');
      await input.focus();
      await checkPage(page, 'sign', '00-choose-file');
      const [chooser] = await Promise.all([
        page.waitForEvent('filechooser', WAIT),
        page.keyboard.press('Space'),
      ]);
      await chooser.setFiles({
        name: '賃貸契約書.pdf',
        mimeType: 'application/pdf',
        buffer: Buffer.from(pdf),
      });
      const facts = await visibleText(page, '#sign-document');
      expect(await visibleText(page, '#sign-file-chosen')).toBe('賃貸契約書.pdf');
      expect(facts).toContain('賃貸契約書.pdf');
      expect(facts).toContain(`${pdf.length.toLocaleString('ja')} バイト`);
      expect(facts.replace(/\s/g, '')).toContain(hash);
      expect(await visibleText(page, '#sign-format')).toContain('PDFの中に署名を入れます');
      await page.locator(`#card-${card.tokenId}`).check();
      expect(await visibleText(page, '#pin-tries')).toBe(
        'あと5回まちがえると、署名用パスワードがロックされます。',
      );
      await checkPage(page, 'sign', '01-file-chosen');

      // The password; then the name and address the signature will show, from the certificate.
      await page.fill('#card-pin', SIGN_PIN);
      await page.click('#card-submit');
      const signer = await visibleText(page, '#sign-signer');
      expect(signer).toContain('署名　太郎');
      expect(signer).toContain('住所');
      await checkPage(page, 'sign', '02-signer-shown');
      await page.click('#sign-confirm-button');
      expect(await visibleText(page, '#sign-done')).toContain('署名　太郎');
      await checkPage(page, 'sign', '03-signed');

      // The download is the signed PDF: poppler validates it.
      const [download] = await Promise.all([
        page.waitForEvent('download', WAIT),
        page.click('#sign-download'),
      ]);
      expect(download.suggestedFilename()).toBe('賃貸契約書.pdf');
      const file = join(dir, `signed-${engine}.pdf`);
      await download.saveAs(file);
      const out = execFileSync('pdfsig', [file], { encoding: 'utf8' });
      expect(out).toContain('Signature Validation: Signature is Valid.');
      // A JPKI certificate's commonName is a serial-like code; the name is in its subjectAltName.
      expect(out).toContain('Signature Type: ETSI.CAdES.detached');
      expect(readFileSync(file).subarray(0, pdf.length).equals(Buffer.from(pdf))).toBe(true);

      // Anyone, signed out, checks it on the verification page.
      await browser.context.clearCookies();
      await page.goto(`${stack.base}/verify`);
      await page.locator('#file').setInputFiles(file);
      await page.click('button[type=submit]');
      const verdict = page.locator('section.signature').first();
      await verdict.waitFor({ state: 'visible', ...WAIT });
      const text = (await verdict.textContent()) ?? '';
      expect(await verdict.getAttribute('data-indication')).toBe('TOTAL-PASSED');
      expect(text).toContain('有効な署名です');
      expect(text).toContain('TOTAL-PASSED');
      expect(text).toContain('署名　太郎');
      expect(text).toContain('署名が存在したことが証明された時刻');
      await checkPage(page, 'sign', '04-verified');
      expect(browser.problems).toEqual([]);
    }, 120_000);
  });
}
