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
    if (
      b4 !== undefined &&
      b4.address === v.basic4.address &&
      normaliseName(b4.name) === normaliseName(v.basic4.name) &&
      b4.dateOfBirth.date === v.basic4.dateOfBirth.date &&
      b4.sex === v.basic4.sex
    )
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

/**
 * Completes an enrolment: verifies the signature (documented order), registers the optional
 * consent with J-LIS, then in one transaction consumes the nonce, takes the person's advisory lock,
 * finds or creates the account, anchors it, seals the basic 4 information and appends the audit
 * events. Throws `enrolment_*` errors (errors.ts).
 */
export async function completeEnrolment(
  deps: EnrolmentDeps,
  input: CompleteEnrolmentInput,
): Promise<CompletedEnrolment> {
  const nonce = fromBase64Url(input.id);
  const row =
    nonce === undefined || nonce.length < 16
      ? undefined
      : await deps.database.db
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
  const purpose = row.purpose;
  const reproofAccount = row.account_id;
  if (purpose === 'reproofing' && (input.session == null || input.session.accountId !== reproofAccount))
    throw enrolmentError('enrolment_wrong_account', 'this re-proofing belongs to another account');
  const now = deps.now();

  // A retry of a completion that committed (its reply lost, or the session after it not written):
  // the same document signed with the same certificate, while the nonce is still unexpired, gets
  // the recorded result instead of enrolment_nonce_replayed. Possession is proved again (the
  // signature over the document is verified, the certificate's profile and chain checked) but J-LIS
  // is not asked again: the completion's own query a moment ago is the evidence, and a query is
  // billed. Anyone who could replay this body before expiry could have sent it first in its place,
  // so the retry grants nothing the original request did not.
  if (
    row.used_at !== null &&
    row.completion !== null &&
    row.completed_certificate_hash !== null &&
    now.getTime() < row.expires_at.getTime()
  ) {
    const recorded = row.completion;
    const evidence: StatusEvidence = { source: 'ocsp', status: 'good', thisUpdate: now, checkedAt: now };
    const again = await verifyEnrolmentSignature(
      { document: row.document, signature: input.signature },
      {
        trust: deps.trust,
        backend: { ocspStatus: () => Promise.resolve(evidence) },
        now,
        checkNonce: () => Promise.resolve('ok'),
      },
    );
    if (!bytesEqual(sha256(again.certificate.der), row.completed_certificate_hash))
      throw enrolmentError('enrolment_nonce_replayed', 'this enrolment document was already used');
    return completionOf(recorded);
  }

  // The OCSP answer the verification got, kept so that a revoked certificate the platform already
  // anchors takes effect at once (lifecycle/anchor-check.ts: the sweep's effects). It only applies
  // what J-LIS says about that certificate, so it needs no proof of possession.
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
  let verified: Awaited<ReturnType<typeof verifyEnrolmentSignature>>;
  try {
    verified = await verifyEnrolmentSignature(
      { document: row.document, signature: input.signature },
      {
        trust: deps.trust,
        backend,
        now,
        revocationPolicy: deps.config.revocationPolicy,
        checkNonce: (n, h) => classifyNonce(deps.database.db, { nonce: n, purpose, documentHash: h, now }),
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
  const v = { ...verified, basic4: readBasic4(verified.certificate) };

  // The consent: checked here, registered with J-LIS before the transaction (an outside side
  // effect), so a refusal leaves nothing written in our database and the nonce unused.
  let consent: RegisteredConsent | undefined;
  if (input.consentCms !== undefined) {
    await checkConsent(input.consentCms, row.consent_document, v.certificate);
    try {
      consent = await deps.backend.registerConsent(input.consentCms, { purpose: 'provision' });
    } catch (cause) {
      throw enrolmentError('enrolment_consent_invalid', 'J-LIS did not register the consent', {
        cause,
        detail: { reason: isWatashiError(cause) ? cause.code : 'error' },
      });
    }
  }

  const person = await personKeyOf(deps.keys, v.basic4);
  const status = v.status.status === 'good' ? 'good' : 'unknown';
  const proofing = evaluateIdentityProofing(
    { anchor: { kind: 'jpki-sign', status, lastCheckedAt: v.status.checkedAt }, proofedAt: now },
    now,
  );
  if (proofing.level < 1) throw new Error('the assurance engine gave level 0 to a verified enrolment');
  const proofingLevel = proofing.level;
  const method = v.variant === 'smartphone' ? 'jpki_sign_smartphone' : 'jpki_sign_card';
  const issuerKeyHash = sha256(v.issuer.spki);
  const certificateHash = sha256(v.certificate.der);
  const serial = v.certificate.serial.toString();
  const evidence = {
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
    backend: deps.backend.kind,
  };

  return withTransaction(deps.database.db, async (trx) => {
    // 6 (authoritative): exactly one concurrent caller consumes the nonce.
    throwForNonce(await consumeNonce(trx, { nonce, purpose, documentHash: v.documentHash, now }));
    // What a retry of this completion gets back (see above), recorded with the consumption.
    const recordCompletion = (done: CompletedEnrolment) =>
      trx
        .updateTable('enrolment_nonces')
        .set({ completed_certificate_hash: certificateHash, completion: jsonb({ ...done }) })
        .where('nonce', '=', nonce)
        .execute();
    // Concurrent enrolments of one person queue here, so the second sees the first's account.
    await lockPerson(trx, person.key);

    let accountId: string;
    let created = false;
    let confirmedBy: string;
    if (purpose === 'reproofing') {
      accountId = reproofAccount!;
      const acc = await trx
        .selectFrom('accounts')
        .select('status')
        .where('id', '=', accountId)
        .executeTakeFirst();
      if (acc === undefined || acc.status === 'closed')
        throw enrolmentError('enrolment_account_closed', 'the account is closed');
      const old = await openBasic4(deps, trx, accountId);
      // Name and address may change (marriage, move); birth date and sex identify the holder.
      if (
        old !== undefined &&
        (old.dateOfBirth.date !== v.basic4.dateOfBirth.date || old.sex !== v.basic4.sex)
      )
        throw enrolmentError('enrolment_reproofing_person_mismatch', 'the card belongs to another person');
      const elsewhere = await trx
        .selectFrom('anchors')
        .select('account_id')
        .where('issuer_key_hash', '=', issuerKeyHash)
        .where('serial', '=', serial)
        .executeTakeFirst();
      if (elsewhere !== undefined && elsewhere.account_id !== accountId)
        throw enrolmentError('enrolment_reproofing_person_mismatch', 'the card anchors another account');
      confirmedBy = 'session';
    } else {
      const found = await findSamePerson(deps, trx, person.key, v, issuerKeyHash, input.session?.accountId);
      if (found.kind === 'confirmed') {
        accountId = found.accountId;
        confirmedBy = found.by;
      } else if (found.kind === 'unconfirmed' && !deps.config.allowMultipleAccountsPerPerson) {
        throw enrolmentError(
          'enrolment_person_unconfirmed',
          'an account of the same name, date of birth and sex exists: sign in to it and re-proof',
        );
      } else {
        accountId = randomUUID();
        created = true;
        confirmedBy = 'new';
      }
    }

    // A re-proofing that brings back an account waiting for it (lifecycle/events: notice + events).
    let restored = false;
    if (created) {
      await trx
        .insertInto('accounts')
        .values({
          id: accountId,
          status: 'live',
          person_key: person.key,
          person_key_id: person.keyId,
          proofing_level: proofingLevel,
          proofing_method: method,
          proofed_at: now,
          status_changed_at: now,
          created_at: now,
          updated_at: now,
        })
        .execute();
    } else {
      const acc = await trx
        .selectFrom('accounts')
        .select('status')
        .where('id', '=', accountId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      restored = acc.status === 'needs_reproofing';
      await trx
        .updateTable('accounts')
        .set({
          person_key: person.key,
          person_key_id: person.keyId,
          proofing_level: proofingLevel,
          proofing_method: method,
          proofed_at: now,
          updated_at: now,
          // Re-proofing restores an account whose anchor had lapsed; an operator's suspension stays.
          ...(acc.status === 'needs_reproofing'
            ? { status: 'live' as const, status_reason: null, status_changed_at: now }
            : {}),
        })
        .where('id', '=', accountId)
        .execute();
    }

    // The anchor: refresh it when the very certificate is already anchored, else supersede.
    const existing = await trx
      .selectFrom('anchors')
      .select('id')
      .where('account_id', '=', accountId)
      .where('issuer_key_hash', '=', issuerKeyHash)
      .where('serial', '=', serial)
      .executeTakeFirst();
    let anchorId: string;
    let superseded: string | null = null;
    if (existing !== undefined) {
      anchorId = existing.id;
      await trx
        .updateTable('anchors')
        .set({
          status,
          revocation_reason: null,
          revoked_at: null,
          status_checked_at: v.status.checkedAt,
          evidence: jsonb(evidence),
          // An anchor made from the latest-basic-4 provision (lifecycle) had only the serial: the
          // certificate itself is seen now.
          certificate_hash: certificateHash,
          not_before: v.certificate.notBefore,
          not_after: v.certificate.notAfter,
        })
        .where('id', '=', anchorId)
        .execute();
    } else {
      anchorId = randomUUID();
      const old = await trx
        .updateTable('anchors')
        .set({ superseded_by: anchorId, superseded_at: now })
        .where('account_id', '=', accountId)
        .where('purpose', '=', 'sign')
        .where('variant', '=', v.variant)
        .where('superseded_by', 'is', null)
        .returning('id')
        .executeTakeFirst();
      superseded = old?.id ?? null;
      await trx
        .insertInto('anchors')
        .values({
          id: anchorId,
          account_id: accountId,
          purpose: 'sign',
          variant: v.variant,
          issuer_key_hash: issuerKeyHash,
          issuer_name_hash: sha256(v.certificate.issuer.der),
          serial,
          certificate_hash: certificateHash,
          not_before: v.certificate.notBefore,
          not_after: v.certificate.notAfter,
          status,
          status_checked_at: v.status.checkedAt,
          evidence: jsonb(evidence),
          created_at: now,
        })
        .execute();
    }

    // The basic 4 information, sealed with the account id as associated data.
    await sealBasic4(deps.keys, trx, accountId, v.basic4, now);

    let consentId: string | undefined;
    if (consent !== undefined && row.consent_document !== null) {
      consentId = randomUUID();
      await trx
        .insertInto('consents')
        .values({
          id: consentId,
          account_id: accountId,
          anchor_id: anchorId,
          kind: 'jlis_basic4_provision',
          service: consent.service,
          jlis_reference: consent.consentId,
          document_hash: sha256(row.consent_document),
          granted_at: consent.grantedAt,
          expires_at: consent.expiresAt,
          evidence: jsonb({ items: [...consent.items], backend: deps.backend.kind }),
        })
        .execute();
    }

    if (restored) await recordLifecycleFacts(deps, trx, [{ accountId, kind: 'reproofed', at: now }]);

    // Audit last (it takes the chain-head lock): ids and hashes, never basic 4 information.
    const actor = `account:${accountId}`;
    await appendAudit(trx, {
      actor,
      type: created ? 'account.created' : 'account.reproofed',
      accountId,
      at: now,
      payload: {
        purpose,
        confirmedBy,
        method,
        proofingLevel,
        anchorId,
        signatureFormat: v.format,
        documentHash: toHex(v.documentHash),
      },
    });
    await appendAudit(trx, {
      actor,
      type: 'anchor.added',
      accountId,
      at: now,
      payload: {
        anchorId,
        supersedes: superseded,
        refreshed: existing !== undefined,
        issuerKeyHash: toHex(issuerKeyHash),
        serial,
        certificateHash: toHex(certificateHash),
        status,
        evidenceSource: v.status.source,
      },
    });
    if (consentId !== undefined && consent !== undefined)
      await appendAudit(trx, {
        actor,
        type: 'consent.granted',
        accountId,
        at: now,
        payload: { consentId, jlisReference: consent.consentId, service: consent.service, anchorId },
      });

    const done: CompletedEnrolment = {
      accountId,
      created,
      anchorId,
      proofingLevel,
      ...(consentId === undefined ? {} : { consentId }),
    };
    await recordCompletion(done);
    return done;
  });
}

/** The recorded result of a completion (written by completeEnrolment, so its shape is known). */
function completionOf(c: Record<string, unknown>): CompletedEnrolment {
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
