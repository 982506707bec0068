// Card sign-in through a PC/SC reader in real Chromium (issue 17), on PostgreSQL (support.ts journeyEngines): the
// resident's card (issued by the J-LIS simulator) sits in a reader of a private pcscd (vpcd,
// packages/cli/test/private-pcscd.ts), `watashi card-bridge` (the real executable) offers it on
// 127.0.0.1, and the platform's `wallet.hostedCardsUrl` points the wallet's pages at the bridge:
// the card-login page lists the card in the reader (not the simulator's hosted cards), the resident
// types the PIN, and the card's user-authentication key signs the resident in.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { CardTransport } from '@watashi/jpki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privatePcscd, spawnCardBridge, stopChild, VPCD_READER } from '../../../cli/test/private-pcscd.ts';
import {
  AUTH_PIN,
  enrolledWithCard,
  freePort,
  launchBrowser,
  startStack,
  type EnrolledResident,
  type Stack,
  type TestBrowser,
  journeyEngines,
} from './support.ts';
import { checkPage } from './page-check.ts';

const BIN = fileURLToPath(new URL('../../../cli/bin/watashi.mjs', import.meta.url));
/** The bridge's id of the card in the vpcd reader (card-bridge.ts: `pcsc-` + SHA-256 of the name). */
const BRIDGE_ID = `pcsc-${createHash('sha256').update(VPCD_READER).digest('hex').slice(0, 12)}`;

for (const engine of journeyEngines('postgres')) {
  describe(engine, () => {
    let stack: Stack;
    let browser: TestBrowser;
    let resident: EnrolledResident;
    let pcsc: { close(): Promise<void> } | undefined;
    let bridge: ChildProcess | undefined;

    beforeAll(async () => {
      const port = await freePort();
      stack = await startStack(`card-bridge-e2e-${engine}`, engine, `http://127.0.0.1:${port}`);
      resident = await enrolledWithCard(stack, '山田　花子', '1988-04-12');
      // The simulator's card itself goes into the reader: each APDU reaches the same token.
      const token = resident.card.tokenId;
      pcsc = await privatePcscd({
        transmit: (apdu: Uint8Array) => stack.sim.sim.cardOp((c) => c.apdu(token, apdu)),
        reset: () => void stack.sim.sim.cardOp((c) => c.beginSession(token)),
      } as CardTransport & { reset(): void });
      ({ child: bridge } = await spawnCardBridge(BIN, [
        '--wallet-origin',
        stack.base,
        '--port',
        String(port),
        '--reader',
        VPCD_READER,
      ]));
      browser = await launchBrowser();
    }, 90_000);

    afterAll(async () => {
      await browser?.close();
      await stopChild(bridge);
      await pcsc?.close();
      await stack?.close();
    });

    it('ok-card-sign-in-through-the-pc-sc-bridge', async () => {
      const page = browser.page;
      await page.goto(`${stack.base}/wallet/login`);
      await page.click('#to-card-login');
      await page.waitForURL('**/wallet/card-login');
      // The card in the reader is listed (under the reader's name); the simulator's are not.
      const choice = page.locator(`#card-${BRIDGE_ID}`);
      await choice.waitFor({ state: 'attached', timeout: 45_000 });
      expect(await page.locator(`#card-${resident.card.tokenId}`).count()).toBe(0);
      expect(await page.locator(`label[for="card-${BRIDGE_ID}"]`).textContent()).toContain(
        `カードリーダー「${VPCD_READER}」のマイナンバーカード`,
      );
      await checkPage(page, 'card-bridge', '01-card-login-reader');
      await choice.check();
      await page.fill('#card-pin', AUTH_PIN);
      await page.click('#card-submit');
      await page.waitForURL('**/wallet/account', { timeout: 45_000 });
      await page.locator('h1', { hasText: 'アカウント' }).waitFor({ state: 'visible', timeout: 45_000 });
      await checkPage(page, 'card-bridge', '02-signed-in');
      const me = await page.evaluate(async () => (await fetch('/api/me')).json() as Promise<unknown>);
      expect(me).toMatchObject({ account: { id: resident.accountId } });
      expect(browser.problems).toEqual([]);
    }, 120_000);
  });
}
