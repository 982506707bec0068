// Device certificates in real Chromium (issue 18), on PostgreSQL (support.ts journeyEngines): the wallet's
// WebCrypto key (non-extractable, IndexedDB) gets a Watashi certificate that is on hold until the
// browser signs the activation challenge — checked by `openssl verify` against /ca/ and by
// `openssl ocsp` against the responder (hold before activation, good after) — then signs in with
// it. Two browser profiles play two phones: the new one changes devices with the card alone, the
// old one erases its key when it next opens the wallet; then the old phone, signed in with the
// card, stops the new one as lost, and the new one erases its key in turn.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { opensslWorkspace } from '../../../pki/test/openssl.ts';
import {
  AUTH_PIN,
  enrolledWithCard,
  waitForText,
  launchBrowser,
  startStack,
  type Stack,
  type TestBrowser,
  journeyEngines,
} from './support.ts';
import { checkPage } from './page-check.ts';

const WAIT = { timeout: 45_000 };

let stack: Stack;
let phoneA: TestBrowser;
let phoneB: TestBrowser;
const ws = opensslWorkspace();

const pem = (der: Uint8Array): string =>
  `-----BEGIN CERTIFICATE-----\n${(
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  ).join('\n')}\n-----END CERTIFICATE-----\n`;

/** Card sign-in on the card page (the hosted card, its 4-digit PIN), then `returnTo`. */
async function cardSignIn(page: Page, tokenId: string, returnTo: string): Promise<void> {
  await page.goto(`${stack.base}/wallet/card-login?return_to=${encodeURIComponent(returnTo)}`);
  await page.locator(`#card-${tokenId}`).check(WAIT);
  await page.fill('#card-pin', AUTH_PIN);
  await page.click('#card-submit');
  await page.waitForURL(`**${returnTo}`, WAIT);
}

/** The device certificates the page's session sees. */
async function devices(page: Page): Promise<Array<{ serial: string; state: string; certificate: string }>> {
  return page.evaluate(
    async () =>
      (
        (await (await fetch('/api/devices')).json()) as {
          devices: Array<{ serial: string; state: string; certificate: string }>;
        }
      ).devices,
  );
}

/** How many device keys this browser profile keeps in IndexedDB, and whether they are extractable. */
async function storedKeys(page: Page): Promise<Array<{ accountId: string; extractable: boolean }>> {
  return page.evaluate(
    () =>
      new Promise<Array<{ accountId: string; extractable: boolean }>>((resolve, reject) => {
        const open = indexedDB.open('watashi-wallet', 1);
        open.onupgradeneeded = () => open.result.createObjectStore('device-keys', { keyPath: 'accountId' });
        open.onerror = () => reject(new Error(String(open.error)));
        open.onsuccess = () => {
          const get = open.result.transaction('device-keys').objectStore('device-keys').getAll();
          get.onerror = () => reject(new Error(String(get.error)));
          get.onsuccess = () => {
            const rows = get.result as Array<{ accountId: string; privateKey: CryptoKey }>;
            open.result.close();
            resolve(rows.map((r) => ({ accountId: r.accountId, extractable: r.privateKey.extractable })));
          };
        };
      }),
  );
}

/** `openssl ocsp` against the platform's responder: the status line of `certificate` (base64 DER). */
async function opensslOcsp(certificate: string): Promise<string> {
  const der = async (path: string) =>
    new Uint8Array(await (await fetch(`${stack.base}${path}`)).arrayBuffer());
  ws.write('root.pem', pem(await der('/ca/root.crt')));
  ws.write('issuing.pem', pem(await der('/ca/issuing.crt')));
  ws.write('leaf.pem', pem(Buffer.from(certificate, 'base64')));
  const { stdout, stderr } = await promisify(execFile)(
    'openssl',
    [
      'ocsp',
      '-issuer',
      'issuing.pem',
      '-cert',
      'leaf.pem',
      '-url',
      `${stack.base}/ca/ocsp`,
      '-CAfile',
      'root.pem',
      '-verify_other',
      'issuing.pem',
    ],
    { cwd: ws.dir, encoding: 'utf8' },
  );
  const out = `${stdout}${stderr}`;
  expect(out, out).toContain('Response verify OK');
  return out;
}

for (const engine of journeyEngines('postgres')) {
  describe(engine, () => {
    beforeAll(async () => {
      stack = await startStack(`devices-e2e-${engine}`, engine);
      phoneA = await launchBrowser();
      phoneB = await launchBrowser();
    }, 90_000);

    afterAll(async () => {
      await phoneA?.close();
      await phoneB?.close();
      await stack?.close();
    });

    it('ok-activate-with-the-webcrypto-key-openssl-hold-then-good-and-sign-in-with-it', async () => {
      // The platform's clock is frozen: start it at the real time, so that openssl accepts OCSP times.
      stack.clock.set(new Date(Math.floor(Date.now() / 1000) * 1000));
      const r = await enrolledWithCard(stack, '高橋　健一', '1985-05-05', true, '1');
      const page = phoneA.page;
      await cardSignIn(page, r.card.tokenId, '/wallet/devices');
      await page.locator('#device-apply').waitFor(WAIT);
      await checkPage(page, 'devices', '01-no-certificate');
      await page.fill('#device-label', '健一のスマホ');
      await page.click('#device-apply');
      await page.locator('#device-activate').waitFor(WAIT);
      await waitForText(page, '#status', 'まだ使えません');
      await checkPage(page, 'devices', '02-issued-not-yet-active');
      const [pending] = await devices(page);
      expect(pending?.state).toBe('pending');
      // Issued but inactive: the responder says certificateHold.
      expect(await opensslOcsp(pending!.certificate)).toMatch(/leaf.pem: revoked[\s\S]*certificateHold/);
      await page.click('#device-activate');
      await waitForText(page, '#status', '有効になりました');
      await page.locator('#this-device-active').waitFor(WAIT);
      await checkPage(page, 'devices', '03-active');
      const [active] = await devices(page);
      expect(active).toMatchObject({ serial: pending!.serial, state: 'active' });
      expect(await opensslOcsp(active!.certificate)).toMatch(/leaf.pem: good/);
      const v = ws.run([
        'verify',
        '-CAfile',
        'root.pem',
        '-untrusted',
        'issuing.pem',
        '-purpose',
        'sslclient',
        'leaf.pem',
      ]);
      expect(v.out, v.out).toContain('leaf.pem: OK');
      // The key stays in IndexedDB and cannot be exported.
      expect(await storedKeys(page)).toEqual([{ accountId: r.accountId, extractable: false }]);

      // Sign out; the login page offers this device's certificate.
      await page.evaluate(async () => {
        await fetch('/api/logout', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
      });
      await page.goto(`${stack.base}/wallet/login`);
      await page.locator('#login-device').waitFor(WAIT);
      await checkPage(page, 'devices', '04-login-with-device');
      await page.click('#login-device');
      await page.waitForURL('**/wallet/account', WAIT);
      const me = await page.evaluate(
        async () =>
          (await (await fetch('/api/me')).json()) as {
            account: { id: string };
            authenticators: Array<{ type: string; level: number }>;
          },
      );
      expect(me.account.id).toBe(r.accountId);
      // A key in the browser is a software key: level 2 at most (docs/trust-service.md §5).
      const cert = me.authenticators.find((a) => a.type === 'device_cert');
      expect(cert?.level).toBeGreaterThanOrEqual(1);
      expect(cert?.level).toBeLessThanOrEqual(2);
      expect(phoneA.problems).toEqual([]);

      // Device change from phone B alone, with the card; then phone A erases its key.
      const pageB = phoneB.page;
      await pageB.goto(`${stack.base}/wallet/devices`);
      await pageB.locator('#device-change #card-submit').waitFor(WAIT);
      await checkPage(pageB, 'devices', '05-new-phone-signed-out');
      await pageB.locator(`#card-${r.card.tokenId}`).check(WAIT);
      await pageB.fill('#card-pin', AUTH_PIN);
      await pageB.click('#card-submit');
      await pageB.locator(`#device-move-${active!.serial}`).waitFor(WAIT);
      await checkPage(pageB, 'devices', '06-new-phone-choose-old');
      await pageB.click(`#device-move-${active!.serial}`);
      await pageB.locator('#device-activate').waitFor(WAIT);
      await pageB.click('#device-activate');
      await waitForText(pageB, '#status', '機種変更しました');
      await pageB.locator('#this-device-active').waitFor(WAIT);
      await checkPage(pageB, 'devices', '07-new-phone-active');
      const afterChange = await devices(pageB);
      const newSerial = afterChange.find((d) => d.state === 'active')!.serial;
      expect(afterChange.find((d) => d.serial === active!.serial)?.state).toBe('revoked');
      expect(await opensslOcsp(active!.certificate)).toMatch(/leaf.pem: revoked[\s\S]*superseded/);

      // Phone A opens the wallet: its certificate is revoked, so it erases its key and says so.
      await page.goto(`${stack.base}/wallet/`);
      await waitForText(page, '#device-key-erased', '鍵を消しました');
      await checkPage(page, 'devices', '08-old-phone-erased');
      expect(await storedKeys(page)).toEqual([]);
      // The device change ended the old phone's session, too.
      expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(401);

      // Phone A signs in with the card and stops phone B as lost (revoke from another device).
      await cardSignIn(page, r.card.tokenId, '/wallet/devices');
      await page.click(`#device-lost-${newSerial}`);
      await page.locator(`#device-lost-confirm-${newSerial}`).waitFor(WAIT);
      await checkPage(page, 'devices', '09-stop-lost-confirm');
      await page.click(`#device-lost-confirm-${newSerial}`);
      await waitForText(page, '#status', 'もうサインインできません');
      await checkPage(page, 'devices', '10-stopped');
      expect(await opensslOcsp(afterChange.find((d) => d.serial === newSerial)!.certificate)).toMatch(
        /leaf.pem: revoked[\s\S]*keyCompromise/,
      );
      // Phone B opens the login page: the key is erased and not offered.
      await pageB.goto(`${stack.base}/wallet/login`);
      await waitForText(pageB, '#device-key-erased', '鍵を消しました');
      expect(await storedKeys(pageB)).toEqual([]);
      expect(await pageB.locator('#login-device').count()).toBe(0);

      // Phone A (signed in with the card) also puts a signing certificate on: a key of its own,
      // issued on hold, activated by its signature, shown with the name it carries; then it signs a
      // file on the sign page with it, beside the card (docs/signatures.md §4).
      await page.goto(`${stack.base}/wallet/devices`);
      await page.locator('#device-sign-apply').waitFor(WAIT);
      await page.click('#device-sign-apply');
      await page.locator('#device-sign-activate').waitFor(WAIT);
      await page.click('#device-sign-activate');
      await waitForText(page, '#this-device-sign-active', '署名用（高橋　健一）');
      await checkPage(page, 'devices', '11-signing-certificate-active');
      expect((await storedKeys(page)).map((k) => k.accountId)).toEqual([`${r.accountId}#sign`]);
      await page.goto(`${stack.base}/wallet/sign`);
      await page.setInputFiles('#sign-file', {
        name: '同意書.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('同意します\n'),
      });
      await page.locator('#sign-device-button').waitFor(WAIT);
      await checkPage(page, 'devices', '12-sign-with-this-device');
      await page.click('#sign-device-button');
      await page.locator('#sign-confirm-button').waitFor(WAIT);
      await page.click('#sign-confirm-button');
      await waitForText(page, '#sign-done', '高橋　健一');
      await checkPage(page, 'devices', '13-signed-with-this-device');
      expect(phoneA.problems).toEqual([]);
      expect(phoneB.problems).toEqual([]);
    }, 240_000);
  });
}
