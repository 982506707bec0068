import { beforeAll, describe, expect, it } from 'vitest';
import { buildCertificate, encodeName, ext, isWatashiError, nameFrom, type Signer } from '@watashi/pki';
import { nodeGenerateKey, nodeSigner, nodeVerifier } from '@watashi/pki/node';
import { basic4From } from '../basic4/basic4.ts';
import { buildJpkiCaCertificate } from '../profile/ca.ts';
import { buildJpkiAuthCertificate, buildJpkiSigningCertificate } from '../profile/end-entity.ts';
import type { JpkiPurpose } from '../profile/names.ts';
import type { JpkiVariant } from '../profile/profiles.ts';
import { JpkiTrustStore } from './store.ts';
import { verifyJpkiCertificate, type VerifyJpkiCertificateOptions } from './verify-certificate.ts';

const KOKUTO = basic4From({
  name: '黒桐\u3000幹也',
  address: '東京都清瀬市観布子南１２－７－２０２',
  birthDate: '1980-02-17',
  sex: '1',
});
const newKey = (): Signer => nodeSigner(nodeGenerateKey('RSA-SHA256'), 'RSA-SHA256');

const ROOT_NB = new Date('2023-07-16T00:50:27Z'); // root notAfter: 2033-07-15T14:59:59Z
const SHORT_ROOT_NA = new Date('2028-12-31T14:59:59Z');
const LEAF_NB = new Date('2025-10-27T01:00:00Z');
const LEAF_NA = new Date('2030-02-17T14:59:59Z');
const NOW = new Date('2026-06-01T00:00:00Z');

/** The error `p` rejects with (fails the test when it resolves). */
async function failure(
  p: Promise<unknown>,
): Promise<{ code: string; detail?: Record<string, unknown>; cause?: unknown }> {
  try {
    await p;
  } catch (e) {
    expect(isWatashiError(e), String(e)).toBe(true);
    return e as { code: string; detail?: Record<string, unknown>; cause?: unknown };
  }
  return expect.fail('expected a rejection');
}

interface KindFixture {
  /** Store holding generation 1 and the short-lived generation 2 of both kinds. */
  store: JpkiTrustStore;
  root1: Uint8Array;
  root2: Uint8Array;
  /** Issued by generation 1. */
  leaf: Uint8Array;
  smartphone: Uint8Array;
  /** Issued by generation 2 (same DN as generation 1, another key). */
  leafGen2: Uint8Array;
  /** Same issuer DN, signed by a key no pinned root holds. */
  impostor: Uint8Array;
  /** An impostor that has also expired at NOW (chain is reported before validity). */
  impostorExpired: Uint8Array;
  /** The other kind's leaf (right chain for the other kind, wrong profile here). */
  otherKind: Uint8Array;
}

describe('verifyJpkiCertificate (docs/jpki.md §6.5)', () => {
  const ee = newKey();
  const keys = {
    sign: { gen1: newKey(), gen2: newKey(), impostor: newKey() },
    auth: { gen1: newKey(), gen2: newKey(), impostor: newKey() },
  };
  const roots = {} as Record<JpkiPurpose, { gen1: Uint8Array; gen2: Uint8Array }>;
  const fx = {} as Record<JpkiPurpose, KindFixture>;

  async function leafOf(
    kind: JpkiPurpose,
    caKey: Signer,
    o: { serial: bigint; variant?: JpkiVariant; notBefore?: Date; notAfter?: Date },
  ): Promise<Uint8Array> {
    const common = {
      signer: caKey,
      serial: o.serial,
      notBefore: o.notBefore ?? LEAF_NB,
      notAfter: o.notAfter ?? LEAF_NA,
      spki: ee.spki,
      variant: o.variant ?? 'card',
    };
    return kind === 'sign'
      ? buildJpkiSigningCertificate({
          ...common,
          issuer: { organization: 'JPKI-SIM', purpose: 'sign', spki: caKey.spki },
          subject: { prefecture: 'Tokyo-to', municipality: 'Kiyose-shi' },
          basic4: KOKUTO,
        })
      : buildJpkiAuthCertificate({
          ...common,
          issuer: { organization: 'JPKI-SIM', purpose: 'auth', spki: caKey.spki },
        });
  }

  beforeAll(async () => {
    for (const kind of ['sign', 'auth'] as const) {
      const k = keys[kind];
      roots[kind] = {
        gen1: await buildJpkiCaCertificate({
          purpose: kind,
          organization: 'JPKI-SIM',
          serial: 1n,
          notBefore: ROOT_NB,
          signer: k.gen1,
        }),
        gen2: await buildJpkiCaCertificate({
          purpose: kind,
          organization: 'JPKI-SIM',
          serial: 2n,
          notBefore: ROOT_NB,
          notAfter: SHORT_ROOT_NA,
          signer: k.gen2,
        }),
      };
    }
    const store = await JpkiTrustStore.simulator([
      roots.sign.gen1,
      roots.sign.gen2,
      roots.auth.gen1,
      roots.auth.gen2,
    ]);
    for (const kind of ['sign', 'auth'] as const) {
      const k = keys[kind];
      const other = kind === 'sign' ? 'auth' : 'sign';
      fx[kind] = {
        store,
        root1: roots[kind].gen1,
        root2: roots[kind].gen2,
        leaf: await leafOf(kind, k.gen1, { serial: 10n }),
        smartphone: await leafOf(kind, k.gen1, { serial: 11n, variant: 'smartphone' }),
        leafGen2: await leafOf(kind, k.gen2, { serial: 12n }),
        impostor: await leafOf(kind, k.impostor, { serial: 13n }),
        impostorExpired: await leafOf(kind, k.impostor, {
          serial: 14n,
          notBefore: new Date('2020-01-01T00:00:00Z'),
          notAfter: new Date('2021-01-01T14:59:59Z'),
        }),
        otherKind: await leafOf(other, keys[other].gen1, { serial: 15n }),
      };
    }
  }, 120_000);

  const opts = (
    kind: JpkiPurpose,
    certificate: Uint8Array,
    more: Partial<VerifyJpkiCertificateOptions> = {},
  ) => ({
    certificate,
    kind,
    trust: fx[kind].store,
    at: NOW,
    ...more,
  });

  describe.each(['sign', 'auth'] as const)('%s certificate', (kind) => {
    it('ok-returns the parsed certificate, its pinned root, variant and environment', async () => {
      const v = await verifyJpkiCertificate(opts(kind, fx[kind].leaf));
      expect(Buffer.from(v.certificate.der)).toEqual(Buffer.from(fx[kind].leaf));
      expect(Buffer.from(v.issuer.der)).toEqual(Buffer.from(fx[kind].root1));
      expect(v.variant).toBe('card');
      expect(v.environment).toBe('simulator');
    });

    it('ok-smartphone variant, with a server verifier and a path cache', async () => {
      const seen: string[] = [];
      const v = await verifyJpkiCertificate(
        opts(kind, fx[kind].smartphone, {
          verifier: nodeVerifier(),
          pathCache: { has: () => false, add: (c) => void seen.push(c.serial.toString()) },
        }),
      );
      expect(v.variant).toBe('smartphone');
      expect(seen).toEqual(['11']);
    });

    it('ok-the root is chosen by signature among generations sharing one DN (§1.1)', async () => {
      const v = await verifyJpkiCertificate(
        opts(kind, fx[kind].leafGen2, { at: new Date('2027-01-01T00:00:00Z') }),
      );
      expect(Buffer.from(v.issuer.der)).toEqual(Buffer.from(fx[kind].root2));
    });

    it('fail-1-bytes that do not parse are jpki_certificate_malformed', async () => {
      const e = await failure(verifyJpkiCertificate(opts(kind, fx[kind].leaf.subarray(0, 200))));
      expect(e.code).toBe('jpki_certificate_malformed');
    });

    it('fail-2-a certificate from no JPKI CA is not_jpki_certificate', async () => {
      const key = newKey();
      const name = encodeName(
        nameFrom([
          ['C', 'JP'],
          ['CN', 'not JPKI'],
        ]),
      );
      const der = await buildCertificate(
        {
          serial: 1n,
          issuer: name,
          subject: name,
          notBefore: LEAF_NB,
          notAfter: LEAF_NA,
          spki: key.spki,
          extensions: [ext.basicConstraints(false)],
        },
        key,
      );
      expect((await failure(verifyJpkiCertificate(opts(kind, der)))).code).toBe('not_jpki_certificate');
    });

    it('fail-2-the other kind is jpki_profile_mismatch (purpose), even though it chains', async () => {
      const e = await failure(verifyJpkiCertificate(opts(kind, fx[kind].otherKind)));
      expect(e.code).toBe('jpki_profile_mismatch');
      expect(e.detail?.['check']).toBe('purpose');
    });

    it('fail-2-the root itself is jpki_profile_mismatch (kind)', async () => {
      const e = await failure(verifyJpkiCertificate(opts(kind, fx[kind].root1)));
      expect(e.code).toBe('jpki_profile_mismatch');
      expect(e.detail?.['check']).toBe('kind');
    });

    it('fail-3-a simulator certificate on a production store is trust_simulator_root_in_production', async () => {
      const production = await JpkiTrustStore.production();
      const e = await failure(verifyJpkiCertificate(opts(kind, fx[kind].leaf, { trust: production })));
      expect(e.code).toBe('trust_simulator_root_in_production');
      expect(e.detail?.['environment']).toBe('simulator');
    });

    it('fail-3-same issuer DN, a key no pinned root holds, is jpki_chain_invalid', async () => {
      const e = await failure(verifyJpkiCertificate(opts(kind, fx[kind].impostor)));
      expect(e.code).toBe('jpki_chain_invalid');
      expect(isWatashiError(e.cause) && e.cause.code.startsWith('path_')).toBe(true);
    });

    it('fail-3-a store without a root of this kind is jpki_chain_invalid', async () => {
      const other = kind === 'sign' ? 'auth' : 'sign';
      const oneKind = await JpkiTrustStore.simulator([roots[other].gen1]);
      const e = await failure(verifyJpkiCertificate(opts(kind, fx[kind].leaf, { trust: oneKind })));
      expect(e.code).toBe('jpki_chain_invalid');
      expect(isWatashiError(e.cause, 'trust_no_anchor')).toBe(true);
    });

    it('fail-3-the chain is reported before validity (an expired impostor is jpki_chain_invalid)', async () => {
      expect((await failure(verifyJpkiCertificate(opts(kind, fx[kind].impostorExpired)))).code).toBe(
        'jpki_chain_invalid',
      );
    });

    it('fail-4-before the certificate notBefore is jpki_certificate_not_yet_valid', async () => {
      const e = await failure(
        verifyJpkiCertificate(opts(kind, fx[kind].leaf, { at: new Date(LEAF_NB.getTime() - 1000) })),
      );
      expect(e.code).toBe('jpki_certificate_not_yet_valid');
      expect(e.detail).toEqual({ notBefore: LEAF_NB.toISOString(), root: false });
    });

    it('fail-4-after the certificate notAfter is jpki_certificate_expired', async () => {
      const e = await failure(
        verifyJpkiCertificate(opts(kind, fx[kind].leaf, { at: new Date(LEAF_NA.getTime() + 1000) })),
      );
      expect(e.code).toBe('jpki_certificate_expired');
      expect(e.detail).toEqual({ notAfter: LEAF_NA.toISOString(), root: false });
    });

    it('fail-4-a valid certificate under an expired root is jpki_certificate_expired (root)', async () => {
      const e = await failure(
        verifyJpkiCertificate(opts(kind, fx[kind].leafGen2, { at: new Date('2029-06-01T00:00:00Z') })),
      );
      expect(e.code).toBe('jpki_certificate_expired');
      expect(e.detail).toEqual({ notAfter: SHORT_ROOT_NA.toISOString(), root: true });
    });
  });
});
