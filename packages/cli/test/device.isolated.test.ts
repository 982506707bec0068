// `watashi device enrol` (issue 18) in process against the real platform and simulator, on both
// engines: the key is generated on a SoftHSM2 token in a temporary token directory (found by its
// slot id, as `softhsm2-util --show-slots` prints it), the resident signs in with a hosted card,
// the certificate is issued on hold and activated by a signature made on the token; openssl
// verifies the certificate against the published CA. Then the refusals and their exit codes.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPkcs11Token } from '@watashi/ca/pkcs11';
import { parseCertificate, toBase64 } from '@watashi/pki';
import type { JpkiTrustStore } from '@watashi/jpki';
import { softHsmToken, SOFTHSM_MODULE } from '../../ca/test/softhsm.ts';
import { opensslWorkspace } from '../../pki/test/openssl.ts';
import { forEachEngine } from '../../platform/test/db/harness.ts';
import { simTrust, startSim, type TestSim } from '../../platform/test/enrolment/support.ts';
import {
  enrolResident,
  startPlatform,
  type Resident,
  type TestPlatform,
} from '../../platform/test/authn/support.ts';
import { cleanup, json, run, tempDir } from './helpers.ts';

let sim: TestSim;
let trust: JpkiTrustStore;
let token: ReturnType<typeof softHsmToken>;
let slot: string;
const ws = opensslWorkspace();

/** The slot id of the token labelled `label`, as `softhsm2-util --show-slots` prints it. */
function slotOf(label: string): string {
  const out = execFileSync('softhsm2-util', ['--show-slots'], { encoding: 'utf8' });
  for (const block of out.split(/^Slot /m)) {
    if (new RegExp(`Label:\\s+${label}\\s*$`, 'm').test(block)) return /^(\d+)/.exec(block)![1]!;
  }
  throw new Error(`no slot for ${label}:\n${out}`);
}

beforeAll(async () => {
  sim = await startSim('cli-device', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
  token = softHsmToken('cli-device');
  slot = slotOf('cli-device');
});
afterAll(async () => {
  await sim?.close();
  ws.cleanup();
  cleanup();
});

/** A resident whose card is set up for sign-in (the CLI signs in with it). */
async function cardResident(p: TestPlatform): Promise<Resident> {
  const r = await enrolResident(p, sim);
  const ch = await r.client.post('/api/authn/card/binding/options');
  const proof = await r.card.rawAuth(new Uint8Array(Buffer.from(ch.body['message'] as string, 'base64')));
  const bound = await r.client.post('/api/authn/card/binding', {
    challenge: ch.body['challenge'],
    certificate: toBase64(proof.certificate),
    signature: toBase64(proof.signature),
  });
  expect(bound.status, JSON.stringify(bound.body)).toBe(201);
  return r;
}

forEachEngine((t) => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startPlatform(t, sim, trust);
  });
  afterAll(async () => {
    await p?.close();
  });

  const enrol = (r: Resident, ...extra: string[]) =>
    run(
      '--sim',
      sim.url,
      'device',
      'enrol',
      '--platform',
      p.url,
      '--pkcs11-module',
      SOFTHSM_MODULE,
      '--slot',
      slot,
      '--card',
      r.card.tokenId,
      '--card-pin',
      '1234',
      ...extra,
    );

  it('ok-key-on-the-token-issued-and-activated-openssl-verifies', { timeout: 120_000 }, async () => {
    const r = await cardResident(p);
    const out = join(tempDir('watashi-cli-device-'), `${t.engine}.pem`);
    const label = `key-${t.engine}`;
    const res = await enrol(
      r,
      '--pin',
      token.pin,
      '--key-label',
      label,
      '--device-slot',
      'token',
      '--token-model',
      'SoftHSM v2',
      '--out',
      out,
      '--json',
    );
    expect(res.code, res.err).toBe(0);
    const body = json<{
      serial: string;
      state: string;
      profile: string;
      keyLabel: string;
      certificate: string;
    }>(res);
    expect(body).toMatchObject({ state: 'active', profile: 'watashi-device-auth', keyLabel: label });
    // The certificate is for the key that stays on the token.
    const tok = openPkcs11Token({ module: token.module, tokenLabel: token.tokenLabel, pin: token.pin });
    try {
      const key = tok.findKey(label);
      expect(key).toBeDefined();
      const cert = parseCertificate(new Uint8Array(Buffer.from(body.certificate, 'base64')));
      expect(Buffer.from(cert.spki).equals(Buffer.from(key!.spki))).toBe(true);
    } finally {
      tok.close();
    }
    // The platform's record: active, a PKCS#11 key, the account's.
    const row = await t.db
      .selectFrom('device_certificates')
      .select(['account_id', 'key_storage', 'activated_at', 'revoked_at', 'token_model'])
      .where('serial', '=', body.serial)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      account_id: r.accountId,
      key_storage: 'pkcs11',
      revoked_at: null,
      token_model: 'SoftHSM v2',
    });
    expect(row.activated_at).not.toBeNull();
    // openssl verifies the PEM written by --out against the CA the platform publishes.
    const der = async (path: string) => new Uint8Array(await (await fetch(`${p.url}${path}`)).arrayBuffer());
    ws.write('root.der', await der('/ca/root.crt'));
    ws.write('issuing.der', await der('/ca/issuing.crt'));
    ws.ok(['x509', '-inform', 'DER', '-in', 'root.der', '-out', 'root.pem']);
    ws.ok(['x509', '-inform', 'DER', '-in', 'issuing.der', '-out', 'issuing.pem']);
    ws.write('leaf.pem', readFileSync(out));
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

    // The same device slot again: refused (one live certificate per slot), exit 8.
    const again = await enrol(r, '--pin', token.pin);
    expect(again.code, again.err).toBe(8);
    expect(again.err).toContain('device_slot_occupied');
  });

  it('err-wrong-token-pin-no-slot-and-no-pin', { timeout: 60_000 }, async () => {
    const r = await cardResident(p);
    const wrong = await enrol(r, '--pin', '999999');
    expect(wrong.code, wrong.err).toBe(6);
    expect(wrong.err).toContain('pkcs11_login_failed');
    const missing = await run(
      'device',
      'enrol',
      '--platform',
      p.url,
      '--pkcs11-module',
      SOFTHSM_MODULE,
      '--card',
      'c-x',
      '--card-pin',
      '1234',
      '--pin',
      '1',
    );
    expect(missing.code, missing.err).toBe(2);
    expect(missing.err).toContain('usage_token_missing');
    // Nothing was issued for this resident.
    const rows = await t.db
      .selectFrom('device_certificates')
      .select('serial')
      .where('account_id', '=', r.accountId)
      .execute();
    expect(rows).toEqual([]);
  });
});
