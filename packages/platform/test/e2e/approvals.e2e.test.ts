// Out-of-band approval in real Chromium (issue 19), on PostgreSQL (support.ts journeyEngines): the resident's
// wallet is open on the approvals page; a relying party (openid-client, CIBA poll mode) asks for a
// transfer to be approved; the page learns of it while open (polling), shows the service and the
// exact text; the resident approves with the browser's device key (WebCrypto, IndexedDB); the RP
// receives tokens whose approval evidence verifies with jose against the device certificate.
import { createServer, type Server } from 'node:http';
import { compactVerify, exportJWK, generateKeyPair, importX509 } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordPairwiseSubject } from '../../src/oidc/ciba.ts';
import { pairwiseSubject } from '../../src/oidc/pairwise.ts';
import { addRelyingParty } from '../../src/oidc/registry.ts';
import {
  AUTH_PIN,
  enrolledWithCard,
  freePort,
  launchBrowser,
  startStack,
  waitForText,
  type Stack,
  type TestBrowser,
  journeyEngines,
} from './support.ts';
import { checkPage } from './page-check.ts';

const WAIT = { timeout: 45_000 };
const TEXT = '振込 50,000円 → 山田酒店';

let stack: Stack;
let phone: TestBrowser;
let jwksServer: Server;
const published: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  const port = await freePort();
  jwksServer = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published })),
  );
  await new Promise<void>((r) => jwksServer.listen(port, '127.0.0.1', r));
});
afterAll(async () => {
  await new Promise((r) => jwksServer?.close(r));
});

for (const engine of journeyEngines('postgres')) {
  describe(engine, () => {
    beforeAll(async () => {
      stack = await startStack(`approvals-e2e-${engine}`, engine);
      phone = await launchBrowser();
    }, 90_000);
    afterAll(async () => {
      await phone?.close();
      await stack?.close();
    });

    it('ok-rp-asks-wallet-shows-exact-text-device-key-approves-rp-gets-evidence', async () => {
      // oidc-provider runs on the real clock: the platform's starts there too.
      stack.clock.set(new Date(Math.floor(Date.now() / 1000) * 1000));
      const r = await enrolledWithCard(stack, '山田　花子', '1990-01-02');
      const page = phone.page;
      // Card sign-in, then this phone's device certificate (key in IndexedDB, activated).
      await page.goto(`${stack.base}/wallet/card-login?return_to=${encodeURIComponent('/wallet/devices')}`);
      await page.locator(`#card-${r.card.tokenId}`).check(WAIT);
      await page.fill('#card-pin', AUTH_PIN);
      await page.click('#card-submit');
      await page.waitForURL('**/wallet/devices', WAIT);
      await page.locator('#device-apply').waitFor(WAIT);
      await page.fill('#device-label', '花子のスマホ');
      await page.click('#device-apply');
      await page.locator('#device-activate').waitFor(WAIT);
      await page.click('#device-activate');
      await page.locator('#this-device-active').waitFor(WAIT);

      // The wallet is open on the approvals page before any request exists.
      await page.goto(`${stack.base}/wallet/approvals`);
      await page.locator('#approval-list').waitFor({ state: 'attached', ...WAIT });

      // The RP: registered for CIBA, knows the resident by its pairwise sub.
      const kid = `k-${engine}`;
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      published.push({ ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig', kid });
      const added = await addRelyingParty(stack.platform.deps, {
        name: '山田銀行',
        purpose: '振込の確認のため',
        redirectUris: ['http://127.0.0.1:9/cb'],
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwksUri: `http://127.0.0.1:${(jwksServer.address() as { port: number }).port}/jwks`,
        cibaDeliveryMode: 'poll',
      });
      const rp = added.relyingParty;
      // The consent of an earlier sign-in records the pair (tested in test/oidc/ciba.test.ts).
      await recordPairwiseSubject(
        stack.platform.deps,
        stack.platform.deps.db,
        rp.sectorIdentifier,
        r.accountId,
        new Date(),
      );
      const sub = await pairwiseSubject(stack.platform.deps.keys, rp.sectorIdentifier, r.accountId);
      const config = await client.discovery(
        new URL(`${stack.base}/oidc`),
        rp.clientId,
        { id_token_signed_response_alg: 'ES256' },
        client.PrivateKeyJwt({ key: privateKey, kid }),
        { execute: [client.allowInsecureRequests] },
      );
      const started = await client.initiateBackchannelAuthentication(config, {
        scope: 'openid',
        login_hint: sub,
        binding_message: 'A7-振込',
        authorization_details: JSON.stringify([{ type: 'watashi_transaction', text: TEXT }]),
      });

      // The open page learns of it, and shows the service, its purpose, the code and the text.
      await waitForText(page, '#approval-list', TEXT);
      await waitForText(page, '#approval-list', '山田銀行');
      await waitForText(page, '#approval-list', '振込の確認のため');
      await waitForText(page, '#approval-list', 'A7-振込');
      await checkPage(page, 'approvals', '01-request-shown');
      await page.getByRole('button', { name: '承認する' }).click();
      await waitForText(page, '#status', '承認しました');
      await checkPage(page, 'approvals', '02-approved');

      const tokens = await client.pollBackchannelAuthenticationGrant(config, started);
      expect(tokens.claims()!.sub).toBe(sub);
      const evidence = tokens.claims()!['watashi_approval'] as { jws: string; x5c: string[] };
      const leaf = `-----BEGIN CERTIFICATE-----\n${evidence.x5c[0]!.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----`;
      const { payload } = await compactVerify(evidence.jws, await importX509(leaf, 'ES256'));
      const approved = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
      expect(approved).toMatchObject({
        aud: rp.clientId,
        sub,
        txn: started.auth_req_id,
        binding_message: 'A7-振込',
        authorization_details: [{ type: 'watashi_transaction', text: TEXT }],
      });
      expect(phone.problems).toEqual([]);
    }, 120_000);
  });
}
