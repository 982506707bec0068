import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCertificate,
  ext,
  fromPem,
  isWatashiError,
  keyIdentifierOf,
  nameToString,
  parseCertificate,
  parseSpki,
  toHex,
  webCryptoVerifier,
  type Signer,
} from '@watashi/pki';
import { nodeGenerateKey, nodeSigner } from '@watashi/pki/node';
import { opensslWorkspace } from '../../../pki/test/openssl.ts';
import { buildJpkiCaCertificate } from '../profile/ca.ts';
import { jpkiCaName } from '../profile/names.ts';
import { JLIS_ROOT_PINS, JLIS_ROOTS } from './jlis-roots.ts';
import { buildPinnedTrustStore, JpkiTrustStore } from './store.ts';

const ROOTS = new URL('../../test/fixtures/trust', import.meta.url).pathname;
const shared = (f: string): Uint8Array => fromPem(readFileSync(`${ROOTS}/${f}`, 'utf8'), 'CERTIFICATE');
const sha256 = (d: Uint8Array): string => createHash('sha256').update(d).digest('hex');

async function expectCode(
  p: Promise<unknown> | (() => unknown),
  code: string,
  check?: string,
): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(isWatashiError(e, code), String(e)).toBe(true);
    if (check !== undefined) expect((e as { detail?: { check?: string } }).detail?.check).toBe(check);
    return;
  }
  expect.fail(`expected ${code}`);
}

// docs/jpki.md §1.1, as published by J-LIS (sign_fingerprint.pdf).
const PUBLISHED: Record<string, [string, string]> = {
  signca01: ['sign_ca_2015.pem', '19645405a1fe14377434bd55957628ac4038557c542403a2243f21c706fc9355'],
  signca03: ['sign_ca_2023.pem', 'd227f6cde11d35c5252178f106f843d24651944975413b539fa2fb68dbfa365f'],
  authca01: ['auth_ca_2015.pem', '4dcfc4ca0aaf9fb2a3081b3f0c991c320b3acc008667a341eeaec5af1d58ca7d'],
  authca03: ['auth_ca_2023.pem', '64114f29620c24ed2631d46476a040e7ee740d956089c00b036a6a8118c322b5'],
};

describe('embedded J-LIS roots (docs/jpki.md §1.1)', () => {
  it.each(Object.entries(PUBLISHED))(
    'ok-%s: embedded = shared file, fingerprint = published',
    (name, [file, fp]) => {
      const r = JLIS_ROOTS.find((x) => x.name === name);
      expect(r).toBeDefined();
      const der = shared(file);
      expect(sha256(der)).toBe(fp);
      expect(toHex(fromPem(r!.pem, 'CERTIFICATE'))).toBe(toHex(der));
      expect(r!.sha256).toBe(fp);
    },
  );
});

describe('the real J-LIS root files, read by us and by openssl (docs/jpki.md §1.1)', () => {
  const ws = opensslWorkspace();
  afterAll(() => ws.cleanup());

  it.each(Object.entries(PUBLISHED))(
    'ok-%s: the fields openssl prints; its real self-signature verifies, fail-one flipped bit does not',
    async (name, [file]) => {
      const der = shared(file);
      const c = parseCertificate(der);
      const out = ws.ok([
        'x509', '-in', `${ROOTS}/${file}`, '-noout', '-serial', '-subject', '-dates',
        '-fingerprint', '-sha256', '-ext', 'subjectKeyIdentifier,basicConstraints,keyUsage',
      ]); // prettier-ignore
      const field = (k: string): string => new RegExp(`^${k}=(.*)$`, 'm').exec(out)![1]!;
      expect(toHex(c.serialBytes).toUpperCase()).toBe(field('serial'));
      expect(nameToString(c.subject)).toBe(field('subject').replaceAll(' = ', '='));
      expect(toHex(c.issuer.der)).toBe(toHex(c.subject.der));
      expect(c.notBefore.getTime()).toBe(new Date(field('notBefore')).getTime());
      expect(c.notAfter.getTime()).toBe(new Date(field('notAfter')).getTime());
      expect(field('sha256 Fingerprint').replaceAll(':', '').toLowerCase()).toBe(
        JLIS_ROOT_PINS.find((p) => p.name === name)!.sha256,
      );
      expect(out).toMatch(/Subject Key Identifier: ?\n\s+([0-9A-F:]+)/);
      expect(toHex(c.subjectKeyId!).toUpperCase()).toBe(
        /Subject Key Identifier: ?\n\s+([0-9A-F:]+)/.exec(out)![1]!.replaceAll(':', ''),
      );
      expect(out).toMatch(/Basic Constraints: critical\n\s+CA:TRUE\n/);
      expect(c.basicConstraints).toEqual({ ca: true, critical: true });
      expect(out).toMatch(/Key Usage: critical\n\s+Certificate Sign, CRL Sign\n/);
      expect(c.keyUsage).toEqual({ usages: new Set(['keyCertSign', 'cRLSign']), critical: true });
      expect(parseSpki(c.spki)).toMatchObject({ keyType: 'rsa', rsaBits: 2048, rsaExponent: 65537n });
      expect(c.signatureAlgorithm).toBe('RSA-SHA256');

      // J-LIS's own RSA signature over the TBS, checked with our verifier and with openssl.
      const verifier = webCryptoVerifier();
      expect(await verifier.verify(c.spki, c.signatureAlgorithm, c.tbs, c.signature)).toBe(true);
      const at = String(Math.floor(c.notBefore.getTime() / 1000) + 86_400);
      const f = `${ROOTS}/${file}`;
      expect(ws.ok(['verify', '-attime', at, '-CAfile', f, f])).toContain('OK');
      const tbs = c.tbs.slice();
      tbs[tbs.length - 1]! ^= 0x01;
      expect(await verifier.verify(c.spki, c.signatureAlgorithm, tbs, c.signature)).toBe(false);
    },
  );

  it('ok-the compiled pins are the table of docs/jpki.md §1.1, the 2019 signing root included', () => {
    const doc = readFileSync(new URL('../../../../docs/jpki.md', import.meta.url), 'utf8');
    const table = [...doc.matchAll(/^\| ((?:sign|auth)ca0\d) \| (\d{4})-[^|]*\| `([0-9a-f]{64})` \|$/gm)].map(
      (m) => [m[1]!, Number(m[2]), m[3]!] as const,
    );
    expect(table.map(([name]) => name)).toContain('signca02');
    expect(JLIS_ROOT_PINS.map((p) => [p.name, p.generation, p.sha256] as const)).toEqual(table);
  });

  it('ok-the production store recognises each file, and no other purpose has it', async () => {
    const store = await JpkiTrustStore.production();
    for (const [name, [file]] of Object.entries(PUBLISHED)) {
      const der = shared(file);
      expect(store.has(der), name).toBe(true);
      const purpose = name.startsWith('sign') ? 'sign' : 'auth';
      const other = purpose === 'sign' ? 'auth' : 'sign';
      expect(store.anchors(purpose).some((a) => toHex(a.der) === toHex(der))).toBe(true);
      expect(store.anchors(other).some((a) => toHex(a.der) === toHex(der))).toBe(false);
    }
  });
});

describe('JpkiTrustStore', () => {
  let simSign1: Signer;
  let simSign2: Signer;
  let simAuth: Signer;
  let sign1: Uint8Array;
  let sign2: Uint8Array;
  let auth: Uint8Array;
  let testRoot: Uint8Array;
  let fakeJpki: Uint8Array;

  beforeAll(async () => {
    simSign1 = nodeSigner(nodeGenerateKey('RSA-SHA256'), 'RSA-SHA256');
    simSign2 = nodeSigner(nodeGenerateKey('RSA-SHA256'), 'RSA-SHA256');
    simAuth = nodeSigner(nodeGenerateKey('RSA-SHA256'), 'RSA-SHA256');
    const ca = (
      purpose: 'sign' | 'auth',
      organization: 'JPKI' | 'JPKI-SIM' | 'JPKI-TEST',
      serial: bigint,
      nb: string,
      signer: Signer,
    ) => buildJpkiCaCertificate({ purpose, organization, serial, notBefore: new Date(nb), signer });
    sign1 = await ca('sign', 'JPKI-SIM', 1n, '2015-10-20T02:40:28Z', simSign1);
    sign2 = await ca('sign', 'JPKI-SIM', 3n, '2023-07-16T00:50:27Z', simSign2);
    auth = await ca('auth', 'JPKI-SIM', 4n, '2023-07-16T01:01:04Z', simAuth);
    testRoot = await ca('sign', 'JPKI-TEST', 5n, '2024-08-28T00:00:00Z', simSign1);
    fakeJpki = await ca('sign', 'JPKI', 6n, '2024-08-28T00:00:00Z', simSign2);
  });

  describe('production', () => {
    it('ok-loads the real roots, both generations per purpose, expiry flagged', async () => {
      const store = await JpkiTrustStore.production();
      expect(store.mode).toBe('production');
      expect(store.anchors('sign').map((c) => toHex(c.serialBytes))).toEqual(['01', '067c6a21']);
      expect(store.anchors('auth').map((c) => toHex(c.serialBytes))).toEqual(['01', '06d18006']);
      const d = store.describe(new Date('2026-01-01T00:00:00Z'));
      expect(d.map((x) => [x.name, x.serial, x.expired, x.notAfter])).toEqual([
        ['signca01', '01', true, '2025-10-19T14:59:59.000Z'],
        ['signca03', '067C6A21', false, '2033-07-15T14:59:59.000Z'],
        ['authca01', '01', true, '2025-10-19T14:59:59.000Z'],
        ['authca03', '06D18006', false, '2033-07-15T14:59:59.000Z'],
      ]);
      expect(d.every((x) => x.organization === 'JPKI')).toBe(true);
      // Before generation 1 expired, nothing is flagged.
      expect(store.describe(new Date('2025-10-19T14:59:59Z')).some((x) => x.expired)).toBe(false);
      expect(store.has(shared('sign_ca_2023.pem'))).toBe(true);
      expect(store.has(sign1)).toBe(false);
    });

    it('fail-a supplied root that is not pinned is trust_root_unpinned', async () => {
      // A well-formed O=JPKI root with the right DN, but not one J-LIS published.
      await expectCode(JpkiTrustStore.production({ roots: [fakeJpki] }), 'trust_root_unpinned');
      // Simulator and test roots are not pinned either.
      await expectCode(JpkiTrustStore.production({ roots: [sign1] }), 'trust_root_unpinned');
      await expectCode(JpkiTrustStore.production({ roots: [testRoot] }), 'trust_root_unpinned');
    });

    it('ok-a pinned published root is accepted (the embedded ones again, deduplicated)', async () => {
      const store = await JpkiTrustStore.production({ roots: [shared('sign_ca_2023.pem')] });
      expect(store.anchors('sign')).toHaveLength(2);
    });

    it('ok-the compiled pins: the real files, and signca02 as given by J-LIS', () => {
      for (const [name, [, fp]] of Object.entries(PUBLISHED))
        expect(JLIS_ROOT_PINS.find((p) => p.name === name)?.sha256).toBe(fp);
      expect(JLIS_ROOT_PINS.find((p) => p.name === 'signca02')).toMatchObject({
        purpose: 'sign',
        generation: 2019,
        sha256: '79679c33e4cc9319440f1ad120a597ff1844e2ef217063adb176966fd5e6fbeb',
      });
    });

    it('ok-a root pinned through an injected pin list is accepted; the same pin cannot make production trust it', async () => {
      const pins = [{ name: 'sim-sign-2023', sha256: sha256(sign2) }];
      const store = await buildPinnedTrustStore('simulator', [sign2], pins);
      expect(store.describe(new Date('2026-01-01T00:00:00Z'))).toMatchObject([
        { name: 'sim-sign-2023', organization: 'JPKI-SIM', sha256: sha256(sign2) },
      ]);
      await expectCode(buildPinnedTrustStore('simulator', [sign1], pins), 'trust_root_unpinned');
      // Pinned or not, production refuses anything but O=JPKI.
      await expectCode(
        buildPinnedTrustStore('production', [sign2], pins),
        'trust_simulator_root_in_production',
      );
    });
  });

  describe('simulator', () => {
    it('ok-two generations with one DN, and an auth root', async () => {
      const store = await JpkiTrustStore.simulator([sign1, sign2, auth, sign2]);
      expect(store.mode).toBe('simulator');
      const s = store.anchors('sign');
      expect(s).toHaveLength(2); // the duplicate is dropped
      expect(toHex(s[0]!.subject.der)).toBe(toHex(s[1]!.subject.der));
      expect(toHex(s[0]!.subject.der)).toBe(toHex(jpkiCaName('sign', 'JPKI-SIM')));
      expect(store.anchors('auth')).toHaveLength(1);
      expect(store.describe(new Date('2026-01-01T00:00:00Z')).map((x) => x.expired)).toEqual([
        true,
        false,
        false,
      ]);
    });

    it('fail-refuses real J-LIS roots and test roots (never mixed)', async () => {
      await expectCode(JpkiTrustStore.simulator([sign1, shared('sign_ca_2023.pem')]), 'trust_mixed_roots');
      await expectCode(JpkiTrustStore.simulator([testRoot]), 'trust_mixed_roots');
      await expectCode(JpkiTrustStore.test([sign1]), 'trust_mixed_roots');
      expect((await JpkiTrustStore.test([testRoot])).anchors('sign')).toHaveLength(1);
    });

    it('fail-no anchors', async () => {
      await expectCode(JpkiTrustStore.simulator([]), 'trust_no_anchor');
      const store = await JpkiTrustStore.simulator([sign1]);
      await expectCode(() => store.anchors('auth'), 'trust_no_anchor');
    });
  });

  describe('root validation on load', () => {
    const simName = (): Uint8Array => jpkiCaName('sign', 'JPKI-SIM');
    const tmpl = async (
      signer: Signer,
      spki: Uint8Array,
      extensions: Parameters<typeof buildCertificate>[0]['extensions'],
      issuer = simName(),
    ) =>
      buildCertificate(
        {
          serial: 7n,
          issuer,
          subject: simName(),
          notBefore: new Date('2023-01-01T00:00:00Z'),
          notAfter: new Date('2033-01-01T14:59:59Z'),
          spki,
          extensions,
        },
        signer,
      );
    const goodExt = async (spki: Uint8Array) => [
      ext.keyUsage(['keyCertSign', 'cRLSign']),
      ext.basicConstraints(true),
      ext.subjectKeyIdentifier(await keyIdentifierOf(spki)),
    ];

    it('ok-a minimal hand-made root passes (the failures below each change one thing)', async () => {
      const der = await tmpl(simSign1, simSign1.spki, await goodExt(simSign1.spki));
      expect((await JpkiTrustStore.simulator([der])).anchors('sign')).toHaveLength(1);
    });

    it('fail-not a certificate', async () => {
      await expectCode(
        JpkiTrustStore.simulator([Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)]),
        'trust_root_invalid',
        'parse',
      );
    });

    it('fail-self-signature does not verify', async () => {
      const der = await tmpl(simSign2, simSign1.spki, await goodExt(simSign1.spki));
      await expectCode(JpkiTrustStore.simulator([der]), 'trust_root_invalid', 'signature');
    });

    it('fail-not self-issued', async () => {
      const der = await tmpl(
        simSign1,
        simSign1.spki,
        await goodExt(simSign1.spki),
        jpkiCaName('auth', 'JPKI-SIM'),
      );
      await expectCode(JpkiTrustStore.simulator([der]), 'trust_root_invalid', 'selfIssued');
    });

    it('fail-keyUsage not critical / wrong bits', async () => {
      const [, bc, ski] = await goodExt(simSign1.spki);
      const a = await tmpl(simSign1, simSign1.spki, [
        ext.keyUsage(['keyCertSign', 'cRLSign'], false),
        bc!,
        ski!,
      ]);
      await expectCode(JpkiTrustStore.simulator([a]), 'trust_root_invalid', 'keyUsage');
      const b = await tmpl(simSign1, simSign1.spki, [
        ext.keyUsage(['keyCertSign', 'cRLSign', 'digitalSignature']),
        bc!,
        ski!,
      ]);
      await expectCode(JpkiTrustStore.simulator([b]), 'trust_root_invalid', 'keyUsage');
    });

    it('fail-basicConstraints missing, not CA, or with pathLen', async () => {
      const [ku, , ski] = await goodExt(simSign1.spki);
      for (const bc of [
        undefined,
        ext.basicConstraints(false),
        ext.basicConstraints(true, 0),
        ext.basicConstraints(true, undefined, false),
      ]) {
        const der = await tmpl(simSign1, simSign1.spki, bc ? [ku!, bc, ski!] : [ku!, ski!]);
        await expectCode(JpkiTrustStore.simulator([der]), 'trust_root_invalid', 'basicConstraints');
      }
    });
  });
});
