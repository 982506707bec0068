import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWatashiError } from '../errors.ts';
import { fromPem, toPem } from '../der/hex.ts';
import {
  bitString,
  concat,
  enumerated,
  explicit,
  generalizedTime,
  int,
  octets,
  oid,
  seq,
  utcTime,
  bool,
} from '../der/writer.ts';
import { OID } from '../der/oid.ts';
import { signatureAlgorithmIdentifier } from '../crypto/algorithms.ts';
import { webCryptoVerifier, type Signer } from '../crypto/provider.ts';
import { keyIdentifier } from '../crypto/key-id.ts';
import { parseCertificate, type Certificate } from '../cert/parse.ts';
import { nodeDigest, nodeGenerateKey, nodeSigner, nodeVerifier } from '../node/crypto.ts';
import { nodeCrlVerifier, readCrlFile } from '../node/crl-file.ts';
import { buildCrl, type CrlEntry } from './build.ts';
import { readCrl } from './read.ts';
import { isStale, verifyCrl } from './verify.ts';
import type { CrlReason } from './reason.ts';

let dir: string;
let ca: Certificate;
let signer: Signer;
let otherSigner: Signer;
let goodLeaf: Certificate;
let revokedLeaf: Certificate;
const THIS = new Date('2026-11-20T00:00:00Z');
const NEXT = new Date('2026-11-21T00:00:00Z');

const ssl = (...args: string[]): string =>
  execFileSync('openssl', args, {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
const sslAll = (...args: string[]): { status: number | null; out: string } => {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
};
const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (isWatashiError(e)) return e.code;
    throw e;
  }
  return undefined;
};
const codeAsync = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
  } catch (e) {
    if (isWatashiError(e)) return e.code;
    throw e;
  }
  return undefined;
};

const baseOpts = () => ({
  issuer: ca.subject.der,
  issuerSpki: ca.spki,
  thisUpdate: THIS,
  nextUpdate: NEXT,
  crlNumber: 7n,
  signer,
  digest: nodeDigest,
});

/** Serials of 1..20 octets (top bit clear so each INTEGER is exactly that long). */
const serialOfLength = (n: number, seed: number): bigint => {
  let v = 0n;
  for (let i = 0; i < n; i++)
    v = (v << 8n) | BigInt(i === 0 ? 0x40 | (seed & 0x3f) : (seed * 31 + i * 7) & 0xff);
  return v;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'watashi-crl-'));
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-subj',
    '/C=JP/O=JPKI-SIM/OU=CRL Test CA',
    '-days',
    '3650',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=leaf');
  ssl(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-set_serial',
    '0x1001',
    '-days',
    '3650',
    '-out',
    'good.pem',
  );
  ssl(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-set_serial',
    '0x1002',
    '-days',
    '3650',
    '-out',
    'revoked.pem',
  );
  const load = (f: string): Certificate =>
    parseCertificate(fromPem(readFileSync(join(dir, f), 'utf8'), 'CERTIFICATE'));
  ca = load('ca.pem');
  goodLeaf = load('good.pem');
  revokedLeaf = load('revoked.pem');
  signer = nodeSigner(createPrivateKey(readFileSync(join(dir, 'ca.key'), 'utf8')), 'RSA-SHA256');
  otherSigner = nodeSigner(nodeGenerateKey('RSA-SHA256'), 'RSA-SHA256');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const REASONS: CrlReason[] = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'privilegeWithdrawn',
  'aACompromise',
];

function sampleEntries(): CrlEntry[] {
  const out: CrlEntry[] = [];
  for (let n = 1; n <= 20; n++) {
    out.push({
      serial: serialOfLength(n, n),
      revocationDate: new Date(Date.UTC(2024, 0, n, 3, 4, 5)),
      reason: REASONS[n % REASONS.length]!,
    });
  }
  out.push({
    serial: 0x1002n,
    revocationDate: new Date('2026-11-19T09:30:00Z'),
    reason: 'affiliationChanged',
  });
  out.push({
    serial: 0xffn, // needs a leading 00 octet
    revocationDate: new Date('2051-02-03T04:05:06Z'), // GeneralizedTime from 2050
    reason: 'keyCompromise',
    invalidityDate: new Date('2026-10-01T00:00:00Z'),
  });
  return out;
}

describe('buildCrl → readCrl', () => {
  it('ok-round-trip: header fields, every entry, lookups for present and absent serials', async () => {
    const entries = sampleEntries();
    const der = await buildCrl({ ...baseOpts(), entries });
    const idx = readCrl(der);
    expect(idx.version).toBe(2);
    expect(idx.signatureAlgorithm).toBe('RSA-SHA256');
    expect(idx.issuer).toEqual(ca.subject.der);
    expect(idx.thisUpdate).toEqual(THIS);
    expect(idx.nextUpdate).toEqual(NEXT);
    expect(idx.crlNumber).toBe(7n);
    expect(idx.authorityKeyId).toEqual(ca.subjectKeyId); // openssl's SKI is method (1) too
    expect(idx.size).toBe(entries.length);
    for (const e of entries) {
      const r = idx.lookup(e.serial);
      expect(r?.reason).toBe(e.reason ?? 'unspecified');
      expect(r?.revocationDate).toEqual(e.revocationDate);
      expect(r?.invalidityDate).toEqual(e.invalidityDate);
      expect(idx.has(e.serial)).toBe(true);
    }
    expect([...idx.entries()].map((e) => e.serial)).toEqual(entries.map((e) => e.serial));
    // absent serials of every length, including values one off present ones
    for (let n = 1; n <= 20; n++) {
      expect(idx.has(serialOfLength(n, n) + 1n)).toBe(false);
      expect(idx.lookup(serialOfLength(n, n + 1))).toBeUndefined();
    }
    expect(idx.has(0n)).toBe(false);
    expect(idx.has(-1n)).toBe(false);
    expect(idx.has(1n << 200n)).toBe(false);
    // lookups by the certificate's INTEGER content octets
    expect(idx.lookup(revokedLeaf.serialBytes)?.reason).toBe('affiliationChanged');
    expect(idx.has(goodLeaf.serialBytes)).toBe(false);
    expect(idx.has(Uint8Array.of(0x00, 0xff))).toBe(true);
    expect(idx.has(Uint8Array.of(0x00, 0x00, 0x00, 0xff))).toBe(true); // over-long encodings still match
    expect(idx.has(Uint8Array.of(0xff))).toBe(false); // -1, not 255
    await verifyCrl(idx, ca.spki, webCryptoVerifier(), { issuerName: ca.subject.der, now: THIS });
    await verifyCrl(idx, ca.spki, nodeVerifier(), {
      now: 'not-checked',
      issuerName: ca.subject.der,
      digest: nodeDigest,
    });
    // `now` is not optional: leaving it out is a caller bug (TypeError), never a skipped time check.
    const withoutNow = { issuerName: ca.subject.der } as unknown as Parameters<typeof verifyCrl>[3];
    await expect(verifyCrl(idx, ca.spki, nodeVerifier(), withoutNow)).rejects.toThrow(TypeError);
  });

  it('ok-openssl-verify-and-text: openssl checks the signature and shows the number, reasons and dates', async () => {
    const der = await buildCrl({ ...baseOpts(), entries: sampleEntries() });
    writeFileSync(join(dir, 'crl.der'), der);
    const v = sslAll('crl', '-inform', 'DER', '-in', 'crl.der', '-CAfile', 'ca.pem', '-noout');
    expect(v.status).toBe(0);
    expect(v.out).toContain('verify OK');
    const text = ssl('crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-text');
    expect(text).toMatch(/X509v3 CRL Number:\s*\n\s*7/);
    expect(text).toContain('X509v3 Authority Key Identifier');
    for (const r of [
      'Key Compromise',
      'CA Compromise',
      'Affiliation Changed',
      'Superseded',
      'Cessation Of Operation',
      'Certificate Hold',
      'Privilege Withdrawn',
      'AA Compromise',
    ])
      expect(text).toContain(r);
    expect(text).toContain('Invalidity Date');
    expect(text).toContain('Feb  3 04:05:06 2051 GMT');
    expect(text.match(/Serial Number:/g)?.length).toBe(22);
  });

  it('ok-openssl-verify-crl-check: a revoked leaf is rejected (error 23), a good one accepted', async () => {
    const der = await buildCrl({
      ...baseOpts(),
      thisUpdate: new Date(Date.now() - 3600_000),
      nextUpdate: new Date(Date.now() + 86400_000),
      entries: [
        { serial: revokedLeaf.serial, revocationDate: new Date(Date.now() - 7200_000), reason: 'superseded' },
      ],
    });
    writeFileSync(join(dir, 'crl.pem'), toPem(der, 'X509 CRL'));
    const bad = sslAll('verify', '-crl_check', '-CAfile', 'ca.pem', '-CRLfile', 'crl.pem', 'revoked.pem');
    expect(bad.status).not.toBe(0);
    expect(bad.out).toMatch(/error 23 .*certificate revoked/);
    const good = sslAll('verify', '-crl_check', '-CAfile', 'ca.pem', '-CRLfile', 'crl.pem', 'good.pem');
    expect(good.status).toBe(0);
    expect(good.out).toContain('good.pem: OK');
  });

  it('ok-empty: a CRL with no entries omits revokedCertificates', async () => {
    const der = await buildCrl({ ...baseOpts(), entries: [] });
    const idx = readCrl(der);
    expect(idx.size).toBe(0);
    expect(idx.has(1n)).toBe(false);
    expect([...idx.entries()]).toEqual([]);
    writeFileSync(join(dir, 'empty.der'), der);
    expect(ssl('crl', '-inform', 'DER', '-in', 'empty.der', '-noout', '-text')).toContain(
      'No Revoked Certificates',
    );
    await verifyCrl(idx, ca.spki, nodeVerifier(), {
      now: 'not-checked',
      issuerName: ca.subject.der,
      digest: nodeDigest,
    });
  });

  it('ok-100k: openssl and we agree on the count; the chunked file reader agrees with the in-memory one', async () => {
    const N = 100_000;
    const entries = function* (): Generator<CrlEntry> {
      for (let i = 0; i < N; i++)
        yield {
          serial: (BigInt(i) * 0x9e3779b97f4a7c15n + 0x1234n) & ((1n << 127n) - 1n) || 1n,
          revocationDate: new Date(Date.UTC(2025, 0, 1) + i * 1000),
          reason: i % 3 === 0 ? 'affiliationChanged' : 'superseded',
        };
    };
    const der = await buildCrl({ ...baseOpts(), entries: entries() });
    writeFileSync(join(dir, 'big.der'), der);
    const text = ssl('crl', '-inform', 'DER', '-in', 'big.der', '-noout', '-text');
    expect(text.match(/Serial Number:/g)?.length).toBe(N);
    const mem = readCrl(der);
    expect(mem.size).toBe(N);
    const file = await readCrlFile(join(dir, 'big.der'), { chunkSize: 64 * 1024 });
    expect(file.size).toBe(N);
    // other chunk boundaries (entries and the tail split at different places) give the same digest
    for (const chunkSize of [65_537, 100_003, 1 << 20, 8 << 20]) {
      const f = await readCrlFile(join(dir, 'big.der'), { chunkSize });
      expect(f.size).toBe(N);
      expect(f.tbsDigest).toEqual(file.tbsDigest);
    }
    expect(file.tbs).toBeUndefined();
    let i = 0;
    for (const e of entries()) {
      if (i++ % 997 !== 0) continue;
      expect(file.lookup(e.serial)).toEqual(mem.lookup(e.serial));
      expect(file.lookup(e.serial)?.reason).toBe(e.reason);
    }
    await verifyCrl(file, ca.spki, nodeCrlVerifier(), {
      now: 'not-checked',
      issuerName: ca.subject.der,
      digest: nodeDigest,
    });
    await verifyCrl(mem, ca.spki, nodeCrlVerifier(), {
      now: 'not-checked',
      issuerName: ca.subject.der,
      digest: nodeDigest,
    });
    // One changed revocationDate in the middle (entry 50,000: 2025-01-01T13:53:20Z → …21Z) is
    // still well-formed but breaks the streamed digest's signature check.
    const bad = der.slice();
    const at = Buffer.from(der).indexOf('250101135320Z', 0, 'latin1');
    expect(at).toBeGreaterThan(0);
    bad[at + 11] = 0x31;
    writeFileSync(join(dir, 'bad.der'), bad);
    const fbad = await readCrlFile(join(dir, 'bad.der'));
    expect(
      await codeAsync(
        verifyCrl(fbad, ca.spki, nodeCrlVerifier(), {
          now: 'not-checked',
          issuerName: ca.subject.der,
          digest: nodeDigest,
        }),
      ),
    ).toBe('crl_signature_invalid');
  });
});

/** Assembles and signs a CRL from raw TBS pieces, for malformed cases. */
async function craft(o: {
  version?: boolean;
  entries?: Uint8Array[];
  exts?: Uint8Array[];
  by?: Signer;
}): Promise<Uint8Array> {
  const s = o.by ?? signer;
  const alg = signatureAlgorithmIdentifier('RSA-SHA256');
  const tbs = seq(
    o.version === false ? new Uint8Array(0) : int(1),
    alg,
    ca.subject.der,
    utcTime(THIS),
    utcTime(NEXT),
    o.entries && o.entries.length ? seq(...o.entries) : new Uint8Array(0),
    o.exts ? explicit(0, seq(...o.exts)) : new Uint8Array(0),
  );
  return seq(tbs, alg, bitString(await s.sign(tbs)));
}
const entry = (serial: bigint, ...exts: Uint8Array[]): Uint8Array =>
  seq(int(serial), utcTime(THIS), exts.length ? seq(...exts) : new Uint8Array(0));
const ext = (id: string, value: Uint8Array, critical = false): Uint8Array =>
  seq(oid(id), critical ? bool(true) : new Uint8Array(0), octets(value));

describe('readCrl rejects bad input', () => {
  it('fail-truncated-and-trailing: der_malformed', async () => {
    const der = await buildCrl({ ...baseOpts(), entries: sampleEntries() });
    for (const cut of [1, 10, 100, der.length - 300, der.length - 1])
      expect(code(() => readCrl(der.subarray(0, cut)))).toBe('der_malformed');
    expect(code(() => readCrl(concat(der, Uint8Array.of(0))))).toBe('der_malformed');
    expect(code(() => readCrl(new Uint8Array(0)))).toBe('der_malformed');
  });

  it('fail-garbage-entry: a corrupted entry tag or time is rejected, never crashes', async () => {
    const der = await buildCrl({ ...baseOpts(), entries: [{ serial: 5n, revocationDate: THIS }] });
    const i = der.findIndex((b, j) => b === 0x17 && der[j + 1] === 13 && j > 80 && der[j - 1] === 5);
    const bad = der.slice();
    bad[i + 4] = 0x41; // a letter inside the revocationDate
    expect(code(() => readCrl(bad))).toBe('time_malformed');
    // random corruption: every single-byte flip either reads or fails with a WatashiError
    for (let j = 0; j < der.length; j += 3) {
      const c = der.slice();
      c[j] = c[j]! ^ 0x5a;
      try {
        readCrl(c);
      } catch (e) {
        expect(isWatashiError(e)).toBe(true);
      }
    }
  });

  it('fail-v1-with-extensions: crl_malformed', async () => {
    expect(() => readCrl(undefined as never)).toThrow(TypeError);
    const v1ext = await craft({ version: false, exts: [ext(OID.cRLNumber, int(1))] });
    expect(code(() => readCrl(v1ext))).toBe('crl_malformed');
    const v1entryExt = await craft({
      version: false,
      entries: [entry(3n, ext(OID.cRLReason, enumerated(1)))],
    });
    expect(code(() => readCrl(v1entryExt))).toBe('crl_malformed');
    const v1 = readCrl(await craft({ version: false, entries: [entry(3n)] }));
    expect(v1.version).toBe(1);
    expect(v1.lookup(3n)?.reason).toBe('unspecified');
  });

  it('fail-unknown-critical: CRL-level and entry-level critical extensions we do not know reject the CRL', () => {
    // deltaCRLIndicator (RFC 5280 §5.2.4) is critical: a delta CRL must not be read as complete
    expect(code(() => readCrl(awaited['delta']!))).toBe('crl_unknown_critical_extension');
    // certificateIssuer (RFC 5280 §5.3.3): indirect CRLs are unsupported
    expect(code(() => readCrl(awaited['certIssuer']!))).toBe('crl_unknown_critical_extension');
    // the same extensions non-critical are ignored
    expect(readCrl(awaited['nonCritical']!).lookup(4n)?.reason).toBe('superseded');
  });

  it('fail-duplicate-serial: rejected by default, first kept on request', async () => {
    const der = await craft({
      entries: [
        entry(9n, ext(OID.cRLReason, enumerated(4))),
        entry(10n),
        entry(9n, ext(OID.cRLReason, enumerated(1))),
      ],
    });
    expect(code(() => readCrl(der))).toBe('crl_duplicate_serial');
    const idx = readCrl(der, { duplicates: 'keep-first' });
    expect(idx.size).toBe(2);
    expect(idx.lookup(9n)?.reason).toBe('superseded');
    expect([...idx.entries()].map((e) => e.serial)).toEqual([9n, 10n]);
  });

  it('fail-bad-reason-and-serials: unknown reasonCode 7 and over-long serials; negative and zero serials kept', () => {
    expect(code(() => readCrl(awaited['reason7']!))).toBe('crl_malformed');
    expect(code(() => readCrl(awaited['longSerial']!))).toBe('crl_malformed');
    const neg = readCrl(awaited['negative']!);
    expect(neg.has(-5n)).toBe(true);
    expect(neg.has(5n)).toBe(false);
    expect(neg.has(0n)).toBe(true);
  });

  it('fail-size-guards: der_too_large and maxEntries', async () => {
    const der = await buildCrl({ ...baseOpts(), entries: sampleEntries() });
    expect(code(() => readCrl(der, { maxBytes: 100 }))).toBe('der_too_large');
    expect(code(() => readCrl(der, { maxEntries: 5 }))).toBe('crl_malformed');
    writeFileSync(join(dir, 'g.der'), der);
    expect(await codeAsync(readCrlFile(join(dir, 'g.der'), { maxBytes: 100 }))).toBe('der_too_large');
  });
});

const awaited: Record<string, Uint8Array> = {};
beforeAll(async () => {
  awaited['delta'] = await craft({ exts: [ext('2.5.29.27', int(6), true)] });
  awaited['certIssuer'] = await craft({ entries: [entry(4n, ext('2.5.29.29', seq(), true))] });
  awaited['nonCritical'] = await craft({
    entries: [entry(4n, ext('2.5.29.29', seq()), ext(OID.cRLReason, enumerated(4)))],
    exts: [ext('2.5.29.27', int(6))],
  });
  awaited['reason7'] = await craft({ entries: [entry(4n, ext(OID.cRLReason, enumerated(7)))] });
  awaited['longSerial'] = await craft({ entries: [entry((1n << 300n) + 1n)] });
  awaited['negative'] = await craft({ entries: [entry(-5n), entry(0n)] });
});

describe('verifyCrl', () => {
  it('fail-signature: a flipped TBS or signature byte is crl_signature_invalid', async () => {
    const der = await buildCrl({ ...baseOpts(), entries: sampleEntries() });
    // cRLNumber 7 → 6: still well-formed, no longer what was signed
    const i = Buffer.from(der).indexOf(Buffer.from('0603551d14040302010' + '7', 'hex'));
    expect(i).toBeGreaterThan(0);
    const a = der.slice();
    a[i + 9] = 6;
    const b = der.slice();
    b[der.length - 1] = b[der.length - 1]! ^ 0x01;
    for (const bad of [a, b]) {
      const idx = readCrl(bad, { duplicates: 'keep-first' });
      expect(
        await codeAsync(
          verifyCrl(idx, ca.spki, webCryptoVerifier(), { now: 'not-checked', issuerName: ca.subject.der }),
        ),
      ).toBe('crl_signature_invalid');
    }
  });

  it('fail-issuer: wrong issuer name or a CRL signed by another key', async () => {
    const der = await buildCrl({ ...baseOpts(), entries: [] });
    const idx = readCrl(der);
    expect(
      await codeAsync(
        verifyCrl(idx, ca.spki, nodeVerifier(), { now: 'not-checked', issuerName: goodLeaf.subject.der }),
      ),
    ).toBe('crl_issuer_mismatch');
    // AKI names the CA key, but we are told the issuer is another key
    expect(
      await codeAsync(
        verifyCrl(idx, otherSigner.spki, nodeVerifier(), { now: 'not-checked', issuerName: ca.subject.der }),
      ),
    ).toBe('crl_issuer_mismatch');
    // signed by another key with the CA's AKI: the signature check catches it
    const forged = readCrl(
      await buildCrl({
        ...baseOpts(),
        signer: otherSigner,
        authorityKeyId: await keyIdentifier(ca.spki),
        issuerSpki: undefined,
        entries: [],
      }),
    );
    expect(
      await codeAsync(
        verifyCrl(forged, ca.spki, nodeVerifier(), { now: 'not-checked', issuerName: ca.subject.der }),
      ),
    ).toBe('crl_signature_invalid');
  });

  it('fail-stale: past nextUpdate or before thisUpdate is crl_stale; isStale', async () => {
    const idx = readCrl(await buildCrl({ ...baseOpts(), entries: [] }));
    const v = nodeVerifier();
    const late = new Date(NEXT.getTime() + 1000);
    expect(isStale(idx, late)).toBe(true);
    expect(isStale(idx, NEXT)).toBe(false);
    expect(isStale(idx, late, 60)).toBe(false);
    expect(await codeAsync(verifyCrl(idx, ca.spki, v, { issuerName: ca.subject.der, now: late }))).toBe(
      'crl_stale',
    );
    expect(
      await codeAsync(
        verifyCrl(idx, ca.spki, v, { issuerName: ca.subject.der, now: new Date(THIS.getTime() - 1000) }),
      ),
    ).toBe('crl_stale');
    expect(isStale({ nextUpdate: undefined }, THIS)).toBe(true);
  });
});

describe('ECDSA', () => {
  it('ok-ecdsa-in-memory / fail-ecdsa-from-digest: ECDSA CRLs verify from bytes, not from a streamed digest', async () => {
    const ec = nodeSigner(nodeGenerateKey('ECDSA-SHA256'), 'ECDSA-SHA256');
    const der = await buildCrl({
      ...baseOpts(),
      issuerSpki: ec.spki,
      signer: ec,
      entries: [{ serial: 77n, revocationDate: THIS }],
    });
    const idx = readCrl(der);
    expect(idx.signatureAlgorithm).toBe('ECDSA-SHA256');
    await verifyCrl(idx, ec.spki, webCryptoVerifier(), { now: 'not-checked', issuerName: ca.subject.der });
    writeFileSync(join(dir, 'ec.der'), der);
    const f = await readCrlFile(join(dir, 'ec.der'));
    expect(
      await codeAsync(
        verifyCrl(f, ec.spki, nodeCrlVerifier(), { now: 'not-checked', issuerName: ca.subject.der }),
      ),
    ).toBe('unsupported_algorithm');
  });
});

describe('buildCrl input checks', () => {
  it('fail-caller-bugs: bad serials, removeFromCRL and reversed dates are RangeErrors', async () => {
    const one = (e: CrlEntry) => buildCrl({ ...baseOpts(), entries: [e] });
    await expect(one({ serial: 0n, revocationDate: THIS })).rejects.toThrow(RangeError);
    await expect(one({ serial: 1n << 160n, revocationDate: THIS })).rejects.toThrow(RangeError);
    await expect(one({ serial: 1n, revocationDate: THIS, reason: 'removeFromCRL' })).rejects.toThrow(
      RangeError,
    );
    await expect(
      buildCrl({ ...baseOpts(), nextUpdate: new Date(THIS.getTime() - 1), entries: [] }),
    ).rejects.toThrow(RangeError);
    // the largest 20-octet serial is fine and round-trips
    const max = (1n << 160n) - 1n;
    expect(readCrl(await one({ serial: max, revocationDate: THIS })).has(max)).toBe(true);
  });

  it('ok-generalized-time-invalidity: invalidityDate is a GeneralizedTime (RFC 5280 §5.3.2)', async () => {
    const der = await buildCrl({
      ...baseOpts(),
      entries: [{ serial: 2n, revocationDate: THIS, invalidityDate: new Date('2026-01-02T03:04:05Z') }],
    });
    const g = generalizedTime(new Date('2026-01-02T03:04:05Z'));
    const hex = Buffer.from(der).toString('hex');
    expect(hex).toContain(Buffer.from(concat(oid(OID.invalidityDate), octets(g))).toString('hex'));
    expect(hex).not.toContain(Buffer.from(oid(OID.cRLReason)).toString('hex')); // no reasonCode for unspecified
  });
});
