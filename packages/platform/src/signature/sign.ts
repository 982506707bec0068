/**
 * Signing a document with the My Number card from the wallet (issue 20), within a session.
 *
 * The card is in the resident's hand (the hosted card of the simulator, an NFC card): it can only
 * sign a DigestInfo. The platform does everything around that signature, in two requests:
 *
 * 1. `POST /api/signatures/sign` `{ fileName, document, certificate, chain }` (base64): the
 *    platform checks the card's signing certificate (a JPKI signing certificate that chains to the
 *    trust store's signing CAs and is within its validity now — revocation is asked of J-LIS only
 *    after the card has proven possession, step 2), then prepares the signature — a PDF gets
 *    PAdES (an incremental update, ByteRange over everything but /Contents), anything else a
 *    detached CAdES `.p7s` — and answers the DigestInfo the card must sign, with the signer's name
 *    and address as the certificate states them and the document's size and SHA-256.
 * 2. `POST /api/signatures/sign/:id/complete` `{ signature }`: the card's signature is checked
 *    against the certificate's key **before anything costs money**; then the platform's TSA
 *    time-stamps it (B-T), the chain and an OCSP answer through the `JpkiBackend` (billed in the
 *    fee ledger as `signature_verification`, docs/jpki.md §2.4) are embedded (B-LT), the result is
 *    validated as a verifier would (a signature that would not pass is never handed out), and the
 *    signed file is answered.
 *
 * The resident's own Watashi signing certificate (`watashi-device-sign`, issue 18) on a device
 * goes the same way: step 1 answers `toBeSigned` and `algorithm: ECDSA-SHA256` for the WebCrypto
 * key, and the evidence comes from Watashi's own CA (OCSP, root CRL), not J-LIS: nothing is billed.
 *
 * Between the two requests the preparation waits in this process's memory (at most
 * {@link PENDING_TTL_MS}, one per account, {@link MAX_PENDING} in all): the document code builds
 * the signature around a signer port whose `sign` returns when step 2 brings the card's answer.
 * Behind a load balancer both requests must reach the same instance (they are seconds apart; the
 * session cookie makes stickiness easy); a lost preparation is `signature_sign_expired` and the
 * wallet starts again.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { readBasic4 } from '@watashi/jpki';
import {
  buildOcspRequest,
  ecdsaRawToDer,
  fromBase64,
  isWatashiError,
  nameToString,
  OID,
  readTlv,
  Tag,
  valueOf,
  parseCertificate,
  toBase64,
  validatePath,
  type Certificate,
  type PreparedCmsSignature,
} from '@watashi/pki';
import { nodeVerifier } from '@watashi/pki/node';
import {
  jpkiBackendEvidence,
  localTimeStamper,
  signCades,
  signPdf,
  validateCades,
  validatePdf,
  type DocumentSigner,
  type EvidenceSource,
  type ValidationReport,
} from '@watashi/signature';
import type { PlatformDeps } from '../server/context.ts';
import { problem } from '../server/problem.ts';
import { invalidAs, withSchemas } from '../server/schemas.ts';
import { platformTsa } from '../tsa/index.ts';
import { existingCaCertificates, platformCa } from '../devices/ca.ts';
import { deviceStatus, listDevices, nextCrlNumber } from '../devices/service.ts';
import { recordSignature } from './archive.ts';

/** Error codes of the signing API. */
export type SigningErrorCode =
  | 'signature_request_invalid'
  | 'signature_certificate_unacceptable'
  | 'signature_sign_expired'
  | 'signature_card_signature_invalid'
  | 'signature_document_unsupported'
  | 'signature_evidence_unavailable'
  | 'signature_result_invalid'
  | 'signature_busy';

/** How long a preparation waits for the card's signature. */
export const PENDING_TTL_MS = 5 * 60_000;
/** Preparations held at once by the process (each holds its document, ≤ {@link MAX_DOCUMENT}). */
export const MAX_PENDING = 16;
/** Largest document signed (as for the verification page). */
export const MAX_DOCUMENT = 10 * 1024 * 1024;

/** What the wallet shows before the card signs: the signer as the certificate states them. */
export interface SignerView {
  /** 氏名 in the certificate's subjectAltName (docs/jpki.md §1.4). */
  readonly name: string;
  /** 住所 in the certificate's subjectAltName. */
  readonly address: string;
  readonly notAfter: string;
}

/** `POST /api/signatures/sign`. */
export interface PreparedSigningJson {
  readonly id: string;
  /** `pades` for a PDF, `cades` (a detached `.p7s`) otherwise. */
  readonly format: 'pades' | 'cades';
  /** The PKCS#1 DigestInfo the card signs (base64). */
  readonly digestInfo: string;
  /**
   * The DER signed attributes a software key signs (base64): a device key signs them with ECDSA
   * P-256 / SHA-256 (WebCrypto hashes them itself).
   */
  readonly toBeSigned: string;
  /** `RSA-SHA256` for the card, `ECDSA-SHA256` for a Watashi signing certificate on a device. */
  readonly algorithm: 'RSA-SHA256' | 'ECDSA-SHA256';
  readonly signer: SignerView;
  readonly document: { readonly fileName: string; readonly size: number; readonly sha256: string };
  readonly expiresAt: string;
}

/** `POST /api/signatures/sign/:id/complete`. */
export interface SignedDocumentJson {
  readonly fileName: string;
  readonly mediaType: 'application/pdf' | 'application/pkcs7-signature';
  /** The signed PDF, or the `.p7s` (base64). */
  readonly file: string;
  readonly level: 'B-LT';
  /** When the platform's TSA proves the signature existed. */
  readonly provenAt: string;
  readonly signer: SignerView;
}

interface Pending {
  readonly id: string;
  readonly accountId: string;
  readonly expires: number;
  readonly certificate: Certificate;
  readonly algorithm: 'RSA-SHA256' | 'ECDSA-SHA256';
  readonly anchors: readonly Certificate[];
  readonly prepared: PreparedCmsSignature;
  readonly give: (signature: Uint8Array) => void;
  readonly cancel: (e: Error) => void;
  readonly result: Promise<Uint8Array>;
  readonly format: 'pades' | 'cades';
  readonly fileName: string;
  readonly document: Uint8Array;
  readonly signer: SignerView;
  used: boolean;
}

const b64 = z
  .string()
  .min(1)
  .max(Math.ceil((MAX_DOCUMENT * 4) / 3) + 4)
  .regex(/^[A-Za-z0-9+/]+={0,2}$/);
const prepareBody = z.strictObject({
  fileName: z.string().trim().min(1).max(255),
  document: b64,
  certificate: b64,
  chain: z.array(b64).max(4).default([]),
});
const completeBody = z.strictObject({ signature: b64 });
const idParams = z.strictObject({ id: z.uuid() });

const signerView = z.object({ name: z.string(), address: z.string(), notAfter: z.string() });
const preparedView = z.object({
  id: z.string(),
  format: z.enum(['pades', 'cades']),
  digestInfo: z.string().describe('the PKCS#1 DigestInfo the card signs, base64'),
  toBeSigned: z.string().describe('the DER signed attributes a device key signs, base64'),
  algorithm: z.enum(['RSA-SHA256', 'ECDSA-SHA256']),
  signer: signerView,
  document: z.object({ fileName: z.string(), size: z.number().int(), sha256: z.string() }),
  expiresAt: z.string(),
});
const signedView = z.object({
  fileName: z.string(),
  mediaType: z.enum(['application/pdf', 'application/pkcs7-signature']),
  file: z.string().describe('the signed PDF or the .p7s, base64'),
  level: z.literal('B-LT'),
  provenAt: z.string(),
  signer: signerView,
});

const isPdf = (b: Uint8Array): boolean =>
  b.length >= 5 && Buffer.from(b.subarray(0, 1024)).toString('latin1').includes('%PDF-');

const hex = async (b: Uint8Array): Promise<string> =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new Uint8Array(b))).toString('hex');

/**
 * 氏名 and 住所 of a Watashi signing certificate: its subjectAltName carries the verified basic 4
 * in the JPKI otherName form (packages/ca/src/profiles.ts, docs/jpki.md §1.4). `readBasic4` reads
 * JPKI certificates only (it checks the issuer), so the two fields shown are read here.
 */
function watashiBasic4(c: Certificate): { name: string; address: string } {
  const get = (oid: string): string | undefined => {
    for (const g of c.subjectAltName ?? []) {
      if (g.type !== 'otherName' || g.oid !== oid) continue;
      const t = readTlv(g.value, 0);
      if (t.tag === Tag.UTF8_STRING)
        return new TextDecoder('utf-8', { fatal: true }).decode(valueOf(g.value, t));
    }
    return undefined;
  };
  const name = get(OID.jpkiName);
  const address = get(OID.jpkiAddress);
  if (name === undefined || address === undefined)
    throw problem('signature_certificate_unacceptable', 422, 'not a Watashi signing certificate');
  return { name, address };
}

/** The signing routes and their pending preparations (exported for tests). */
export class CardSigning {
  readonly #deps: PlatformDeps;
  readonly #pending = new Map<string, Pending>();
  readonly #verifier = nodeVerifier();
  readonly #tsa: ReturnType<typeof platformTsa>;

  constructor(deps: PlatformDeps) {
    this.#deps = deps;
    this.#tsa = platformTsa(deps);
  }

  #sweep(now: number): void {
    for (const p of this.#pending.values())
      if (p.expires <= now) this.#drop(p, problem('signature_sign_expired', 410, 'the preparation expired'));
  }

  #drop(p: Pending, e: Error): void {
    this.#pending.delete(p.id);
    p.cancel(e);
    p.result.catch(() => undefined);
  }

  /** Step 1: checks the certificate, prepares the signature, answers what the card signs. */
  async prepare(accountId: string, b: z.output<typeof prepareBody>): Promise<PreparedSigningJson> {
    const now = this.#deps.now();
    this.#sweep(now.getTime());
    const document = fromBase64(b.document);
    if (document.length === 0 || document.length > MAX_DOCUMENT)
      throw problem('signature_request_invalid', 413, 'the document is empty or larger than 10 MiB');
    let certificate: Certificate;
    let chain: Certificate[];
    let basic4: { readonly name: string; readonly address: string };
    const ca = await existingCaCertificates(this.#deps);
    let device = false;
    try {
      certificate = parseCertificate(fromBase64(b.certificate));
      chain = b.chain.map((c) => parseCertificate(fromBase64(c)));
      device = ca !== undefined && nameToString(certificate.issuer) === nameToString(ca.issuing.subject);
      basic4 = device ? watashiBasic4(certificate) : readBasic4(certificate);
    } catch (cause) {
      throw problem('signature_certificate_unacceptable', 422, 'not a JPKI signing certificate', {
        ...(isWatashiError(cause) ? { reason: cause.code } : {}),
      });
    }
    // A Watashi signing certificate on the resident's device (issue 18, docs/trust-service.md):
    // the platform's own records decide first — this account's, of the signing profile, activated
    // by proof of possession and not revoked — then the path to the Watashi root. Its evidence
    // comes from Watashi's own responder (nothing is billed); a card's from J-LIS.
    let anchors: readonly Certificate[];
    let algorithm: 'RSA-SHA256' | 'ECDSA-SHA256';
    if (device && ca !== undefined) {
      const serial = certificate.serial.toString(16);
      const mine = (await listDevices(this.#deps, accountId)).find((d) => d.serial === serial);
      if (mine?.profile !== 'watashi-device-sign' || mine.state !== 'active')
        throw problem(
          'signature_certificate_unacceptable',
          422,
          'not an active signing certificate of yours',
          {
            reason: mine === undefined ? 'device_certificate_unknown' : `device_certificate_${mine.state}`,
          },
        );
      chain = [ca.issuing, ca.root];
      anchors = [ca.root];
      algorithm = 'ECDSA-SHA256';
    } else {
      anchors = this.#deps.trust.anchors('sign');
      algorithm = 'RSA-SHA256';
    }
    // The path now, without revocation: J-LIS is asked (and paid) only after the card has proven
    // possession of the key, in complete().
    try {
      await validatePath({
        leaf: certificate,
        intermediates: chain,
        anchors,
        now,
        verifier: this.#verifier,
        revocation: 'not-checked',
      });
    } catch (cause) {
      throw problem('signature_certificate_unacceptable', 422, 'the certificate is not acceptable now', {
        ...(isWatashiError(cause) ? { reason: cause.code } : {}),
      });
    }
    // One preparation per account: a new one replaces the last.
    for (const p of this.#pending.values())
      if (p.accountId === accountId) this.#drop(p, problem('signature_sign_expired', 410, 'replaced'));
    if (this.#pending.size >= MAX_PENDING)
      throw problem('signature_busy', 503, 'too many signatures are being made; try again shortly');

    const format = isPdf(document) ? 'pades' : 'cades';
    const signer: SignerView = {
      name: basic4.name,
      address: basic4.address,
      notAfter: certificate.notAfter.toISOString(),
    };
    const authority = await this.#tsa();
    const timeStamper = localTimeStamper(authority);
    const evidence = device ? this.#watashiEvidence() : jpkiBackendEvidence(this.#deps.backend, accountId);

    // The signer port hands the prepared SignerInfo out and waits for the card's signature.
    let onPrepared!: (p: PreparedCmsSignature) => void;
    let onFailed!: (e: unknown) => void;
    const preparedP = new Promise<PreparedCmsSignature>((res, rej) => {
      onPrepared = res;
      onFailed = rej;
    });
    let give!: (s: Uint8Array) => void;
    let cancel!: (e: Error) => void;
    const signature = new Promise<Uint8Array>((res, rej) => {
      give = res;
      cancel = rej;
    });
    const docSigner: DocumentSigner = {
      certificate: certificate.der,
      chain: chain.map((c) => c.der),
      algorithm,
      sign: (p) => {
        onPrepared(p);
        return signature;
      },
    };
    const result =
      format === 'pades'
        ? signPdf({ pdf: document, signer: docSigner, now, level: 'B-LT', timeStamper, evidence })
        : signCades({
            content: document,
            signer: docSigner,
            signingTime: now,
            level: 'B-LT',
            timeStamper,
            evidence,
          });
    result.catch((e: unknown) => onFailed(e));
    let prepared: PreparedCmsSignature;
    try {
      prepared = await preparedP;
    } catch (cause) {
      if (
        isWatashiError(cause) &&
        (cause.code === 'signature_unsupported' || cause.code === 'signature_malformed')
      )
        throw problem('signature_document_unsupported', 422, 'this PDF cannot be signed', {
          reason: cause.code,
        });
      throw cause;
    }
    const id = randomUUID();
    const expires = now.getTime() + PENDING_TTL_MS;
    this.#pending.set(id, {
      id,
      accountId,
      expires,
      certificate,
      algorithm,
      anchors,
      prepared,
      give,
      cancel,
      result,
      format,
      fileName: b.fileName,
      document,
      signer,
      used: false,
    });
    return {
      id,
      format,
      digestInfo: toBase64(prepared.digestInfo),
      toBeSigned: toBase64(prepared.toBeSigned),
      algorithm,
      signer,
      document: { fileName: b.fileName, size: document.length, sha256: await hex(document) },
      expiresAt: new Date(expires).toISOString(),
    };
  }

  /** Step 2: checks the card's signature, time-stamps, embeds the evidence, answers the file. */
  async complete(accountId: string, id: string, signature: string): Promise<SignedDocumentJson> {
    this.#sweep(this.#deps.now().getTime());
    const p = this.#pending.get(id);
    if (p === undefined || p.accountId !== accountId || p.used)
      throw problem('signature_sign_expired', 410, 'no such preparation; start again');
    let sig = fromBase64(signature);
    // WebCrypto's ECDSA answers raw r ‖ s (IEEE P1363); CMS wants the DER Ecdsa-Sig-Value
    // (RFC 5753 §2.1.1, RFC 3279 §2.2.3).
    if (p.algorithm === 'ECDSA-SHA256' && sig.length === 64) sig = ecdsaRawToDer(sig);
    // Proof of possession before anything is billed (the OCSP query) or time-stamped.
    const ok = await this.#verifier.verify(p.certificate.spki, p.algorithm, p.prepared.toBeSigned, sig);
    if (!ok) {
      this.#drop(p, problem('signature_card_signature_invalid', 422, 'bad signature'));
      throw problem('signature_card_signature_invalid', 422, 'the card’s signature does not verify');
    }
    p.used = true;
    this.#pending.delete(id);
    p.give(sig);
    let file: Uint8Array;
    try {
      file = await p.result;
    } catch (cause) {
      if (isWatashiError(cause) && cause.code === 'signature_evidence_unavailable')
        throw problem('signature_evidence_unavailable', 503, 'the certificate’s status cannot be had now');
      throw cause;
    }
    // Never hand out a signature a verifier would not pass (a certificate revoked before the
    // time-stamp, say): the same validation as the verification page.
    const tsaAnchors = [parseCertificate((await this.#tsa()).certificate)];
    const now = this.#deps.now();
    let report: ValidationReport | undefined;
    if (p.format === 'pades') {
      const r = await validatePdf({
        pdf: file,
        anchors: p.anchors,
        tsaAnchors,
        now,
        verifier: this.#verifier,
      });
      report = r.signatures.at(-1);
    } else {
      report = await validateCades({
        cms: file,
        content: p.document,
        anchors: p.anchors,
        tsaAnchors,
        now,
        verifier: this.#verifier,
      });
    }
    if (report?.indication !== 'TOTAL-PASSED' || report.provenAt === undefined)
      throw problem('signature_result_invalid', 422, 'the signature would not pass validation', {
        ...(report ? { indication: report.indication, subIndication: report.subIndication } : {}),
      });
    // Kept for the archive job: the file's hash and its first archive time-stamp (archive.ts).
    await recordSignature(this.#deps, { accountId, format: p.format, file });
    return {
      fileName: p.format === 'pades' ? p.fileName : `${p.fileName}.p7s`,
      mediaType: p.format === 'pades' ? 'application/pdf' : 'application/pkcs7-signature',
      file: toBase64(file),
      level: 'B-LT',
      provenAt: report.provenAt,
      signer: p.signer,
    };
  }

  /**
   * Evidence for a Watashi certificate from Watashi's own CA, in process (not J-LIS; nothing is
   * billed): the OCSP answer of its responder for a resident's certificate, the root's CRL for the
   * issuing CA.
   */
  #watashiEvidence(): EvidenceSource {
    return async (cert, issuer) => {
      const ca = await platformCa(this.#deps);
      const now = this.#deps.now();
      if (cert.der.length === ca.issuing.der.length && cert.der.every((b, i) => b === ca.issuing.der[i]))
        return {
          crl: await ca.rootCrl({
            crlNumber: await nextCrlNumber(this.#deps, 'root'),
            thisUpdate: now,
            nextUpdate: new Date(now.getTime() + 7 * 86_400_000),
          }),
        };
      const request = await buildOcspRequest({ items: [{ cert, issuer }], hash: 'SHA-1' });
      return { ocsp: await ca.ocsp(request, (serial) => deviceStatus(this.#deps, serial), now, 300) };
    };
  }

  /** Forgets every preparation (platform close). */
  close(): void {
    for (const p of [...this.#pending.values()]) this.#drop(p, new Error('closing'));
  }
}

/** Registers `POST /api/signatures/sign` and `POST /api/signatures/sign/:id/complete`. */
export function registerSigningRoutes(app: FastifyInstance, deps: PlatformDeps): CardSigning {
  const signing = new CardSigning(deps);
  app.addHook('onClose', (_app, done) => {
    signing.close();
    done();
  });
  const routes = withSchemas(app);
  const schemaErrorFormatter = invalidAs((d) => problem('signature_request_invalid', 400, d));
  routes.post(
    '/api/signatures/sign',
    {
      // Base64 of a 10 MiB document and a certificate chain.
      bodyLimit: Math.ceil((MAX_DOCUMENT * 4) / 3) + 64 * 1024,
      config: { auth: 'session', rateLimit: 'default' },
      schemaErrorFormatter,
      schema: {
        summary: 'Prepare a signature the My Number card makes (what the card signs)',
        body: prepareBody,
        response: { 200: preparedView },
      },
    },
    async (req, reply) => {
      const s = req.session;
      if (s === null) throw problem('session_required', 401, 'sign in first');
      return reply.header('cache-control', 'no-store').send(await signing.prepare(s.accountId, req.body));
    },
  );
  routes.post(
    '/api/signatures/sign/:id/complete',
    {
      config: { auth: 'session', rateLimit: 'default' },
      schemaErrorFormatter,
      schema: {
        summary: 'Finish the signature with the card’s signature: time-stamp, evidence, the signed file',
        params: idParams,
        body: completeBody,
        response: { 200: signedView },
      },
    },
    async (req, reply) => {
      const s = req.session;
      if (s === null) throw problem('session_required', 401, 'sign in first');
      return reply
        .header('cache-control', 'no-store')
        .send(await signing.complete(s.accountId, req.params.id, req.body.signature));
    },
  );
  return signing;
}
