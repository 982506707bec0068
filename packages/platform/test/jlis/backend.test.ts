/**
 * The JpkiBackend over HTTP against a real J-LIS simulator (in-process, real HTTP on a random
 * port): OCSP and CRL answers verified against the issuing CA, the latest-basic-4 provision under a
 * consent, and every failure with its code. openssl reads a kept OCSP response as an independent
 * check of the evidence the platform stores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64, parseCertificate, toPem, type Certificate } from '@watashi/pki';
import { substitute } from '@watashi/jpki';
import {
  consentDocument,
  createSimulator,
  fixedClock,
  jstDate,
  type RunningSimulator,
} from '@watashi/jlis-sim';
import { opensslWorkspace } from '../../../pki/test/openssl.ts';
import { createJpkiBackend, HttpJpkiBackend } from '../../src/jlis/index.ts';
import type { JpkiBackend } from '../../src/jlis/index.ts';

const OP = 'watashi-test';
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'watashi-jlis-'));
  dirs.push(d);
  return d;
};
const clock = fixedClock(new Date(Math.floor(Date.now() / 1000) * 1000));
let s: RunningSimulator;
let base = '';
let backend: JpkiBackend;
const ws = opensslWorkspace();

beforeAll(async () => {
  s = await createSimulator(
    { dataDir: tmp(), seed: 'jlis-backend', port: 0, schedule: false, logLevel: 'silent' },
    { clock },
  );
  base = await s.listen();
  backend = createJpkiBackend({ kind: 'simulator', url: base, operatorId: OP }, { now: () => clock.now() });
});
afterAll(async () => {
  await s.close();
  ws.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Pair {
  readonly cert: Certificate;
  readonly issuer: Certificate;
}

function pair(serial: string): Pair {
  const c = s.sim.certificate(serial);
  const cert = parseCertificate(c.der);
  return { cert, issuer: parseCertificate(s.sim.caCertificate(c.view.purpose, c.view.generation)) };
}

async function newCard(
  pin = 'ABC123',
): Promise<{ residentId: string; cardId: string; sign: string; auth: string }> {
  const r = await s.sim.addResident({ birthDate: '1985-05-05' }); // an adult: has a signing certificate
  const { card } = await s.sim.issueCard(r.id, { signPin: pin, authPin: '1234' });
  return { residentId: r.id, cardId: card.tokenId, sign: card.signSerial!, auth: card.authSerial };
}

/** Publishes CRLs and refreshes OCSP a little later, as the simulator's schedule would. */
async function publish(): Promise<void> {
  clock.advance(1000);
  await s.sim.publishCrls();
  s.sim.refreshOcsp();
}

describe('HttpJpkiBackend (simulator)', () => {
  it('ok-ocsp-good-then-revoked-affiliationChanged-after-a-move-auth-stays-good', async () => {
    const c = await newCard();
    await publish();
    const before = await backend.ocspStatus(pair(c.sign).cert, pair(c.sign).issuer);
    expect(before.status).toBe('good');
    expect(before.source).toBe('ocsp');
    expect(before.ocspResponse?.length).toBeGreaterThan(100);

    await s.sim.lifeEvent(c.residentId, { type: 'move' });
    await publish();
    // A fresh backend: the first one may answer from its cache until the responder's nextUpdate.
    const fresh = createJpkiBackend(
      { kind: 'simulator', url: base, operatorId: OP },
      { now: () => clock.now() },
    );
    const after = await fresh.ocspStatus(pair(c.sign).cert, pair(c.sign).issuer);
    expect(after.status).toBe('revoked');
    expect(after.reason).toBe('affiliationChanged');
    expect(after.revokedAt).toBeInstanceOf(Date);
    const auth = await fresh.ocspStatus(pair(c.auth).cert, pair(c.auth).issuer, {
      purpose: 'liveness_check',
    });
    expect(auth.status).toBe('good');

    // openssl reads the evidence we keep.
    const p = pair(c.sign);
    const resp = ws.write('resp.der', after.ocspResponse!);
    const ca = ws.write('ca.pem', toPem(p.issuer.der, 'CERTIFICATE'));
    const cert = ws.write('cert.pem', toPem(p.cert.der, 'CERTIFICATE'));
    const { out } = ws.run([
      'ocsp',
      '-respin',
      resp,
      '-issuer',
      ca,
      '-sha256', // our CertIDs use SHA-256 (openssl's default is SHA-1)
      '-cert',
      cert,
      '-VAfile',
      ca,
      '-attime',
      String(Math.floor(clock.now().getTime() / 1000)),
    ]);
    expect(out).toMatch(/Response verify OK/);
    expect(out).toMatch(/revoked/);
    expect(out).toMatch(/Reason: affiliationChanged/i);
  });

  it('ok-every-ocsp-call-asks-jlis-reuse-is-the-caching-backends', async () => {
    // The HTTP backend keeps no answers, even for a caller that accepts a reused one: the one
    // cache is CachingJpkiBackend (jlis/ocsp-cache.ts), in front of the fee ledger.
    const c = await newCard();
    await publish();
    const b = createJpkiBackend({ kind: 'simulator', url: base, operatorId: OP }, { now: () => clock.now() });
    const login = { acceptCached: true } as const;
    const first = await b.ocspStatus(pair(c.sign).cert, pair(c.sign).issuer, login);
    expect(first.status).toBe('good');
    await s.sim.lifeEvent(c.residentId, { type: 'lose' });
    await publish(); // also refreshes the responder's answers
    const next = await b.ocspStatus(pair(c.sign).cert, pair(c.sign).issuer, login);
    expect(next).not.toBe(first);
    expect(next.status).toBe('revoked');
    expect(next.reason).toBe('certificateHold');
  });

  it('ok-ocsp-with-nonce-is-signed-live-and-verified', async () => {
    const c = await newCard();
    await publish();
    const b = new HttpJpkiBackend({
      endpoints: { kind: 'simulator', baseUrl: base },
      operatorId: OP,
      ocspNonce: true,
      now: () => clock.now(),
    });
    const e = await b.ocspStatus(pair(c.auth).cert, pair(c.auth).issuer);
    expect(e.status).toBe('good');
  });

  it('ok-ocsp-unknown-serial-of-a-known-ca-is-unknown-never-good', async () => {
    const c = await newCard();
    const p = pair(c.sign);
    // Same issuer, a serial the simulator never issued: re-encode the certificate's serial field.
    const fake = {
      ...p.cert,
      serial: p.cert.serial + 1_000_000n,
      serialBytes: bigintBytes(p.cert.serial + 1_000_000n),
    };
    const e = await backend.ocspStatus(fake, p.issuer);
    expect(e.status).toBe('unknown');
  });

  it('ok-crl-download-verified-and-lookup-after-move', async () => {
    const c = await newCard();
    await s.sim.lifeEvent(c.residentId, { type: 'move' });
    await publish();
    const p = pair(c.sign);
    const crl = await backend.fetchCrl(p.issuer);
    expect(crl.crlNumber).toBeGreaterThan(0n);
    expect(crl.bytes).toBeGreaterThan(0);
    expect(crl.index.lookup(p.cert.serial)?.reason).toBe('affiliationChanged');
    const auth = pair(c.auth);
    const authCrl = await backend.fetchCrl(auth.issuer);
    expect(authCrl.index.lookup(auth.cert.serial)).toBeUndefined();

    // An older CRL than one already seen is refused.
    await expect(backend.fetchCrl(p.issuer, { minCrlNumber: crl.crlNumber! + 1n })).rejects.toMatchObject({
      code: 'crl_stale',
    });
  });

  it('ok-consent-then-latest-basic4-after-a-move', async () => {
    const c = await newCard('HANA88');
    await publish();
    const doc = new TextDecoder().decode(
      consentDocument({
        operatorId: OP,
        service: 'Watashi ID',
        items: ['name', 'address'],
        date: jstDate(clock.now()),
      }),
    );
    const signed = (await (
      await fetch(`${base}/cards/${c.cardId}/sign`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pin: 'HANA88', text: doc }),
      })
    ).json()) as { cms: string };
    const consent = await backend.registerConsent(fromBase64(signed.cms));
    expect(consent.consentId).toBeTruthy();
    expect(consent.items).toEqual(['name', 'address']);
    expect(consent.expiresAt.getTime()).toBeGreaterThan(clock.now().getTime() + 9 * 365 * 86_400_000);

    expect(await backend.latestBasic4(c.sign, consent.consentId)).toEqual({ outcome: 'not_revoked' });
    await s.sim.lifeEvent(c.residentId, { type: 'move' });
    const latest = await backend.latestBasic4(c.sign, consent.consentId);
    expect(latest.outcome).toBe('provided');
    if (latest.outcome !== 'provided') return;
    const resident = s.sim.resident(c.residentId);
    // J-LIS provides the record as a certificate holds it: substitute characters applied (§1.4).
    expect(latest.basic4.address).toBe(substitute(resident.address).text);
    expect(latest.basic4.name).toBe(substitute(resident.name).text);
    expect(latest.basic4.sex).toBeUndefined(); // not consented
    const newest = resident.certificates.find((x) => x.purpose === 'sign' && x.status === 'good');
    expect(latest.newSerial).toBe(newest?.serial);
  });

  it('ok-latest-basic4-no-new-certificate-without-reissue', async () => {
    const c = await newCard('HANA88');
    const doc = new TextDecoder().decode(
      consentDocument({
        operatorId: OP,
        service: 'Watashi ID',
        items: ['address'],
        date: jstDate(clock.now()),
      }),
    );
    const signed = (await (
      await fetch(`${base}/cards/${c.cardId}/sign`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pin: 'HANA88', text: doc }),
      })
    ).json()) as { cms: string };
    const consent = await backend.registerConsent(fromBase64(signed.cms));
    await s.sim.lifeEvent(c.residentId, { type: 'move', reissue: false });
    expect(await backend.latestBasic4(c.sign, consent.consentId)).toEqual({ outcome: 'no_new_certificate' });
  });

  it('fail-consent-with-garbage-cms-is-refused', async () => {
    await expect(backend.registerConsent(new Uint8Array([0x30, 0x03, 1, 2, 3]))).rejects.toMatchObject({
      code: 'jlis_refused',
    });
  });
});

describe('HttpJpkiBackend failures', () => {
  it('fail-responder-down-is-jlis-unavailable', async () => {
    const c = await newCard();
    const p = pair(c.sign);
    const down = new HttpJpkiBackend({
      endpoints: {
        kind: 'standard',
        ocspUrl: 'http://127.0.0.1:9/ocsp',
        crlUrls: ['http://127.0.0.1:9/x.crl'],
      },
      operatorId: OP,
      timeoutMs: 2000,
    });
    await expect(down.ocspStatus(p.cert, p.issuer)).rejects.toMatchObject({ code: 'jlis_unavailable' });
    await expect(down.fetchCrl(p.issuer)).rejects.toMatchObject({ code: 'jlis_unavailable' });
  });

  it('fail-standard-ca-has-no-basic4-provision', async () => {
    const std = createJpkiBackend({
      kind: 'standard',
      ocspUrl: `${base}/ocsp`,
      crlUrls: [`${base}/crl/sign/2019.crl`],
      operatorId: OP,
    });
    await expect(std.latestBasic4('1', undefined)).rejects.toMatchObject({ code: 'jlis_not_supported' });
    await expect(std.registerConsent(new Uint8Array(1))).rejects.toMatchObject({
      code: 'jlis_not_supported',
    });
  });

  it('ok-standard-ca-finds-the-crl-of-the-issuer-among-several', async () => {
    const c = await newCard();
    await s.sim.lifeEvent(c.residentId, { type: 'move' });
    await publish();
    const p = pair(c.sign);
    const gens = s.sim.info().crls.map((x) => x.url);
    const std = createJpkiBackend(
      { kind: 'standard', ocspUrl: `${base}/ocsp`, crlUrls: gens, operatorId: OP },
      { now: () => clock.now() },
    );
    const crl = await std.fetchCrl(p.issuer);
    expect(crl.index.lookup(p.cert.serial)?.reason).toBe('affiliationChanged');
    expect((await std.ocspStatus(p.cert, p.issuer)).status).toBe('revoked');
  });

  describe('a misbehaving server', () => {
    let server: Server;
    let url = '';
    let crlBody: Uint8Array = new Uint8Array();
    beforeAll(async () => {
      server = createServer((req, res) => {
        if (req.url === '/huge') {
          res.writeHead(200, { 'content-type': 'application/ocsp-response' });
          res.end(Buffer.alloc(200 * 1024));
        } else if (req.url === '/crl') {
          res.writeHead(200, { 'content-type': 'application/pkix-crl' });
          res.end(Buffer.from(crlBody));
        } else {
          res.writeHead(200, { 'content-type': 'application/ocsp-response' });
          res.end(Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x00]));
        }
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const a = server.address();
      url = typeof a === 'object' && a ? `http://127.0.0.1:${a.port}` : '';
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('fail-oversized-ocsp-answer', async () => {
      const c = await newCard();
      const p = pair(c.sign);
      const b = new HttpJpkiBackend({
        endpoints: { kind: 'standard', ocspUrl: `${url}/huge`, crlUrls: [] },
        operatorId: OP,
      });
      await expect(b.ocspStatus(p.cert, p.issuer)).rejects.toMatchObject({ code: 'jlis_unavailable' });
    });

    it('fail-malformed-ocsp-answer-keeps-its-ocsp-code', async () => {
      const c = await newCard();
      const p = pair(c.sign);
      const b = new HttpJpkiBackend({
        endpoints: { kind: 'standard', ocspUrl: `${url}/bad`, crlUrls: [] },
        operatorId: OP,
      });
      await expect(b.ocspStatus(p.cert, p.issuer)).rejects.toMatchObject({
        code: expect.stringMatching(/^ocsp_/) as unknown,
      });
    });

    it('fail-tampered-crl-signature', async () => {
      const c = await newCard();
      await publish();
      const p = pair(c.sign);
      const good = await fetch(`${base}${new URL((await backend.fetchCrl(p.issuer)).url).pathname}`);
      crlBody = new Uint8Array(await good.arrayBuffer());
      crlBody[crlBody.length - 5]! ^= 0xff; // inside the signature value
      const b = new HttpJpkiBackend({
        endpoints: { kind: 'standard', ocspUrl: `${url}/bad`, crlUrls: [`${url}/crl`] },
        operatorId: OP,
        now: () => clock.now(),
      });
      await expect(b.fetchCrl(p.issuer)).rejects.toMatchObject({ code: 'crl_signature_invalid' });
    });

    it('fail-stale-crl-past-next-update', async () => {
      const c = await newCard();
      await publish();
      const p = pair(c.sign);
      const later = new Date(clock.now().getTime() + 3 * 86_400_000);
      const b = createJpkiBackend({ kind: 'simulator', url: base, operatorId: OP }, { now: () => later });
      await expect(b.fetchCrl(p.issuer)).rejects.toMatchObject({ code: 'crl_stale' });
    });
  });
});

function bigintBytes(n: bigint): Uint8Array {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}
