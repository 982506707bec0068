// The audit time-stamp configuration (issue 21, item 5): `audit.tsaUrl` needs
// `audit.tsaCertificates`, and an unreadable certificate file stops start-up with a stable code.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePlatformConfig } from '../../src/config.ts';
import { readTsaCertificates } from '../../src/platform.ts';

const dir = mkdtempSync(join(tmpdir(), 'tsa-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('audit time-stamp configuration', () => {
  it('ok-tsa-url-with-certificates', () => {
    const c = parsePlatformConfig({
      audit: { tsaUrl: 'https://tsa.example/tsa', tsaCertificates: ['/etc/watashi/tsa.pem'] },
    });
    expect(c.audit).toMatchObject({
      tsaUrl: 'https://tsa.example/tsa',
      tsaCertificates: ['/etc/watashi/tsa.pem'],
    });
    expect(parsePlatformConfig({}).audit.tsaUrl).toBeUndefined();
  });

  it('fail-tsa-url-without-certificates-or-not-http-is-config_invalid', () => {
    for (const audit of [
      { tsaUrl: 'https://tsa.example/tsa' },
      { tsaUrl: 'https://tsa.example/tsa', tsaCertificates: [] },
      { tsaUrl: 'ftp://tsa.example/tsa', tsaCertificates: ['/x.pem'] },
      { tsaUrl: 'not a url', tsaCertificates: ['/x.pem'] },
    ])
      expect(() => parsePlatformConfig({ audit })).toThrow(
        expect.objectContaining({ code: 'config_invalid' }),
      );
  });

  it('ok-and-fail-reading-the-tsa-certificate-files', async () => {
    // Two certificates in one PEM file (a chain), made by openssl.
    for (const n of ['a', 'b'])
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', join(dir, `${n}.key`), '-out', join(dir, `${n}.pem`), '-subj', `/CN=${n}`, '-days', '1',
      ], { stdio: 'ignore' }); // prettier-ignore
    writeFileSync(
      join(dir, 'chain.pem'),
      readFileSync(join(dir, 'a.pem'), 'utf8') + readFileSync(join(dir, 'b.pem'), 'utf8'),
    );
    const certs = await readTsaCertificates([join(dir, 'chain.pem')]);
    expect(certs.map((c) => c.subject.der.length > 0)).toEqual([true, true]);
    expect(
      await readTsaCertificates([join(dir, 'missing.pem')]).catch((e: { code?: unknown }) => e.code),
    ).toBe('config_tsa_certificate_unreadable');
    writeFileSync(join(dir, 'empty.pem'), 'no certificate here\n');
    expect(await readTsaCertificates([join(dir, 'empty.pem')]).catch((e: { code?: unknown }) => e.code)).toBe(
      'config_tsa_certificate_unreadable',
    );
  });
});
