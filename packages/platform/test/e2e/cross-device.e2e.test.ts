// Cross-device sign-in in real Chromium (issue 19, docs/cross-device.md), on PostgreSQL: a
// "computer" (a browser context with no passkey and no session) starts a relying party's login
// (openid-client), shows 「スマートフォンでサインイン」's QR and number; the "phone" (the wallet
// signed in with the card, its device certificate set up on the devices page) scans the QR with
// its camera (Chromium's fake camera fed a Y4M of it, y4m.ts), sees the service and the network,
// picks the computer's number and approves with the device key; the computer continues by itself
// to the consent page and the RP, which exchanges the code. Then the relayed-QR attack: an
// attacker's context shows its own QR on a "phishing page", the victim's phone scans it and picks
// a number it cannot see → refused, and the attacker's context is never signed in.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as client from 'openid-client';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRelyingParty } from '../../src/oidc/registry.ts';
import { checkPage } from './page-check.ts';
import {
  AUTH_PIN,
  CHROMIUM,
  CHROMIUM_ARGS,
  enrolledWithCard,
  freePort,
  launchBrowser,
  startStack,
  waitForText,
  type Stack,
  type TestBrowser,
} from './support.ts';
import { writeQrY4m } from './y4m.ts';

const WAIT = { timeout: 45_000 };
const JOURNEY = 'cross-device';

describe('cross-device sign-in (postgres)', () => {
  let stack: Stack;
  let phone: TestBrowser;
  let desktops: Browser;
  let rpServer: Server;
  let callback = '';
  let config: client.Configuration;
  const dir = mkdtempSync(join(tmpdir(), 'watashi-xdevice-camera-'));
  const camera = join(dir, 'qr.y4m');

  beforeAll(async () => {
    const port = await freePort();
    rpServer = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('relying party callback'),
    );
    await new Promise<void>((r) => rpServer.listen(port, '127.0.0.1', r));
    callback = `http://127.0.0.1:${port}/cb`;
    stack = await startStack('xdevice-e2e', 'postgres');
    // oidc-provider runs on the real clock: the platform's starts there too.
    stack.clock.set(new Date(Math.floor(Date.now() / 1000) * 1000));
    const added = await addRelyingParty(stack.platform.deps, {
      name: 'E2E 図書館',
      purpose: '貸出の本人確認 / library loans',
      redirectUris: [callback],
      tokenEndpointAuthMethod: 'client_secret_basic',
      allowedClaims: ['name'],
    });
    config = await client.discovery(
      new URL(`${stack.base}/oidc`),
      added.relyingParty.clientId,
      { id_token_signed_response_alg: 'ES256' },
      client.ClientSecretBasic(added.clientSecret),
      { execute: [client.allowInsecureRequests] },
    );
    writeQrY4m(camera, 'blank');
    phone = await launchBrowser([
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${camera}`,
    ]);
    // The computer and the attacker: one Chromium, two contexts sharing nothing.
    desktops = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS] });
  }, 120_000);

  afterAll(async () => {
    await desktops?.close();
    await phone?.close();
    await stack?.close();
    await new Promise((r) => rpServer?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  /** A computer's context at the RP's login, on Watashi's sign-in page; the QR shown. */
  async function computerWithQr(name: string): Promise<{
    context: BrowserContext;
    page: Page;
    uri: string;
    number: number;
    started: { verifier: string; state: string; nonce: string };
  }> {
    const context = await desktops.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: callback,
      scope: 'openid',
      claims: JSON.stringify({ userinfo: { name: null } }),
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    await page.goto(url.href);
    await page.waitForURL('**/wallet/login?**', WAIT);
    await page.locator('#xdevice-start').waitFor(WAIT);
    const created = page.waitForResponse(
      (r) => r.url().endsWith('/cross-device') && r.request().method() === 'POST',
      WAIT,
    );
    await page.click('#xdevice-start');
    const body = (await (await created).json()) as { qr: { uri: string }; number: number };
    await page.locator('#xdevice-qr').waitFor(WAIT);
    expect(await page.textContent('#xdevice-number')).toBe(String(body.number));
    await checkPage(page, JOURNEY, `${name}-qr`);
    return { context, page, uri: body.qr.uri, number: body.number, started: { verifier, state, nonce } };
  }

  /** The phone scans whatever QR `uri` is, and shows the request. */
  async function phoneScans(uri: string): Promise<Page> {
    writeQrY4m(camera, uri);
    const page = phone.page;
    await page.goto(`${stack.base}/wallet/cross-device`);
    await page.locator('#xdevice-scan').waitFor(WAIT);
    await page.click('#xdevice-scan');
    await page.locator('#xdevice-request').waitFor(WAIT);
    return page;
  }

  it('ok-the-phone-approves-and-the-computer-signs-in-and-a-relayed-qr-is-refused', async () => {
    // The phone: card sign-in, then this phone's device certificate (the devices journey's steps).
    const r = await enrolledWithCard(stack, '佐藤　陽子', '1991-07-07');
    const p = phone.page;
    await p.goto(`${stack.base}/wallet/card-login?return_to=${encodeURIComponent('/wallet/devices')}`);
    await p.locator(`#card-${r.card.tokenId}`).check(WAIT);
    await p.fill('#card-pin', AUTH_PIN);
    await p.click('#card-submit');
    await p.waitForURL('**/wallet/devices', WAIT);
    await p.locator('#device-apply').waitFor(WAIT);
    await p.fill('#device-label', '陽子のスマホ');
    await p.click('#device-apply');
    await p.locator('#device-activate').waitFor(WAIT);
    await p.click('#device-activate');
    await p.locator('#this-device-active').waitFor(WAIT);
    await p.goto(`${stack.base}/wallet/cross-device`);
    await p.locator('#xdevice-scan').waitFor(WAIT);
    await checkPage(p, JOURNEY, 'phone-01-scan');

    // The computer shows the QR and the number; the phone scans it.
    const computer = await computerWithQr('computer-01');
    const shown = await phoneScans(computer.uri);
    const facts = (await shown.textContent('#xdevice-request')) ?? '';
    expect(facts).toContain('E2E 図書館');
    expect(facts).toContain('貸出の本人確認');
    expect(facts).toContain('127.0.0.0/24');
    expect(facts).toContain('このスマートフォンと同じネットワーク');
    expect(facts).toContain('Chrome / Linux');
    expect(facts).not.toMatch(/xdevice_|urn:|signingInput|nonce/);
    const offered = await shown.locator('.choices button').allTextContents();
    expect(offered).toHaveLength(3);
    expect(offered.map((t) => t.trim())).toContain(String(computer.number));
    await waitForText(computer.page, '#xdevice-status', 'スマートフォンで読み取られました');
    await checkPage(shown, JOURNEY, 'phone-02-request');

    // The right number: approved; the computer continues by itself to the consent page.
    await shown.click(`#xdevice-choice-${computer.number}`);
    await shown.locator('#xdevice-done').waitFor(WAIT);
    expect(await shown.textContent('#xdevice-done')).toContain('サインインを承認しました');
    await checkPage(shown, JOURNEY, 'phone-03-approved');
    await computer.page.waitForURL('**/wallet/consent/**', WAIT);
    await computer.page.locator('#approve').waitFor(WAIT);
    await computer.page.click('#approve');
    await computer.page.waitForURL(`${callback}?**`, WAIT);
    const tokens = await client.authorizationCodeGrant(config, new URL(computer.page.url()), {
      pkceCodeVerifier: computer.started.verifier,
      expectedState: computer.started.state,
      expectedNonce: computer.started.nonce,
      idTokenExpected: true,
    });
    const id = tokens.claims()!;
    expect(id.amr).toEqual(expect.arrayContaining(['pop', 'swk']));
    const info = await client.fetchUserInfo(config, tokens.access_token, id.sub);
    expect(info['name']).toBe('佐藤\u3000陽子');

    // The relayed QR: an attacker's browser shows its QR on a phishing page; the victim's phone
    // scans it but cannot see the attacker's number, and picks another one → the sign-in dies.
    const attacker = await computerWithQr('attacker-01');
    const victim = await phoneScans(attacker.uri);
    const guess = (await victim.locator('.choices button').allTextContents())
      .map((t) => t.trim())
      .find((n) => n !== String(attacker.number))!;
    await victim.click(`#xdevice-choice-${guess}`);
    await waitForText(victim, '#error', 'パソコンの番号と違いました');
    await checkPage(victim, JOURNEY, 'phone-04-wrong-number');
    await waitForText(attacker.page, '#xdevice-error', '違う番号が選ばれたため');
    await checkPage(attacker.page, JOURNEY, 'attacker-02-refused');
    // Never signed in: no Watashi session, and the login goes back to the sign-in page.
    expect((await attacker.context.cookies()).some((c) => c.name === 'watashi_session')).toBe(false);
    expect(attacker.page.url()).toContain('/wallet/login?');

    expect(phone.problems).toEqual([]);
    await computer.context.close();
    await attacker.context.close();
  }, 240_000);
});
