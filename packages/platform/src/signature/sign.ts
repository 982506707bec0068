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
 * Between the two requests the preparation waits in the database (`signing_preparations`,
 * migration 0022), so the completion may reach any instance, and a restart in between loses
 * nothing (docs/scaling.md). Step 1 runs the document code up to the signature and keeps what
 * step 2 needs: in clear, the signed attributes the card signs (`to_be_signed`), the document's
 * SHA-256, the signing time, the account and session; sealed under the data key, the file name,
 * the certificates and — for a PDF only, whose signature goes inside it — the document. Step 2
 * takes the row with one atomic UPDATE … RETURNING (once, by the same session, before
 * {@link PENDING_TTL_MS}), checks the signature over the stored attributes, then runs the document
 * code again with the same signing time (from the PDF, or for a detached `.p7s` from the stored
 * digest alone): it is deterministic, and the signer port refuses to hand over the signature
 * unless the attributes it is asked to sign are byte-identical to the stored ones — they hold the
 * SHA-256 of the prepared bytes (the PDF's ByteRange, or the file), so the rebuilt signature is
 * the one the card signed. The result is validated as before, a `.p7s` against the stored digest.
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
  bytesEqual,
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
  type TimeStamper,
  type ValidationReport,
} from '@watashi/signature';
import { sql } from 'kysely';
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
  | 'signature_sign_used'
  | 'signature_sign_unknown'
  | 'signature_card_signature_invalid'
  | 'signature_document_unsupported'
  | 'signature_evidence_unavailable'
  | 'signature_result_invalid'
  | 'signature_busy';

/** How long a preparation waits for the card's signature. */
export const PENDING_TTL_MS = 5 * 60_000;
/**
 * Preparations waiting at once in the database, all instances together (each holds its sealed
 * document, ≤ {@link MAX_DOCUMENT}: at most about 0.7 GB in all); `signature_busy` beyond.
 */
export const MAX_PENDING = 64;
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

/** The sealed part of a preparation: what completion needs that is personal (0022). */
interface SealedPreparation {
  readonly fileName: string;
  /** The signer's certificate and chain (DER). */
  readonly certificate: Uint8Array;
  readonly chain: readonly Uint8Array[];
  /** A Watashi signing certificate on a device (evidence from Watashi's CA) or the card's. */
  readonly device: boolean;
  readonly signer: SignerView;
  /**
   * A PDF, whose signature goes inside it (completion rebuilds the prepared file from it); empty
   * for any other file: its detached signature is finished and validated from the stored digest.
   */
  readonly document: Uint8Array;
}

/** `[header length, 4 bytes BE][header JSON][document]`: the document as is, not in base64. */
function encodeSealed(p: SealedPreparation): Uint8Array {
  const header = new TextEncoder().encode(
    JSON.stringify({
      v: 1,
      fileName: p.fileName,
      certificate: toBase64(p.certificate),
      chain: p.chain.map(toBase64),
      device: p.device,
      signer: p.signer,
    }),
  );
  const out = new Uint8Array(4 + header.length + p.document.length);
  new DataView(out.buffer).setUint32(0, header.length);
  out.set(header, 4);
  out.set(p.document, 4 + header.length);
  return out;
}

function decodeSealed(b: Uint8Array): SealedPreparation {
  const n = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0);
  const h = JSON.parse(new TextDecoder().decode(b.subarray(4, 4 + n))) as {
    fileName: string;
    certificate: string;
    chain: string[];
    device: boolean;
    signer: SignerView;
  };
  return {
    fileName: h.fileName,
    certificate: fromBase64(h.certificate),
    chain: h.chain.map(fromBase64),
    device: h.device,
    signer: h.signer,
    document: b.subarray(4 + n),
  };
}

/** Associated data of a sealed preparation: a box moved to another row or account fails to open. */
const sealAad = (id: string, accountId: string): Uint8Array =>
  new TextEncoder().encode(`signing-preparation:${id}:${accountId}`);

/** Thrown by the capturing signer port of step 1 once it holds the prepared SignerInfo. */
class Captured extends Error {
  constructor(readonly prepared: PreparedCmsSignature) {
    super('prepared');
  }
}

/**
 * The document code of both steps: the same inputs give the same bytes (no randomness). A CAdES
 * signature is detached, so its SHA-256 (`contentDigest`) may stand in for the document.
 */
function signDocument(o: {
  readonly format: 'pades' | 'cades';
  readonly document: Uint8Array;
  readonly contentDigest?: Uint8Array;
  readonly signer: DocumentSigner;
  readonly signingTime: Date;
  readonly timeStamper?: TimeStamper;
  readonly evidence?: EvidenceSource;
}): Promise<Uint8Array> {
  const upgrade =
    o.timeStamper && o.evidence
      ? { level: 'B-LT' as const, timeStamper: o.timeStamper, evidence: o.evidence }
      : { level: 'B-B' as const };
  return o.format === 'pades'
    ? signPdf({ pdf: o.document, signer: o.signer, now: o.signingTime, ...upgrade })
    : signCades({
        ...(o.contentDigest ? { contentDigest: o.contentDigest } : { content: o.document }),
        signer: o.signer,
        signingTime: o.signingTime,
        ...upgrade,
      });
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

/** The signing routes (exported for tests): stateless, the preparations are rows (0022). */
export class CardSigning {
  readonly #deps: PlatformDeps;
  readonly #verifier = nodeVerifier();
  readonly #tsa: ReturnType<typeof platformTsa>;

  constructor(deps: PlatformDeps) {
    this.#deps = deps;
    this.#tsa = platformTsa(deps);
  }

  /** Step 1: checks the certificate, prepares the signature, answers what the card signs. */
  async prepare(
    session: { readonly id: string; readonly accountId: string },
    b: z.output<typeof prepareBody>,
  ): Promise<PreparedSigningJson> {
    const { accountId } = session;
    const now = this.#deps.now();
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
    const format = isPdf(document) ? 'pades' : 'cades';
    const signer: SignerView = {
      name: basic4.name,
      address: basic4.address,
      notAfter: certificate.notAfter.toISOString(),
    };
    // The document code up to the signature: the signer port keeps the prepared SignerInfo and
    // stops there (nothing is time-stamped or asked of J-LIS before the card has signed).
    const sha256 = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(document)));
    let prepared: PreparedCmsSignature;
    try {
      await signDocument({
        format,
        document,
        // A detached signature from the digest kept in clear, as completion will build it again.
        ...(format === 'cades' ? { contentDigest: sha256 } : {}),
        signingTime: now,
        signer: {
          certificate: certificate.der,
          chain: chain.map((c) => c.der),
          algorithm,
          sign: (p) => Promise.reject(new Captured(p)),
        },
      });
      throw new Error('the signer port was not asked to sign');
    } catch (cause) {
      if (cause instanceof Captured) prepared = cause.prepared;
      else if (
        isWatashiError(cause) &&
        (cause.code === 'signature_unsupported' || cause.code === 'signature_malformed')
      )
        throw problem('signature_document_unsupported', 422, 'this PDF cannot be signed', {
          reason: cause.code,
        });
      else throw cause;
    }
    const id = randomUUID();
    const expires = new Date(now.getTime() + PENDING_TTL_MS);
    const box = await this.#deps.keys.seal(
      encodeSealed({
        fileName: b.fileName,
        certificate: certificate.der,
        chain: chain.map((c) => c.der),
        device,
        signer,
        // Only a PDF is kept (sealed): completion rebuilds the file the signature goes into. Any
        // other file's detached signature needs only its digest, kept in clear.
        document: format === 'pades' ? document : new Uint8Array(0),
      }),
      sealAad(id, accountId),
    );
    await this.#deps.db.transaction().execute(async (trx) => {
      // One preparation per account: a new one replaces the last (its completion is then
      // signature_sign_unknown).
      await trx.deleteFrom('signing_preparations').where('account_id', '=', accountId).execute();
      const live = await trx
        .selectFrom('signing_preparations')
        .select((e) => e.fn.countAll<string>().as('n'))
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirstOrThrow();
      if (Number(live.n) >= MAX_PENDING)
        throw problem('signature_busy', 503, 'too many signatures are being made; try again shortly');
      await trx
        .insertInto('signing_preparations')
        .values({
          id,
          account_id: accountId,
          session_id: session.id,
          format,
          algorithm,
          signing_time: now,
          document_sha256: sha256,
          to_be_signed: prepared.toBeSigned,
          key_id: box.keyId,
          nonce: box.nonce,
          sealed: box.ciphertext,
          created_at: now,
          expires_at: expires,
        })
        .execute();
    });
    return {
      id,
      format,
      digestInfo: toBase64(prepared.digestInfo),
      toBeSigned: toBase64(prepared.toBeSigned),
      algorithm,
      signer,
      document: { fileName: b.fileName, size: document.length, sha256: Buffer.from(sha256).toString('hex') },
      expiresAt: expires.toISOString(),
    };
  }

  /**
   * Takes the preparation for a completion: one UPDATE … RETURNING marks it consumed and clears
   * its sealed part, so of two completions racing (on one instance or two) exactly one gets it.
   * The sub-select reads the sealed part before the update clears it (RETURNING sees new values).
   * A miss is then told apart for a stable code: no such preparation for this session (another
   * account's looks the same), already completed, or expired.
   */
  async #consume(session: { readonly id: string; readonly accountId: string }, id: string, now: Date) {
    const { rows } = await sql<{
      format: 'pades' | 'cades';
      algorithm: 'RSA-SHA256' | 'ECDSA-SHA256';
      signing_time: Date;
      to_be_signed: Uint8Array;
      document_sha256: Uint8Array;
      key_id: string;
      nonce: Uint8Array;
      sealed: Uint8Array | null;
    }>`
      UPDATE signing_preparations AS p SET consumed_at = ${now}, sealed = NULL
      FROM (SELECT id, sealed FROM signing_preparations WHERE id = ${id} FOR UPDATE) AS old
      WHERE p.id = old.id AND p.account_id = ${session.accountId} AND p.session_id = ${session.id}
        AND p.consumed_at IS NULL AND p.expires_at > ${now}
      RETURNING p.format, p.algorithm, p.signing_time, p.to_be_signed, p.document_sha256, p.key_id,
        p.nonce, old.sealed`.execute(this.#deps.db);
    const row = rows[0];
    if (row?.sealed != null) return { ...row, sealed: row.sealed };
    const seen = await this.#deps.db
      .selectFrom('signing_preparations')
      .select(['account_id', 'session_id', 'consumed_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (seen === undefined || seen.account_id !== session.accountId || seen.session_id !== session.id)
      throw problem('signature_sign_unknown', 404, 'no such preparation in this session; start again');
    if (seen.consumed_at !== null)
      throw problem('signature_sign_used', 409, 'this preparation was already completed; start again');
    throw problem('signature_sign_expired', 410, 'the preparation expired; start again');
  }

  /** Step 2: checks the card's signature, time-stamps, embeds the evidence, answers the file. */
  async complete(
    session: { readonly id: string; readonly accountId: string },
    id: string,
    signature: string,
  ): Promise<SignedDocumentJson> {
    const { accountId } = session;
    const row = await this.#consume(session, id, this.#deps.now());
    const p = decodeSealed(
      await this.#deps.keys.open(
        { alg: 'A256GCM', keyId: row.key_id, nonce: row.nonce, ciphertext: row.sealed },
        sealAad(id, accountId),
      ),
    );
    const certificate = parseCertificate(p.certificate);
    let sig = fromBase64(signature);
    // WebCrypto's ECDSA answers raw r ‖ s (IEEE P1363); CMS wants the DER Ecdsa-Sig-Value
    // (RFC 5753 §2.1.1, RFC 3279 §2.2.3).
    if (row.algorithm === 'ECDSA-SHA256' && sig.length === 64) sig = ecdsaRawToDer(sig);
    // Proof of possession before anything is billed (the OCSP query) or time-stamped.
    const ok = await this.#verifier.verify(certificate.spki, row.algorithm, row.to_be_signed, sig);
    if (!ok) throw problem('signature_card_signature_invalid', 422, 'the card’s signature does not verify');
    const ca = p.device ? await existingCaCertificates(this.#deps) : undefined;
    if (p.device && ca === undefined) throw new Error('the platform CA of a device certificate is gone');
    const anchors = ca ? [ca.root] : this.#deps.trust.anchors('sign');
    const format = row.format;
    let file: Uint8Array;
    try {
      file = await signDocument({
        format,
        document: p.document,
        ...(format === 'cades' ? { contentDigest: row.document_sha256 } : {}),
        signingTime: row.signing_time,
        signer: {
          certificate: p.certificate,
          chain: p.chain,
          algorithm: row.algorithm,
          // The rebuilt signed attributes must be the ones the card signed: they hold the digest
          // of the prepared bytes, so equality proves the rebuilt file byte-identical.
          sign: (prepared) =>
            bytesEqual(prepared.toBeSigned, row.to_be_signed)
              ? Promise.resolve(sig)
              : Promise.reject(new Error('the rebuilt signature differs from the prepared one')),
        },
        timeStamper: localTimeStamper(await this.#tsa()),
        evidence: p.device ? this.#watashiEvidence() : jpkiBackendEvidence(this.#deps.backend, accountId),
      });
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
    if (format === 'pades') {
      const r = await validatePdf({
        pdf: file,
        anchors,
        tsaAnchors,
        now,
        verifier: this.#verifier,
      });
      report = r.signatures.at(-1);
    } else {
      report = await validateCades({
        cms: file,
        contentDigest: row.document_sha256,
        anchors,
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
    await recordSignature(this.#deps, { accountId, format, file });
    return {
      fileName: format === 'pades' ? p.fileName : `${p.fileName}.p7s`,
      mediaType: format === 'pades' ? 'application/pdf' : 'application/pkcs7-signature',
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
}

/** Registers `POST /api/signatures/sign` and `POST /api/signatures/sign/:id/complete`. */
export function registerSigningRoutes(app: FastifyInstance, deps: PlatformDeps): CardSigning {
  const signing = new CardSigning(deps);
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
      return reply.header('cache-control', 'no-store').send(await signing.prepare(s, req.body));
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
        .send(await signing.complete(s, req.params.id, req.body.signature));
    },
  );
  return signing;
}
