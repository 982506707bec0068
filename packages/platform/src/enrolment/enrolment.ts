/**
 * Enrolment (docs/architecture.md §3.1): issuing the document to sign, then completing the enrolment with the
 * resident's signature — verify (verify-enrolment-signature.ts), then in ONE transaction consume
 * the nonce, find or create the account (README.md, "Same person"), anchor it on the certificate
 * with the J-LIS evidence, store the basic 4 information sealed, record the consent and append the
 * audit events. A failure anywhere rolls everything back and leaves the nonce unused.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Transaction } from 'kysely';
import { bytesEqual, isWatashiError, toBase64, toHex, verifyCms, type Certificate } from '@watashi/pki';
import { nodeVerifier } from '@watashi/pki/node';
import { readBasic4, type Basic4 } from '@watashi/jpki';
import { evaluateIdentityProofing } from '../assurance/evaluate.ts';
import type { JpkiBackend, RegisteredConsent, StatusEvidence } from '../jlis/backend.ts';
import { applyOcspEvidence } from '../lifecycle/anchor-check.ts';
import { recordLifecycleFacts } from '../lifecycle/events/outbox.ts';
import { appendAudit } from '../store/audit.ts';
import { withTransaction } from '../store/database.ts';
import { jsonb } from '../store/json.ts';
import { classifyNonce, consumeNonce } from '../store/nonces.ts';
import type { Schema } from '../store/schema.ts';
import type { PlatformDeps } from '../server/context.ts';
import {
  buildConsentDocument,
  buildEnrolmentDocument,
  fromBase64Url,
  toBase64Url,
  NONCE_BYTES,
  type EnrolmentDocument,
} from './document.ts';
import { enrolmentError } from './errors.ts';
import { normaliseName, personKeyOf } from './person-key.ts';
import { openBasic4, sealBasic4 } from './seal-basic4.ts';
import { runSteps, step, type Step } from '../pipeline.ts';
import {
  throwForNonce,
  verifyEnrolmentSignature,
  type EnrolmentSignature,
  type VerifiedEnrolment,
} from './verify-enrolment-signature.ts';

/** What the platform needs for enrolment (a subset of PlatformDeps, so tests can build it). */
export type EnrolmentDeps = Pick<PlatformDeps, 'config' | 'database' | 'keys' | 'backend' | 'trust' | 'now'>;

/** An issued enrolment document. */
export interface IssuedEnrolment {
  /** The enrolment id: base64url of the nonce. */
  readonly id: string;
  readonly document: {
    /** The exact bytes to sign, base64. */
    readonly bytes: string;
    /** The same content, rendered for reading (Japanese, then English). */
    readonly rendering: string;
    readonly content: EnrolmentDocument;
  };
  /** The consent document for latest-basic-4 provision (base64), when asked for. */
  readonly consentDocument?: string;
  readonly expiresAt: Date;
}

const consentVerifier = nodeVerifier();

const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

function operatorOf(deps: EnrolmentDeps): { id: string; url: string } {
  const c = deps.config;
  return { id: c.jlis?.operatorId ?? 'watashi', url: c.publicUrl ?? `http://${c.host}:${c.port}` };
}

/**
 * Issues an enrolment document (purpose `enrolment`) or, for a signed-in account, a re-proofing
 * document (purpose `reproofing`, naming the account). With `consent`, also the consent document
 * for latest-basic-4 provision (simulator backend only: see document.ts).
 */
export async function issueEnrolment(
  deps: EnrolmentDeps,
  options: { purpose: 'enrolment' | 'reproofing'; accountId?: string; consent?: boolean },
): Promise<IssuedEnrolment> {
  const issuedAt = new Date(Math.floor(deps.now().getTime() / 1000) * 1000);
  const expiresAt = new Date(issuedAt.getTime() + deps.config.enrolmentTtlSeconds * 1000);
  const nonce = new Uint8Array(randomBytes(NONCE_BYTES));
  const operator = operatorOf(deps);
  const built = buildEnrolmentDocument({
    purpose: options.purpose,
    operator,
    ...(options.accountId === undefined ? {} : { accountId: options.accountId }),
    nonce,
    issuedAt,
    expiresAt,
  });
  const consent =
    options.consent === true ? buildConsentDocument({ operatorId: operator.id, now: issuedAt }) : null;
  await deps.database.db
    .insertInto('enrolment_nonces')
    .values({
      nonce,
      purpose: options.purpose,
      document_hash: sha256(built.bytes),
      account_id: options.accountId ?? null,
      created_at: issuedAt,
      expires_at: expiresAt,
      document: built.bytes,
      consent_document: consent,
    })
    .execute();
  return {
    id: toBase64Url(nonce),
    document: { bytes: toBase64(built.bytes), rendering: built.rendering, content: built.document },
    ...(consent === null ? {} : { consentDocument: toBase64(consent) }),
    expiresAt,
  };
}

/** Inputs of {@link completeEnrolment}. */
export interface CompleteEnrolmentInput {
  /** The enrolment id from {@link issueEnrolment}. */
  readonly id: string;
  readonly signature: EnrolmentSignature;
  /** Optional CMS SignedData (attached) over the consent document, by the same certificate. */
  readonly consentCms?: Uint8Array;
  /**
   * The signed-in account: required for re-proofing documents; for an enrolment document it
   * confirms a same-person candidate that is this account (README.md, "Same person", rule 4).
   */
  readonly session?: { readonly accountId: string } | null;
}

/** The outcome of a completed enrolment. */
export interface CompletedEnrolment {
  readonly accountId: string;
  /** true: a new account; false: an existing account re-proofed. */
  readonly created: boolean;
  readonly anchorId: string;
  /** 身元確認保証レベル computed by the assurance engine from the new evidence. */
  readonly proofingLevel: number;
  readonly consentId?: string;
}

/** Transaction-level advisory lock on a person key: concurrent enrolments of one person queue. */
async function lockPerson(trx: Transaction<Schema>, personKey: Uint8Array): Promise<void> {
  const view = new DataView(personKey.buffer, personKey.byteOffset, 8);
  const key = view.getBigInt64(0).toString();
  await sql`SELECT pg_advisory_xact_lock(${key}::bigint)`.execute(trx);
}

/** Verifies the consent CMS locally: attached, over exactly the issued consent document, by `cert`. */
async function checkConsent(
  cms: Uint8Array,
  consentDocument: Uint8Array | null,
  cert: Certificate,
): Promise<void> {
  if (consentDocument === null)
    throw enrolmentError('enrolment_consent_invalid', 'no consent document was issued with this enrolment');
  let verified;
  try {
    verified = await verifyCms({ der: cms, content: consentDocument, verifier: consentVerifier });
  } catch (cause) {
    throw enrolmentError('enrolment_consent_invalid', 'the consent signature does not verify', { cause });
  }
  if (!bytesEqual(verified.signerCertificate.der, cert.der))
    throw enrolmentError('enrolment_consent_invalid', 'the consent is signed by another certificate');
}

/** Who the verified certificate belongs to, among existing accounts (README.md, "Same person"). */
type SamePerson =
  | {
      readonly kind: 'confirmed';
      readonly accountId: string;
      readonly by: 'certificate' | 'address' | 'jlis_link' | 'session';
    }
  | { readonly kind: 'unconfirmed'; readonly candidates: number }
  | { readonly kind: 'none' };

/** Same-person rule (b): the same name, birth date, sex and address — one entry of the residence registry. */
export function sameRegistryEntry(a: Basic4, b: Basic4): boolean {
  return (
    a.address === b.address &&
    normaliseName(a.name) === normaliseName(b.name) &&
    a.dateOfBirth.date === b.dateOfBirth.date &&
    a.sex === b.sex
  );
}

/**
 * A re-proofing card belongs to the account's holder when birth date and sex match: name and address
 * may change (marriage, move); birth date and sex identify the holder.
 */
export function sameHolder(old: Basic4, now: Basic4): boolean {
  return old.dateOfBirth.date === now.dateOfBirth.date && old.sex === now.sex;
}

async function findSamePerson(
  deps: EnrolmentDeps,
  trx: Transaction<Schema>,
  personKey: Uint8Array,
  v: VerifiedEnrolment & { readonly basic4: Basic4 },
  issuerKeyHash: Uint8Array,
  signedIn: string | undefined,
): Promise<SamePerson> {
  const serial = v.certificate.serial.toString();
  // (a) The very certificate is already an anchor: the same card, enrolling again.
  const same = await trx
    .selectFrom('anchors')
    .innerJoin('accounts', 'accounts.id', 'anchors.account_id')
    .select(['anchors.account_id', 'accounts.status'])
    .where('anchors.issuer_key_hash', '=', issuerKeyHash)
    .where('anchors.serial', '=', serial)
    .executeTakeFirst();
  if (same !== undefined) {
    if (same.status === 'closed')
      throw enrolmentError('enrolment_account_closed', 'the account of this card is closed');
    return { kind: 'confirmed', accountId: same.account_id, by: 'certificate' };
  }
  const candidates = await trx
    .selectFrom('accounts')
    .select(['id'])
    .where('person_key', '=', personKey)
    .where('status', '!=', 'closed')
    .orderBy('created_at')
    .execute();
  // (d) The resident is signed in to one of the candidates (a passkey or the card's user-authentication
  // key proved control of that account; the signature just proved the card): the same person
  // re-proving after a move, exactly what the re-proofing route would accept (README.md, "Same
  // person", rule 4). Before this rule such a resident was refused with enrolment_person_unconfirmed
  // ("sign in first") although signed in (issue 17).
  if (signedIn !== undefined && candidates.some((c) => c.id === signedIn))
    return { kind: 'confirmed', accountId: signedIn, by: 'session' };
  for (const c of candidates) {
    // (b) Same name, birth date, sex and address: the same entry of the residence registry.
    const b4 = await openBasic4(deps, trx, c.id);
    if (b4 !== undefined && sameRegistryEntry(b4, v.basic4))
      return { kind: 'confirmed', accountId: c.id, by: 'address' };
    // (c) J-LIS links the account's previous certificate to this one: with the resident's consent,
    // the latest-basic-4 provision names the newest signing certificate's serial (§3.4).
    const link = await trx
      .selectFrom('anchors')
      .innerJoin('consents', 'consents.anchor_id', 'anchors.id')
      .select(['anchors.serial', 'consents.jlis_reference'])
      .where('anchors.account_id', '=', c.id)
      .where('anchors.purpose', '=', 'sign')
      .where('anchors.superseded_by', 'is', null)
      .where('consents.withdrawn_at', 'is', null)
      .where('consents.jlis_reference', 'is not', null)
      .executeTakeFirst();
    if (link?.jlis_reference) {
      let answer;
      try {
        answer = await deps.backend.latestBasic4(link.serial, link.jlis_reference, {
          purpose: 'provision',
          accountId: c.id,
          // Asked inside the enrolment's transaction (it holds the person lock): the fee ledger
          // must not wait for the session this transaction holds on the embedded database.
          inTransaction: true,
        });
      } catch (cause) {
        // No answer is no confirmation: fall through to the other candidates, then refuse.
        answer = { outcome: 'unavailable' as const, cause };
      }
      if (answer.outcome === 'provided' && answer.newSerial === serial)
        return { kind: 'confirmed', accountId: c.id, by: 'jlis_link' };
    }
  }
  return candidates.length > 0 ? { kind: 'unconfirmed', candidates: candidates.length } : { kind: 'none' };
}

/** The issued document a completion answers (enrolment_nonces). */
interface IssuedDocument {
  readonly nonce: Uint8Array;
  readonly purpose: 'enrolment' | 'reproofing';
  readonly accountId: string | null;
  readonly document: Uint8Array;
  readonly consentDocument: Uint8Array | null;
  readonly usedAt: Date | null;
  readonly expiresAt: Date;
  readonly completedCertificateHash: Uint8Array | null;
  readonly completion: Record<string, unknown> | null;
}

/** A verified enrolment with the basic 4 information read from its certificate. */
type Verified = VerifiedEnrolment & { readonly basic4: Basic4 };

/** What the completion writes, derived from the verified signature (computed before the transaction). */
interface EnrolmentFacts {
  readonly person: { readonly key: Uint8Array; readonly keyId: string };
  readonly status: 'good' | 'unknown';
  readonly proofingLevel: number;
  readonly method: 'jpki_sign_smartphone' | 'jpki_sign_card';
  readonly issuerKeyHash: Uint8Array;
  readonly certificateHash: Uint8Array;
  readonly serial: string;
  readonly evidence: Record<string, string>;
}

/** What the steps of {@link completeEnrolment} know so far. */
export interface CompletionState {
  readonly deps: EnrolmentDeps;
  readonly input: CompleteEnrolmentInput;
  readonly now: Date;
  issued?: IssuedDocument;
  verified?: Verified;
  consent?: RegisteredConsent;
  facts?: EnrolmentFacts;
  result?: CompletedEnrolment;
}

/** A value an earlier step set (the step table's order guarantees it; a reorder is a bug). */
function got<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`completeEnrolment: ${what} is read before its step ran`);
  return value;
}

/** Finds the issued document; a re-proofing document only for the account it names. */
async function findIssuedDocument(s: CompletionState): Promise<void> {
  const nonce = fromBase64Url(s.input.id);
  const row =
    nonce === undefined || nonce.length < 16
      ? undefined
      : await s.deps.database.db
          .selectFrom('enrolment_nonces')
          .select([
            'purpose',
            'account_id',
            'document',
            'consent_document',
            'used_at',
            'expires_at',
            'completed_certificate_hash',
            'completion',
          ])
          .where('nonce', '=', nonce)
          .executeTakeFirst();
  if (row === undefined || nonce === undefined || row.document === null || row.purpose === 'consent')
    throw enrolmentError('enrolment_not_found', 'no such enrolment');
  if (
    row.purpose === 'reproofing' &&
    (s.input.session == null || s.input.session.accountId !== row.account_id)
  )
    throw enrolmentError('enrolment_wrong_account', 'this re-proofing belongs to another account');
  s.issued = {
    nonce,
    purpose: row.purpose,
    accountId: row.account_id,
    document: row.document,
    consentDocument: row.consent_document,
    usedAt: row.used_at,
    expiresAt: row.expires_at,
    completedCertificateHash: row.completed_certificate_hash,
    completion: row.completion,
  };
}

/**
 * A retry of a completion that committed (its reply lost, or the session after it not written):
 * the same document signed with the same certificate, while the nonce is still unexpired, gets
 * the recorded result instead of enrolment_nonce_replayed. Possession is proved again (the
 * signature over the document is verified, the certificate's profile and chain checked) but J-LIS
 * is not asked again: the completion's own query a moment ago is the evidence, and a query is
 * billed. Anyone who could replay this body before expiry could have sent it first in its place,
 * so the retry grants nothing the original request did not.
 */
async function answerRecordedRetry(s: CompletionState): Promise<void | 'done'> {
  const row = got(s.issued, 'the issued document');
  const { now, deps } = s;
  if (
    row.usedAt === null ||
    row.completion === null ||
    row.completedCertificateHash === null ||
    now.getTime() >= row.expiresAt.getTime()
  )
    return;
  const evidence: StatusEvidence = { source: 'ocsp', status: 'good', thisUpdate: now, checkedAt: now };
  const again = await verifyEnrolmentSignature(
    { document: row.document, signature: s.input.signature },
    {
      trust: deps.trust,
      backend: { ocspStatus: () => Promise.resolve(evidence) },
      now,
      checkNonce: () => Promise.resolve('ok'),
    },
  );
  if (!bytesEqual(sha256(again.certificate.der), row.completedCertificateHash))
    throw enrolmentError('enrolment_nonce_replayed', 'this enrolment document was already used');
  s.result = completionOf(row.completion);
  return 'done';
}

/**
 * Verifies the signature in its documented order (verify-enrolment-signature.ts: possession, the
 * nonce, then the billed J-LIS status). The OCSP answer the verification got is kept so that a
 * revoked certificate the platform already anchors takes effect at once (lifecycle/anchor-check.ts:
 * the sweep's effects). It only applies what J-LIS says about that certificate, so it needs no
 * proof of possession.
 */
async function verifySignature(s: CompletionState): Promise<void> {
  const { deps, now } = s;
  const row = got(s.issued, 'the issued document');
  let answer: { evidence: StatusEvidence; issuerKeyHash: Uint8Array; serial: string } | undefined;
  const backend: Pick<JpkiBackend, 'ocspStatus'> = {
    ocspStatus: async (cert, issuer, options) => {
      const evidence = await deps.backend.ocspStatus(cert, issuer, options);
      answer = {
        evidence,
        issuerKeyHash: new Uint8Array(createHash('sha256').update(issuer.spki).digest()),
        serial: cert.serial.toString(),
      };
      return evidence;
    },
  };
  let verified: VerifiedEnrolment;
  try {
    verified = await verifyEnrolmentSignature(
      { document: row.document, signature: s.input.signature },
      {
        trust: deps.trust,
        backend,
        now,
        revocationPolicy: deps.config.revocationPolicy,
        checkNonce: (n, h) =>
          classifyNonce(deps.database.db, { nonce: n, purpose: row.purpose, documentHash: h, now }),
      },
    );
  } catch (e) {
    if (
      answer?.evidence.status === 'revoked' &&
      (isWatashiError(e, 'enrolment_certificate_revoked') ||
        isWatashiError(e, 'enrolment_certificate_on_hold'))
    )
      await applyOcspEvidence(
        { db: deps.database.db, keys: deps.keys, backend: deps.backend, trust: deps.trust, now: deps.now },
        answer,
        answer.evidence,
        { actor: 'system:enrolment' },
      );
    throw e;
  }
  // The profile check already read the basic 4 information once; it is not part of verification.
  s.verified = { ...verified, basic4: readBasic4(verified.certificate) };
}

/**
 * The consent: checked here, registered with J-LIS before the transaction (an outside side effect,
 * billed), so a refusal leaves nothing written in our database and the nonce unused.
 */
async function registerConsent(s: CompletionState): Promise<void> {
  if (s.input.consentCms === undefined) return;
  const v = got(s.verified, 'the verified signature');
  await checkConsent(s.input.consentCms, got(s.issued, 'the issued document').consentDocument, v.certificate);
  try {
    s.consent = await s.deps.backend.registerConsent(s.input.consentCms, { purpose: 'provision' });
  } catch (cause) {
    throw enrolmentError('enrolment_consent_invalid', 'J-LIS did not register the consent', {
      cause,
      detail: { reason: isWatashiError(cause) ? cause.code : 'error' },
    });
  }
}

/** The anchor's evidence column: J-LIS's answer and how the signature was made (no basic 4). */
export function anchorEvidence(v: VerifiedEnrolment, backendKind: string): Record<string, string> {
  return {
    source: v.status.source,
    status: v.status.status,
    ...(v.status.reason === undefined ? {} : { reason: v.status.reason }),
    thisUpdate: v.status.thisUpdate.toISOString(),
    ...(v.status.nextUpdate === undefined ? {} : { nextUpdate: v.status.nextUpdate.toISOString() }),
    checkedAt: v.status.checkedAt.toISOString(),
    ...(v.status.ocspResponse === undefined ? {} : { ocsp: toBase64(v.status.ocspResponse) }),
    ...(v.status.crlNumber === undefined ? {} : { crlNumber: v.status.crlNumber.toString() }),
    ...(v.status.url === undefined ? {} : { url: v.status.url }),
    signatureFormat: v.format,
    documentHash: toHex(v.documentHash),
    signedAt: v.signedAt.toISOString(),
    backend: backendKind,
  };
}

/** The person key, the proofing level and the anchor's columns, from the verified signature. */
async function deriveFacts(s: CompletionState): Promise<void> {
  const v = got(s.verified, 'the verified signature');
  const person = await personKeyOf(s.deps.keys, v.basic4);
  const status = v.status.status === 'good' ? 'good' : 'unknown';
  const proofing = evaluateIdentityProofing(
    { anchor: { kind: 'jpki-sign', status, lastCheckedAt: v.status.checkedAt }, proofedAt: s.now },
    s.now,
  );
  if (proofing.level < 1) throw new Error('the assurance engine gave level 0 to a verified enrolment');
  s.facts = {
    person,
    status,
    proofingLevel: proofing.level,
    method: v.variant === 'smartphone' ? 'jpki_sign_smartphone' : 'jpki_sign_card',
    issuerKeyHash: sha256(v.issuer.spki),
    certificateHash: sha256(v.certificate.der),
    serial: v.certificate.serial.toString(),
    evidence: anchorEvidence(v, s.deps.backend.kind),
  };
}

/** Whose account the enrolment completes, and why. */
interface AccountChoice {
  readonly accountId: string;
  readonly created: boolean;
  readonly confirmedBy: string;
}

/** Re-proofing: the named account, still open, of the same holder, not anchored by this card elsewhere. */
async function chooseReproofedAccount(
  s: CompletionState,
  trx: Transaction<Schema>,
  accountId: string,
): Promise<AccountChoice> {
  const v = got(s.verified, 'the verified signature');
  const f = got(s.facts, 'the facts');
  const acc = await trx
    .selectFrom('accounts')
    .select('status')
    .where('id', '=', accountId)
    .executeTakeFirst();
  if (acc === undefined || acc.status === 'closed')
    throw enrolmentError('enrolment_account_closed', 'the account is closed');
  const old = await openBasic4(s.deps, trx, accountId);
  if (old !== undefined && !sameHolder(old, v.basic4))
    throw enrolmentError('enrolment_reproofing_person_mismatch', 'the card belongs to another person');
  const elsewhere = await trx
    .selectFrom('anchors')
    .select('account_id')
    .where('issuer_key_hash', '=', f.issuerKeyHash)
    .where('serial', '=', f.serial)
    .executeTakeFirst();
  if (elsewhere !== undefined && elsewhere.account_id !== accountId)
    throw enrolmentError('enrolment_reproofing_person_mismatch', 'the card anchors another account');
  return { accountId, created: false, confirmedBy: 'session' };
}

/** Enrolment: an existing account of the same person (README.md, "Same person"), or a new one. */
async function chooseEnrolledAccount(s: CompletionState, trx: Transaction<Schema>): Promise<AccountChoice> {
  const v = got(s.verified, 'the verified signature');
  const f = got(s.facts, 'the facts');
  const found = await findSamePerson(
    s.deps,
    trx,
    f.person.key,
    v,
    f.issuerKeyHash,
    s.input.session?.accountId,
  );
  if (found.kind === 'confirmed')
    return { accountId: found.accountId, created: false, confirmedBy: found.by };
  if (found.kind === 'unconfirmed' && !s.deps.config.allowMultipleAccountsPerPerson)
    throw enrolmentError(
      'enrolment_person_unconfirmed',
      'an account of the same name, date of birth and sex exists: sign in to it and re-proof',
    );
  return { accountId: randomUUID(), created: true, confirmedBy: 'new' };
}

/** Creates the account, or updates it; true when a re-proofing brought back a lapsed account. */
async function writeAccount(
  s: CompletionState,
  trx: Transaction<Schema>,
  choice: AccountChoice,
): Promise<boolean> {
  const f = got(s.facts, 'the facts');
  const now = s.now;
  const proofed = {
    person_key: f.person.key,
    person_key_id: f.person.keyId,
    proofing_level: f.proofingLevel,
    proofing_method: f.method,
    proofed_at: now,
    updated_at: now,
  };
  if (choice.created) {
    await trx
      .insertInto('accounts')
      .values({ id: choice.accountId, status: 'live', ...proofed, status_changed_at: now, created_at: now })
      .execute();
    return false;
  }
  const acc = await trx
    .selectFrom('accounts')
    .select('status')
    .where('id', '=', choice.accountId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('accounts')
    .set({
      ...proofed,
      // Re-proofing restores an account whose anchor had lapsed; an operator's suspension stays.
      ...(acc.status === 'needs_reproofing'
        ? { status: 'live' as const, status_reason: null, status_changed_at: now }
        : {}),
    })
    .where('id', '=', choice.accountId)
    .execute();
  return acc.status === 'needs_reproofing';
}

/** The anchor: refreshed when the very certificate is already anchored, else a new one superseding. */
async function writeAnchor(
  s: CompletionState,
  trx: Transaction<Schema>,
  accountId: string,
): Promise<{ anchorId: string; superseded: string | null; refreshed: boolean }> {
  const v = got(s.verified, 'the verified signature');
  const f = got(s.facts, 'the facts');
  const existing = await trx
    .selectFrom('anchors')
    .select('id')
    .where('account_id', '=', accountId)
    .where('issuer_key_hash', '=', f.issuerKeyHash)
    .where('serial', '=', f.serial)
    .executeTakeFirst();
  if (existing !== undefined) {
    await trx
      .updateTable('anchors')
      .set({
        status: f.status,
        revocation_reason: null,
        revoked_at: null,
        status_checked_at: v.status.checkedAt,
        evidence: jsonb(f.evidence),
        // An anchor made from the latest-basic-4 provision (lifecycle) had only the serial: the
        // certificate itself is seen now.
        certificate_hash: f.certificateHash,
        not_before: v.certificate.notBefore,
        not_after: v.certificate.notAfter,
      })
      .where('id', '=', existing.id)
      .execute();
    return { anchorId: existing.id, superseded: null, refreshed: true };
  }
  const anchorId = randomUUID();
  const old = await trx
    .updateTable('anchors')
    .set({ superseded_by: anchorId, superseded_at: s.now })
    .where('account_id', '=', accountId)
    .where('purpose', '=', 'sign')
    .where('variant', '=', v.variant)
    .where('superseded_by', 'is', null)
    .returning('id')
    .executeTakeFirst();
  await trx
    .insertInto('anchors')
    .values({
      id: anchorId,
      account_id: accountId,
      purpose: 'sign',
      variant: v.variant,
      issuer_key_hash: f.issuerKeyHash,
      issuer_name_hash: sha256(v.certificate.issuer.der),
      serial: f.serial,
      certificate_hash: f.certificateHash,
      not_before: v.certificate.notBefore,
      not_after: v.certificate.notAfter,
      status: f.status,
      status_checked_at: v.status.checkedAt,
      evidence: jsonb(f.evidence),
      created_at: s.now,
    })
    .execute();
  return { anchorId, superseded: old?.id ?? null, refreshed: false };
}

/** The consent J-LIS registered, bound to the new anchor. */
async function recordConsent(
  s: CompletionState,
  trx: Transaction<Schema>,
  accountId: string,
  anchorId: string,
): Promise<string | undefined> {
  const consentDocument = got(s.issued, 'the issued document').consentDocument;
  if (s.consent === undefined || consentDocument === null) return undefined;
  const consentId = randomUUID();
  await trx
    .insertInto('consents')
    .values({
      id: consentId,
      account_id: accountId,
      anchor_id: anchorId,
      kind: 'jlis_basic4_provision',
      service: s.consent.service,
      jlis_reference: s.consent.consentId,
      document_hash: sha256(consentDocument),
      granted_at: s.consent.grantedAt,
      expires_at: s.consent.expiresAt,
      evidence: jsonb({ items: [...s.consent.items], backend: s.deps.backend.kind }),
    })
    .execute();
  return consentId;
}

/** The audit events, last (they take the chain-head lock): ids and hashes, never basic 4 information. */
async function auditCompletion(
  s: CompletionState,
  trx: Transaction<Schema>,
  choice: AccountChoice,
  anchor: { anchorId: string; superseded: string | null; refreshed: boolean },
  consentId: string | undefined,
): Promise<void> {
  const v = got(s.verified, 'the verified signature');
  const f = got(s.facts, 'the facts');
  const { accountId } = choice;
  const actor = `account:${accountId}`;
  await appendAudit(trx, {
    actor,
    type: choice.created ? 'account.created' : 'account.reproofed',
    accountId,
    at: s.now,
    payload: {
      purpose: got(s.issued, 'the issued document').purpose,
      confirmedBy: choice.confirmedBy,
      method: f.method,
      proofingLevel: f.proofingLevel,
      anchorId: anchor.anchorId,
      signatureFormat: v.format,
      documentHash: toHex(v.documentHash),
    },
  });
  await appendAudit(trx, {
    actor,
    type: 'anchor.added',
    accountId,
    at: s.now,
    payload: {
      anchorId: anchor.anchorId,
      supersedes: anchor.superseded,
      refreshed: anchor.refreshed,
      issuerKeyHash: toHex(f.issuerKeyHash),
      serial: f.serial,
      certificateHash: toHex(f.certificateHash),
      status: f.status,
      evidenceSource: v.status.source,
    },
  });
  if (consentId !== undefined && s.consent !== undefined)
    await appendAudit(trx, {
      actor,
      type: 'consent.granted',
      accountId,
      at: s.now,
      payload: {
        consentId,
        jlisReference: s.consent.consentId,
        service: s.consent.service,
        anchorId: anchor.anchorId,
      },
    });
}

/**
 * The one transaction: consume the nonce (exactly one concurrent caller wins), take the person's
 * lock, choose and write the account, its anchor, the sealed basic 4 information, the consent, the
 * lifecycle facts and the audit events, and record the result a retry gets back. A failure anywhere
 * rolls everything back and leaves the nonce unused.
 */
async function commitEnrolment(s: CompletionState): Promise<void> {
  const row = got(s.issued, 'the issued document');
  const v = got(s.verified, 'the verified signature');
  const f = got(s.facts, 'the facts');
  s.result = await withTransaction(s.deps.database.db, async (trx) => {
    // Step 6 of verification, authoritative: exactly one concurrent caller consumes the nonce.
    throwForNonce(
      await consumeNonce(trx, {
        nonce: row.nonce,
        purpose: row.purpose,
        documentHash: v.documentHash,
        now: s.now,
      }),
    );
    // Concurrent enrolments of one person queue here, so the second sees the first's account.
    await lockPerson(trx, f.person.key);
    const choice =
      row.purpose === 'reproofing'
        ? await chooseReproofedAccount(s, trx, row.accountId!)
        : await chooseEnrolledAccount(s, trx);
    // A re-proofing that brings back an account waiting for it (lifecycle/events: notice + events).
    const restored = await writeAccount(s, trx, choice);
    const anchor = await writeAnchor(s, trx, choice.accountId);
    // The basic 4 information, sealed with the account id as associated data.
    await sealBasic4(s.deps.keys, trx, choice.accountId, v.basic4, s.now);
    const consentId = await recordConsent(s, trx, choice.accountId, anchor.anchorId);
    if (restored)
      await recordLifecycleFacts(s.deps, trx, [
        { accountId: choice.accountId, kind: 'reproofed', at: s.now },
      ]);
    await auditCompletion(s, trx, choice, anchor, consentId);
    const done: CompletedEnrolment = {
      accountId: choice.accountId,
      created: choice.created,
      anchorId: anchor.anchorId,
      proofingLevel: f.proofingLevel,
      ...(consentId === undefined ? {} : { consentId }),
    };
    // What a retry of this completion gets back (answerRecordedRetry), recorded with the consumption.
    await trx
      .updateTable('enrolment_nonces')
      .set({ completed_certificate_hash: f.certificateHash, completion: jsonb({ ...done }) })
      .where('nonce', '=', row.nonce)
      .execute();
    return done;
  });
}

/**
 * The steps of {@link completeEnrolment}, in order. Possession of the card's key is proven
 * (`verifySignature`, itself ordered: verify-enrolment-signature.ts) before J-LIS registers a
 * consent (billed) and before anything is written; a recorded retry ends the pipeline early.
 */
export const COMPLETE_ENROLMENT_STEPS: ReadonlyArray<Step<CompletionState>> = [
  step('findIssuedDocument', 'reads', findIssuedDocument),
  step('answerRecordedRetry', 'reads', answerRecordedRetry),
  step('verifySignature', 'proves-possession', verifySignature),
  step('registerConsent', 'billed', registerConsent),
  step('deriveFacts', 'pure', deriveFacts),
  step('commitEnrolment', 'writes', commitEnrolment),
];

/**
 * Completes an enrolment: verifies the signature (documented order), registers the optional
 * consent with J-LIS, then in one transaction consumes the nonce, takes the person's advisory lock,
 * finds or creates the account, anchors it, seals the basic 4 information and appends the audit
 * events ({@link COMPLETE_ENROLMENT_STEPS}). Throws `enrolment_*` errors (errors.ts).
 */
export async function completeEnrolment(
  deps: EnrolmentDeps,
  input: CompleteEnrolmentInput,
): Promise<CompletedEnrolment> {
  const s = await runSteps<CompletionState>(COMPLETE_ENROLMENT_STEPS, { deps, input, now: deps.now() });
  return got(s.result, 'the result');
}

/** The recorded result of a completion (written by completeEnrolment, so its shape is known). */
export function completionOf(c: Record<string, unknown>): CompletedEnrolment {
  const { accountId, created, anchorId, proofingLevel, consentId } = c;
  if (
    typeof accountId !== 'string' ||
    typeof created !== 'boolean' ||
    typeof anchorId !== 'string' ||
    typeof proofingLevel !== 'number'
  )
    throw new TypeError('enrolment_nonces.completion has an unexpected shape');
  return {
    accountId,
    created,
    anchorId,
    proofingLevel,
    ...(typeof consentId === 'string' ? { consentId } : {}),
  };
}
