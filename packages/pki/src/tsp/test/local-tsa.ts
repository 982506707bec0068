/**
 * Test fixture: a root CA and a TSA certificate under it (extendedKeyUsage timeStamping, critical:
 * RFC 3161 §2.3), made with this package's certificate builder and node:crypto keys, for the
 * {@link respondTimeStamp} tests and for other packages' time-stamp tests.
 */
import { buildCertificate } from '../../cert/build.ts';
import { ext } from '../../cert/extensions.ts';
import { encodeName, nameFrom } from '../../cert/name.ts';
import { OID } from '../../der/oid.ts';
import { nodeGenerateKey, nodeSigner } from '../../node/crypto.ts';
import type { Signer } from '../../crypto/provider.ts';
import type { TimeStampAuthority } from '../respond.ts';

/** A TSA for tests: its root, its certificate and the authority configuration. */
export interface LocalTsa {
  readonly root: Uint8Array;
  readonly certificate: Uint8Array;
  readonly authority: TimeStampAuthority;
}

/** Makes a root and a TSA certificate valid from `from` to `to`; the TSA's clock is `now`. */
export async function localTsa(
  o: {
    name?: string;
    from?: Date;
    to?: Date;
    now?: () => Date;
  } = {},
): Promise<LocalTsa> {
  const name = o.name ?? 'Test';
  const from = o.from ?? new Date('2020-01-01T00:00:00Z');
  const to = o.to ?? new Date('2045-01-01T00:00:00Z');
  const rootSigner: Signer = nodeSigner(nodeGenerateKey('ECDSA-SHA256'), 'ECDSA-SHA256');
  const rootName = encodeName(
    nameFrom([
      ['C', 'JP'],
      ['O', 'Watashi Test'],
      ['CN', `${name} TSA Root`],
    ]),
  );
  const root = await buildCertificate(
    {
      serial: 1n,
      issuer: rootName,
      subject: rootName,
      notBefore: from,
      notAfter: to,
      spki: rootSigner.spki,
      extensions: [ext.basicConstraints(true), ext.keyUsage(['keyCertSign', 'cRLSign'])],
    },
    rootSigner,
  );
  const tsaSigner = nodeSigner(nodeGenerateKey('ECDSA-SHA256'), 'ECDSA-SHA256');
  const certificate = await buildCertificate(
    {
      serial: 2n,
      issuer: rootName,
      subject: encodeName(
        nameFrom([
          ['C', 'JP'],
          ['O', 'Watashi Test'],
          ['CN', `${name} TSA`],
        ]),
      ),
      notBefore: from,
      notAfter: to,
      spki: tsaSigner.spki,
      extensions: [
        ext.basicConstraints(false),
        ext.keyUsage(['digitalSignature']),
        ext.extKeyUsage([OID.kpTimeStamping], true),
      ],
    },
    rootSigner,
  );
  return {
    root,
    certificate,
    authority: {
      signer: tsaSigner,
      certificate,
      chain: [root],
      policy: '1.3.6.1.4.1.99999.2',
      now: o.now ?? (() => new Date()),
    },
  };
}
