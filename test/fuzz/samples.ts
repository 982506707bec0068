/**
 * Valid samples for the fuzz suite (issue 21), built with the toolkit's own writers: certificates
 * (RSA, ECDSA, a JPKI-shaped signing certificate with basic 4 information, the real J-LIS roots),
 * CRLs (empty, with reasons and invalidity dates, and one larger than the streaming reader's
 * smallest read buffer), OCSP requests and responses, CMS SignedData (attached, detached, RSA,
 * ECDSA), a virtual card's command APDUs. Keys are fresh per process: the samples only seed the
 * mutator, and a saved failing input is replayed as bytes, not rebuilt.
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  buildCertificate,
  buildCrl,
  buildOcspRequest,
  buildOcspResponse,
  certIdFor,
  encodeName,
  ext,
  fromPem,
  keyIdentifierOf,
  nameFrom,
  ocspErrorResponse,
  OID,
  parseCertificate,
  signCms,
  type Certificate,
  type CrlEntry,
  type Signer,
} from '@watashi/pki';
import { nodeDigest, nodeGenerateKey, nodeSigner } from '@watashi/pki/node';
import { basic4From, encodeBasic4San, jpkiCaName, JLIS_ROOTS } from '@watashi/jpki';

/** Every sample, by kind. */
export interface Samples {
  readonly certificates: Uint8Array[];
  /** A JPKI-shaped signing certificate (JPKI-TEST issuer, six basic 4 otherNames). */
  readonly jpkiSigning: Uint8Array;
  readonly crls: Uint8Array[];
  /** A CRL of more than 64 KiB, so `readCrlFile`'s smallest buffer refills mid-entries. */
  readonly bigCrl: Uint8Array;
  readonly ocspRequests: Uint8Array[];
  readonly ocspResponses: Uint8Array[];
  readonly cms: Uint8Array[];
  /** The content every CMS sample signs. */
  readonly cmsContent: Uint8Array;
  /** Private RSA JWKs for a virtual card. */
  readonly cardKeys: { readonly sign: JsonWebKey; readonly auth: JsonWebKey };
  readonly caSigner: Signer;
  readonly ca: Certificate;
}

const T0 = new Date('2026-01-01T00:00:00Z');
const T1 = new Date('2031-01-01T00:00:00Z');

/** The public test-card holder (docs/jpki.md §1.4). */
export const KOKUTO = {
  name: '黒桐\u3000幹也',
  address: '東京都清瀬市観布子南１２－７－２０２',
  birthDate: '1980-02-17',
  sex: '1',
} as const;

let cached: Promise<Samples> | undefined;

/** Builds the samples once per process. */
export function samples(): Promise<Samples> {
  return (cached ??= build());
}

async function build(): Promise<Samples> {
  const caSigner = nodeSigner(nodeGenerateKey('RSA-SHA256'), 'RSA-SHA256');
  const ecSigner = nodeSigner(nodeGenerateKey('ECDSA-SHA256'), 'ECDSA-SHA256');
  const caName = jpkiCaName('sign', 'JPKI-TEST');
  const caKeyId = await keyIdentifierOf(caSigner.spki);
  const caDer = await buildCertificate(
    {
      serial: 1n,
      issuer: caName,
      subject: caName,
      notBefore: T0,
      notAfter: T1,
      spki: caSigner.spki,
      extensions: [
        ext.basicConstraints(true),
        ext.keyUsage(['keyCertSign', 'cRLSign']),
        ext.subjectKeyIdentifier(caKeyId),
      ],
    },
    caSigner,
  );
  const ca = parseCertificate(caDer);
  const leafName = encodeName(
    nameFrom([
      ['C', 'JP'],
      ['L', 'Tokyo-to'],
      ['L', 'Kiyose-shi'],
      ['CN', '2026010100000000001SIM000000'],
    ]),
  );
  const jpkiSigning = await buildCertificate(
    {
      serial: 0x0705d990n,
      issuer: caName,
      subject: leafName,
      notBefore: T0,
      notAfter: T1,
      spki: ecSigner.spki,
      extensions: [
        ext.keyUsage(['digitalSignature', 'nonRepudiation']),
        ext.certificatePolicies(['1.2.392.200149.8.5.1.1.10']),
        ext.subjectAltName(encodeBasic4San(basic4From(KOKUTO))),
        ext.authorityKeyIdentifier(caKeyId),
        ext.crlDistributionPoints([[{ type: 'uri', value: 'http://crl.example/sign.crl' }]]),
        ext.authorityInfoAccess(['http://ocsp.example/']),
      ],
    },
    caSigner,
  );
  const ecLeaf = await buildCertificate(
    {
      serial: (1n << 159n) - 3n,
      issuer: caName,
      subject: encodeName(
        nameFrom([
          ['CN', 'EC leaf'],
          ['O', 'Watashi'],
        ]),
      ),
      notBefore: new Date('2049-12-31T23:59:59Z'),
      notAfter: new Date('2050-01-01T00:00:00Z'),
      spki: ecSigner.spki,
      extensions: [
        ext.basicConstraints(false, undefined, false),
        ext.extKeyUsage([OID.kpOcspSigning]),
        ext.issuerAltName([{ type: 'dns', value: 'ca.example' }]),
      ],
    },
    caSigner,
  );
  const roots = JLIS_ROOTS.slice(0, 2).map((r) => fromPem(r.pem, 'CERTIFICATE'));
  const certificates = [caDer, jpkiSigning, ecLeaf, ...roots];

  const entries = (n: number, start: bigint): CrlEntry[] =>
    Array.from({ length: n }, (_, i) => ({
      serial: start + BigInt(i) * 7919n,
      revocationDate: new Date(T0.getTime() + i * 1000),
      ...(i % 3 === 1 ? { reason: 'keyCompromise' as const } : {}),
      ...(i % 3 === 2 ? { reason: 'certificateHold' as const, invalidityDate: T0 } : {}),
    }));
  const crlOpts = {
    issuer: caName,
    authorityKeyId: caKeyId,
    thisUpdate: T0,
    nextUpdate: new Date(T0.getTime() + 86_400_000),
    signer: caSigner,
  };
  const crls = [
    await buildCrl({ ...crlOpts, crlNumber: 1n, entries: [] }),
    await buildCrl({ ...crlOpts, crlNumber: 2n, entries: entries(6, 0x0705d990n) }),
    await buildCrl({ ...crlOpts, crlNumber: 1n << 100n, entries: entries(3, 1n << 150n) }),
  ];
  const bigCrl = await buildCrl({ ...crlOpts, crlNumber: 3n, entries: entries(2600, 1n << 64n) });

  const leaf = parseCertificate(jpkiSigning);
  const certId = await certIdFor(leaf, ca, 'SHA-256', nodeDigest);
  const certId1 = await certIdFor(leaf, ca, 'SHA-1', nodeDigest);
  const ocspRequests = [
    await buildOcspRequest({ items: [{ certId }], digest: nodeDigest }),
    await buildOcspRequest({
      items: [{ certId }, { certId: certId1 }],
      nonce: new Uint8Array(32).fill(7),
      digest: nodeDigest,
    }),
    await buildOcspRequest({
      items: [{ certId: certId1 }],
      hash: 'SHA-1',
      nonce: Uint8Array.of(1),
      digest: nodeDigest,
    }),
  ];
  const ocspResponses = [
    await buildOcspResponse({
      signer: caSigner,
      producedAt: T0,
      responses: [{ certId, status: { type: 'good' }, thisUpdate: T0, nextUpdate: T1 }],
      nonce: new Uint8Array(32).fill(7),
      digest: nodeDigest,
    }),
    await buildOcspResponse({
      signer: caSigner,
      responderId: 'name',
      responderName: caName,
      producedAt: T0,
      responses: [
        { certId, status: { type: 'revoked', revocationTime: T0, reason: 'keyCompromise' }, thisUpdate: T0 },
        { certId: certId1, status: { type: 'unknown' }, thisUpdate: T0, nextUpdate: T1 },
      ],
      extraCertificates: [caDer],
      digest: nodeDigest,
    }),
    ocspErrorResponse('tryLater'),
  ];

  const cmsContent = new TextEncoder().encode('Watashi enrolment document v1\nnonce=3f2a\n');
  const cms = [
    await signCms({
      content: cmsContent,
      detached: false,
      certificate: jpkiSigning,
      signer: ecSigner,
      signingTime: T0,
    }),
    await signCms({
      content: cmsContent,
      detached: true,
      certificate: caDer,
      extraCertificates: [jpkiSigning],
      signer: caSigner,
      digest: nodeDigest,
    }),
  ];

  const jwk = (): JsonWebKey =>
    generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return {
    certificates,
    jpkiSigning,
    crls,
    bigCrl,
    ocspRequests,
    ocspResponses,
    cms,
    cmsContent,
    cardKeys: { sign: jwk(), auth: jwk() },
    caSigner,
    ca,
  };
}
