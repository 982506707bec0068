/**
 * Re-anchoring an account from J-LIS's latest-basic-4 provision (docs/architecture.md §3.4; docs/jpki.md
 * §4.2): when the signing certificate was revoked for affiliationChanged and the resident consented,
 * J-LIS returns the consented items of the newest signing certificate and its serial. The account
 * keeps its id (so the same pairwise `sub` at every RP), gets the new items resealed, a new person
 * key, and a new anchor on the new serial that supersedes the old one.
 *
 * What J-LIS does not give, and how the anchor is filled [I]:
 * - the certificate: `certificate_hash` stays NULL (migration 0004) until the resident next signs
 *   with the card — enrolment then refreshes the anchor with the certificate's hash and validity;
 * - the issuer: new certificates are issued under the newest CA generation valid now (the
 *   simulator does the same, docs/jpki.md §1.1), so the anchor names that generation; the
 *   next sweep checks the serial against that generation's CRL;
 * - the validity: estimated by the JPKI rule (issued at the revocation, to the 5th birthday after
 *   it, docs/jpki.md §1.5), marked `estimatedValidity` in the evidence.
 * J-LIS answers for the person it revoked, so the new items are checked against the old ones only
 * where they cannot change: a different date of birth is refused (`provision_person_mismatch`)
 * and the account is left needing re-proofing.
 */
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { toHex, type Certificate } from '@watashi/pki';
import { jpkiValidity, type Basic4, type JpkiTrustStore, type Sex } from '@watashi/jpki';
import { createHash } from 'node:crypto';
import { evaluateIdentityProofing } from '../assurance/evaluate.ts';
import { personKeyOf } from '../enrolment/person-key.ts';
import { openBasic4, sealBasic4 } from '../enrolment/seal-basic4.ts';
import type { LatestBasic4Result, ProvidedBasic4 } from '../jlis/backend.ts';
import type { KeyStore } from '../keys/key-store.ts';
import type { AuditEvent } from '../store/audit.ts';
import { jsonb } from '../store/json.ts';
import type { AnchorVariant, Schema } from '../store/schema.ts';

/** What J-LIS answered to a latest-basic-4 inquiry, or the error code when it could not be asked. */
export type ProvisionOutcome =
  { readonly ok: true; readonly answer: LatestBasic4Result } | { readonly ok: false; readonly code: string };

/** Inputs of {@link reanchorFromProvision}. */
export interface ReanchorInput {
  readonly anchor: {
    readonly id: string;
    readonly accountId: string;
    readonly variant: AnchorVariant;
    readonly serial: string;
    /** When the old certificate was revoked (the CRL entry's revocationDate). */
    readonly revokedAt: Date;
  };
  readonly consentId: string | null;
  readonly outcome: ProvisionOutcome;
  readonly runId: string | null;
  readonly actor: string;
}

const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

/** The newest signing CA generation valid at `now` (where J-LIS issues new certificates). */
export function issuingSignCa(trust: JpkiTrustStore, now: Date): Certificate | undefined {
  let best: Certificate | undefined;
  for (const c of trust.anchors('sign'))
    if (c.notBefore.getTime() <= now.getTime() && now.getTime() <= c.notAfter.getTime())
      if (best === undefined || c.notBefore.getTime() > best.notBefore.getTime()) best = c;
  return best;
}

/** The old basic 4 information with the provided items in place. */
function merge(old: Basic4, p: ProvidedBasic4): Basic4 {
  const zeros = (s: string): string => '0'.repeat([...s].length);
  return {
    name: p.name ?? old.name,
    nameSubstitute: p.name === undefined ? old.nameSubstitute : (p.nameSubstitute ?? zeros(p.name)),
    dateOfBirth: old.dateOfBirth,
    sex: (p.sex as Sex | undefined) ?? old.sex,
    address: p.address ?? old.address,
    addressSubstitute:
      p.address === undefined ? old.addressSubstitute : (p.addressSubstitute ?? zeros(p.address)),
  };
}

/**
 * Re-anchors inside the sweep's transaction when J-LIS provided the latest basic 4 information;
 * otherwise records why not. Returns true when the account was re-anchored (false: the caller
 * marks it as needing re-proofing). Pushes its audit events (ids only) onto `audit`.
 */
export async function reanchorFromProvision(
  deps: { readonly keys: KeyStore; readonly trust: JpkiTrustStore; readonly now: () => Date },
  trx: Transaction<Schema>,
  input: ReanchorInput,
  audit: AuditEvent[],
): Promise<boolean> {
  const now = deps.now();
  const { anchor } = input;
  const refuse = (why: string): false => {
    audit.push({
      actor: input.actor,
      type: 'anchor.provision_unavailable',
      accountId: anchor.accountId,
      at: now,
      payload: { runId: input.runId, anchorId: anchor.id, consentId: input.consentId, outcome: why },
    });
    return false;
  };
  if (!input.outcome.ok) return refuse(input.outcome.code);
  const answer = input.outcome.answer;
  if (answer.outcome !== 'provided') return refuse(answer.outcome);

  const old = await openBasic4(deps, trx, anchor.accountId);
  if (old === undefined) return refuse('no_basic4');
  if (answer.basic4.birthDate !== undefined && answer.basic4.birthDate !== old.dateOfBirth.date)
    return refuse('provision_person_mismatch');
  const issuer = issuingSignCa(deps.trust, now);
  if (issuer === undefined) return refuse('no_issuing_ca');
  const issuerKeyHash = sha256(issuer.spki);
  const taken = await trx
    .selectFrom('anchors')
    .select('id')
    .where('issuer_key_hash', '=', issuerKeyHash)
    .where('serial', '=', answer.newSerial)
    .executeTakeFirst();
  if (taken !== undefined) return refuse('provision_serial_in_use');

  const b4 = merge(old, answer.basic4);
  let validity: { notBefore: Date; notAfter: Date };
  try {
    const issuedAt = anchor.revokedAt.getTime() <= now.getTime() ? anchor.revokedAt : now;
    validity = jpkiValidity({ issuedAt, birthDate: b4.dateOfBirth.date });
  } catch {
    // A partial date of birth (YYYYMM00) has no birthday to count to: five years, end of day JST.
    const nb = new Date(Math.floor(anchor.revokedAt.getTime() / 1000) * 1000);
    validity = { notBefore: nb, notAfter: new Date(nb.getTime() + 5 * 365 * 86_400_000) };
  }

  const newId = randomUUID();
  await trx
    .updateTable('anchors')
    .set({ superseded_by: newId, superseded_at: now })
    .where('id', '=', anchor.id)
    .where('superseded_by', 'is', null)
    .execute();
  await trx
    .insertInto('anchors')
    .values({
      id: newId,
      account_id: anchor.accountId,
      purpose: 'sign',
      variant: anchor.variant,
      issuer_key_hash: issuerKeyHash,
      issuer_name_hash: sha256(issuer.subject.der),
      serial: answer.newSerial,
      certificate_hash: null,
      not_before: validity.notBefore,
      not_after: validity.notAfter,
      status: 'good',
      status_checked_at: answer.providedAt,
      evidence: jsonb({
        source: 'jlis_provision',
        providedAt: answer.providedAt.toISOString(),
        consentId: input.consentId,
        supersedes: anchor.id,
        runId: input.runId,
        estimatedValidity: true,
      }),
      created_at: now,
    })
    .execute();
  await sealBasic4(deps.keys, trx, anchor.accountId, b4, now);
  const person = await personKeyOf(deps.keys, b4);
  const proofing = evaluateIdentityProofing(
    { anchor: { kind: 'jpki-sign', status: 'good', lastCheckedAt: answer.providedAt }, proofedAt: now },
    now,
  );
  const acc = await trx
    .selectFrom('accounts')
    .select(['status'])
    .where('id', '=', anchor.accountId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('accounts')
    .set({
      person_key: person.key,
      person_key_id: person.keyId,
      proofing_level: proofing.level === 0 ? null : proofing.level,
      proofed_at: proofing.level === 0 ? null : answer.providedAt,
      updated_at: now,
      ...(acc.status === 'needs_reproofing'
        ? { status: 'live' as const, status_reason: null, status_changed_at: now }
        : {}),
    })
    .where('id', '=', anchor.accountId)
    .execute();
  const items = Object.keys(answer.basic4).filter((k) => !k.endsWith('Substitute'));
  // What actually changed (J-LIS provides every consented item, changed or not): item names only.
  const changed = [
    ...(b4.name !== old.name || b4.nameSubstitute !== old.nameSubstitute ? ['name'] : []),
    ...(b4.address !== old.address || b4.addressSubstitute !== old.addressSubstitute ? ['address'] : []),
    ...(b4.sex !== old.sex ? ['sex'] : []),
  ];

  audit.push(
    {
      actor: input.actor,
      type: 'anchor.added',
      accountId: anchor.accountId,
      at: now,
      payload: {
        anchorId: newId,
        supersedes: anchor.id,
        source: 'jlis_provision',
        runId: input.runId,
        consentId: input.consentId,
        issuerKeyHash: toHex(issuerKeyHash),
        serial: answer.newSerial,
      },
    },
    {
      actor: input.actor,
      type: 'account.attributes_updated',
      accountId: anchor.accountId,
      at: now,
      payload: {
        runId: input.runId,
        source: 'jlis_provision',
        consentId: input.consentId,
        items,
        changed,
        ...(acc.status === 'needs_reproofing' ? { from: acc.status, to: 'live' } : {}),
      },
    },
  );
  return true;
}
