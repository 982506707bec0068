// Integration: the simulator over real HTTP on 127.0.0.1 (random port), with openssl as the
// independent check of every certificate, CRL, OCSP response and CMS it produces.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64, parseCertificate, toHex, toPem } from '@watashi/pki';
import { opensslWorkspace } from '../../pki/test/openssl.ts';
import {
  createSimulator,
  fixedClock,
  consentDocument,
  jstDate,
  withdrawalDocument,
  type RunningSimulator,
} from '../src/index.ts';

const OP = 'op-test';
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'jlis-sim-it-'));
  dirs.push(d);
  return d;
};

let s: RunningSimulator;
let base = '';
let dataDir = '';
const clock = fixedClock(new Date(Math.floor(Date.now() / 1000) * 1000));
const ws = opensslWorkspace();
const attime = (): string => String(Math.floor(clock.now().getTime() / 1000));

async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; type: string }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      'x-operator-id': OP,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const type = res.headers.get('content-type') ?? '';
  const b: unknown = type.includes('json') ? await res.json() : new Uint8Array(await res.arrayBuffer());
  return { status: res.status, body: b as T, type };
}

async function bytes(path: string): Promise<Uint8Array> {
  const res = await fetch(`${base}${path}`, { headers: { 'x-operator-id': OP } });
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

type Issued = {
  card: { tokenId: string; signSerial?: string; authSerial: string; signPin?: string; authPin: string };
  device?: { tokenId: string };
};

async function resident(body: Record<string, unknown> = {}): Promise<string> {
  const r = await api<{ id: string }>('POST', '/residents', body);
  expect(r.status).toBe(201);
  return r.body.id;
}

async function card(
  residentId: string,
  body: Record<string, unknown> = { signPin: 'ABC123', authPin: '1234' },
): Promise<Issued> {
  const r = await api<Issued>('POST', `/residents/${residentId}/cards`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

/** Writes the CA root of a certificate's generation and the certificate as PEM; returns their paths. */
async function files(
  serial: string,
): Promise<{ cert: string; root: string; purpose: string; generation: string }> {
  const c = await api<{ der: string; purpose: string; generation: string }>('GET', `/certificates/${serial}`);
  const root = await bytes(`/ca/${c.body.purpose}/${c.body.generation}.cer`);
  return {
    cert: ws.write(`${serial}.pem`, toPem(fromBase64(c.body.der), 'CERTIFICATE')),
    root: ws.write(`root-${c.body.purpose}-${c.body.generation}.pem`, toPem(root, 'CERTIFICATE')),
    purpose: c.body.purpose,
    generation: c.body.generation,
  };
}

async function crlPem(purpose: string, generation: string): Promise<string> {
  return ws.write(
    `crl-${purpose}-${generation}.pem`,
    toPem(await bytes(`/crl/${purpose}/${generation}.crl`), 'X509 CRL'),
  );
}

/** openssl ocsp -url against our own server: asynchronous, since a sync spawn would block the server's event loop. */
function ocsp(f: { cert: string; root: string }): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      'openssl',
      [
        'ocsp',
        '-url',
        `${base}/ocsp`,
        '-issuer',
        f.root,
        '-cert',
        f.cert,
        '-CAfile',
        f.root,
        '-header',
        `X-Operator-Id=${OP}`,
      ],
      { cwd: ws.dir, timeout: 20_000 },
      (_err, stdout, stderr) => resolve(`${stdout}${stderr}`),
    );
  });
}

async function apdu(id: string, hex: string): Promise<string> {
  const r = await api<{ rapdu: string }>('POST', `/cards/${id}/apdu`, { apdu: hex });
  expect(r.status).toBe(200);
  return r.body.rapdu.toUpperCase();
}

beforeAll(async () => {
  dataDir = tmp();
  s = await createSimulator(
    { dataDir, port: 0, seed: 'it', schedule: false, logLevel: 'silent', bodyLimitBytes: 8192 },
    { clock },
  );
  base = await s.listen();
});

afterAll(async () => {
  await s?.close();
  ws.cleanup();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe('info and CAs', () => {
  it('ok-info-lists-cas-crls-ocsp', async () => {
    const info = await api<{
      ocspUrl: string;
      crls: { url: string }[];
      caCertificates: { purpose: string; generation: string; url: string; sha256: string }[];
    }>('GET', '/info');
    expect(info.status).toBe(200);
    expect(info.body.ocspUrl).toBe(`${base}/ocsp`);
    // docs/jpki.md §1.1: three generations per purpose, as J-LIS has.
    expect(info.body.caCertificates.map((c) => `${c.purpose}/${c.generation}`)).toEqual([
      'sign/2015',
      'sign/2019',
      'sign/2023',
      'auth/2015',
      'auth/2019',
      'auth/2023',
    ]);
    expect(info.body.crls).toHaveLength(6);
    const dns = new Set<string>();
    for (const c of info.body.caCertificates) {
      const der = new Uint8Array(await (await fetch(c.url)).arrayBuffer());
      const { createHash } = await import('node:crypto');
      expect(createHash('sha256').update(der).digest('hex')).toBe(c.sha256);
      const cert = parseCertificate(der);
      expect(cert.basicConstraints?.ca).toBe(true);
      expect(cert.keyUsage?.critical).toBe(true);
      dns.add(toHex(cert.subject.der));
      const p = ws.write(`ca-${c.purpose}-${c.generation}.pem`, toPem(der, 'CERTIFICATE'));
      const text = ws.ok(['x509', '-in', p, '-noout', '-subject', '-issuer']);
      expect(text).toContain('O = JPKI-SIM');
      expect(text).toContain(
        c.purpose === 'sign' ? 'OU = JPKI for digital signature' : 'OU = JPKI for user authentication',
      );
      // Checked inside its validity: the 2015 generation expired on 2025-10-19 (docs/jpki.md §1.1).
      const inside = Math.min(clock.now().getTime(), cert.notAfter.getTime() - 86_400_000);
      expect(ws.ok(['verify', '-attime', String(Math.floor(inside / 1000)), '-CAfile', p, p])).toContain(
        'OK',
      );
      if (c.generation === '2015')
        expect(ws.run(['verify', '-attime', attime(), '-CAfile', p, p]).out).toContain(
          'certificate has expired',
        );
    }
    // docs/jpki.md §1.1: all generations of a purpose share one DN.
    expect(dns.size).toBe(2);
    const spec = await api<{ openapi: string; paths: Record<string, unknown> }>('GET', '/openapi.json');
    expect(spec.body.openapi).toBe('3.1.0');
    expect(Object.keys(spec.body.paths)).toEqual(
      expect.arrayContaining(['/ocsp', '/crl/{purpose}/{generation}.crl', '/residents/{id}/events']),
    );
  });
});

describe('issuance, CRL, OCSP, CMS', () => {
  let rid = '';
  let issued: Issued;
  beforeAll(async () => {
    rid = await resident({
      name: '髙橋\u3000一郎',
      address: '東京都清瀬市梅園１丁目２－３',
      birthDate: '1985-04-01',
      sex: '1',
    });
    issued = await card(rid);
  });

  it('ok-fresh-card-verifies-with-crl', async () => {
    for (const serial of [issued.card.signSerial!, issued.card.authSerial]) {
      const f = await files(serial);
      const crl = await crlPem(f.purpose, f.generation);
      expect(
        ws.ok(['verify', '-attime', attime(), '-crl_check', '-CAfile', f.root, '-CRLfile', crl, f.cert]),
      ).toContain('OK');
    }
    const sign = parseCertificate(
      fromBase64((await api<{ der: string }>('GET', `/certificates/${issued.card.signSerial!}`)).body.der),
    );
    expect(sign.keyUsage?.critical).toBe(true);
    const text = ws.ok([
      'x509',
      '-in',
      `${issued.card.signSerial!}.pem`,
      '-noout',
      '-subject',
      '-ext',
      'subjectAltName',
    ]);
    expect(text).toMatch(/L = Tokyo-to/);
    expect(text).toMatch(/L = Kiyose-shi/);
  });

  it('ok-any municipality gets its own L and CRL partition; openssl -policy_check accepts the critical policies', async () => {
    const id = await resident({
      name: '山田\u3000花子',
      address: '長野県北佐久郡軽井沢町大字軽井沢１３２３',
      birthDate: '1990-06-01',
      sex: '2',
    });
    const c = await card(id);
    const f = await files(c.card.signSerial!);
    const text = ws.ok(['x509', '-in', f.cert, '-noout', '-text']);
    expect(text).toMatch(/Subject: C = JP, L = Nagano-ken, L = Karuizawa-machi, CN = \d{19}[0-9A-Z]{9}\n/);
    expect(text).toContain('CN = Karuizawa-machi CRLDP');
    expect(text).toContain('X509v3 Certificate Policies: critical');
    expect(text).toContain('CPS: https://www.jpki.go.jp/ca/ca_rules3.html');
    for (const [serial, policy] of [
      [c.card.signSerial!, '1.2.392.200149.8.5.1.1.20'],
      [c.card.authSerial, '1.2.392.200149.8.5.1.3.30'],
    ] as const) {
      const g = await files(serial);
      expect(
        ws.ok([
          'verify', '-attime', attime(), '-policy_check', '-explicit_policy', '-policy', policy,
          '-CAfile', g.root, g.cert,
        ]), // prettier-ignore
      ).toContain('OK');
    }
  });

  it('ok-export-needs-sign-pin-and-cms-verifies', async () => {
    const noPin = await api<{ signCertificate?: string }>('POST', `/cards/${issued.card.tokenId}/export`, {});
    expect(noPin.status).toBe(200);
    expect(noPin.body.signCertificate).toBeUndefined();
    const wrong = await api<{ code: string; remaining?: number }>(
      'POST',
      `/cards/${issued.card.tokenId}/export`,
      { signPin: 'WRONG1' },
    );
    expect(wrong.status).toBe(403);
    expect(wrong.body.code).toBe('pin_incorrect');
    expect(wrong.body.remaining).toBe(4);
    const ok = await api<{ signCertificate?: string }>('POST', `/cards/${issued.card.tokenId}/export`, {
      signPin: 'abc123',
    });
    expect(ok.body.signCertificate).toBe(
      (await api<{ der: string }>('GET', `/certificates/${issued.card.signSerial!}`)).body.der,
    );
    const pins = await api<{ sign: number; auth: number }>('GET', `/cards/${issued.card.tokenId}/pins`);
    expect(pins.body).toEqual({ sign: 5, auth: 3 });

    const signed = await api<{ cms: string }>('POST', `/cards/${issued.card.tokenId}/sign`, {
      pin: 'ABC123',
      text: 'hello JPKI',
    });
    expect(signed.status).toBe(200);
    const f = await files(issued.card.signSerial!);
    const cms = ws.write('hello.cms', fromBase64(signed.body.cms));
    const out = ws.ok([
      'cms',
      '-verify',
      '-inform',
      'DER',
      '-in',
      cms,
      '-CAfile',
      f.root,
      '-purpose',
      'any',
      '-attime',
      attime(),
    ]);
    expect(out).toBe('hello JPKI');
  });

  it('ok-ocsp-good-then-move-revokes-after-refresh-only', async () => {
    const sign = await files(issued.card.signSerial!);
    const auth = await files(issued.card.authSerial);
    expect(await ocsp(sign)).toMatch(/: good/);
    expect(await ocsp(auth)).toMatch(/: good/);

    const ev = await api<{ effects: { serial: string; effect: string }[] }>(
      'POST',
      `/residents/${rid}/events`,
      { type: 'move' },
    );
    expect(ev.status).toBe(201);
    expect(ev.body.effects).toContainEqual({
      serial: issued.card.signSerial!,
      purpose: 'sign',
      effect: 'revoked:affiliationChanged',
    });
    const newSign = ev.body.effects.find((e) => e.effect === 'issued')!.serial;
    expect(ev.body.effects.some((e) => e.serial === issued.card.authSerial)).toBe(false);

    // Cadence: before the OCSP refresh and the CRL publication, both still say good.
    expect(await ocsp(sign)).toMatch(/: good/);
    expect(
      ws.ok([
        'verify',
        '-attime',
        attime(),
        '-crl_check',
        '-CAfile',
        sign.root,
        '-CRLfile',
        await crlPem(sign.purpose, sign.generation),
        sign.cert,
      ]),
    ).toContain('OK');

    expect((await api('POST', '/admin/crl/publish')).status).toBe(200);
    const crl = await crlPem(sign.purpose, sign.generation);
    const crlText = ws.ok(['crl', '-in', crl, '-noout', '-text']);
    expect(crlText).toContain(
      `Serial Number: ${BigInt(issued.card.signSerial!).toString(16).toUpperCase().padStart(8, '0')}`,
    );
    expect(crlText).toContain('Affiliation Changed');
    const v = ws.run([
      'verify',
      '-attime',
      attime(),
      '-crl_check',
      '-CAfile',
      sign.root,
      '-CRLfile',
      crl,
      sign.cert,
    ]);
    expect(v.code).not.toBe(0);
    expect(v.out).toContain('certificate revoked');

    expect(await ocsp(sign)).toMatch(/: good/); // CRL published, OCSP not yet refreshed
    expect((await api('POST', '/admin/ocsp/refresh')).status).toBe(200);
    const after = await ocsp(sign);
    expect(after).toMatch(/: revoked/);
    expect(after).toMatch(/Reason: affiliationChanged/);
    expect(await ocsp(auth)).toMatch(/: good/);
    expect(await ocsp(await files(newSign))).toMatch(/: good/);
    // The new signing certificate is on the same card, with the new address.
    const exp = await api<{ signCertificate?: string }>('POST', `/cards/${issued.card.tokenId}/export`, {
      signPin: 'ABC123',
    });
    expect(parseCertificate(fromBase64(exp.body.signCertificate!)).serial.toString()).toBe(newSign);
  });

  it('ok-renew-lose-found-death', async () => {
    const rid2 = await resident({ birthDate: '1970-01-02' });
    const c = await card(rid2);
    const renew = await api<{ effects: { serial: string; effect: string }[] }>(
      'POST',
      `/residents/${rid2}/events`,
      { type: 'renew' },
    );
    expect(
      renew.body.effects
        .filter((e) => e.effect === 'revoked:superseded')
        .map((e) => e.serial)
        .sort(),
    ).toEqual([c.card.signSerial!, c.card.authSerial].sort());
    const fresh = renew.body.effects.filter((e) => e.effect === 'issued').map((e) => e.serial);
    expect(fresh).toHaveLength(2);

    const lose = await api<{ effects: { serial: string; effect: string }[] }>(
      'POST',
      `/residents/${rid2}/events`,
      { type: 'lose' },
    );
    expect(lose.body.effects.map((e) => e.effect)).toEqual(['hold', 'hold']);
    await api('POST', '/admin/crl/publish');
    await api('POST', '/admin/ocsp/refresh');
    const held = await files(fresh[0]!);
    expect(ws.ok(['crl', '-in', await crlPem(held.purpose, held.generation), '-noout', '-text'])).toContain(
      'Certificate Hold',
    );
    expect(await ocsp(held)).toMatch(/Reason: certificateHold/);

    const found = await api<{ effects: { effect: string }[] }>('POST', `/residents/${rid2}/events`, {
      type: 'found',
    });
    expect(found.body.effects.map((e) => e.effect)).toEqual(['released', 'released']);
    await api('POST', '/admin/crl/publish');
    await api('POST', '/admin/ocsp/refresh');
    const hex = BigInt(fresh[0]!).toString(16).toUpperCase().padStart(8, '0');
    expect(
      ws.ok(['crl', '-in', await crlPem(held.purpose, held.generation), '-noout', '-text']),
    ).not.toContain(`Serial Number: ${hex}`);
    expect(await ocsp(held)).toMatch(/: good/);

    const death = await api<{ effects: { effect: string }[] }>('POST', `/residents/${rid2}/events`, {
      type: 'death',
    });
    expect(death.body.effects.map((e) => e.effect)).toEqual([
      'revoked:cessationOfOperation',
      'revoked:cessationOfOperation',
    ]);
    await api('POST', '/admin/ocsp/refresh');
    expect(await ocsp(held)).toMatch(/Reason: cessationOfOperation/);
    const again = await api<{ code: string }>('POST', `/residents/${rid2}/cards`, {});
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('resident_not_living');
  });

  it('ok-under-15-has-no-signing-certificate', async () => {
    const y = clock.now().getUTCFullYear() - 10;
    const kid = await resident({ birthDate: `${y}-06-15` });
    const c = await card(kid, { authPin: '4321' });
    expect(c.card.signSerial).toBeUndefined();
    expect(c.card.signPin).toBeUndefined();
    const exp = await api<{ code: string }>('POST', `/cards/${c.card.tokenId}/export`, { signPin: 'ABC123' });
    expect(exp.status).toBe(409);
    expect(exp.body.code).toBe('signing_certificate_absent');
    const view = await api<{ certificates: { purpose: string }[] }>('GET', `/residents/${kid}`);
    expect(view.body.certificates.map((x) => x.purpose)).toEqual(['auth']);
  });
});

describe('smartphones', () => {
  it('ok-double-issue-refused-device-change-wipes-old', async () => {
    const rid = await resident({ birthDate: '1990-03-03' });
    const c = await card(rid, { signPin: 'PHONE1', authPin: '5555', smartphone: 'android' });
    const oldDevice = c.device!.tokenId;
    const dup = await api<{ code: string }>('POST', `/residents/${rid}/devices`, { kind: 'android' });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('smartphone_already_issued');
    const repl = await api<{ tokenId: string; authPin: string }>('POST', `/residents/${rid}/devices`, {
      kind: 'android',
      replace: true,
      authPin: '7777',
    });
    expect(repl.status).toBe(201);
    // The old phone still answers until it starts and learns of the revocation.
    expect(await apdu(oldDevice, '00A4040C0AD392F000260100000001')).toBe('9000');
    const start = await api<{ wiped: boolean }>('POST', `/devices/${oldDevice}/start`);
    expect(start.body.wiped).toBe(true);
    expect(await apdu(oldDevice, '00A4040C0AD392F000260100000001')).toBe('6A82');
    const newStart = await api<{ wiped: boolean }>('POST', `/devices/${repl.body.tokenId}/start`);
    expect(newStart.body.wiped).toBe(false);

    // Hand-over: revoked from the phone alone (auth PIN), keys erased.
    const bad = await api<{ code: string }>('POST', `/devices/${repl.body.tokenId}/revoke`, {
      authPin: '0000',
    });
    expect(bad.body.code).toBe('pin_incorrect');
    const rv = await api<{ revoked: string[] }>('POST', `/devices/${repl.body.tokenId}/revoke`, {
      authPin: '7777',
    });
    expect(rv.body.revoked).toHaveLength(2);

    // Lost phone: revoked with the card's signing key.
    const third = await api<{ tokenId: string }>('POST', `/residents/${rid}/devices`, { kind: 'ios' });
    expect(third.status).toBe(201);
    const doc = JSON.stringify({
      type: 'jlis-sim/device-revocation',
      deviceId: third.body.tokenId,
      date: jstDate(clock.now()),
    });
    const signed = await api<{ cms: string }>('POST', `/cards/${c.card.tokenId}/sign`, {
      pin: 'PHONE1',
      text: doc,
    });
    const lost = await api<{ revoked: string[] }>('POST', '/devices/revoke-with-card', {
      cms: signed.body.cms,
    });
    expect(lost.status).toBe(200);
    expect(lost.body.revoked).toHaveLength(2);
    const view = await api<{ tokens: { id: string; status: string }[] }>('GET', `/residents/${rid}`);
    expect(view.body.tokens.find((t) => t.id === third.body.tokenId)?.status).toBe('revoked');
  });
});

describe('latest basic 4 information and fees', () => {
  it('ok-provision-with-consent-only-after-new-certificate', async () => {
    const rid = await resident({ birthDate: '1988-08-08', name: '山田\u3000花子', sex: '2' });
    const c = await card(rid, { signPin: 'HANA88', authPin: '8888' });
    const doc = new TextDecoder().decode(
      consentDocument({
        operatorId: OP,
        service: 'Watashi ID',
        items: ['name', 'address'],
        date: jstDate(clock.now()),
      }),
    );
    const signed = await api<{ cms: string }>('POST', `/cards/${c.card.tokenId}/sign`, {
      pin: 'HANA88',
      text: doc,
    });
    const consent = await api<{ id: string; validUntil: string; status: string }>('POST', '/consents', {
      cms: signed.body.cms,
    });
    expect(consent.status).toBe(201);
    expect(consent.body.status).toBe('active');
    expect(new Date(consent.body.validUntil).getUTCFullYear()).toBe(clock.now().getUTCFullYear() + 10);
    // Another operator cannot record it nor see it.
    expect(
      (
        await api<{ code: string }>(
          'POST',
          '/consents',
          { cms: signed.body.cms },
          { 'x-operator-id': 'op-other' },
        )
      ).body.code,
    ).toBe('consent_operator_mismatch');
    expect(
      (await api('GET', `/consents/${consent.body.id}`, undefined, { 'x-operator-id': 'op-other' })).status,
    ).toBe(404);

    const before = (await api<{ totals: { yen: number } }>('GET', `/fees?operator=${OP}`)).body.totals.yen;
    expect(
      (await api<{ status: string }>('POST', '/basic4/latest', { serial: c.card.signSerial })).body.status,
    ).toBe('not_revoked');
    await api('POST', `/residents/${rid}/events`, {
      type: 'marriage',
      name: '佐藤\u3000花子',
      reissue: false,
    });
    expect(
      (await api<{ status: string }>('POST', '/basic4/latest', { serial: c.card.signSerial })).body.status,
    ).toBe('no_new_certificate');
    expect(
      (
        await api<{ code: string }>(
          'POST',
          '/basic4/latest',
          { serial: c.card.signSerial },
          { 'x-operator-id': 'op-other' },
        )
      ).body.code,
    ).toBe('consent_required');
    expect((await api<{ totals: { yen: number } }>('GET', `/fees?operator=${OP}`)).body.totals.yen).toBe(
      before,
    );

    // The resident visits the counter: renewal writes a new signing certificate.
    const renew = await api<{ effects: { serial: string; purpose: string; effect: string }[] }>(
      'POST',
      `/residents/${rid}/events`,
      { type: 'renew' },
    );
    const newSign = renew.body.effects.find((e) => e.purpose === 'sign' && e.effect === 'issued')!.serial;
    const p = await api<{
      status: string;
      newSerial: string;
      basic4: { name?: string; address?: string; sex?: string };
    }>('POST', '/basic4/latest', { serial: c.card.signSerial });
    expect(p.body.status).toBe('provided');
    expect(p.body.newSerial).toBe(newSign);
    expect(p.body.basic4.name).toBe('佐藤\u3000花子');
    expect(p.body.basic4.address).toBeDefined();
    expect(p.body.basic4.sex).toBeUndefined(); // not consented
    const fees = await api<{
      rows: { purpose: string; item: string; count: number; yen: number }[];
      totals: { yen: number };
    }>('GET', `/fees?operator=${OP}`);
    expect(fees.body.totals.yen).toBe(before + 20);
    expect(fees.body.rows.find((r) => r.item === 'provision')).toMatchObject({
      purpose: 'provision',
      count: 1,
      yen: 20,
    });

    // Withdrawal, signed with the new signing certificate; then nothing is provided.
    const wd = await api<{ cms: string }>('POST', `/cards/${c.card.tokenId}/sign`, {
      pin: 'HANA88',
      text: new TextDecoder().decode(withdrawalDocument(consent.body.id, jstDate(clock.now()))),
    });
    const w = await api<{ status: string }>('POST', `/consents/${consent.body.id}/withdraw`, {
      cms: wd.body.cms,
    });
    expect(w.body.status).toBe('withdrawn');
    expect(
      (await api<{ code: string }>('POST', '/basic4/latest', { serial: c.card.signSerial })).body.code,
    ).toBe('consent_required');
  });

  it('ok-fee-meter-counts-ocsp-and-crl-per-operator', async () => {
    const report = await api<{
      rows: { operatorId: string; purpose: string; item: string; count: number; yen: number }[];
    }>('GET', `/fees?operator=${OP}`);
    const sign = report.body.rows.find(
      (r) => r.item === 'ocsp-sign' && r.purpose === 'signature_verification',
    )!;
    const auth = report.body.rows.find((r) => r.item === 'ocsp-auth')!;
    const crl = report.body.rows.find((r) => r.item === 'crl')!;
    expect(sign.count).toBeGreaterThan(3);
    expect(sign.yen).toBe(sign.count * 20);
    expect(auth.yen).toBe(auth.count * 2);
    expect(crl.yen).toBe(0);
    await fetch(`${base}/crl/sign/2023.crl?purpose=liveness_check`, {
      headers: { authorization: `Basic ${Buffer.from('op-basic:x').toString('base64')}` },
    });
    const other = await api<{ rows: { purpose: string; item: string; count: number }[] }>(
      'GET',
      '/fees?operator=op-basic',
    );
    expect(other.body.rows).toEqual([
      expect.objectContaining({ purpose: 'liveness_check', item: 'crl', count: 1 }),
    ]);
  });
});

describe('bad input', () => {
  it('fail-malformed-ocsp-oversized-unknown-card-wrong-pin', async () => {
    const before = readFileSync(join(dataDir, 'state.json'), 'utf8');
    const res = await fetch(`${base}/ocsp`, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: new Uint8Array([0x30, 0x03, 0x02, 0x01]),
    });
    const der = new Uint8Array(await res.arrayBuffer());
    expect(toHex(der)).toBe('30030a0101'); // OCSPResponse { responseStatus malformedRequest }
    const get = await fetch(`${base}/ocsp/${encodeURIComponent('not base64!!')}`);
    expect(toHex(new Uint8Array(await get.arrayBuffer()))).toBe('30030a0101');

    const big = await fetch(`${base}/residents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(20_000) }),
    });
    expect(big.status).toBe(413);
    expect(big.headers.get('content-type')).toContain('application/problem+json');
    expect(((await big.json()) as { code: string }).code).toBe('body_too_large');

    const unknown = await api<{ code: string; status: number }>('POST', '/cards/c-doesnotexist/apdu', {
      apdu: '00A4040C0AD392F000260100000001',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('card_not_found');
    expect((await api<{ code: string }>('GET', '/residents/r-nobodyhere1')).body.code).toBe(
      'resident_not_found',
    );
    expect((await api<{ code: string }>('POST', '/residents', { bogus: 1 })).body.code).toBe(
      'request_invalid',
    );

    const rid = await resident({ birthDate: '1979-09-09' });
    const c = await card(rid, { signPin: 'APDU12', authPin: '2468' });
    await api('POST', `/cards/${c.card.tokenId}/session`);
    expect(await apdu(c.card.tokenId, '00A4040C0AD392F000260100000001')).toBe('9000');
    expect(await apdu(c.card.tokenId, '00A4020C020018')).toBe('9000');
    expect(await apdu(c.card.tokenId, '002000800431313131')).toBe('63C2');
    expect(await apdu(c.card.tokenId, '00200080')).toMatch(/^63C2$/);
    // Raw octet-stream works the same way.
    const raw = await fetch(`${base}/cards/${c.card.tokenId}/apdu`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from('002000800432343638', 'hex'),
    });
    expect(toHex(new Uint8Array(await raw.arrayBuffer()))).toBe('9000');
    await api('DELETE', `/cards/${c.card.tokenId}/session`);
    expect(await apdu(c.card.tokenId, '00A4040C0AD392F000260100000001')).toBe('9000');

    // Nothing lost: every resident of the earlier state is still there.
    const prev = JSON.parse(before) as { residents: Record<string, unknown> };
    const now = await api<{ id: string }[]>('GET', '/residents');
    for (const id of Object.keys(prev.residents)) expect(now.body.map((r) => r.id)).toContain(id);
    expect(JSON.stringify(now.body)).not.toMatch(/\b\d{12}\b/);
  });
});

describe('three generations (docs/jpki.md §1.1): a card is issued under the generation current at its issue date', () => {
  const at = fixedClock(new Date('2018-06-01T03:00:00Z'));
  let t: RunningSimulator;
  let url = '';
  const epoch = (): string => String(Math.floor(at.now().getTime() / 1000));
  const pem = (name: string, der: Uint8Array, label: 'CERTIFICATE' | 'X509 CRL' = 'CERTIFICATE'): string =>
    ws.write(name, toPem(der, label));
  const rootPem = (purpose: 'sign' | 'auth', gen: string): string =>
    pem(`gen-root-${purpose}-${gen}.pem`, t.sim.caCertificate(purpose, gen));
  function ocspAt(cert: string, root: string): Promise<string> {
    return new Promise((resolve) => {
      execFile(
        'openssl',
        ['ocsp', '-url', `${url}/ocsp`, '-issuer', root, '-cert', cert, '-CAfile', root, '-attime', epoch()],
        { cwd: ws.dir, timeout: 20_000 },
        (_err, stdout, stderr) => resolve(`${stdout}${stderr}`),
      );
    });
  }

  beforeAll(async () => {
    t = await createSimulator(
      { dataDir: tmp(), port: 0, seed: 'generations', schedule: false, logLevel: 'silent' },
      { clock: at },
    );
    url = await t.listen();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('ok-2015, 2019 and 2023 CAs per purpose, one DN per purpose, J-LIS validity periods', () => {
    const info = t.sim.info();
    expect(info.caCertificates.map((c) => [c.purpose, c.generation, c.notBefore, c.notAfter])).toEqual([
      ['sign', '2015', '2015-10-20T00:00:00.000Z', '2025-10-19T14:59:59.000Z'],
      ['sign', '2019', '2019-09-14T00:00:00.000Z', '2029-09-14T14:59:59.000Z'],
      ['sign', '2023', '2023-07-16T00:00:00.000Z', '2033-07-15T14:59:59.000Z'],
      ['auth', '2015', '2015-10-20T00:00:00.000Z', '2025-10-19T14:59:59.000Z'],
      ['auth', '2019', '2019-09-14T00:00:00.000Z', '2029-09-14T14:59:59.000Z'],
      ['auth', '2023', '2023-07-16T00:00:00.000Z', '2033-07-15T14:59:59.000Z'],
    ]);
    expect(info.crls.map((c) => c.url.slice(url.length))).toEqual([
      '/crl/sign/2015.crl',
      '/crl/sign/2019.crl',
      '/crl/sign/2023.crl',
      '/crl/auth/2015.crl',
      '/crl/auth/2019.crl',
      '/crl/auth/2023.crl',
    ]);
    const dn = (p: 'sign' | 'auth', g: string): string =>
      toHex(parseCertificate(t.sim.caCertificate(p, g)).subject.der);
    expect(new Set(['2015', '2019', '2023'].map((g) => dn('sign', g))).size).toBe(1);
    expect(new Set(['2015', '2019', '2023'].map((g) => dn('auth', g))).size).toBe(1);
  });

  it.each([
    ['2018-06-01T03:00:00Z', '2015', '2019'],
    ['2021-04-01T03:00:00Z', '2019', '2015'],
    ['2025-01-10T03:00:00Z', '2023', '2019'], // 2019 is still valid; the newest valid one is current
  ])(
    'ok-issued on %s: generation %s; its own CRL and OCSP report the revocation (openssl)',
    async (date, gen, other) => {
      at.set(new Date(date));
      const r = await t.sim.addResident({ birthDate: '1980-05-05' });
      const { card } = await t.sim.issueCard(r.id, { signPin: 'GEN123', authPin: '1234' });
      expect(card.generation).toBe(gen);
      for (const serial of [card.signSerial!, card.authSerial]) {
        const c = t.sim.certificate(serial);
        expect(c.view.generation).toBe(gen);
        const purpose = c.view.purpose;
        const cert = pem(`gen-${serial}.pem`, c.der);
        expect(ws.ok(['verify', '-attime', epoch(), '-CAfile', rootPem(purpose, gen), cert])).toContain('OK');
        // Same DN, other key: the other generation's root does not verify it.
        expect(
          ws.run(['verify', '-attime', epoch(), '-CAfile', rootPem(purpose, other), cert]).code,
        ).not.toBe(0);
      }
      at.advance(3_600_000);
      await t.sim.lifeEvent(r.id, { type: 'lose' });
      at.advance(3_600_000);
      await t.sim.publishCrls();
      t.sim.refreshOcsp();
      for (const serial of [card.signSerial!, card.authSerial]) {
        const c = t.sim.certificate(serial);
        const purpose = c.view.purpose;
        const root = rootPem(purpose, gen);
        const cert = pem(`gen-${serial}.pem`, c.der);
        const crl = pem(
          `gen-crl-${purpose}-${gen}.pem`,
          t.sim.crl(purpose, gen, OP, 'signature_verification'),
          'X509 CRL',
        );
        const crlText = ws.ok(['crl', '-in', crl, '-CAfile', root, '-noout', '-text']);
        expect(crlText).toContain(
          `Serial Number: ${BigInt(serial).toString(16).toUpperCase().padStart(8, '0')}`,
        );
        expect(crlText).toContain('Certificate Hold');
        const v = ws.run([
          'verify',
          '-attime',
          epoch(),
          '-crl_check',
          '-CAfile',
          root,
          '-CRLfile',
          crl,
          cert,
        ]);
        expect(v.code).not.toBe(0);
        expect(v.out).toContain('certificate revoked');
        const o = await ocspAt(cert, root);
        expect(o).toContain('Response verify OK');
        expect(o).toMatch(/Reason: certificateHold/);
      }
    },
  );

  it('ok-an older generation asked for explicitly is dated while it was current; a future one is ca_not_found', async () => {
    at.set(new Date('2026-12-01T03:00:00Z'));
    for (const [gen, issued] of [
      ['2015', '2019-08-15T00:00:00.000Z'], // 30 days before 2019 began
      ['2019', '2023-06-16T00:00:00.000Z'], // 30 days before 2023 began
      ['2023', '2026-12-01T03:00:00.000Z'], // current: now
    ]) {
      const r = await t.sim.addResident({ birthDate: '1970-01-20' });
      const { card } = await t.sim.issueCard(r.id, { generation: gen });
      expect(card.generation).toBe(gen);
      expect(t.sim.certificate(card.authSerial).view.notBefore).toBe(issued);
    }
    at.set(new Date('2019-01-01T00:00:00Z'));
    const r = await t.sim.addResident({ birthDate: '1970-01-20' });
    await expect(t.sim.issueCard(r.id, { generation: '2023' })).rejects.toMatchObject({
      code: 'ca_not_found',
    });
  });

  it('ok-initial residents: half from the oldest generation still valid (2019, not the expired 2015), half from the newest', async () => {
    const x = await createSimulator(
      { dataDir: tmp(), port: 0, seed: 'populate', schedule: false, logLevel: 'silent', initialResidents: 2 },
      { clock: fixedClock(new Date('2026-12-01T03:00:00Z')) },
    );
    try {
      const gens = x.sim
        .listResidents()
        .flatMap((r) => r.certificates.filter((c) => c.purpose === 'auth').map((c) => c.generation));
      expect(gens.sort()).toEqual(['2019', '2023']);
    } finally {
      await x.close();
    }
  });
});

describe('persistence and seeds', () => {
  it('ok-card-reads-leave-state-json-alone-a-wrong-pin-is-saved-at-once', async () => {
    const r = await s.sim.addResident({ birthDate: '1985-04-01' });
    const { card } = await s.sim.issueCard(r.id, { signPin: 'READ123', authPin: '1234' });
    const token = { id: card.tokenId };
    const stateFile = join(dataDir, 'state.json');
    const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
    // state.json is replaced by rename on every save, so its inode tells whether it was written.
    const before = statSync(stateFile).ino;
    s.sim.cards.beginSession(token.id);
    // SELECT the JPKI AP, the auth certificate EF, READ BINARY: nothing on the card changes.
    for (const c of ['00a4040c0ad392f000260100000001', '00a4020c02000a', '00b0000000'])
      await s.sim.cards.apdu(token.id, hex(c));
    expect(statSync(stateFile).ino).toBe(before);
    // A wrong auth PIN uses a try: written before the answer, as the chip's memory is.
    await s.sim.cards.apdu(token.id, hex('00a4020c020018'));
    const answer = await s.sim.cards.apdu(token.id, hex('002000800430303030'));
    expect(Buffer.from(answer).toString('hex')).toBe('63c2');
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as {
      tokens: Record<string, { state: { counters: { auth: number } } }>;
    };
    expect(saved.tokens[token.id]?.state.counters.auth).toBe(2);
    s.sim.cards.endSession(token.id);
  });

  it('ok-restart-keeps-state', async () => {
    const before = (await api<{ id: string }[]>('GET', '/residents')).body.map((r) => r.id).sort();
    const info = (
      await api<{ caCertificates: { sha256: string }[]; crls: { crlNumber: string }[] }>('GET', '/info')
    ).body;
    await s.close();
    expect(() => readFileSync(join(dataDir, 'sim.lock'))).toThrow();
    s = await createSimulator(
      { dataDir, port: 0, seed: 'it', schedule: false, logLevel: 'silent', bodyLimitBytes: 8192 },
      { clock },
    );
    base = await s.listen();
    expect((await api<{ id: string }[]>('GET', '/residents')).body.map((r) => r.id).sort()).toEqual(before);
    const again = (
      await api<{ caCertificates: { sha256: string }[]; crls: { crlNumber: string }[] }>('GET', '/info')
    ).body;
    expect(again.caCertificates.map((c) => c.sha256)).toEqual(info.caCertificates.map((c) => c.sha256));
    expect(again.crls.map((c) => c.crlNumber)).toEqual(info.crls.map((c) => c.crlNumber));
    // A second simulator cannot share the directory.
    await expect(
      createSimulator({ dataDir, port: 0, schedule: false, logLevel: 'silent' }, { clock }),
    ).rejects.toMatchObject({ code: 'data_dir_locked' });
  });

  it('ok-seed-reproduces-residents', async () => {
    const run = async (): Promise<unknown[]> => {
      const x = await createSimulator(
        {
          dataDir: tmp(),
          port: 0,
          seed: 'same-seed',
          schedule: false,
          logLevel: 'silent',
          generations: [{ name: '2023', notBefore: '2023-07-16', notAfter: '2033-07-15' }],
        },
        { clock: fixedClock(clock.now()) },
      );
      const out = [];
      for (let i = 0; i < 4; i++) {
        const r = await x.sim.addResident();
        out.push({ id: r.id, name: r.name, address: r.address, birthDate: r.birthDate, sex: r.sex });
      }
      await x.close();
      return out;
    };
    const a = await run();
    expect(a).toEqual(await run());
  });
});
