// Test fixtures for the OCSP tests: a JPKI-like RSA CA, leaf certificates, delegated responders
// (with and without id-kp-OCSPSigning), an unrelated key, and PEM files for the openssl CLI.
// Times are anchored on the real clock (truncated to seconds) because `openssl ocsp` checks
// thisUpdate/nextUpdate against the system time; our own checks take this NOW explicitly.
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCertificate } from '../../cert/build.ts';
import { ext } from '../../cert/extensions.ts';
import { encodeName, nameFrom } from '../../cert/name.ts';
import { parseCertificate, type Certificate } from '../../cert/parse.ts';
import { keyIdentifierOf } from '../../cert/spki.ts';
import { OID } from '../../der/oid.ts';
import { toPem } from '../../der/hex.ts';
import type { Signer } from '../../crypto/provider.ts';
import { nodeGenerateKey, nodeSigner } from '../../node/crypto.ts';
import { opensslWorkspace } from '../../../test/openssl.ts';

/** The frozen "now" of a test file. */
export const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
/** An hour, in ms. */
export const HOUR = 3600_000;

/** Everything an OCSP test needs. */
export interface OcspFixtures {
  ws: ReturnType<typeof opensslWorkspace>;
  caKey: KeyObject;
  caSigner: Signer;
  ca: Certificate;
  /** Good leaf (serial 0x0705d990). */
  leaf: Certificate;
  /** Leaf to be reported revoked (serial 0x0705d991). */
  revoked: Certificate;
  /** Leaf never issued in the responder's records (serial 0x0705d992). */
  stranger: Certificate;
  /** Delegated responder with EKU id-kp-OCSPSigning and ocsp-nocheck. */
  responderKey: KeyObject;
  responderSigner: Signer;
  responder: Certificate;
  /** Responder certificate issued by the CA without the OCSPSigning EKU. */
  noEkuSigner: Signer;
  noEku: Certificate;
  /** A key nobody authorised. */
  otherSigner: Signer;
  /** Reads a file the openssl workspace wrote. */
  read(name: string): Uint8Array;
}

const pem = (k: KeyObject): string => k.export({ type: 'pkcs8', format: 'pem' }).toString();

/**
 * Creates the fixtures and writes ca.pem, ca.key, leaf.pem, revoked.pem, stranger.pem,
 * responder.pem, responder.key, noeku.pem, noeku.key and index.txt (openssl's CA database) into a
 * fresh openssl workspace.
 */
export async function makeOcspFixtures(): Promise<OcspFixtures> {
  const ws = opensslWorkspace();
  const caKey = nodeGenerateKey('RSA-SHA256');
  const caSigner = nodeSigner(caKey, 'RSA-SHA256');
  const caName = encodeName(
    nameFrom([
      ['C', 'JP'],
      ['O', 'JPKI-TEST'],
      ['OU', 'OCSP test CA'],
    ]),
  );
  const caId = await keyIdentifierOf(caSigner.spki);
  const notBefore = new Date(NOW.getTime() - 24 * HOUR);
  const notAfter = new Date(NOW.getTime() + 5 * 365 * 24 * HOUR);
  const ca = parseCertificate(
    await buildCertificate(
      {
        serial: 1n,
        issuer: caName,
        subject: caName,
        notBefore,
        notAfter,
        spki: caSigner.spki,
        extensions: [
          ext.basicConstraints(true),
          ext.keyUsage(['keyCertSign', 'cRLSign']),
          ext.subjectKeyIdentifier(caId),
        ],
      },
      caSigner,
    ),
  );
  const issue = async (
    serial: bigint,
    cn: string,
    spki: Uint8Array,
    extra: ReturnType<typeof ext.keyUsage>[] = [],
    validity: { notBefore: Date; notAfter: Date } = { notBefore, notAfter },
  ): Promise<Certificate> =>
    parseCertificate(
      await buildCertificate(
        {
          serial,
          issuer: caName,
          subject: encodeName(
            nameFrom([
              ['C', 'JP'],
              ['CN', cn],
            ]),
          ),
          ...validity,
          spki,
          extensions: [
            ext.keyUsage(['digitalSignature', 'nonRepudiation']),
            ext.authorityKeyIdentifier(caId),
            ...extra,
          ],
        },
        caSigner,
      ),
    );
  const leafKey = nodeGenerateKey('ECDSA-SHA256');
  const leafSpki = nodeSigner(leafKey, 'ECDSA-SHA256').spki;
  const leaf = await issue(0x0705d990n, 'good leaf', leafSpki);
  const revoked = await issue(0x0705d991n, 'revoked leaf', leafSpki);
  const stranger = await issue(0x0705d992n, 'unlisted leaf', leafSpki);
  const responderKey = nodeGenerateKey('ECDSA-SHA256');
  const responderSigner = nodeSigner(responderKey, 'ECDSA-SHA256');
  const responder = await issue(0x7001n, 'OCSP responder', responderSigner.spki, [
    ext.extKeyUsage([OID.kpOcspSigning]),
    ext.ocspNoCheck(),
  ]);
  const noEkuKey = nodeGenerateKey('ECDSA-SHA256');
  const noEkuSigner = nodeSigner(noEkuKey, 'ECDSA-SHA256');
  const noEku = await issue(0x7002n, 'not a responder', noEkuSigner.spki);
  const otherSigner = nodeSigner(nodeGenerateKey('ECDSA-SHA256'), 'ECDSA-SHA256');

  ws.write('ca.pem', toPem(ca.der, 'CERTIFICATE'));
  ws.write('ca.key', pem(caKey));
  ws.write('leaf.pem', toPem(leaf.der, 'CERTIFICATE'));
  ws.write('revoked.pem', toPem(revoked.der, 'CERTIFICATE'));
  ws.write('stranger.pem', toPem(stranger.der, 'CERTIFICATE'));
  ws.write('responder.pem', toPem(responder.der, 'CERTIFICATE'));
  ws.write('responder.key', pem(responderKey));
  ws.write('noeku.pem', toPem(noEku.der, 'CERTIFICATE'));
  ws.write('noeku.key', pem(noEkuKey));
  // openssl's CA database (the format of `openssl ca`): status, expiry, revocation[,reason], serial, file, DN.
  const exp = '351231235959Z';
  ws.write(
    'index.txt',
    [
      `V\t${exp}\t\t0705D990\tunknown\t/C=JP/CN=good leaf`,
      `R\t${exp}\t250102030405Z,keyCompromise\t0705D991\tunknown\t/C=JP/CN=revoked leaf`,
      '',
    ].join('\n'),
  );
  return {
    ws,
    caKey,
    caSigner,
    ca,
    leaf,
    revoked,
    stranger,
    responderKey,
    responderSigner,
    responder,
    noEkuSigner,
    noEku,
    otherSigner,
    read: (name) => new Uint8Array(readFileSync(join(ws.dir, name))),
  };
}
