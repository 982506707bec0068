import { constants, privateEncrypt, sign as nodeSign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCertificate } from '../cert/build.ts';
import { parseCertificate } from '../cert/parse.ts';
import { ext } from '../cert/extensions.ts';
import { encodeName, nameFrom } from '../cert/name.ts';
import { keyIdentifierOf } from '../cert/spki.ts';
import { toHex, toPem, bytesEqual } from '../der/hex.ts';
import { DerReader, readTlv, Tag } from '../der/reader.ts';
import { nodeDigest, nodeGenerateKey, nodeSigner, nodeVerifier } from '../node/crypto.ts';
import type { Signer } from '../crypto/provider.ts';
import { isWatashiError } from '../errors.ts';
import { opensslWorkspace } from '../../test/openssl.ts';
import { prepareCmsSignature, signCms } from './sign.ts';
import { verifyCms, type VerifyCmsOptions } from './verify.ts';

// openssl checks certificate validity too; freeze it at a time inside every validity period.
const AT = new Date('2025-03-01T00:00:00Z');
const ATTIME = String(AT.getTime() / 1000);
const SIGNING_TIME = new Date('2025-02-28T12:34:56Z');

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (isWatashiError(e)) return e.code;
    throw e;
  }
}

describe('CMS SignedData', () => {
  const ws = opensslWorkspace();
  const verifier = nodeVerifier();
  const content = new TextEncoder().encode('Watashi enrolment document v1\nnonce=3f2a\n');
  let caSigner: Signer;
  let rsaKey: KeyObject, ecKey: KeyObject, otherKey: KeyObject;
  let rsa: Signer, ec: Signer;
  let caDer: Uint8Array, rsaCert: Uint8Array, ecCert: Uint8Array;

  const opensslVerify = (name: string, detached: boolean): { code: number; out: string } =>
    ws.run([
      'cms',
      '-verify',
      '-inform',
      'DER',
      '-in',
      name,
      ...(detached ? ['-content', 'data.bin'] : []),
      '-CAfile',
      'ca.pem',
      '-binary',
      '-purpose',
      'any',
      '-attime',
      ATTIME,
      '-out',
      `${name}.out`,
    ]);
  const opensslSign = (name: string, args: string[]): Uint8Array => {
    ws.ok([
      'cms',
      '-sign',
      '-binary',
      '-md',
      'sha256',
      '-in',
      'data.bin',
      '-outform',
      'DER',
      '-out',
      name,
      ...args,
    ]);
    return new Uint8Array(readFileSync(join(ws.dir, name)));
  };
  const opts = (der: Uint8Array, extra: Partial<VerifyCmsOptions> = {}): VerifyCmsOptions => ({
    der,
    verifier,
    digest: nodeDigest,
    ...extra,
  });

  beforeAll(async () => {
    caSigner = nodeSigner(nodeGenerateKey('RSA-SHA256'), 'RSA-SHA256');
    rsaKey = nodeGenerateKey('RSA-SHA256');
    ecKey = nodeGenerateKey('ECDSA-SHA256');
    otherKey = nodeGenerateKey('RSA-SHA256');
    rsa = nodeSigner(rsaKey, 'RSA-SHA256');
    ec = nodeSigner(ecKey, 'ECDSA-SHA256');
    const caName = encodeName(
      nameFrom([
        ['C', 'JP'],
        ['O', 'JPKI-SIM'],
        ['OU', 'JPKI for digital signature'],
      ]),
    );
    const caId = await keyIdentifierOf(caSigner.spki);
    caDer = await buildCertificate(
      {
        serial: 1n,
        issuer: caName,
        subject: caName,
        notBefore: new Date('2023-07-16T00:50:27Z'),
        notAfter: new Date('2033-07-15T14:59:59Z'),
        spki: caSigner.spki,
        extensions: [
          ext.keyUsage(['keyCertSign', 'cRLSign']),
          ext.basicConstraints(true),
          ext.subjectKeyIdentifier(caId),
        ],
      },
      caSigner,
    );
    const leaf = async (serial: bigint, s: Signer): Promise<Uint8Array> =>
      buildCertificate(
        {
          serial,
          issuer: caName,
          subject: encodeName(
            nameFrom([
              ['C', 'JP'],
              ['CN', `signer ${serial}`],
            ]),
          ),
          notBefore: new Date('2024-01-01T00:00:00Z'),
          notAfter: new Date('2029-01-01T14:59:59Z'),
          spki: s.spki,
          extensions: [
            ext.keyUsage(['digitalSignature', 'nonRepudiation']),
            ext.authorityKeyIdentifier(caId),
            ext.subjectKeyIdentifier(await keyIdentifierOf(s.spki)),
          ],
        },
        caSigner,
      );
    rsaCert = await leaf(0x0705d990n, rsa);
    ecCert = await leaf(0x0705d991n, ec);
    ws.write('ca.pem', toPem(caDer, 'CERTIFICATE'));
    ws.write('rsa.pem', toPem(rsaCert, 'CERTIFICATE'));
    ws.write('ec.pem', toPem(ecCert, 'CERTIFICATE'));
    ws.write('rsa.key', rsaKey.export({ type: 'pkcs8', format: 'pem' }));
    ws.write('ec.key', ecKey.export({ type: 'pkcs8', format: 'pem' }));
    ws.write('data.bin', content);
  });
  afterAll(() => ws.cleanup());

  for (const kind of ['rsa', 'ec'] as const) {
    for (const detached of [true, false]) {
      it(`ok-openssl accepts our ${detached ? 'detached' : 'attached'} ${kind.toUpperCase()} signature`, async () => {
        const der = await signCms({
          content,
          detached,
          signer: kind === 'rsa' ? rsa : ec,
          certificate: kind === 'rsa' ? rsaCert : ecCert,
          extraCertificates: [caDer],
          signingTime: SIGNING_TIME,
        });
        const name = `ours-${kind}-${detached ? 'd' : 'a'}.p7s`;
        ws.write(name, der);
        const r = opensslVerify(name, detached);
        expect(r.out).toContain('Verification successful');
        expect(r.code).toBe(0);
        expect(bytesEqual(new Uint8Array(readFileSync(join(ws.dir, `${name}.out`))), content)).toBe(true);
        // openssl cms -cmsout -print shows the DER structure as we intend it.
        const printed = ws.ok(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', name, '-noout']);
        expect(printed).toContain('version: 1');
        expect(printed).toContain(kind === 'rsa' ? 'sha256WithRSAEncryption' : 'ecdsa-with-SHA256');
        expect(printed).toContain(detached ? 'eContent: <ABSENT>' : 'eContent:');

        const v = await verifyCms(opts(der, detached ? { content } : {}));
        expect(toHex(v.signerCertificate.der)).toBe(toHex(kind === 'rsa' ? rsaCert : ecCert));
        expect(v.certificates).toHaveLength(2);
        expect(v.signingTime?.toISOString()).toBe('2025-02-28T12:34:56.000Z');
        expect(bytesEqual(v.content, content)).toBe(true);
        expect(v.signatureAlgorithm).toBe(kind === 'rsa' ? 'RSA-SHA256' : 'ECDSA-SHA256');
        expect(v.signedAttributes).toBe(true);
      });
    }
  }

  it('ok-known certificates stand for their embedded copies, others do not, and the digest is returned', async () => {
    const der = await signCms({
      content,
      detached: false,
      signer: rsa,
      certificate: rsaCert,
      extraCertificates: [caDer],
    });
    const known = parseCertificate(rsaCert);
    // Another certificate with the signer's issuer and serial but a different key: never substituted.
    const impostor = parseCertificate(
      await buildCertificate(
        {
          serial: 0x0705d990n,
          issuer: parseCertificate(rsaCert).issuer.der,
          subject: parseCertificate(rsaCert).subject.der,
          notBefore: new Date('2024-01-01T00:00:00Z'),
          notAfter: new Date('2029-01-01T14:59:59Z'),
          spki: nodeSigner(otherKey, 'RSA-SHA256').spki,
          extensions: [ext.keyUsage(['digitalSignature', 'nonRepudiation'])],
        },
        caSigner,
      ),
    );
    const v = await verifyCms(opts(der, { content, certificates: [known] }));
    expect(v.signerCertificate).toBe(known);
    expect(v.certificates[0]).toBe(known);
    expect(toHex(v.contentDigest!)).toBe(toHex(await nodeDigest('SHA-256', content)));
    const w = await verifyCms(opts(der, { certificates: [impostor] }));
    expect(w.signerCertificate).not.toBe(impostor);
    expect(toHex(w.signerCertificate.der)).toBe(toHex(rsaCert));
    expect(toHex(w.signerCertificate.spki)).not.toBe(toHex(impostor.spki));
  });

  it('ok-a-detached-signature-is-made-and-verified-from-the-content-digest-alone', async () => {
    // What the platform does between preparing a signature and finishing it: the content's digest
    // stands in for the content, and gives byte for byte the same signature.
    const md = await nodeDigest('SHA-256', content);
    const base = { detached: true, signer: rsa, certificate: rsaCert, signingTime: SIGNING_TIME };
    const der = await signCms({ ...base, contentDigest: md });
    expect(toHex(der)).toBe(toHex(await signCms({ ...base, content })));
    const v = await verifyCms(opts(der, { contentDigest: md }));
    expect(toHex(v.contentDigest!)).toBe(toHex(md));
    expect(v.content).toHaveLength(0);
    // Another digest is another content: refused like altered content.
    const other = md.map((b, i) => (i === 0 ? b ^ 1 : b));
    expect(await code(verifyCms(opts(der, { contentDigest: other })))).toBe('cms_signature_invalid');
    // An encapsulated content is the content itself; a digest does not stand in for it.
    const attached = await signCms({ ...base, detached: false, content });
    expect(await code(verifyCms(opts(attached, { contentDigest: md })))).toBe('cms_content_mismatch');
    await expect(prepareCmsSignature({ ...base, detached: false, contentDigest: md })).rejects.toThrow(
      TypeError,
    );
    await expect(prepareCmsSignature({ detached: true, certificate: rsaCert })).rejects.toThrow(TypeError);
  });

  it('ok-signed attributes are a DER-sorted SET', async () => {
    const p = await prepareCmsSignature({
      content,
      detached: true,
      certificate: rsaCert,
      signingTime: SIGNING_TIME,
      digest: nodeDigest,
    });
    expect(p.toBeSigned[0]).toBe(Tag.SET);
    const r = DerReader.of(p.toBeSigned, readTlv(p.toBeSigned, 0));
    const elems: string[] = [];
    while (!r.done) {
      const t = r.next();
      elems.push(toHex(p.toBeSigned.subarray(t.start, t.end)));
    }
    expect(elems).toHaveLength(3);
    expect([...elems].sort()).toEqual(elems);
  });

  it('ok-we verify openssl-made signatures (RSA/EC, attached/detached, keyid)', async () => {
    const cases: [string, string[], boolean, Uint8Array][] = [
      ['o-rsa-a.p7s', ['-nodetach', '-signer', 'rsa.pem', '-inkey', 'rsa.key'], false, rsaCert],
      ['o-rsa-d.p7s', ['-signer', 'rsa.pem', '-inkey', 'rsa.key'], true, rsaCert],
      ['o-ec-a.p7s', ['-nodetach', '-signer', 'ec.pem', '-inkey', 'ec.key'], false, ecCert],
      ['o-ec-d.p7s', ['-signer', 'ec.pem', '-inkey', 'ec.key'], true, ecCert],
      ['o-rsa-kid.p7s', ['-keyid', '-signer', 'rsa.pem', '-inkey', 'rsa.key'], true, rsaCert],
    ];
    for (const [name, args, detached, cert] of cases) {
      const der = opensslSign(name, args);
      const v = await verifyCms(opts(der, detached ? { content } : {}));
      expect(toHex(v.signerCertificate.der)).toBe(toHex(cert));
      expect(bytesEqual(v.content, content)).toBe(true);
      expect(v.signingTime).toBeInstanceOf(Date);
      expect(v.digestAlgorithm).toBe('SHA-256');
    }
  });

  it('fail-signature without signed attributes unless allowed', async () => {
    const der = opensslSign('o-noattr.p7s', ['-noattr', '-signer', 'rsa.pem', '-inkey', 'rsa.key']);
    expect(await code(verifyCms(opts(der, { content })))).toBe('cms_unsupported');
    const v = await verifyCms(opts(der, { content, allowNoSignedAttributes: true }));
    expect(v.signedAttributes).toBe(false);
    expect(
      await code(verifyCms(opts(der, { content: content.subarray(1), allowNoSignedAttributes: true }))),
    ).toBe('cms_signature_invalid');
  });

  it('fail-two signers are refused', async () => {
    const der = opensslSign('o-two.p7s', [
      '-signer',
      'rsa.pem',
      '-inkey',
      'rsa.key',
      '-signer',
      'ec.pem',
      '-inkey',
      'ec.key',
    ]);
    expect(await code(verifyCms(opts(der, { content })))).toBe('cms_unsupported');
  });

  it('fail-signer certificate missing unless supplied', async () => {
    const der = opensslSign('o-nocerts.p7s', ['-nocerts', '-signer', 'rsa.pem', '-inkey', 'rsa.key']);
    expect(await code(verifyCms(opts(der, { content })))).toBe('cms_signer_not_found');
    const v = await verifyCms(opts(der, { content, certificates: [parseCertificate(rsaCert)] }));
    expect(v.certificates).toHaveLength(0);
  });

  it('fail-tampered content, attributes or signature', async () => {
    const detached = await signCms({
      content,
      detached: true,
      signer: rsa,
      certificate: rsaCert,
      signingTime: SIGNING_TIME,
    });
    const other = content.slice();
    other[0]! ^= 1;
    expect(await code(verifyCms(opts(detached, { content: other })))).toBe('cms_signature_invalid');

    const attached = await signCms({ content, detached: false, signer: ec, certificate: ecCert });
    const i = findBytes(attached, content);
    const t1 = attached.slice();
    t1[i]! ^= 1;
    expect(await code(verifyCms(opts(t1)))).toBe('cms_signature_invalid');

    // signingTime digits live inside the signed attributes: "250228123456Z".
    const j = findBytes(detached, new TextEncoder().encode('250228123456Z'));
    const t2 = detached.slice();
    t2[j + 11] = 0x37; // …57Z
    expect(await code(verifyCms(opts(t2, { content })))).toBe('cms_signature_invalid');

    // contentType attribute id-data → id-signedData.
    const ctAttr = Uint8Array.of(
      0x31,
      0x0b,
      0x06,
      0x09,
      0x2a,
      0x86,
      0x48,
      0x86,
      0xf7,
      0x0d,
      0x01,
      0x07,
      0x01,
    );
    const k = findBytes(detached, ctAttr);
    const t3 = detached.slice();
    t3[k + ctAttr.length - 1] = 0x02;
    await expect(verifyCms(opts(t3, { content }))).rejects.toThrow(/contentType/);

    const t4 = detached.slice();
    t4[t4.length - 5]! ^= 0x10; // inside the RSA signature value
    expect(await code(verifyCms(opts(t4, { content })))).toBe('cms_signature_invalid');
  });

  it('fail-truncated, garbage or trailing data is cms_malformed', async () => {
    const der = await signCms({ content, detached: false, signer: rsa, certificate: rsaCert });
    expect(await code(verifyCms(opts(der.subarray(0, der.length - 1))))).toBe('cms_malformed');
    expect(await code(verifyCms(opts(der.subarray(0, 40))))).toBe('cms_malformed');
    expect(await code(verifyCms(opts(Uint8Array.of(0x30, 0x80, 0, 0))))).toBe('cms_malformed');
    expect(await code(verifyCms(opts(new TextEncoder().encode('not a CMS at all'))))).toBe('cms_malformed');
    expect(await code(verifyCms(opts(Uint8Array.from([...der, 0]))))).toBe('cms_malformed');
    expect(await code(verifyCms(opts(new Uint8Array(0))))).toBe('cms_malformed');
    expect(await code(verifyCms(opts(der, { maxSize: 100 })))).toBe('cms_malformed');
    // A valid certificate is not a SignedData.
    expect(await code(verifyCms(opts(rsaCert)))).toBe('cms_malformed');
  });

  it('fail-content mismatch and missing detached content', async () => {
    const attached = await signCms({ content, detached: false, signer: rsa, certificate: rsaCert });
    expect(await code(verifyCms(opts(attached, { content })))).toBe('ok');
    expect(await code(verifyCms(opts(attached, { content: content.subarray(2) })))).toBe(
      'cms_content_mismatch',
    );
    const detached = await signCms({ content, detached: true, signer: rsa, certificate: rsaCert });
    expect(await code(verifyCms(opts(detached)))).toBe('cms_content_mismatch');
  });

  it('ok-external signature of the DigestInfo (card-style) is accepted by openssl', async () => {
    const p = await prepareCmsSignature({
      content,
      detached: true,
      certificate: rsaCert,
      signingTime: SIGNING_TIME,
    });
    expect(p.algorithm).toBe('RSA-SHA256');
    // What a JPKI card does: raw RSA over PKCS#1 v1.5 type-1 padding of the DigestInfo.
    const cardSig = new Uint8Array(
      privateEncrypt({ key: rsaKey, padding: constants.RSA_PKCS1_PADDING }, p.digestInfo),
    );
    expect(toHex(cardSig)).toBe(toHex(new Uint8Array(nodeSign('sha256', p.toBeSigned, rsaKey))));
    const der = p.finish(cardSig);
    ws.write('card.p7s', der);
    expect(opensslVerify('card.p7s', true).code).toBe(0);
    expect((await verifyCms(opts(der, { content }))).signingTime?.getTime()).toBe(SIGNING_TIME.getTime());
  });

  it('ok-external raw ECDSA (WebCrypto r‖s) is converted; fail-a signature by another key', async () => {
    const p = await prepareCmsSignature({ content, detached: false, certificate: ecCert });
    const raw = new Uint8Array(nodeSign('sha256', p.toBeSigned, { key: ecKey, dsaEncoding: 'ieee-p1363' }));
    expect(raw.length).toBe(64);
    const der = p.finish(raw);
    ws.write('ec-raw.p7s', der);
    expect(opensslVerify('ec-raw.p7s', false).code).toBe(0);

    const q = await prepareCmsSignature({ content, detached: true, certificate: rsaCert });
    const wrong = q.finish(new Uint8Array(nodeSign('sha256', q.toBeSigned, otherKey)));
    ws.write('wrong.p7s', wrong);
    expect(opensslVerify('wrong.p7s', true).code).not.toBe(0);
    expect(await code(verifyCms(opts(wrong, { content })))).toBe('cms_signature_invalid');
    await expect(signCms({ content, detached: true, signer: ec, certificate: rsaCert })).rejects.toThrow(
      TypeError,
    );
  });
});

function findBytes(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('needle not found');
}
