/**
 * Sign-in with the My Number card's user-authentication certificate (利用者証明用電子証明書,
 * docs/architecture.md §3.2).
 *
 * The certificate carries no identity attributes, so it is first **bound** to an account by a
 * signed-in resident (auth: session): the card signs a platform challenge with the auth key, the
 * platform verifies the certificate and the signature and stores an authenticator of type
 * `card_auth` (credential_id = SHA-256 of the subjectPublicKeyInfo, public_key = the SPKI DER)
 * plus an anchor row with purpose `auth` (issuer, serial, status evidence) that the lifecycle
 * sweep checks like the signing anchor. A later **login** (auth: public) is the same proof
 * against a fresh challenge; the key's SPKI hash finds the account.
 *
 * What the card signs: the UTF-8 bytes of
 * `watashi-card-auth/v1\n<purpose>\n<origin>\n<challenge>` (purpose `card_binding` or
 * `card_login`), as an RSASSA-PKCS1-v1_5 SHA-256 signature — the card's COMPUTE DIGITAL
 * SIGNATURE over the SHA-256 DigestInfo (docs/jpki.md §3.3; JpkiCardClient.sign('auth', …)).
 * Naming the purpose and the origin keeps a signature made for one use from serving another.
 *
 * Verification order and codes: challenge single-use and unexpired (`authn_challenge_unknown` /
 * `authn_challenge_expired`, consumed first so a replay fails even with a valid signature); the
 * certificate parses and has the JPKI user-authentication profile (`authn_card_certificate_invalid`);
 * chain to a pinned J-LIS auth root (`authn_card_chain_invalid`); validity now
 * (`authn_card_certificate_invalid`) — these certificate steps are `verifyJpkiCertificate` of
 * @watashi/jpki with `kind: 'auth'`, shared with enrolment; the signature over this challenge's message
 * (`authn_card_signature_invalid`) — proof of possession before anything billed or
 * state-changing; then status by OCSP through the JpkiBackend, hard-fail (`authn_card_revoked`,
 * `authn_card_status_unavailable`); for a login, the key is bound to a live account
 * (`authn_card_not_bound`, `authn_authenticator_revoked`).
 *
 * Assurance (computed by assurance/evaluate.ts from `authenticatorFacts`): a hardware key in the
 * card, certified by J-LIS, activated by the PIN — two factors. It is NOT counted as phishing
 * resistant: the signature binds the origin only as text the platform put into the message, and
 * whatever page drives the card (a hosted card over HTTP, an NFC bridge) can relay a genuine
 * challenge from a look-alike site, so the card's output is not bound to the verifier the resident
 * actually talks to (SP 800-63B-4 §3.2.5 verifier-impersonation resistance). The engine therefore
 * caps it at level 2 (`cap_not_phishing_resistant`). A reader path that checks the origin itself
 * (a native wallet) could state otherwise.
 */
import { createHash } from 'node:crypto';
import { isWatashiError, type Certificate } from '@watashi/pki';
import { nodeVerifier } from '@watashi/pki/node';
import { verifyJpkiCertificate } from '@watashi/jpki';
import type { Selectable } from 'kysely';
import type { PlatformDeps } from '../server/context.ts';
import type { StatusEvidence } from '../jlis/backend.ts';
import type { AuthenticatorsTable } from '../store/schema.ts';
import { appendAudit } from '../store/audit.ts';
import { insertAuthenticator } from './register-authenticator.ts';
import { withTransaction } from '../store/database.ts';
import { jsonb } from '../store/json.ts';
import { consumeChallenge, issueChallenge } from './challenges.ts';
import { authnError } from './errors.ts';
import { applyOcspEvidence } from '../lifecycle/anchor-check.ts';
import { authenticatorFacts, authenticatorView, relyingParty, type AuthenticatorView } from './passkeys.ts';
import type { AuthenticatorFacts } from '../assurance/evaluate.ts';

export type CardPurpose = 'card_binding' | 'card_login';

const sha256 = (b: Uint8Array | string): Uint8Array =>
  new Uint8Array(createHash('sha256').update(b).digest());
let verifier: ReturnType<typeof nodeVerifier> | undefined;

/** The exact bytes the card signs for `challenge`. */
export function cardChallengeMessage(purpose: CardPurpose, origin: string, challenge: string): Uint8Array {
  return new TextEncoder().encode(`watashi-card-auth/v1\n${purpose}\n${origin}\n${challenge}`);
}

/** A challenge for the card and the message to sign. */
export interface CardChallenge {
  readonly challenge: string;
  /** The bytes to sign (base64). */
  readonly message: string;
  readonly expiresAt: Date;
}

/** Issues a card challenge (binding: bound to the signed-in account). */
export async function cardChallenge(
  deps: PlatformDeps,
  purpose: CardPurpose,
  accountId?: string,
): Promise<CardChallenge> {
  const { origin } = relyingParty(deps);
  const { challenge, expiresAt } = await issueChallenge(deps.db, {
    purpose,
    ...(accountId === undefined ? {} : { accountId }),
    now: deps.now(),
  });
  return {
    challenge,
    message: Buffer.from(cardChallengeMessage(purpose, origin, challenge)).toString('base64'),
    expiresAt,
  };
}

/** What the client sends back. */
export interface CardProof {
  readonly challenge: string;
  /** The user-authentication certificate (DER), read from the card. */
  readonly certificate: Uint8Array;
  /** PKCS#1 v1.5 SHA-256 signature by the auth key over the challenge message. */
  readonly signature: Uint8Array;
}

interface VerifiedCard {
  readonly certificate: Certificate;
  readonly issuer: Certificate;
  readonly variant: 'card' | 'smartphone';
  readonly status: StatusEvidence;
  readonly credentialId: Uint8Array;
}

/** Maps a failure of {@link verifyJpkiCertificate} to the card route's codes (as before it was shared). */
function cardCertificateError(cause: unknown): unknown {
  if (!isWatashiError(cause)) return cause;
  switch (cause.code) {
    case 'jpki_certificate_malformed':
    case 'not_jpki_certificate':
    case 'jpki_profile_mismatch':
      return authnError(
        'authn_card_certificate_invalid',
        'not a JPKI user-authentication certificate',
        cause,
      );
    // A simulator or test-card certificate on a production platform does not chain to its roots.
    case 'trust_simulator_root_in_production':
    case 'jpki_chain_invalid':
      return authnError(
        'authn_card_chain_invalid',
        'the certificate does not chain to a J-LIS auth root',
        cause,
      );
    case 'jpki_certificate_not_yet_valid':
    case 'jpki_certificate_expired':
      return authnError('authn_card_certificate_invalid', 'the certificate is not valid now', cause);
    default:
      return cause;
  }
}

async function verifyCardProof(
  deps: PlatformDeps,
  purpose: CardPurpose,
  proof: CardProof,
  accountId?: string,
): Promise<VerifiedCard> {
  const now = deps.now();
  const { origin } = relyingParty(deps);
  await consumeChallenge(deps.db, {
    challenge: proof.challenge,
    purpose,
    ...(accountId === undefined ? {} : { accountId }),
    now,
  });
  verifier ??= nodeVerifier();
  // Parse, JPKI user-authentication profile, chain to a pinned J-LIS auth root, validity now: the
  // shared steps (@watashi/jpki verifyJpkiCertificate), mapped to this route's codes.
  let cert: Certificate;
  let issuer: Certificate;
  let variant: 'card' | 'smartphone';
  try {
    ({
      certificate: cert,
      issuer,
      variant,
    } = await verifyJpkiCertificate({
      certificate: proof.certificate,
      kind: 'auth',
      trust: deps.trust,
      at: now,
      verifier,
    }));
  } catch (cause) {
    throw cardCertificateError(cause);
  }
  // Proof of possession before J-LIS: the status query is billed (docs/jpki.md §2.2) and a
  // revoked answer changes accounts (below), so a copied certificate without its key must reach
  // neither (issue 15).
  const message = cardChallengeMessage(purpose, origin, proof.challenge);
  if (!(await verifier.verify(cert.spki, 'RSA-SHA256', message, proof.signature)))
    throw authnError('authn_card_signature_invalid', 'the signature is not over this challenge');
  let status: StatusEvidence;
  try {
    // A login: a fresh cached answer may serve (jlis/ocsp-cache.ts, J-LIS's 15-minute cadence).
    status = await deps.backend.ocspStatus(cert, issuer, {
      purpose: 'signature_verification',
      acceptCached: true,
    });
  } catch (cause) {
    throw authnError('authn_card_status_unavailable', 'the certificate status could not be checked', cause);
  }
  if (status.status === 'revoked') {
    // The sweep's effects at once (a held card suspends its account; lifecycle/anchor-check.ts).
    await applyOcspEvidence(
      deps,
      { issuerKeyHash: sha256(issuer.spki), serial: cert.serial.toString() },
      status,
      { actor: 'system:card-login' },
    );
    throw authnError('authn_card_revoked', 'the certificate is revoked');
  }
  if (status.status !== 'good')
    throw authnError('authn_card_status_unavailable', 'certificate status unknown');
  return { certificate: cert, issuer, variant, status, credentialId: sha256(cert.spki) };
}

function evidenceOf(s: StatusEvidence): Record<string, string> {
  return {
    source: s.source,
    status: s.status,
    thisUpdate: s.thisUpdate.toISOString(),
    checkedAt: s.checkedAt.toISOString(),
    ...(s.nextUpdate === undefined ? {} : { nextUpdate: s.nextUpdate.toISOString() }),
    ...(s.ocspResponse === undefined ? {} : { ocsp: Buffer.from(s.ocspResponse).toString('base64') }),
    ...(s.crlNumber === undefined ? {} : { crlNumber: s.crlNumber.toString() }),
  };
}

/**
 * Binds the card's user-authentication certificate to the signed-in account. A newer card
 * replaces the account's previous binding (the old authenticator is revoked, the old auth anchor
 * superseded). A key bound to another account is refused (`authn_credential_exists`).
 */
export async function bindCard(
  deps: PlatformDeps,
  input: { accountId: string; proof: CardProof; label?: string },
): Promise<AuthenticatorView> {
  const v = await verifyCardProof(deps, 'card_binding', input.proof, input.accountId);
  const now = deps.now();
  return withTransaction(deps.db, async (trx) => {
    const existing = await trx
      .selectFrom('authenticators')
      .select(['id', 'account_id', 'revoked_at'])
      .where('credential_id', '=', v.credentialId)
      .executeTakeFirst();
    if (existing !== undefined) throw authnError('authn_credential_exists', 'this card is already bound');
    const previous = await trx
      .updateTable('authenticators')
      .set({ revoked_at: now, revocation_reason: 'superseded' })
      .where('account_id', '=', input.accountId)
      .where('type', '=', 'card_auth')
      .where('revoked_at', 'is', null)
      .returning('id')
      .execute();
    const anchorId = crypto.randomUUID();
    await trx
      .updateTable('anchors')
      .set({ superseded_by: anchorId, superseded_at: now })
      .where('account_id', '=', input.accountId)
      .where('purpose', '=', 'auth')
      .where('variant', '=', v.variant)
      .where('superseded_by', 'is', null)
      .execute();
    await trx
      .insertInto('anchors')
      .values({
        id: anchorId,
        account_id: input.accountId,
        purpose: 'auth',
        variant: v.variant,
        issuer_key_hash: sha256(v.issuer.spki),
        issuer_name_hash: sha256(v.certificate.issuer.der),
        serial: v.certificate.serial.toString(),
        certificate_hash: sha256(v.certificate.der),
        not_before: v.certificate.notBefore,
        not_after: v.certificate.notAfter,
        status: 'good',
        status_checked_at: v.status.checkedAt,
        evidence: jsonb(evidenceOf(v.status)),
        created_at: now,
      })
      .execute();
    const row = await insertAuthenticator(trx, {
      values: {
        account_id: input.accountId,
        type: 'card_auth',
        credential_id: v.credentialId,
        public_key: v.certificate.spki,
        user_verified: true,
        attestation_fmt: 'jpki',
        // Residents read Japanese first (the wallet sends a label in the resident's language).
        label:
          input.label ??
          (v.variant === 'smartphone' ? 'マイナンバーカード（スマートフォン）' : 'マイナンバーカード'),
      },
      at: now,
      audit: () => ({
        anchorId,
        variant: v.variant,
        serial: v.certificate.serial.toString(),
        statusSource: v.status.source,
        replaced: previous.map((p) => p.id),
      }),
    });
    return authenticatorView(row);
  });
}

/** A verified card login (the caller starts the session). */
export interface CardLogin {
  readonly accountId: string;
  readonly authenticator: Selectable<AuthenticatorsTable>;
  readonly facts: AuthenticatorFacts;
}

/** Verifies a card login and audits it. */
export async function verifyCardLogin(deps: PlatformDeps, proof: CardProof): Promise<CardLogin> {
  const v = await verifyCardProof(deps, 'card_login', proof);
  const now = deps.now();
  return withTransaction(deps.db, async (trx) => {
    const row = await trx
      .selectFrom('authenticators')
      .selectAll()
      .where('credential_id', '=', v.credentialId)
      .where('type', '=', 'card_auth')
      .executeTakeFirst();
    if (row === undefined) throw authnError('authn_card_not_bound', 'this card is not bound to an account');
    if (row.revoked_at !== null)
      throw authnError('authn_authenticator_revoked', 'this card binding is revoked');
    const account = await trx
      .selectFrom('accounts')
      .select('status')
      .where('id', '=', row.account_id)
      .executeTakeFirst();
    if (account === undefined || account.status === 'closed' || account.status === 'suspended')
      throw authnError('authn_account_unavailable', 'account not usable');
    const updated = await trx
      .updateTable('authenticators')
      .set({ last_used_at: now })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('anchors')
      .set({ status_checked_at: v.status.checkedAt, evidence: jsonb(evidenceOf(v.status)) })
      .where('account_id', '=', row.account_id)
      .where('purpose', '=', 'auth')
      .where('serial', '=', v.certificate.serial.toString())
      .where('issuer_key_hash', '=', sha256(v.issuer.spki))
      .execute();
    await appendAudit(trx, {
      actor: `account:${row.account_id}`,
      type: 'authentication.card_auth',
      accountId: row.account_id,
      at: now,
      payload: {
        authenticatorId: row.id,
        serial: v.certificate.serial.toString(),
        statusSource: v.status.source,
      },
    });
    return { accountId: row.account_id, authenticator: updated, facts: authenticatorFacts(updated, true) };
  });
}
