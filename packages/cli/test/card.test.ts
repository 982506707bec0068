// `watashi card …` in process: the JPKI card client over HTTP APDUs to cards hosted by an in-process
// simulator. Certificates are checked with openssl, raw signatures with node:crypto, CMS with openssl cms.
import { execFileSync } from 'node:child_process';
import { X509Certificate, verify } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '@watashi/jlis-sim';
import { cleanup, closedPort, json, run, startSim, tempDir } from './helpers.ts';

let s: RunningSimulator;
let url = '';
/** An adult's card: signing password ABC123, user-authentication PIN 1234. */
let card = '';
let residentName = '';
/** A card whose holder's name has 髙, outside JIS X 0208: the certificate carries a substitute. */
let substituteCard = '';
/** A card issued to a 10-year-old: no signing certificate. */
let childCard = '';
/** An Android smartphone (user-authentication certificate behind the PIN). */
let phone = '';
let work = '';
let content = '';
const watashi = (...argv: string[]) => run('--sim', url, 'card', ...argv);
const openssl = (args: string[], input?: string): string =>
  execFileSync('openssl', args, { encoding: 'utf8', ...(input === undefined ? {} : { input }) });

beforeAll(async () => {
  ({ s, url } = await startSim('cli-card-test'));
  // A name within JIS X 0208, so the certificate carries it unchanged (no substitute characters).
  const adult = await s.sim.addResident({ name: '山田\u3000太郎', birthDate: '1980-04-01' });
  residentName = adult.name;
  const issued = await s.sim.issueCard(adult.id, {
    signPin: 'ABC123',
    authPin: '1234',
    smartphone: 'android',
  });
  card = issued.card.tokenId;
  phone = issued.device?.tokenId ?? '';
  const child = await s.sim.addResident({ birthDate: `${String(new Date().getUTCFullYear() - 10)}-01-01` });
  childCard = (await s.sim.issueCard(child.id, { authPin: '1234' })).card.tokenId;
  const taka = await s.sim.addResident({ name: '髙橋\u3000一郎', birthDate: '1975-11-30' });
  substituteCard = (await s.sim.issueCard(taka.id, { signPin: 'ABC123', authPin: '1234' })).card.tokenId;
  work = tempDir();
  content = join(work, 'document.txt');
  writeFileSync(content, '同意書: I agree to the terms.\n');
});
afterAll(async () => {
  await s.close();
  cleanup();
});
// The test process may run other files after this one (Vitest's `isolate: false`): leave no PIN behind.
afterEach(() => {
  delete process.env['WATASHI_PIN'];
});

/** Writes the CA certificate of a card's key as PEM (read from the card itself) and returns its path. */
async function caPem(kind: 'sign-ca' | 'auth-ca'): Promise<string> {
  const r = await watashi('export', card, '--what', kind);
  expect(r.code, r.err).toBe(0);
  const path = join(work, `${kind}.pem`);
  writeFileSync(path, r.out);
  return path;
}

describe('card export', () => {
  it('ok-auth-certificate-as-pem-on-stdout', async () => {
    const r = await watashi('export', card);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
    const text = openssl(['x509', '-noout', '-subject', '-issuer'], r.out);
    expect(text).toMatch(/^subject=C ?= ?JP, CN ?= ?\w+$/m);
    expect(text).toMatch(/^issuer=.*O ?= ?JPKI-SIM, OU ?= ?JPKI for user authentication/m);
  });

  it('ok-signing-certificate-der-to-file-checked-by-openssl', async () => {
    const out = join(work, 'sign.der');
    // Lowercase input is upper-cased, as jpki-pw does (docs/jpki.md §3.5).
    const r = await watashi('export', card, '--what', 'sign-cert', '--pin', 'abc123', '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const summary = json<{
      token: string;
      subject: string;
      serial: string;
      der: string;
      file: string;
      basic4: { name: string; dateOfBirth: string; era: string; sex: string; address: string };
    }>(r);
    expect(summary.token).toBe('card');
    expect(summary.file).toBe(out);
    expect(summary.basic4).toMatchObject({ name: residentName, dateOfBirth: '1980-04-01', era: '昭和' });
    const der = readFileSync(out);
    expect(der.toString('base64')).toBe(summary.der);
    const subject = openssl(['x509', '-inform', 'DER', '-in', out, '-noout', '-subject']);
    expect(subject).toMatch(/^subject=C ?= ?JP, L ?= ?.+, CN ?= ?\w+\n$/);
    expect(subject.trim().replace(/ = /g, '=')).toBe(`subject=${summary.subject}`);
    const serial = openssl(['x509', '-inform', 'DER', '-in', out, '-noout', '-serial']);
    expect(BigInt(`0x${serial.trim().split('=')[1] ?? ''}`).toString()).toBe(summary.serial);

    const human = await watashi('export', card, '--what', 'sign-cert', '--pin', 'ABC123', '--out', out);
    expect(human.out).toMatch(/^name\s+/m);
    expect(human.out).toMatch(/^date of birth\s+1980-04-01 \(昭和\)$/m);
    expect(human.out).toMatch(/^written to\s+/m);
  });

  it('ok-substitute-characters-reported', async () => {
    const r = await watashi(
      'export',
      substituteCard,
      '--what',
      'sign-cert',
      '--pin',
      'ABC123',
      '--out',
      join(work, 't.der'),
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^name\s+高橋\u3000一郎 {2}\(substitute characters at 1\)$/m);
    const j = await watashi('export', substituteCard, '--what', 'sign-cert', '--pin', 'ABC123', '--json');
    expect(json<{ basic4: { nameSubstitute: string } }>(j).basic4.nameSubstitute).toBe('10000');
  });

  it('ok-pem-file-and-ca-certificates', async () => {
    const out = join(work, 'auth.pem');
    const r = await watashi('export', card, '--out', out, '--pem');
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const ca = await caPem('sign-ca');
    expect(openssl(['x509', '-in', ca, '-noout', '-subject'])).toMatch(/OU ?= ?JPKI for digital signature/);
    // The chain verifies with openssl against the CA read from the card.
    expect(openssl(['verify', '-CAfile', await caPem('auth-ca'), out]).trim()).toBe(`${out}: OK`);
  });

  it('ok-pin-from-environment', async () => {
    process.env['WATASHI_PIN'] = 'ABC123';
    const r = await watashi('export', card, '--what', 'sign-cert', '--json');
    expect(r.code, r.err).toBe(0);
    expect(json<{ certificate: string }>(r).certificate).toBe('sign');
  });

  it('fail-signing-certificate-without-pin-usage-exit-2', async () => {
    const r = await watashi('export', card, '--what', 'sign-cert');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/signing certificate is read only after the signing password .*: give --pin/);
  });

  it('fail-wrong-pin-exit-6-with-tries-left', async () => {
    const r = await watashi('export', card, '--what', 'sign-cert', '--pin', 'WRONG1');
    expect(r.code).toBe(6);
    expect(r.err).toMatch(
      /wrong signing password .* for c-\w+: 4 tries left \(of 5\) before it is blocked \[card_pin_incorrect\]/,
    );
    const status = json<{ pins: { sign: { triesLeft: number } } }>(
      await watashi('pin-status', card, '--json'),
    );
    expect(status.pins.sign.triesLeft).toBe(4);
    // The right PIN resets the counter (docs/jpki.md §3.5).
    expect((await watashi('export', card, '--what', 'sign-cert', '--pin', 'ABC123')).code).toBe(0);
    expect(
      json<{ pins: { sign: { triesLeft: number } } }>(await watashi('pin-status', card, '--json')).pins.sign
        .triesLeft,
    ).toBe(5);
  });

  it('fail-malformed-pin-exit-3-no-try-used', async () => {
    const r = await watashi('export', card, '--what', 'sign-cert', '--pin', 'abc');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/\[card_pin_format\]/);
    expect(
      json<{ pins: { sign: { triesLeft: number } } }>(await watashi('pin-status', card, '--json')).pins.sign
        .triesLeft,
    ).toBe(5);
  });

  it('fail-child-card-has-no-signing-certificate-exit-8', async () => {
    const r = await watashi('export', childCard, '--what', 'sign-cert', '--pin', 'ABC123');
    expect(r.code).toBe(8);
    expect(r.err).toMatch(/has no signing certificate .*\[signing_certificate_absent\]/);
  });

  it('ok-smartphone-auth-certificate-needs-the-pin-exit-6-without', async () => {
    const without = await watashi('export', phone);
    expect(without.code).toBe(6);
    expect(without.err).toMatch(
      /releases this only after the user-authentication PIN .*\[card_pin_required\]/,
    );
    const r = await watashi('export', phone, '--pin', '1234', '--json');
    expect(r.code, r.err).toBe(0);
    expect(json<{ token: string }>(r).token).toBe('android');
  });

  it('fail-unknown-card-exit-5-malformed-id-exit-3-unreachable-exit-7-usage-exit-2', async () => {
    const unknown = await watashi('export', 'c-zzzz9999');
    expect(unknown.code).toBe(5);
    expect(unknown.err).toMatch(/\[card_not_found\]/);
    expect((await watashi('export', 'nope')).code).toBe(3);
    const down = await run('--sim', `http://127.0.0.1:${String(await closedPort())}`, 'card', 'export', card);
    expect(down.code).toBe(7);
    expect(down.err).toMatch(/\[sim_unreachable\]/);
    expect((await watashi('export', card, '--what', 'root')).code).toBe(2);
    expect((await watashi('export')).code).toBe(2);
  });
});

describe('card sign', () => {
  it('ok-raw-signature-verifies-with-node-crypto', async () => {
    const r = await watashi('sign', card, '--in', content, '--pin', 'ABC123', '--raw', '--json');
    expect(r.code, r.err).toBe(0);
    const d = json<{ format: string; key: string; signature: string; certificate: string; serial: string }>(
      r,
    );
    expect(d).toMatchObject({ format: 'pkcs1-sha256', key: 'sign' });
    const cert = new X509Certificate(Buffer.from(d.certificate, 'base64'));
    const data = readFileSync(content);
    const sig = Buffer.from(d.signature, 'base64');
    expect(verify('sha256', data, cert.publicKey, sig)).toBe(true);
    expect(verify('sha256', Buffer.from('something else'), cert.publicKey, sig)).toBe(false);
    expect(BigInt(`0x${cert.serialNumber}`).toString()).toBe(d.serial);

    // Human form: the signature as base64 on stdout; with --out, the raw bytes in the file.
    const human = await watashi('sign', card, '--in', content, '--pin', 'ABC123', '--raw');
    expect(human.out.trim()).toBe(d.signature); // PKCS#1 v1.5 is deterministic
    const out = join(work, 'document.sig');
    const filed = await watashi('sign', card, '--in', content, '--pin', 'ABC123', '--raw', '--out', out);
    expect(filed.out).toMatch(/^written to\s+.*document\.sig \(256 bytes\)$/m);
    expect(verify('sha256', data, cert.publicKey, readFileSync(out))).toBe(true);
  });

  it('ok-auth-key-signature', async () => {
    const r = await watashi(
      'sign',
      card,
      '--in',
      content,
      '--key',
      'auth',
      '--pin',
      '1234',
      '--raw',
      '--json',
    );
    expect(r.code, r.err).toBe(0);
    const d = json<{ signature: string; certificate: string }>(r);
    const cert = new X509Certificate(Buffer.from(d.certificate, 'base64'));
    expect(cert.issuer).toMatch(/JPKI for user authentication/);
    expect(verify('sha256', readFileSync(content), cert.publicKey, Buffer.from(d.signature, 'base64'))).toBe(
      true,
    );
  });

  it('ok-cms-attached-and-detached-verify-with-openssl', async () => {
    const ca = await caPem('sign-ca');
    const p7 = join(work, 'document.p7m');
    const r = await watashi('sign', card, '--in', content, '--pin', 'ABC123', '--out', p7);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^format\s+cms$/m);
    const verified = openssl([
      'cms',
      '-verify',
      '-inform',
      'DER',
      '-in',
      p7,
      '-CAfile',
      ca,
      '-purpose',
      'any',
    ]);
    expect(verified).toBe(readFileSync(content, 'utf8'));

    const p7s = join(work, 'document.p7s');
    const d = await watashi('sign', card, '--in', content, '--pin', 'ABC123', '--detached', '--out', p7s);
    expect(d.code, d.err).toBe(0);
    const det = openssl([
      'cms',
      '-verify',
      '-inform',
      'DER',
      '-in',
      p7s,
      '-content',
      content,
      '-CAfile',
      ca,
      '-purpose',
      'any',
      // The content is bytes, not S/MIME text: no CRLF canonicalisation before hashing.
      '-binary',
      '-out',
      join(work, 'detached.out'),
    ]);
    expect(det).toBe('');
    expect(readFileSync(join(work, 'detached.out'), 'utf8')).toBe(readFileSync(content, 'utf8'));

    const pem = await watashi('sign', card, '--in', content, '--pin', 'ABC123');
    expect(pem.out).toMatch(/^-----BEGIN CMS-----\n[\s\S]+-----END CMS-----\n$/);
  });

  it('fail-wrong-pin-exit-6-tries-left-then-blocked', async () => {
    const first = await watashi('sign', card, '--in', content, '--key', 'auth', '--pin', '0000');
    expect(first.code).toBe(6);
    expect(first.err).toMatch(/wrong user-authentication PIN .* 2 tries left \(of 3\)/);
    const second = await watashi('sign', card, '--in', content, '--key', 'auth', '--pin', '0000');
    expect(second.err).toMatch(/1 try left \(of 3\)/);
    const third = await watashi('sign', card, '--in', content, '--key', 'auth', '--pin', '0000');
    expect(third.code).toBe(6);
    expect(third.err).toMatch(/user-authentication PIN .* of c-\w+ is blocked .*\[card_pin_blocked\]/);
    // Blocked means blocked: the right PIN is refused too.
    const right = await watashi('sign', card, '--in', content, '--key', 'auth', '--pin', '1234');
    expect(right.code).toBe(6);
    expect(right.err).toMatch(/\[card_pin_blocked\]/);
    const status = await watashi('pin-status', card);
    expect(status.out).toMatch(/^user-authentication PIN\s+BLOCKED$/m);
    expect(
      json<{ pins: { auth: { blocked: boolean } } }>(await watashi('pin-status', card, '--json')).pins.auth
        .blocked,
    ).toBe(true);
  });

  it('fail-usage-exit-2-and-missing-file-exit-5', async () => {
    expect((await watashi('sign', card, '--pin', 'ABC123')).code).toBe(2); // no --in
    const noPin = await watashi('sign', card, '--in', content);
    expect(noPin.code).toBe(2);
    expect(noPin.err).toMatch(/signing needs the signing password/);
    expect(
      (await watashi('sign', card, '--in', content, '--pin', 'ABC123', '--raw', '--detached')).code,
    ).toBe(2);
    expect((await watashi('sign', card, '--in', content, '--pin', 'ABC123', '--key', 'x')).code).toBe(2);
    const missing = await watashi('sign', card, '--in', join(work, 'absent.txt'), '--pin', 'ABC123');
    expect(missing.code).toBe(5);
    expect(missing.err).toMatch(/\[input_not_found\]/);
  });
});

describe('card pin-status', () => {
  it('ok-child-card-has-no-signing-password', async () => {
    const r = await watashi('pin-status', childCard, '--json');
    expect(r.code, r.err).toBe(0);
    expect(json(r)).toEqual({
      card: childCard,
      token: 'card',
      pins: { sign: null, auth: { triesLeft: 3, maxTries: 3, blocked: false } },
    });
    const human = await watashi('pin-status', childCard);
    expect(human.out).toMatch(/^signing password\s+none \(no signing certificate\)$/m);
    expect(human.out).toMatch(/^user-authentication PIN\s+3 of 3 tries left$/m);
  });

  it('ok-smartphone-token', async () => {
    const r = await watashi('pin-status', phone, '--json');
    expect(r.code, r.err).toBe(0);
    expect(json<{ token: string }>(r).token).toBe('android');
  });

  it('fail-unknown-card-exit-5', async () => {
    const r = await watashi('pin-status', 'c-zzzz9999');
    expect(r.code).toBe(5);
  });
});

describe('card change-pin', () => {
  it('ok-new-auth-pin-works-and-the-old-one-no-longer-does', async () => {
    const r = await watashi('change-pin', substituteCard, '--pin', '1234', '--new-pin', '5678', '--json');
    expect(r.code, r.err).toBe(0);
    expect(json<{ changed: string }>(r).changed).toBe('auth');
    // The user-authentication certificate of a card is free to read; signing with its key needs the PIN.
    const input = join(work, 'change-pin.txt');
    writeFileSync(input, 'after the change');
    expect(
      (await watashi('sign', substituteCard, '--in', input, '--key', 'auth', '--pin', '5678', '--raw')).code,
    ).toBe(0);
    const old = await watashi(
      'sign',
      substituteCard,
      '--in',
      input,
      '--key',
      'auth',
      '--pin',
      '1234',
      '--raw',
    );
    expect(old.code).toBe(6);
    expect(old.err).toMatch(/\[card_pin_incorrect\]/);
    // Back to the old PIN for the other tests (the right PIN resets the counter).
    expect((await watashi('change-pin', substituteCard, '--pin', '5678', '--new-pin', '1234')).code).toBe(0);
  });

  it('fail-wrong-current-pin-exit-6-and-a-try-used', async () => {
    const r = await watashi(
      'change-pin',
      substituteCard,
      '--key',
      'sign',
      '--pin',
      'WRONG1',
      '--new-pin',
      'NEWPASS1',
    );
    expect(r.code).toBe(6);
    expect(r.err).toMatch(/wrong signing password .*: 4 tries left/);
    expect((await watashi('export', substituteCard, '--what', 'sign-cert', '--pin', 'ABC123')).code).toBe(0);
  });

  it('fail-malformed-new-pin-exit-3-before-any-try', async () => {
    const r = await watashi('change-pin', substituteCard, '--pin', 'WRONG', '--new-pin', '12345');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/\[card_pin_format\]/);
    const status = json<{ pins: { auth: { triesLeft: number } } }>(
      await watashi('pin-status', substituteCard, '--json'),
    );
    expect(status.pins.auth.triesLeft).toBe(3);
  });

  it('fail-missing-new-pin-usage-exit-2', async () => {
    const r = await watashi('change-pin', substituteCard, '--pin', '1234');
    expect(r.code).toBe(2);
  });
});
