/**
 * A single anchor's status by OCSP at a sensitive moment (docs/architecture.md §3.4: "uses OCSP for single
 * checks at sensitive moments"): an OIDC login that asks for the top identity level
 * (oidc/routes.ts), a card login (authn/card.ts) — enrolment checks the certificate it is given
 * before any anchor exists. The answer goes through the platform's JpkiBackend, so it is reused
 * while fresh (jlis/ocsp-cache.ts: the responder's nextUpdate, capped by `ocspCache.maxSeconds`)
 * and every real query lands in the fee ledger with the RP it was made for.
 *
 * A revoked or held answer has exactly the sweep's effects: the change is applied by the sweep's
 * `applyStatusChanges` (status-effects.ts: hold → suspended, cessationOfOperation → closed, affiliationChanged
 * with consent → re-anchored from J-LIS's provision, other signing reasons → needs_reproofing, a
 * released hold → live), with the same audit events (runId null, `source: 'ocsp'`). A good answer
 * moves `status_checked_at` forward to its thisUpdate (fresher evidence for the assurance engine);
 * a revocation is never undone by a good answer (only a hold is lifted), as in the sweep.
 *
 * The anchor keeps no certificate (it would hold the basic 4 information), so the OCSP CertID is
 * built from what it does keep: the issuer (a pinned CA of the trust store, found by key hash and
 * its name hash checked) and the serial (RFC 6960 §4.1.1).
 *
 * Fail closed: when J-LIS cannot answer, nothing changes and the result says so; the level is then
 * what the last evidence supports, which decays on its own (the top level needs evidence younger
 * than 48 hours).
 */
import { createHash } from 'node:crypto';
import { isWatashiError, type Certificate, type OcspSubject } from '@watashi/pki';
import type { StatusEvidence } from '../jlis/backend.ts';
import { appendAuditMany, type AuditEvent } from '../store/audit.ts';
import { withTransaction } from '../store/database.ts';
import type { AnchorPurpose } from '../store/schema.ts';
import type { ProvisionOutcome } from './reanchor.ts';
import {
  ANCHOR_COLUMNS,
  applyStatusChanges,
  decideByOcsp,
  effectFacts,
  type AnchorRow,
} from './status-effects.ts';
import type { SweepDeps } from './sweep.ts';

/** What one check found and did. */
export interface AnchorCheckResult {
  /** False when there is no current anchor, or J-LIS gave no usable answer (`errorCode`). */
  readonly checked: boolean;
  readonly anchorId?: string;
  readonly status?: StatusEvidence['status'];
  readonly reason?: string;
  /** The anchor's status changed (and the account's effects were applied). */
  readonly changed: boolean;
  readonly errorCode?: string;
}

/** Who asks, for the ledger and the audit log. */
export interface AnchorCheckOptions {
  /** The relying party the check is made for (fee ledger); absent: the platform's own. */
  readonly clientId?: string;
  /** Audit actor (default `system:ocsp`). */
  readonly actor?: string;
}

const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/**
 * Applies an OCSP answer about the certificate (`issuerKeyHash`, `serial`) to every current anchor
 * that names it (the sweep's effects; see the module comment). Used where the caller already holds
 * the answer (card login).
 */
export async function applyOcspEvidence(
  deps: SweepDeps,
  certificate: { readonly issuerKeyHash: Uint8Array; readonly serial: string },
  evidence: StatusEvidence,
  options: AnchorCheckOptions = {},
): Promise<{ readonly changed: boolean }> {
  const rows = await deps.db
    .selectFrom('anchors')
    .select([...ANCHOR_COLUMNS])
    .where('issuer_key_hash', '=', certificate.issuerKeyHash)
    .where('serial', '=', certificate.serial)
    .where('superseded_by', 'is', null)
    .execute();
  let changed = false;
  for (const row of rows) if (await applyToAnchor(deps, row, evidence, options)) changed = true;
  return { changed };
}

async function applyToAnchor(
  deps: SweepDeps,
  row: AnchorRow,
  evidence: StatusEvidence,
  options: AnchorCheckOptions,
): Promise<boolean> {
  const change = decideByOcsp(row, evidence);
  const now = deps.now();
  if (change === undefined) {
    if (evidence.status === 'good' && row.status === 'good')
      await deps.db
        .updateTable('anchors')
        .set({ status_checked_at: evidence.thisUpdate })
        .where('id', '=', row.id)
        .where('status', '=', 'good')
        .where('status_checked_at', '<', evidence.thisUpdate)
        .execute();
    return false;
  }
  let { accounts, consents } = await effectFacts(deps.db, [row.account_id], now);
  const provisions = new Map<string, ProvisionOutcome>();
  // affiliationChanged on the signing certificate with consent: J-LIS is asked first, outside the
  // transaction (as the sweep does).
  if (
    change.to.reason === 'affiliationChanged' &&
    row.purpose === 'sign' &&
    accounts.get(row.account_id)?.status !== 'closed'
  ) {
    const consent = consents.get(row.account_id);
    if (consent !== undefined)
      try {
        const answer = await deps.backend.latestBasic4(row.serial, consent.jlis_reference, {
          purpose: 'provision',
          accountId: row.account_id,
          ...(options.clientId === undefined ? {} : { clientId: options.clientId }),
        });
        provisions.set(row.id, { ok: true, answer });
      } catch (e) {
        if (!isWatashiError(e)) throw e;
        provisions.set(row.id, { ok: false, code: e.code });
      }
  }
  return withTransaction(deps.db, async (trx) => {
    ({ accounts, consents } = await effectFacts(trx, [row.account_id], now));
    const audit: AuditEvent[] = [];
    await applyStatusChanges(
      deps,
      trx,
      {
        changes: [change],
        reaffirmed: [],
        provisions,
        consents,
        accounts,
        runId: null,
        actor: options.actor ?? 'system:ocsp',
        now,
      },
      audit,
    );
    await appendAuditMany(trx, audit);
    return audit.length > 0;
  });
}

/**
 * Checks the account's current anchor of `purpose` (default `sign`, the identity anchor) by OCSP
 * now — reusing a fresh answer — and applies what it says (see the module comment).
 */
export async function checkAnchorNow(
  deps: SweepDeps,
  accountId: string,
  options: AnchorCheckOptions & { readonly purpose?: AnchorPurpose } = {},
): Promise<AnchorCheckResult> {
  const row = await deps.db
    .selectFrom('anchors')
    .select([...ANCHOR_COLUMNS, 'issuer_name_hash'])
    .where('account_id', '=', accountId)
    .where('purpose', '=', options.purpose ?? 'sign')
    .where('superseded_by', 'is', null)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (row === undefined) return { checked: false, changed: false, errorCode: 'anchor_not_found' };
  const ca = deps.trust.list().find((a) => same(sha256(a.certificate.spki), row.issuer_key_hash));
  // Fail closed: a CA outside the trust store, or a name that is not that CA's, is not asked about.
  if (ca === undefined || !same(sha256(ca.certificate.subject.der), row.issuer_name_hash))
    return { checked: false, anchorId: row.id, changed: false, errorCode: 'anchor_issuer_unknown' };
  const issuer: Certificate = ca.certificate;
  const subject: OcspSubject = {
    serial: BigInt(row.serial),
    // Empty: the CertID encodes the serial minimally (what the CA issued: DER INTEGER, X.690 §8.3).
    serialBytes: new Uint8Array(0),
    issuer: issuer.subject,
  };
  let evidence: StatusEvidence;
  try {
    evidence = await deps.backend.ocspStatus(subject, issuer, {
      purpose: 'signature_verification',
      accountId,
      // A login's check: reuse a fresh answer (the cache is for logins, jlis/ocsp-cache.ts).
      acceptCached: true,
      ...(options.clientId === undefined ? {} : { clientId: options.clientId }),
    });
  } catch (e) {
    if (!isWatashiError(e)) throw e;
    return { checked: false, anchorId: row.id, changed: false, errorCode: e.code };
  }
  const changed = await applyToAnchor(deps, row, evidence, options);
  return {
    checked: evidence.status !== 'unknown',
    anchorId: row.id,
    status: evidence.status,
    ...(evidence.reason === undefined ? {} : { reason: evidence.reason }),
    changed,
  };
}
