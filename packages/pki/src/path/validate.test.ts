import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCertificate } from '../cert/build.ts';
import { parseCertificate, type Certificate } from '../cert/parse.ts';
import { ext, type Extension } from '../cert/extensions.ts';
import { encodeName, nameFrom } from '../cert/name.ts';
import { keyIdentifierOf } from '../cert/spki.ts';
import { toPem } from '../der/hex.ts';
import { nul } from '../der/writer.ts';
import { OID } from '../der/oid.ts';
import { nodeGenerateKey, nodeSigner, nodeVerifier } from '../node/crypto.ts';
import { webCryptoVerifier, type Signer } from '../crypto/provider.ts';
import { isWatashiError, type WatashiError } from '../errors.ts';
import { opensslWorkspace } from '../../test/openssl.ts';
import { validatePath, createPathValidationCache, type ValidatePathOptions } from './validate.ts';
import { firstDefiniteRevocation, type RevocationChecker } from './revocation.ts';

// docs/jpki.md §1.1: every root generation has this same DN (here with O=JPKI-SIM).
const jpkiCaName = encodeName(
  nameFrom([
    ['C', 'JP'],
    ['O', 'JPKI-SIM'],
    ['OU', 'JPKI for digital signature'],
    ['OU', 'Japan Agency for Local Authority Information Systems'],
  ]),
);
const rootName = encodeName(
  nameFrom([
    ['C', 'JP'],
    ['O', 'Watashi Test'],
    ['CN', 'Test Root'],
  ]),
);
const interName = encodeName(
  nameFrom([
    ['C', 'JP'],
    ['O', 'Watashi Test'],
    ['CN', 'Test Intermediate'],
  ]),
);
const subjectName = (cn: string): Uint8Array =>
  encodeName(
    nameFrom([
      ['C', 'JP'],
      ['CN', cn],
    ]),
  );

const D = (s: string): Date => new Date(s);
const NOW = D('2024-06-01T00:00:00Z');

interface Spec {
  serial: bigint;
  issuer: Uint8Array;
  subject: Uint8Array;
  signer: Signer;
  spki: Uint8Array;
  notBefore?: Date;
  notAfter?: Date;
  extensions: Extension[];
}
const make = async (s: Spec): Promise<Certificate> =>
  parseCertificate(
    await buildCertificate(
      {
        serial: s.serial,
        issuer: s.issuer,
        subject: s.subject,
        notBefore: s.notBefore ?? D('2023-01-01T00:00:00Z'),
        notAfter: s.notAfter ?? D('2028-01-01T00:00:00Z'),
        spki: s.spki,
        extensions: s.extensions,
      },
      s.signer,
    ),
  );

const caExts = async (spki: Uint8Array, pathLen?: number): Promise<Extension[]> => [
  ext.keyUsage(['keyCertSign', 'cRLSign']),
  ext.basicConstraints(true, pathLen),
  ext.subjectKeyIdentifier(await keyIdentifierOf(spki)),
];

/** The WatashiError a validation throws (fails the test when it succeeds). */
async function failure(p: Promise<unknown>): Promise<WatashiError> {
  try {
    await p;
  } catch (e) {
    if (isWatashiError(e)) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (isWatashiError(e)) return e.code;
    throw e;
  }
}

describe('validatePath', () => {
  const ws = opensslWorkspace();
  const verifier = nodeVerifier();
  let gen1Key: Signer, gen3Key: Signer, rootKey: Signer, interKey: Signer, leafKey: Signer, rogueKey: Signer;
  let gen1: Certificate, gen3: Certificate, root: Certificate, inter: Certificate;
  let gen1Id: Uint8Array, gen3Id: Uint8Array;
  const leaves: Record<string, Certificate> = {};

  const jpkiLeaf = (
    serial: bigint,
    signer: Signer,
    opts: { aki?: Uint8Array; notBefore?: Date; notAfter?: Date; extra?: Extension[]; ku?: Extension } = {},
  ): Promise<Certificate> =>
    make({
      serial,
      issuer: jpkiCaName,
      subject: subjectName(`leaf-${serial}`),
      signer,
      spki: leafKey.spki,
      ...(opts.notBefore ? { notBefore: opts.notBefore } : {}),
      ...(opts.notAfter ? { notAfter: opts.notAfter } : {}),
      extensions: [
        opts.ku ?? ext.keyUsage(['digitalSignature', 'nonRepudiation']),
        ext.certificatePolicies([OID.jpkiPolicySign]),
        ...(opts.aki ? [ext.authorityKeyIdentifier(opts.aki)] : []),
        ...(opts.extra ?? []),
      ],
    });

  beforeAll(async () => {
    gen1Key = nodeSigner(nodeGenerateKey('RSA-SHA256'), 'RSA-SHA256');
    gen3Key = nodeSigner(nodeGenerateKey('RSA-SHA256'), 'RSA-SHA256');
    rootKey = nodeSigner(nodeGenerateKey('ECDSA-SHA256'), 'ECDSA-SHA256');
    interKey = nodeSigner(nodeGenerateKey('ECDSA-SHA256'), 'ECDSA-SHA256');
    leafKey = nodeSigner(nodeGenerateKey('ECDSA-SHA256'), 'ECDSA-SHA256');
    rogueKey = nodeSigner(nodeGenerateKey('ECDSA-SHA256'), 'ECDSA-SHA256');
    gen1Id = await keyIdentifierOf(gen1Key.spki);
    gen3Id = await keyIdentifierOf(gen3Key.spki);
    // Two JPKI-like root generations: same DN, different keys, overlapping validity (docs/jpki.md §1.1).
    gen1 = await make({
      serial: 1n,
      issuer: jpkiCaName,
      subject: jpkiCaName,
      signer: gen1Key,
      spki: gen1Key.spki,
      notBefore: D('2015-10-20T02:40:28Z'),
      notAfter: D('2025-10-19T14:59:59Z'),
      extensions: await caExts(gen1Key.spki),
    });
    gen3 = await make({
      serial: 0x067c6a21n,
      issuer: jpkiCaName,
      subject: jpkiCaName,
      signer: gen3Key,
      spki: gen3Key.spki,
      notBefore: D('2023-07-16T00:50:27Z'),
      notAfter: D('2033-07-15T14:59:59Z'),
      extensions: await caExts(gen3Key.spki),
    });
    root = await make({
      serial: 10n,
      issuer: rootName,
      subject: rootName,
      signer: rootKey,
      spki: rootKey.spki,
      extensions: await caExts(rootKey.spki, 1),
    });
    inter = await make({
      serial: 11n,
      issuer: rootName,
      subject: interName,
      signer: rootKey,
      spki: interKey.spki,
      extensions: [
        ...(await caExts(interKey.spki, 0)),
        ext.authorityKeyIdentifier(await keyIdentifierOf(rootKey.spki)),
      ],
    });
    const interId = await keyIdentifierOf(interKey.spki);
    leaves.gen1NoAki = await jpkiLeaf(101n, gen1Key, {
      notBefore: D('2020-01-01T00:00:00Z'),
      notAfter: D('2025-01-01T00:00:00Z'),
    });
    leaves.gen3NoAki = await jpkiLeaf(301n, gen3Key);
    leaves.gen1 = await jpkiLeaf(102n, gen1Key, {
      aki: gen1Id,
      notBefore: D('2020-01-01T00:00:00Z'),
      notAfter: D('2025-01-01T00:00:00Z'),
    });
    leaves.gen3 = await jpkiLeaf(302n, gen3Key, { aki: gen3Id });
    leaves.rogue = await jpkiLeaf(666n, rogueKey, { aki: gen3Id });
    leaves.rogueNoAki = await jpkiLeaf(667n, rogueKey);
    leaves.expired = await jpkiLeaf(303n, gen3Key, {
      aki: gen3Id,
      notBefore: D('2023-08-01T00:00:00Z'),
      notAfter: D('2024-05-31T14:59:59Z'),
    });
    leaves.future = await jpkiLeaf(304n, gen3Key, { aki: gen3Id, notBefore: D('2024-06-02T00:00:00Z') });
    leaves.authOnly = await jpkiLeaf(305n, gen3Key, { aki: gen3Id, ku: ext.keyUsage(['digitalSignature']) });
    leaves.kuNotCritical = await jpkiLeaf(306n, gen3Key, {
      aki: gen3Id,
      ku: ext.keyUsage(['digitalSignature', 'nonRepudiation'], false),
    });
    leaves.unknownCritical = await jpkiLeaf(307n, gen3Key, {
      aki: gen3Id,
      extra: [{ oid: '1.3.6.1.4.1.99999.1', critical: true, value: nul() }],
    });
    leaves.three = await make({
      serial: 12n,
      issuer: interName,
      subject: subjectName('three-tier'),
      signer: interKey,
      spki: leafKey.spki,
      extensions: [ext.keyUsage(['digitalSignature']), ext.authorityKeyIdentifier(interId)],
    });
    ws.write('roots.pem', [gen1, gen3, root].map((c) => toPem(c.der, 'CERTIFICATE')).join(''));
    ws.write('inter.pem', toPem(inter.der, 'CERTIFICATE'));
    for (const [k, c] of Object.entries(leaves)) ws.write(`${k}.pem`, toPem(c.der, 'CERTIFICATE'));
  });
  afterAll(() => ws.cleanup());

  const base = (leaf: Certificate, extra: Partial<ValidatePathOptions> = {}): ValidatePathOptions => ({
    leaf,
    anchors: [gen1, gen3, root],
    intermediates: [inter],
    now: NOW,
    verifier,
    revocation: 'not-checked',
    ...extra,
  });

  it('fail-revocation-and-its-opt-out-are-not-optional (a caller bug: TypeError)', async () => {
    const { revocation: _omitted, ...withoutRevocation } = base(leaves.gen1NoAki!);
    await expect(validatePath(withoutRevocation as ValidatePathOptions)).rejects.toThrow(TypeError);
  });

  it('ok-picks the right root generation by signature when AKI is absent', async () => {
    const r1 = await validatePath(base(leaves.gen1NoAki!));
    expect(r1.anchor).toBe(gen1);
    expect(r1.path).toEqual([leaves.gen1NoAki]);
    const r3 = await validatePath(base(leaves.gen3NoAki!));
    expect(r3.anchor).toBe(gen3);
    // The anchor order must not matter.
    expect((await validatePath(base(leaves.gen1NoAki!, { anchors: [gen3, gen1] }))).anchor).toBe(gen1);
  });

  it('ok-picks the root generation by AKI and verifies with JPKI requirements', async () => {
    const opts = {
      requiredKeyUsage: ['digitalSignature', 'nonRepudiation'] as const,
      requireKeyUsageCritical: true,
      requiredPolicies: [OID.jpkiPolicySign],
    };
    expect((await validatePath(base(leaves.gen1!, opts))).anchor).toBe(gen1);
    expect((await validatePath(base(leaves.gen3!, opts))).anchor).toBe(gen3);
  });

  it('ok-three-tier chain with intermediates, also with a WebCrypto verifier', async () => {
    const r = await validatePath(base(leaves.three!));
    expect(r.path).toEqual([leaves.three, inter]);
    expect(r.anchor).toBe(root);
    const w = await validatePath(base(leaves.three!, { verifier: webCryptoVerifier() }));
    expect(w.anchor).toBe(root);
  });

  it('fail-three-tier without the intermediate has no trust anchor', async () => {
    expect(await code(validatePath(base(leaves.three!, { intermediates: [] })))).toBe('path_no_trust_anchor');
  });

  it('fail-signature by a different key with the same DN', async () => {
    // The AKI points at generation 3, whose key does not verify; without AKI no generation's key does.
    expect(await code(validatePath(base(leaves.rogue!)))).toBe('path_signature_invalid');
    expect(await code(validatePath(base(leaves.rogueNoAki!)))).toBe('path_signature_invalid');
    // An AKI that names no anchor's key: no candidate at all.
    const stray = await jpkiLeaf(668n, gen3Key, { aki: new Uint8Array(20).fill(7) });
    expect(await code(validatePath(base(stray)))).toBe('path_no_trust_anchor');
  });

  it('fail-expired and not-yet-valid leaves', async () => {
    expect(await code(validatePath(base(leaves.expired!)))).toBe('path_expired');
    expect(await code(validatePath(base(leaves.future!)))).toBe('path_not_yet_valid');
    // notAfter is inclusive (RFC 5280 §4.1.2.5).
    await validatePath(base(leaves.expired!, { now: D('2024-05-31T14:59:59Z') }));
  });

  it('fail-expired anchor, unless checkAnchorValidity is off', async () => {
    const later = D('2025-12-01T00:00:00Z');
    const gen1Old = await jpkiLeaf(110n, gen1Key, { aki: gen1Id, notAfter: D('2026-01-01T00:00:00Z') });
    const e = await failure(validatePath(base(gen1Old, { now: later })));
    expect(e.code).toBe('path_expired');
    expect(e.detail).toMatchObject({ depth: 1 });
    expect((await validatePath(base(gen1Old, { now: later, checkAnchorValidity: false }))).anchor).toBe(gen1);
  });

  it('fail-key usage: missing bit, or not critical when required', async () => {
    expect(await code(validatePath(base(leaves.authOnly!, { requiredKeyUsage: ['nonRepudiation'] })))).toBe(
      'path_key_usage',
    );
    expect(
      await code(validatePath(base(leaves.kuNotCritical!, { requiredKeyUsage: ['nonRepudiation'] }))),
    ).toBe('ok');
    expect(await code(validatePath(base(leaves.kuNotCritical!, { requireKeyUsageCritical: true })))).toBe(
      'path_key_usage',
    );
    expect(await code(validatePath(base(leaves.three!, { requiredExtKeyUsage: [OID.kpOcspSigning] })))).toBe(
      'path_key_usage',
    );
  });

  it('fail-policy mismatch', async () => {
    expect(await code(validatePath(base(leaves.gen3!, { requiredPolicies: [OID.jpkiPolicyAuth] })))).toBe(
      'path_policy',
    );
    expect(await code(validatePath(base(leaves.three!, { requiredPolicies: [OID.jpkiPolicySign] })))).toBe(
      'path_policy',
    );
  });

  it('fail-unknown critical extension', async () => {
    expect(await code(validatePath(base(leaves.unknownCritical!)))).toBe('path_unknown_critical_extension');
  });

  it('fail-no anchors', async () => {
    expect(await code(validatePath(base(leaves.gen3!, { anchors: [] })))).toBe('path_no_trust_anchor');
    expect(await code(validatePath(base(leaves.three!, { anchors: [gen1, gen3] })))).toBe(
      'path_no_trust_anchor',
    );
  });

  it('fail-CA constraints: not a CA, pathLen exceeded, depth limit', async () => {
    // An end-entity key used as an issuer: no basicConstraints.
    const fakeCa = await make({
      serial: 20n,
      issuer: rootName,
      subject: interName,
      signer: rootKey,
      spki: interKey.spki,
      extensions: [ext.keyUsage(['keyCertSign'])],
    });
    expect(await code(validatePath(base(leaves.three!, { intermediates: [fakeCa] })))).toBe(
      'path_basic_constraints',
    );
    // basicConstraints cA=TRUE but not critical (RFC 5280 §4.2.1.9 MUST).
    const softCa = await make({
      serial: 21n,
      issuer: rootName,
      subject: interName,
      signer: rootKey,
      spki: interKey.spki,
      extensions: [ext.keyUsage(['keyCertSign']), ext.basicConstraints(true, undefined, false)],
    });
    expect(await code(validatePath(base(leaves.three!, { intermediates: [softCa] })))).toBe(
      'path_basic_constraints',
    );
    const noCertSign = await make({
      serial: 22n,
      issuer: rootName,
      subject: interName,
      signer: rootKey,
      spki: interKey.spki,
      extensions: [ext.keyUsage(['cRLSign']), ext.basicConstraints(true)],
    });
    expect(await code(validatePath(base(leaves.three!, { intermediates: [noCertSign] })))).toBe(
      'path_key_usage',
    );
    // inter has pathLen 0: a second intermediate below it violates it.
    const sub = await make({
      serial: 23n,
      issuer: interName,
      subject: encodeName(nameFrom([['CN', 'Sub CA']])),
      signer: interKey,
      spki: rogueKey.spki,
      extensions: await caExts(rogueKey.spki),
    });
    const subLeaf = await make({
      serial: 24n,
      issuer: sub.subject.der,
      subject: subjectName('under-sub'),
      signer: rogueKey,
      spki: leafKey.spki,
      extensions: [],
    });
    const e = await failure(validatePath(base(subLeaf, { intermediates: [sub, inter] })));
    expect(e.code).toBe('path_basic_constraints');
    expect(e.detail).toMatchObject({ pathLen: 0, intermediates: 1 });
    expect(await code(validatePath(base(leaves.three!, { maxDepth: 1 })))).toBe('path_too_long');
  });

  describe('revocation', () => {
    const revoked: RevocationChecker = (cert) =>
      Promise.resolve(
        cert === leaves.gen3
          ? { status: 'revoked', reason: 'affiliationChanged', revocationTime: D('2024-05-01T00:00:00Z') }
          : { status: 'good' },
      );
    const unknown: RevocationChecker = () => Promise.resolve({ status: 'unknown', detail: 'responder down' });

    it('ok-good status is reported per certificate', async () => {
      const seen: bigint[] = [];
      const r = await validatePath(
        base(leaves.three!, {
          revocation: (c, issuer) => {
            seen.push(c.serial);
            expect(issuer).toBe(c === inter ? root : inter);
            return Promise.resolve({ status: 'good' });
          },
        }),
      );
      expect(seen).toEqual([11n, 12n]); // top-down
      expect(r.revocation.map((x) => [x.certificate.serial, x.status?.status])).toEqual([
        [12n, 'good'],
        [11n, 'good'],
      ]);
    });

    it('fail-revoked under hard-fail carries reason and time', async () => {
      const e = await failure(validatePath(base(leaves.gen3!, { revocation: revoked })));
      expect(e.code).toBe('path_revoked');
      expect(e.detail).toMatchObject({
        reason: 'affiliationChanged',
        revocationTime: '2024-05-01T00:00:00.000Z',
      });
      // Revoked is final under soft-fail too.
      expect(
        await code(validatePath(base(leaves.gen3!, { revocation: revoked, revocationPolicy: 'soft-fail' }))),
      ).toBe('path_revoked');
    });

    it('fail-unknown under hard-fail; ok-reported under soft-fail', async () => {
      expect(await code(validatePath(base(leaves.gen3!, { revocation: unknown })))).toBe(
        'path_revocation_unknown',
      );
      const r = await validatePath(
        base(leaves.gen3!, { revocation: unknown, revocationPolicy: 'soft-fail' }),
      );
      expect(r.revocation[0]?.status).toEqual({ status: 'unknown', detail: 'responder down' });
    });

    it('fail-a throwing checker is unknown, never good', async () => {
      const boom: RevocationChecker = () => Promise.reject(new Error('ECONNREFUSED'));
      const e = await failure(validatePath(base(leaves.gen3!, { revocation: boom })));
      expect(e.code).toBe('path_revocation_unknown');
      expect((e.cause as Error).message).toBe('ECONNREFUSED');
      const either = firstDefiniteRevocation(boom, revoked);
      expect(await code(validatePath(base(leaves.gen3!, { revocation: either })))).toBe('path_revoked');
    });
  });

  it('ok-cache skips re-verifying CA signatures', async () => {
    const cache = createPathValidationCache();
    let calls = 0;
    const counting = {
      verify: (...a: Parameters<typeof verifier.verify>) => {
        calls++;
        return verifier.verify(...a);
      },
    };
    await validatePath(base(leaves.three!, { verifier: counting, cache }));
    expect(calls).toBe(2);
    calls = 0;
    await validatePath(base(leaves.three!, { verifier: counting, cache }));
    expect(calls).toBe(0);
    calls = 0;
    await validatePath(base(leaves.three!, { verifier: counting }));
    expect(calls).toBe(2);
  });

  it('ok-outcomes agree with openssl verify', () => {
    const verify = (leaf: string, at: Date): boolean =>
      ws.run([
        'verify',
        '-attime',
        String(Math.floor(at.getTime() / 1000)),
        '-CAfile',
        'roots.pem',
        '-untrusted',
        'inter.pem',
        `${leaf}.pem`,
      ]).code === 0;
    expect(verify('gen1', NOW)).toBe(true);
    expect(verify('gen3', NOW)).toBe(true);
    expect(verify('three', NOW)).toBe(true);
    expect(verify('rogue', NOW)).toBe(false);
    expect(verify('expired', NOW)).toBe(false);
    expect(verify('future', NOW)).toBe(false);
    expect(verify('unknownCritical', NOW)).toBe(false);
  });
});
