// CAdES detached signatures from a software key: every artefact checked by openssl (cms -verify,
// ts -verify), and the validation report's indication and code for each failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OID, type RevocationChecker } from '@watashi/pki';
import { addSignatureTimeStamp, localTimeStamper, signCades, validateCades } from '../src/index.ts';
import { splitSignedData } from '../src/cms-structure.ts';
import { openssl, softwarePki, testTsa, type SoftwarePki } from './fixtures.ts';

const sha256hex = async (b: Uint8Array) =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new Uint8Array(b))).toString('hex');
const good: RevocationChecker = () => Promise.resolve({ status: 'good' });

describe('CAdES detached (.p7s) with a software key', () => {
  const ws = openssl();
  let pki: SoftwarePki;
  let tsa: Awaited<ReturnType<typeof testTsa>>;
  let other: Awaited<ReturnType<typeof testTsa>>;
  const now = new Date('2026-12-01T00:00:00Z');
  const content = new TextEncoder().encode('契約書 — the whole file, any bytes\n');

  beforeAll(async () => {
    pki = await softwarePki();
    tsa = await testTsa('Watashi', () => now);
    other = await testTsa('Elsewhere', () => now);
    ws.write('doc.bin', content);
    ws.pem('root.pem', pki.root);
    ws.pem('tsa-root.pem', tsa.root.der);
  });
  afterAll(() => ws.cleanup());

  it('B-B verifies with openssl cms -verify -binary -content, and passes with an online check', async () => {
    const p7s = await signCades({ content, signer: pki.signer, signingTime: now });
    ws.write('doc.p7s', p7s);
    const v = ws.run([
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      'doc.p7s',
      '-content',
      'doc.bin',
      '-CAfile',
      'root.pem',
      '-purpose',
      'any',
      '-out',
      '/dev/null',
    ]);
    expect(v.out).toMatch(/Verification successful/);
    // The ESS signing-certificate-v2 attribute is there (EN 319 122-1 §5.2.2).
    const attrs = ws.run(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'doc.p7s']).out;
    expect(attrs).toMatch(/id-smime-aa-signingCertificateV2/);
    const offline = await validateCades({ cms: p7s, content, anchors: [pki.rootCert], tsaAnchors: [], now });
    expect(offline).toMatchObject({
      indication: 'INDETERMINATE',
      subIndication: 'TRY_LATER',
      code: 'signature_revocation_unknown',
      level: 'B-B',
    });
    const online = await validateCades({
      cms: p7s,
      content,
      anchors: [pki.rootCert],
      tsaAnchors: [],
      now,
      online: good,
    });
    expect(online).toMatchObject({
      indication: 'TOTAL-PASSED',
      networkUsed: true,
      signer: { commonName: 'Taro Test' },
    });
    expect(online.claimedSigningTime).toBe(now.toISOString());
  });

  it('a document altered after signing fails with HASH_FAILURE (and openssl refuses it too)', async () => {
    const p7s = await signCades({ content, signer: pki.signer, signingTime: now });
    const altered = content.slice();
    altered[0]! ^= 1;
    ws.write('doc.p7s', p7s);
    ws.write('altered.bin', altered);
    const v = ws.run([
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      'doc.p7s',
      '-content',
      'altered.bin',
      '-CAfile',
      'root.pem',
      '-purpose',
      'any',
      '-out',
      '/dev/null',
    ]);
    expect(v.code).not.toBe(0);
    const r = await validateCades({
      cms: p7s,
      content: altered,
      anchors: [pki.rootCert],
      tsaAnchors: [],
      now,
      online: good,
    });
    expect(r).toMatchObject({
      indication: 'TOTAL-FAILED',
      subIndication: 'HASH_FAILURE',
      code: 'signature_document_altered',
    });
  });

  it('the content digest stands in for the content: the same signature, validated the same', async () => {
    // The platform finishes a prepared signature and validates it without holding the file again.
    const md = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(content)));
    const p7s = await signCades({ contentDigest: md, signer: pki.signer, signingTime: now });
    expect(Buffer.from(p7s).equals(await signCades({ content, signer: pki.signer, signingTime: now }))).toBe(
      true,
    );
    const base = { cms: p7s, anchors: [pki.rootCert], tsaAnchors: [], now, online: good };
    expect(await validateCades({ ...base, contentDigest: md })).toMatchObject({ indication: 'TOTAL-PASSED' });
    expect(await validateCades({ ...base, contentDigest: md.map((b, i) => (i ? b : b ^ 1)) })).toMatchObject({
      indication: 'TOTAL-FAILED',
      subIndication: 'HASH_FAILURE',
      code: 'signature_document_altered',
    });
    // B-LTA's archive time-stamp covers the content itself.
    await expect(
      signCades({
        contentDigest: md,
        signer: pki.signer,
        level: 'B-LTA',
        timeStamper: localTimeStamper(tsa.authority),
      }),
    ).rejects.toThrow(/give the content/);
  });

  it('B-T: the signature time-stamp verifies with openssl ts -verify over the signature value', async () => {
    const p7s = await signCades({
      content,
      signer: pki.signer,
      signingTime: now,
      level: 'B-T',
      timeStamper: localTimeStamper(tsa.authority),
    });
    const parts = splitSignedData(p7s);
    const token = parts.unsigned.find((a) => a.type === OID.aaSignatureTimeStampToken)!.values[0]!;
    ws.write('sig.tst', token);
    const digest = await sha256hex(parts.signatureValue);
    const v = ws.run([
      'ts',
      '-verify',
      '-token_in',
      '-in',
      'sig.tst',
      '-digest',
      digest,
      '-CAfile',
      'tsa-root.pem',
    ]);
    expect(v.out).toMatch(/Verification: OK/);
    // The unsigned attribute leaves the signature intact for openssl cms.
    ws.write('doc.p7s', p7s);
    expect(
      ws.run([
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        'doc.p7s',
        '-content',
        'doc.bin',
        '-CAfile',
        'root.pem',
        '-purpose',
        'any',
        '-out',
        '/dev/null',
      ]).out,
    ).toMatch(/Verification successful/);
    const r = await validateCades({
      cms: p7s,
      content,
      anchors: [pki.rootCert],
      tsaAnchors: [tsa.root],
      now,
      online: good,
    });
    expect(r).toMatchObject({ indication: 'TOTAL-PASSED', level: 'B-T', provenAt: now.toISOString() });
    expect(r.timeStamps).toEqual([expect.objectContaining({ kind: 'signature', status: 'valid' })]);
  });

  it('a time-stamp from an untrusted TSA is INDETERMINATE/NO_POE, signature_timestamp_untrusted', async () => {
    const bb = await signCades({ content, signer: pki.signer, signingTime: now });
    const p7s = await addSignatureTimeStamp(bb, localTimeStamper(other.authority));
    const r = await validateCades({
      cms: p7s,
      content,
      anchors: [pki.rootCert],
      tsaAnchors: [tsa.root],
      now,
      online: good,
    });
    expect(r).toMatchObject({
      indication: 'INDETERMINATE',
      subIndication: 'NO_POE',
      code: 'signature_timestamp_untrusted',
    });
    expect(r.provenAt).toBeUndefined();
  });

  it('a time-stamp moved from another signature is TOTAL-FAILED, signature_timestamp_invalid', async () => {
    const a = await signCades({
      content,
      signer: pki.signer,
      signingTime: now,
      level: 'B-T',
      timeStamper: localTimeStamper(tsa.authority),
    });
    const b = await signCades({ content, signer: pki.signer, signingTime: new Date(now.getTime() + 1000) });
    const pa = splitSignedData(a);
    const pb = splitSignedData(b);
    const { joinSignedData } = await import('../src/cms-structure.ts');
    const forged = joinSignedData(pb, pa.unsigned);
    const r = await validateCades({
      cms: forged,
      content,
      anchors: [pki.rootCert],
      tsaAnchors: [tsa.root],
      now,
      online: good,
    });
    expect(r).toMatchObject({ indication: 'TOTAL-FAILED', code: 'signature_timestamp_invalid' });
  });

  it('malformed input and a signer from an unknown root have stable codes', async () => {
    for (const bad of [
      new Uint8Array(0),
      Uint8Array.of(0x30, 0x03, 1, 2, 3),
      new TextEncoder().encode('%PDF-1.7'),
    ]) {
      const r = await validateCades({ cms: bad, content, anchors: [pki.rootCert], tsaAnchors: [], now });
      expect(r).toMatchObject({
        indication: 'TOTAL-FAILED',
        subIndication: 'FORMAT_FAILURE',
        code: 'signature_malformed',
      });
    }
    const p7s = await signCades({ content, signer: pki.signer, signingTime: now });
    const stranger = await softwarePki('Someone Else');
    const r = await validateCades({
      cms: p7s,
      content,
      anchors: [stranger.rootCert],
      tsaAnchors: [],
      now,
      online: good,
    });
    expect(r).toMatchObject({
      indication: 'INDETERMINATE',
      subIndication: 'NO_CERTIFICATE_CHAIN_FOUND',
      code: 'signature_untrusted_signer',
    });
  });
});
