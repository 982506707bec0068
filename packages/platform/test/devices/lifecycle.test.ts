// Device certificates through the platform's real lifecycle (issue 18 Tests), on both engines:
// - a device process killed with SIGKILL between issuance and activation leaves nothing half-live
//   (the certificate on hold everywhere, no authenticator, then revoked and the slot free);
// - move → the real revocation sweep (the simulator's CRL) → the signing certificate revoked with
//   the anchor's reason, the authentication certificate untouched → after re-proofing, the next
//   visit is issued a new signing certificate for the same slot.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildCertificationRequest } from '@watashi/ca';
import { fromBase64, generateKeyPair, toBase64, webCryptoSigner } from '@watashi/pki';
import type { JpkiTrustStore } from '@watashi/jpki';
import { completeEnrolment, issueEnrolment } from '../../src/enrolment/index.ts';
import { runSweep } from '../../src/lifecycle/index.ts';
import { SESSION_COOKIE } from '../../src/server/sessions.ts';
import { opensslWorkspace } from '../../../pki/test/openssl.ts';
import { forEachEngine } from '../db/harness.ts';
import { simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import { Client, enrolResident, startPlatform, type TestPlatform } from '../authn/support.ts';

const HOUR = 3600_000;
const CHILD = fileURLToPath(new URL('./issue-child.ts', import.meta.url));
let sim: TestSim;
let trust: JpkiTrustStore;
const ws = opensslWorkspace();

beforeAll(async () => {
  sim = await startSim('devices-lifecycle', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
});
afterAll(async () => {
  await sim?.close();
  ws.cleanup();
});

interface Issued {
  device: { serial: string; certificate: string; state: string };
  activation: { challenge: string; message: string };
}

forEachEngine((t) => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startPlatform(t, sim, trust);
  });
  afterAll(async () => {
    await p?.close();
  });

  /** A new visit: a session signed in now (as a sign-in starts it). */
  async function visit(accountId: string): Promise<Client> {
    const token = randomBytes(32).toString('base64url');
    const now = p.deps.now();
    await t.db
      .insertInto('sessions')
      .values({
        token_hash: new Uint8Array(createHash('sha256').update(token).digest()),
        account_id: accountId,
        auth_time: now,
        amr: [],
        created_at: now,
        last_seen_at: now,
        expires_at: new Date(now.getTime() + HOUR),
      })
      .execute();
    const c = new Client(p.url);
    c.cookie = `${SESSION_COOKIE}=${token}`;
    return c;
  }

  /** Issues (and activates unless `activate` is false) a certificate for a new WebCrypto key. */
  async function device(c: Client, slot: string, profile: string, activate = true) {
    const pair = await generateKeyPair('ECDSA-SHA256');
    const csr = await buildCertificationRequest(await webCryptoSigner(pair, 'ECDSA-SHA256'));
    const res = await c.post('/api/devices/certificates', {
      csr: toBase64(csr),
      profile,
      slot,
      keyStorage: 'webcrypto',
    });
    if (res.status !== 201 || !activate) return res;
    const issued = res.body as unknown as Issued;
    const signature = new Uint8Array(
      await crypto.subtle.sign(
        { name: 'ECDSA', hash: 'SHA-256' },
        pair.privateKey,
        new Uint8Array(fromBase64(issued.activation.message)),
      ),
    );
    const act = await c.post(`/api/devices/certificates/${issued.device.serial}/activate`, {
      challenge: issued.activation.challenge,
      signature: toBase64(signature),
    });
    expect(act.status, JSON.stringify(act.body)).toBe(200);
    return res;
  }

  const status = async (serial: string) =>
    (await new Client(p.url).req('GET', `/api/devices/certificates/${serial}/status`)).body;

  it('ok-kill-9-between-issuance-and-activation-leaves-nothing-live', { timeout: 60_000 }, async () => {
    const r = await enrolResident(p, sim);
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: { ...process.env, WATASHI_URL: p.url, WATASHI_COOKIE: r.client.cookie!, WATASHI_SLOT: 'phone' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.on('exit', () => reject(new Error(`the device process ended before issuance: ${out}`)));
    });
    const { status: code, body } = JSON.parse(line) as { status: number; body: Issued };
    expect(code, line).toBe(201);
    // The device dies before it signs the activation challenge.
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const serial = body.device.serial;

    // Nothing is live: on hold for OCSP and the CRL, no authenticator made from it.
    expect(await status(serial)).toEqual({ status: 'hold' });
    const crl = new Uint8Array(await (await fetch(`${p.url}/ca/issuing.crl`)).arrayBuffer());
    ws.write('issuing.crl', crl);
    const text = ws.ok(['crl', '-inform', 'DER', '-in', 'issuing.crl', '-noout', '-text']);
    const listed = [...text.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => BigInt(`0x${m[1]!}`));
    expect(listed).toContain(BigInt(`0x${serial}`));
    expect(text).toContain('Certificate Hold');
    const row = await t.db
      .selectFrom('device_certificates')
      .select(['activated_at', 'authenticator_id', 'revoked_at'])
      .where('serial', '=', serial)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ activated_at: null, authenticator_id: null, revoked_at: null });
    const authenticators = await t.db
      .selectFrom('authenticators')
      .select('id')
      .where('account_id', '=', r.accountId)
      .where('type', '=', 'device_cert')
      .execute();
    expect(authenticators).toEqual([]);
    // The slot is held by the dead request until its window passes …
    const c = await visit(r.accountId);
    expect((await device(c, 'phone', 'watashi-device-auth', false)).body['code']).toBe(
      'device_slot_occupied',
    );
    // … then the certificate is revoked (privilegeWithdrawn) and the slot takes a new one.
    const start = p.deps.now();
    p.setNow(new Date(start.getTime() + (p.deps.config.ca.activationSeconds + 1) * 1000));
    try {
      expect(await status(serial)).toMatchObject({ status: 'revoked', reason: 'privilegeWithdrawn' });
      const again = await device(await visit(r.accountId), 'phone', 'watashi-device-auth');
      expect(again.status, JSON.stringify(again.body)).toBe(201);
      const after = await t.db
        .selectFrom('device_certificates')
        .select(['revoked_at', 'revocation_reason'])
        .where('serial', '=', serial)
        .executeTakeFirstOrThrow();
      expect(after.revocation_reason).toBe('privilegeWithdrawn');
    } finally {
      p.setNow(start);
    }
  });

  it(
    'ok-move-sweep-revokes-the-signing-certificate-reissued-after-reproofing',
    { timeout: 120_000 },
    async () => {
      const r = await enrolResident(p, sim);
      const sign = (await device(r.client, 'phone', 'watashi-device-sign')).body as unknown as Issued;
      const auth = (await device(r.client, 'phone', 'watashi-device-auth')).body as unknown as Issued;
      expect(await status(sign.device.serial)).toEqual({ status: 'good' });

      // The resident moves; J-LIS revokes the card's signing certificate; the sweep reads the CRL.
      await sim.s.sim.lifeEvent(r.card.residentId, { type: 'move' });
      sim.clock.advance(HOUR);
      await sim.s.sim.publishCrls();
      sim.s.sim.refreshOcsp();
      p.setNow(sim.clock.now());
      const result = await runSweep(p.deps, { shards: 2 });
      expect(result.status).toBe('completed');
      expect(result.revokedFound).toBeGreaterThanOrEqual(1);

      // The signing certificate follows its anchor with the same reason; the sign-in one stays good.
      expect(await status(sign.device.serial)).toMatchObject({
        status: 'revoked',
        reason: 'affiliationChanged',
      });
      expect(await status(auth.device.serial)).toEqual({ status: 'good' });
      // Until the identity is confirmed again, no new signing certificate.
      const early = await device(await visit(r.accountId), 'phone', 'watashi-device-sign', false);
      expect(early.body['code']).toBe('device_identity_unavailable');

      // Re-proofing with the card's new signing certificate, then the next visit: re-issued, same slot.
      const rp = await issueEnrolment(p.deps, { purpose: 'reproofing', accountId: r.accountId });
      await completeEnrolment(p.deps, {
        id: rp.id,
        signature: { cms: await r.card.cms(fromBase64(rp.document.bytes)) },
        session: { accountId: r.accountId },
      });
      const next = await device(await visit(r.accountId), 'phone', 'watashi-device-sign');
      expect(next.status, JSON.stringify(next.body)).toBe(201);
      const reissued = next.body as unknown as Issued;
      expect(reissued.device.serial).not.toBe(sign.device.serial);
      expect(await status(reissued.device.serial)).toEqual({ status: 'good' });
      // It names the new anchor (the re-proofed one), not the revoked one.
      const rows = await t.db
        .selectFrom('device_certificates')
        .innerJoin('anchors', 'anchors.id', 'device_certificates.anchor_id')
        .select(['device_certificates.serial', 'anchors.status'])
        .where('device_certificates.serial', 'in', [sign.device.serial, reissued.device.serial])
        .execute();
      expect(Object.fromEntries(rows.map((x) => [x.serial, x.status]))).toEqual({
        [sign.device.serial]: 'revoked',
        [reissued.device.serial]: 'good',
      });
      expect(await status(auth.device.serial)).toEqual({ status: 'good' });
    },
  );
});
