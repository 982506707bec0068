/**
 * The Watashi CA engine (docs/trust-service.md §1): a self-signed root and one issuing CA for
 * residents, certificates from the profiles of profiles.ts, CRLs and OCSP answers. Keys are never
 * here: every signature goes through a {@link Signer} (the platform's key store, local or PKCS#11).
 * State (serials, statuses, CRL numbers) belongs to the caller's database; this module is pure
 * apart from signing.
 *
 * Every certificate carries AIA (OCSP responder + caIssuers URL of its issuer) and a CRL
 * distribution point (RFC 5280 §4.2.1.13, §4.2.2.1), so a relying party verifies it with stock
 * tools: `openssl verify -CAfile root.pem -untrusted issuing.pem`, `openssl ocsp -url …`.
 */
import { randomBytes } from 'node:crypto';
import {
  buildCertificate,
  buildCrl,
  buildOcspResponse,
  certIdIssuerHashes,
  certIdMatches,
  encodeName,
  ext,
  keyIdentifier,
  nameFrom,
  ocspErrorResponse,
  parseCertificate,
  parseOcspRequest,
  type Certificate,
  type CrlReason,
  type Extension,
  type GeneralName,
  type OcspSingleResponseInput,
  type Signer,
} from '@watashi/pki';
import { nodeDigest } from '@watashi/pki/node';
import {
  DEVICE_AUTH_PROFILE,
  DEVICE_SIGN_PROFILE,
  ISSUING_PROFILE,
  ROOT_PROFILE,
  type ResidentProfileId,
  type WatashiProfile,
} from './profiles.ts';

/** The stable URLs the CA publishes (docs/trust-service.md §1). */
export interface CaUrls {
  /** DER of the root certificate. */
  readonly rootCertificate: string;
  /** DER of the issuing CA certificate (the caIssuers of every resident certificate). */
  readonly issuingCertificate: string;
  /** The root's CRL (lists revoked issuing CAs). */
  readonly rootCrl: string;
  /** The issuing CA's CRL. */
  readonly crl: string;
  /** The OCSP responder (POST, and GET per RFC 6960 Appendix A.1). */
  readonly ocsp: string;
}

/** The stable URLs under a public base URL (`https://id.example`). */
export function caUrls(publicUrl: string): CaUrls {
  const base = `${publicUrl.replace(/\/+$/, '')}/ca`;
  return {
    rootCertificate: `${base}/root.crt`,
    issuingCertificate: `${base}/issuing.crt`,
    rootCrl: `${base}/root.crl`,
    crl: `${base}/issuing.crl`,
    ocsp: `${base}/ocsp`,
  };
}

/** A random positive serial of 16 octets (RFC 5280 §4.1.2.2 ≤ 20; unpredictable, so never guessed). */
export function randomSerial(): bigint {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x40; // positive, and always 16 octets long
  return BigInt(`0x${b.toString('hex')}`);
}

const DAY_MS = 86_400_000;

async function extensionsOf(
  profile: WatashiProfile,
  parts: {
    subjectSpki: Uint8Array;
    issuerSpki?: Uint8Array;
    urls?: CaUrls;
    subjectAltName?: ReadonlyArray<GeneralName>;
    /** For the issuing CA: its CRL is the root's; for residents: the issuing CA's. */
    crlUrl?: string;
    caIssuersUrl?: string;
  },
): Promise<Extension[]> {
  const out: Extension[] = [];
  for (const name of profile.extensions) {
    switch (name) {
      case 'basicConstraints':
        out.push(ext.basicConstraints(profile.basicConstraints.ca, profile.basicConstraints.pathLen));
        break;
      case 'keyUsage':
        out.push(ext.keyUsage(profile.keyUsage));
        break;
      case 'extKeyUsage':
        out.push(ext.extKeyUsage(profile.extKeyUsage));
        break;
      case 'subjectAltName':
        if (parts.subjectAltName === undefined || parts.subjectAltName.length === 0)
          throw new TypeError(`profile ${profile.id} needs a subjectAltName`);
        out.push(ext.subjectAltName(parts.subjectAltName));
        break;
      case 'certificatePolicies':
        out.push(ext.certificatePolicies(profile.policies));
        break;
      case 'cRLDistributionPoints':
        if (parts.crlUrl === undefined) throw new TypeError('a CRL URL is needed');
        out.push(ext.crlDistributionPoints([[{ type: 'uri', value: parts.crlUrl }]]));
        break;
      case 'authorityInfoAccess':
        if (parts.urls === undefined || parts.caIssuersUrl === undefined)
          throw new TypeError('AIA URLs are needed');
        out.push(
          ext.authorityInfoAccess(profile.kind === 'end-entity' ? [parts.urls.ocsp] : [], [
            parts.caIssuersUrl,
          ]),
        );
        break;
      case 'subjectKeyIdentifier':
        out.push(ext.subjectKeyIdentifier(await keyIdentifier(parts.subjectSpki, nodeDigest)));
        break;
      case 'authorityKeyIdentifier':
        if (parts.issuerSpki === undefined) throw new TypeError('the issuer key is needed');
        out.push(ext.authorityKeyIdentifier(await keyIdentifier(parts.issuerSpki, nodeDigest)));
        break;
    }
  }
  return out;
}

/** Inputs of {@link createCaCertificates}. */
export interface CreateCaOptions {
  readonly rootSigner: Signer;
  readonly issuingSigner: Signer;
  /** Deployment name written as OU (e.g. `watashi.example`; `simulation` in the simulator). */
  readonly deployment: string;
  readonly urls: CaUrls;
  readonly now: Date;
}

/** Builds the self-signed root and the issuing CA certificate (DER). */
export async function createCaCertificates(
  o: CreateCaOptions,
): Promise<{ root: Uint8Array; issuing: Uint8Array }> {
  const rootName = encodeName(
    nameFrom([
      ['C', 'JP'],
      ['O', 'Watashi'],
      ['OU', o.deployment],
      ['CN', 'Watashi Root CA'],
    ]),
  );
  const issuingName = encodeName(
    nameFrom([
      ['C', 'JP'],
      ['O', 'Watashi'],
      ['OU', o.deployment],
      ['CN', 'Watashi Resident CA'],
    ]),
  );
  const notBefore = new Date(o.now.getTime() - 60_000);
  const root = await buildCertificate(
    {
      serial: randomSerial(),
      issuer: rootName,
      subject: rootName,
      notBefore,
      notAfter: new Date(notBefore.getTime() + ROOT_PROFILE.validityDays * DAY_MS),
      spki: o.rootSigner.spki,
      extensions: await extensionsOf(ROOT_PROFILE, { subjectSpki: o.rootSigner.spki }),
    },
    o.rootSigner,
  );
  const issuing = await buildCertificate(
    {
      serial: randomSerial(),
      issuer: rootName,
      subject: issuingName,
      notBefore,
      notAfter: new Date(notBefore.getTime() + ISSUING_PROFILE.validityDays * DAY_MS),
      spki: o.issuingSigner.spki,
      extensions: await extensionsOf(ISSUING_PROFILE, {
        subjectSpki: o.issuingSigner.spki,
        issuerSpki: o.rootSigner.spki,
        urls: o.urls,
        crlUrl: o.urls.rootCrl,
        caIssuersUrl: o.urls.rootCertificate,
      }),
    },
    o.rootSigner,
  );
  return { root, issuing };
}

/** The status of one issued certificate, as the caller's records state it. */
export type IssuedStatus =
  | { readonly type: 'good' }
  /** Issued, not yet activated by proof of possession: OCSP and CRL say certificateHold. */
  | { readonly type: 'hold'; readonly since: Date }
  | { readonly type: 'revoked'; readonly at: Date; readonly reason: CrlReason }
  | { readonly type: 'unknown' };

/** Looks a serial up in the caller's records. */
export type StatusLookup = (serial: bigint) => Promise<IssuedStatus>;

/** The issuing CA at work: issue, CRL, OCSP. */
export interface IssuingCa {
  readonly root: Certificate;
  readonly issuing: Certificate;
  readonly urls: CaUrls;
  /** Issues a resident certificate of `profile` for `spki` (already proven by a PKCS#10 self-signature). */
  issue(input: {
    readonly profile: ResidentProfileId;
    readonly serial: bigint;
    readonly spki: Uint8Array;
    readonly now: Date;
    /** The signing profile's basic 4 information (JPKI otherName form). */
    readonly subjectAltName?: ReadonlyArray<GeneralName>;
    /** Ends no later than this (e.g. the anchor's own notAfter). */
    readonly notAfterCap?: Date;
  }): Promise<Uint8Array>;
  /** The issuing CA's CRL with every revoked or held serial. */
  crl(input: {
    readonly entries: Iterable<{ serial: bigint; revocationDate: Date; reason: CrlReason }>;
    readonly crlNumber: bigint;
    readonly thisUpdate: Date;
    readonly nextUpdate: Date;
  }): Promise<Uint8Array>;
  /** The root's CRL (no issuing CA revoked). */
  rootCrl(input: {
    readonly crlNumber: bigint;
    readonly thisUpdate: Date;
    readonly nextUpdate: Date;
  }): Promise<Uint8Array>;
  /**
   * Answers one DER OCSPRequest (RFC 6960): signed by the issuing CA itself (§4.2.2.2 case 1),
   * nonce echoed, `unknown` for serials of other issuers, `malformedRequest` for garbage.
   */
  ocsp(request: Uint8Array, lookup: StatusLookup, now: Date, nextUpdateSeconds?: number): Promise<Uint8Array>;
}

/** Opens the issuing CA from its certificates and the two signers. */
export async function openIssuingCa(o: {
  readonly root: Uint8Array;
  readonly issuing: Uint8Array;
  readonly rootSigner: Signer;
  readonly issuingSigner: Signer;
  readonly urls: CaUrls;
}): Promise<IssuingCa> {
  const root = parseCertificate(o.root);
  const issuing = parseCertificate(o.issuing);
  const hashes = {
    'SHA-1': await certIdIssuerHashes(issuing, 'SHA-1', nodeDigest),
    'SHA-256': await certIdIssuerHashes(issuing, 'SHA-256', nodeDigest),
  } as const;
  const aki = await keyIdentifier(issuing.spki, nodeDigest);
  const rootAki = await keyIdentifier(root.spki, nodeDigest);
  return {
    root,
    issuing,
    urls: o.urls,
    async issue(input) {
      const profile = input.profile === 'watashi-device-sign' ? DEVICE_SIGN_PROFILE : DEVICE_AUTH_PROFILE;
      const notBefore = new Date(input.now.getTime() - 60_000);
      let notAfter = new Date(notBefore.getTime() + profile.validityDays * DAY_MS);
      if (input.notAfterCap !== undefined && input.notAfterCap < notAfter) notAfter = input.notAfterCap;
      if (notAfter > issuing.notAfter) notAfter = issuing.notAfter;
      // The subject names nobody: a random pseudonym, so no two relying parties can link a
      // resident by it, and no JPKI serial or My Number ever appears (docs/trust-service.md §2).
      const subject = encodeName(
        nameFrom([
          ['C', 'JP'],
          ['O', 'Watashi'],
          ['CN', randomBytes(16).toString('hex')],
        ]),
      );
      return buildCertificate(
        {
          serial: input.serial,
          issuer: issuing.subject.der,
          subject,
          notBefore,
          notAfter,
          spki: input.spki,
          extensions: await extensionsOf(profile, {
            subjectSpki: input.spki,
            issuerSpki: issuing.spki,
            urls: o.urls,
            crlUrl: o.urls.crl,
            caIssuersUrl: o.urls.issuingCertificate,
            ...(input.subjectAltName === undefined ? {} : { subjectAltName: input.subjectAltName }),
          }),
        },
        o.issuingSigner,
      );
    },
    crl(input) {
      return buildCrl({
        issuer: issuing.subject.der,
        authorityKeyId: aki,
        thisUpdate: input.thisUpdate,
        nextUpdate: input.nextUpdate,
        crlNumber: input.crlNumber,
        entries: input.entries,
        signer: o.issuingSigner,
      });
    },
    rootCrl(input) {
      return buildCrl({
        issuer: root.subject.der,
        authorityKeyId: rootAki,
        thisUpdate: input.thisUpdate,
        nextUpdate: input.nextUpdate,
        crlNumber: input.crlNumber,
        entries: [],
        signer: o.rootSigner,
      });
    },
    async ocsp(request, lookup, now, nextUpdateSeconds = 3600) {
      let parsed: ReturnType<typeof parseOcspRequest>;
      try {
        parsed = parseOcspRequest(request);
      } catch {
        return ocspErrorResponse('malformedRequest');
      }
      const responses: OcspSingleResponseInput[] = [];
      for (const item of parsed.items) {
        const id = item.certId;
        const mine = hashes[id.hashAlgorithm as 'SHA-1' | 'SHA-256'];
        const ours =
          mine !== undefined &&
          certIdMatches(
            { ...id, issuerNameHash: mine.issuerNameHash, issuerKeyHash: mine.issuerKeyHash },
            id,
          );
        const status: IssuedStatus = ours ? await lookup(id.serial) : { type: 'unknown' };
        responses.push({
          certId: id,
          status:
            status.type === 'good'
              ? { type: 'good' }
              : status.type === 'hold'
                ? // RFC 6960 §2.2: a suspended certificate is "revoked" with reason certificateHold.
                  { type: 'revoked', revocationTime: status.since, reason: 'certificateHold' }
                : status.type === 'revoked'
                  ? { type: 'revoked', revocationTime: status.at, reason: status.reason }
                  : { type: 'unknown' },
          thisUpdate: now,
          nextUpdate: new Date(now.getTime() + nextUpdateSeconds * 1000),
        });
      }
      return buildOcspResponse({
        signer: o.issuingSigner,
        producedAt: now,
        responses,
        ...(parsed.nonce === undefined ? {} : { nonce: parsed.nonce }),
        digest: nodeDigest,
      });
    },
  };
}
