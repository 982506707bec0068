// Watashi as a trust service, end to end on both engines over real HTTP (issue 18): issuance of
// device certificates with activation by proof of possession, the attacks of the Tests
// section, the device lifecycle, the anchor's effects, and sign-in with a device certificate.
// Every certificate, CRL and OCSP answer the platform publishes is checked by openssl.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCertificationRequest, rawP256Signer } from '@watashi/ca';
import { openPkcs11Token, type Pkcs11Token } from '@watashi/ca/pkcs11';
import { generateKeyPair, toBase64, webCryptoSigner, type Signer } from '@watashi/pki';
import type { JpkiTrustStore } from '@watashi/jpki';
import { expireUnactivated } from '../../src/devices/index.ts';
import { changeAccountStatus } from '../../src/lifecycle/account-status.ts';
import { opensslWorkspace } from '../../../pki/test/openssl.ts';
import { softHsmToken } from '../../../ca/test/softhsm.ts';
import { forEachEngine } from '../db/harness.ts';
import { simTrust, startSim, type TestSim } from '../enrolment/support.ts';
import { Client, enrolResident, startPlatform, type Resident, type TestPlatform } from '../authn/support.ts';

let sim: TestSim;
let trust: JpkiTrustStore;
let token: Pkcs11Token;
const ws = opensslWorkspace();

beforeAll(async () => {
  sim = await startSim('devices', new Date(Math.floor(Date.now() / 1000) * 1000));
  trust = await simTrust(sim);
  token = openPkcs11Token(softHsmToken('device-token'));
});
afterAll(async () => {
  token?.close();
  await sim?.close();
  ws.cleanup();
});

const pem = (der: Uint8Array, label = 'CERTIFICATE') =>
  `-----BEGIN ${label}-----\n${(
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  ).join('\n')}\n-----END ${label}-----\n`;

/** A device key as the wallet makes it: a non-extractable WebCrypto P-256 key. */
async function webCryptoDevice(): Promise<{ signer: Signer; raw(data: Uint8Array): Promise<Uint8Array> }> {
  const pair = await generateKeyPair('ECDSA-SHA256');
  const signer = await webCryptoSigner(pair, 'ECDSA-SHA256');
  return {
    signer,
    raw: async (data) =>
      new Uint8Array(
        await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, new Uint8Array(data)),
      ),
  };
}

/** A device key in a PKCS#11 token (SoftHSM2), as `watashi device enrol --pkcs11-module` would use. */
function pkcs11Device(): { signer: Signer; raw(data: Uint8Array): Promise<Uint8Array> } {
  const key = token.generateKey(`dev-${randomBytes(4).toString('hex')}`);
  return {
    signer: rawP256Signer(key.spki, (d) => key.signRaw(d)),
    raw: (d) => Promise.resolve(key.signRaw(d)),
  };
}

type Device = Awaited<ReturnType<typeof webCryptoDevice>>;

interface Issued {
  device: { serial: string; certificate: string; state: string };
  activation: { challenge: string; message: string; expiresAt: string };
  replaced: string[];
}

forEachEngine((t) => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startPlatform(t, sim, trust);
  });
  afterAll(async () => {
    await p?.close();
  });

  async function request(
    c: Client,
    dev: Device,
    slot: string,
    profile = 'watashi-device-auth',
    path = '/api/devices/certificates',
    extra: Record<string, unknown> = {},
  ) {
    const csr = await buildCertificationRequest(dev.signer);
    return c.post(path, { csr: toBase64(csr), profile, slot, keyStorage: 'webcrypto', ...extra });
  }

  async function activate(c: Client, dev: Device, issued: Issued, message = issued.activation.message) {
    const signature = await dev.raw(new Uint8Array(Buffer.from(message, 'base64')));
    return c.post(`/api/devices/certificates/${issued.device.serial}/activate`, {
      challenge: issued.activation.challenge,
      signature: toBase64(signature),
    });
  }

  async function enrolled(r: Resident, dev: Device, slot = 'phone', profile = 'watashi-device-auth') {
    const res = await request(r.client, dev, slot, profile);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const issued = res.body as unknown as Issued;
    const act = await activate(r.client, dev, issued);
    expect(act.status, JSON.stringify(act.body)).toBe(200);
    return issued;
  }

  async function deviceLogin(dev: Device, certificate: string, c = new Client(p.url)) {
    const opts = await c.post('/api/devices/login/options');
    const ch = opts.body as { challenge: string; message: string };
    const signature = await dev.raw(new Uint8Array(Buffer.from(ch.message, 'base64')));
    return {
      res: await c.post('/api/devices/login', {
        challenge: ch.challenge,
        certificate,
        signature: toBase64(signature),
      }),
      client: c,
    };
  }

  async function fetchDer(path: string): Promise<Uint8Array> {
    const res = await fetch(`${p.url}${path}`);
    expect(res.status).toBe(200);
    return new Uint8Array(await res.arrayBuffer());
  }

  /** openssl ocsp against the platform's responder over HTTP: the status line for `certificate`. */
  async function opensslOcsp(certificate: string): Promise<string> {
    ws.write('root.pem', pem(await fetchDer('/ca/root.crt')));
    ws.write('issuing.pem', pem(await fetchDer('/ca/issuing.crt')));
    ws.write('leaf.pem', pem(Buffer.from(certificate, 'base64')));
    // Asynchronously: openssl asks the responder of this very process over HTTP (a synchronous
    // spawn would block the event loop that must answer it).
    const r = await promisify(execFile)(
      'openssl',
      [
        'ocsp',
        '-issuer',
        'issuing.pem',
        '-cert',
        'leaf.pem',
        '-url',
        `${p.url}/ca/ocsp`,
        '-CAfile',
        'root.pem',
        '-verify_other',
        'issuing.pem',
      ],
      { cwd: ws.dir, encoding: 'utf8' },
    ).then(({ stdout, stderr }) => ({ out: `${stdout}${stderr}` }));
    expect(r.out, r.out).toContain('Response verify OK');
    return r.out;
  }

  describe('issuance and activation', () => {
    it('issues an inactive certificate (OCSP: certificateHold), activates it by proof of possession; openssl verifies it', async () => {
      const r = await enrolResident(p, sim);
      const dev = await webCryptoDevice();
      const res = await request(r.client, dev, 'phone');
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const issued = res.body as unknown as Issued;
      expect(issued.device.state).toBe('pending');
      expect(await opensslOcsp(issued.device.certificate)).toMatch(/leaf.pem: revoked[\s\S]*certificateHold/);
      // A certificate used before activation is refused at sign-in.
      const early = await deviceLogin(dev, issued.device.certificate);
      expect(early.res.body['code']).toBe('device_certificate_inactive');
      const act = await activate(r.client, dev, issued);
      expect(act.status, JSON.stringify(act.body)).toBe(200);
      expect(act.body['state']).toBe('active');
      expect(await opensslOcsp(issued.device.certificate)).toMatch(/leaf.pem: good/);
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
    });

    it('a signing certificate carries the verified basic 4; openssl verifies it for signatures', async () => {
      const r = await enrolResident(p, sim);
      const issued = await enrolled(r, await webCryptoDevice(), 'phone', 'watashi-device-sign');
      ws.write('root.pem', pem(await fetchDer('/ca/root.crt')));
      ws.write('issuing.pem', pem(await fetchDer('/ca/issuing.crt')));
      ws.write('sign.pem', pem(Buffer.from(issued.device.certificate, 'base64')));
      expect(
        ws.run([
          'verify',
          '-CAfile',
          'root.pem',
          '-untrusted',
          'issuing.pem',
          '-purpose',
          'smimesign',
          'sign.pem',
        ]).out,
      ).toContain('sign.pem: OK');
      const text = ws.ok(['x509', '-in', 'sign.pem', '-noout', '-text']);
      expect(text).toContain('Subject Alternative Name');
      expect(text).toContain('1.2.392.200149.8.5.5.1'); // the JPKI name otherName
      // The subject is a pseudonym: no My Number, no JPKI serial, no name.
      expect(text).toMatch(/Subject: C ?= ?JP, O ?= ?Watashi, CN ?= ?[0-9a-f]{32}\n/);
    });

    it('attack: activation signed by another key (public-key substitution) is refused', async () => {
      const r = await enrolResident(p, sim);
      const dev = await webCryptoDevice();
      const issued = (await request(r.client, dev, 'phone')).body as unknown as Issued;
      const res = await activate(r.client, await webCryptoDevice(), issued);
      expect(res.body['code']).toBe('device_activation_signature_invalid');
    });

    it('attack: a replayed activation is refused', async () => {
      const r = await enrolResident(p, sim);
      const dev = await webCryptoDevice();
      const issued = (await request(r.client, dev, 'phone')).body as unknown as Issued;
      expect((await activate(r.client, dev, issued)).status).toBe(200);
      expect((await activate(r.client, dev, issued)).body['code']).toBe('device_activation_unavailable');
    });

    it('attack: activation from another session (a remote session) is refused', async () => {
      const r = await enrolResident(p, sim);
      const dev = await webCryptoDevice();
      const issued = (await request(r.client, dev, 'phone')).body as unknown as Issued;
      const other = new Client(p.url);
      other.cookie = (await enrolResident(p, sim)).client.cookie;
      const stolen = await activate(other, dev, issued);
      expect(stolen.status).toBe(404); // another account's session does not even see it
      // Same account, other session: the session binding refuses it.
      const second = new Client(p.url);
      const token = randomBytes(32).toString('base64url');
      const now = p.deps.now();
      await t.db
        .insertInto('sessions')
        .values({
          token_hash: new Uint8Array(createHash('sha256').update(token).digest()),
          account_id: r.accountId,
          auth_time: now,
          amr: [],
          created_at: now,
          last_seen_at: now,
          expires_at: new Date(now.getTime() + 3600_000),
        })
        .execute();
      second.cookie = `watashi_session=${token}`;
      expect((await activate(second, dev, issued)).body['code']).toBe('device_activation_session_mismatch');
    });

    it('attack: activation after expiry is refused and the certificate revoked; kill -9 before activation leaves nothing live', async () => {
      const r = await enrolResident(p, sim);
      const dev = await webCryptoDevice();
      const issued = (await request(r.client, dev, 'phone')).body as unknown as Issued;
      // The process dies here (nothing else happens): time passes beyond the window.
      const start = p.deps.now();
      p.setNow(new Date(start.getTime() + (p.deps.config.ca.activationSeconds + 1) * 1000));
      try {
        // What the device and OCSP see (openssl would reject the moved clock's thisUpdate).
        const status = await new Client(p.url).req(
          'GET',
          `/api/devices/certificates/${issued.device.serial}/status`,
        );
        expect(status.body).toMatchObject({ status: 'revoked', reason: 'privilegeWithdrawn' });
        expect((await activate(r.client, dev, issued)).body['code']).toBe('device_activation_expired');
        const row = await t.db
          .selectFrom('device_certificates')
          .select(['revoked_at', 'revocation_reason'])
          .where('serial', '=', issued.device.serial)
          .executeTakeFirstOrThrow();
        expect(row.revocation_reason).toBe('privilegeWithdrawn');
        // The slot is free again.
        const again = await request(r.client, await webCryptoDevice(), 'phone');
        expect(again.status).toBe(401); // the session is no longer fresh …
        expect(again.body['code']).toBe('device_fresh_authentication_required');
      } finally {
        p.setNow(start);
      }
      expect(await expireUnactivated(t.db, new Date(start.getTime() + 10 ** 9))).toBeGreaterThanOrEqual(0);
      const fresh = await request(r.client, await webCryptoDevice(), 'phone');
      expect(fresh.status, JSON.stringify(fresh.body)).toBe(201); // … and with a fresh one the slot takes a new certificate
    });

    it('a second issuance for a live slot is refused; twenty concurrent ones: exactly one wins', async () => {
      const r = await enrolResident(p, sim);
      await enrolled(r, await webCryptoDevice(), 'phone');
      expect((await request(r.client, await webCryptoDevice(), 'phone')).body['code']).toBe(
        'device_slot_occupied',
      );
      const devices = await Promise.all(Array.from({ length: 20 }, () => webCryptoDevice()));
      const results = await Promise.all(devices.map((d) => request(r.client, d, 'laptop')));
      const statuses = results.map((x) => x.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(results.filter((x) => x.body['code'] === 'device_slot_occupied')).toHaveLength(19);
      const live = await t.db
        .selectFrom('device_certificates')
        .select('serial')
        .where('account_id', '=', r.accountId)
        .where('device_slot', '=', 'laptop')
        .where('revoked_at', 'is', null)
        .execute();
      expect(live).toHaveLength(1);
    });

    it('refuses a bad request with stable codes, never a 500', async () => {
      const r = await enrolResident(p, sim);
      const bad = await r.client.post('/api/devices/certificates', {
        csr: 'AAAA',
        profile: 'watashi-device-auth',
        slot: 'phone',
        keyStorage: 'webcrypto',
      });
      expect(bad.body['code']).toBe('device_csr_invalid');
      const shape = await r.client.post('/api/devices/certificates', {
        csr: 'AAAA',
        profile: 'root',
        slot: 'Phone!',
      });
      expect(shape.body['code']).toBe('device_request_invalid');
      const anonymous = await new Client(p.url).post('/api/devices/certificates', {});
      expect(anonymous.status).toBe(401);
      const garbage = await fetch(`${p.url}/ca/ocsp`, {
        method: 'POST',
        headers: { 'content-type': 'application/ocsp-request' },
        body: Buffer.from([0x30, 0x00]),
      });
      expect(garbage.status).toBe(200);
      expect([...new Uint8Array(await garbage.arrayBuffer())]).toEqual([0x30, 0x03, 0x0a, 0x01, 0x01]);
    });
  });

  describe('lifecycle', () => {
    it('sign-in with a device certificate; a revoked (lost) device cannot sign in and the CRL lists it', async () => {
      const r = await enrolResident(p, sim);
      const dev = await webCryptoDevice();
      const issued = await enrolled(r, dev, 'phone');
      const ok = await deviceLogin(dev, issued.device.certificate);
      expect(ok.res.status, JSON.stringify(ok.res.body)).toBe(200);
      expect(ok.res.body['accountId']).toBe(r.accountId);
      // A software key: level 2 at most (here 1: no activation factor the CA can see).
      expect(ok.res.body['aal']).toBeLessThanOrEqual(2);
      const list = await ok.client.req('GET', '/api/devices');
      expect((list.body['devices'] as Array<{ serial: string }>).map((d) => d.serial)).toContain(
        issued.device.serial,
      );
      // Lost: revoked from another device (here the resident's enrolment session).
      const rev = await r.client.post(`/api/devices/certificates/${issued.device.serial}/revoke`, {
        lost: true,
      });
      expect(rev.body['state']).toBe('revoked');
      expect((await deviceLogin(dev, issued.device.certificate)).res.body['code']).toBe(
        'device_certificate_revoked',
      );
      // The lost device's session ended.
      expect((await ok.client.req('GET', '/api/devices')).status).toBe(401);
      expect(await opensslOcsp(issued.device.certificate)).toMatch(/revoked[\s\S]*keyCompromise/);
      ws.write('issuing.crl', await fetchDer('/ca/issuing.crl'));
      const crl = ws.run(['crl', '-inform', 'DER', '-in', 'issuing.crl', '-CAfile', 'issuing.pem', '-noout']);
      expect(crl.out).toContain('verify OK');
      const text = ws.ok(['crl', '-inform', 'DER', '-in', 'issuing.crl', '-noout', '-text']);
      expect(text.toLowerCase()).toContain(issued.device.serial.toUpperCase().toLowerCase());
      ws.write('root.crl', await fetchDer('/ca/root.crl'));
      expect(
        ws.run(['crl', '-inform', 'DER', '-in', 'root.crl', '-CAfile', 'root.pem', '-noout']).out,
      ).toContain('verify OK');
    });

    it('device change from the new device alone with the card; the old device sees its certificate revoked', async () => {
      const r = await enrolResident(p, sim);
      const old = await webCryptoDevice();
      const oldIssued = await enrolled(r, old, 'phone');
      // A device-certificate session is not a card proof.
      const viaDevice = await deviceLogin(old, oldIssued.device.certificate);
      const refused = await request(
        viaDevice.client,
        await webCryptoDevice(),
        'phone',
        'watashi-device-auth',
        '/api/devices/change',
      );
      expect(refused.body['code']).toBe('device_card_proof_required');
      // The new phone: the resident signs in with the card (here: the enrolment signature's session).
      const fresh = await webCryptoDevice();
      const res = await request(r.client, fresh, 'phone', 'watashi-device-auth', '/api/devices/change');
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const issued = res.body as unknown as Issued;
      expect(issued.replaced).toEqual([oldIssued.device.serial]);
      // Whoever holds the old phone is signed out: its device-certificate session ended.
      expect((await viaDevice.client.req('GET', '/api/me')).status).toBe(401);
      expect((await activate(r.client, fresh, issued)).status).toBe(200);
      // The old device, when it next starts, asks for its status: revoked → it erases its key.
      const status = await new Client(p.url).req(
        'GET',
        `/api/devices/certificates/${oldIssued.device.serial}/status`,
      );
      expect(status.body).toMatchObject({ status: 'revoked', reason: 'superseded' });
      expect((await deviceLogin(old, oldIssued.device.certificate)).res.body['code']).toBe(
        'device_certificate_revoked',
      );
      expect((await deviceLogin(fresh, issued.device.certificate)).res.status).toBe(200);
    });

    it('basic 4 change: signing certificates revoked with the anchor’s reason, authentication ones stay; closure revokes all', async () => {
      const r = await enrolResident(p, sim);
      const sign = await enrolled(r, await webCryptoDevice(), 'phone', 'watashi-device-sign');
      const authDev = await webCryptoDevice();
      const auth = await enrolled(r, authDev, 'phone', 'watashi-device-auth');
      // The sweep finds the anchor on the CRL as affiliationChanged (what lifecycle/sweep.ts writes).
      const now = p.deps.now();
      await t.db
        .updateTable('anchors')
        .set({ status: 'revoked', revocation_reason: 'affiliationChanged', revoked_at: now })
        .where('account_id', '=', r.accountId)
        .where('purpose', '=', 'sign')
        .execute();
      expect(await opensslOcsp(sign.device.certificate)).toMatch(/revoked[\s\S]*affiliationChanged/);
      expect(await opensslOcsp(auth.device.certificate)).toMatch(/leaf.pem: good/);
      // No new signing certificate until the identity is confirmed again.
      const again = await request(r.client, await webCryptoDevice(), 'phone', 'watashi-device-sign');
      expect(again.body['code']).toBe('device_identity_unavailable');
      await changeAccountStatus(p.deps, { action: 'close', by: 'resident', accountId: r.accountId });
      expect(await opensslOcsp(auth.device.certificate)).toMatch(/revoked[\s\S]*cessationOfOperation/);
      expect((await deviceLogin(authDev, auth.device.certificate)).res.status).toBe(401);
    });

    it('a PKCS#11 token key (SoftHSM2) enrols, activates and signs in; an untrusted token model stays below level 3', async () => {
      const r = await enrolResident(p, sim);
      const dev = pkcs11Device();
      const res = await request(r.client, dev, 'token', 'watashi-device-auth', '/api/devices/certificates', {
        keyStorage: 'pkcs11',
        tokenModel: 'SoftHSM v2',
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const issued = res.body as unknown as Issued;
      expect((await activate(r.client, dev, issued)).status).toBe(200);
      const login = await deviceLogin(dev, issued.device.certificate);
      expect(login.res.status, JSON.stringify(login.res.body)).toBe(200);
      expect(login.res.body['aal']).toBe(2);
      // Not a trusted model (ca.trustedTokenModels is empty): not counted as verified hardware.
      expect(login.res.body['amr']).toEqual(expect.arrayContaining(['pin', 'pop', 'mfa']));
    });
  });
});
