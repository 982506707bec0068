/**
 * "Download my data" (issue 17; APPI Art. 33 disclosure of retained personal data, GDPR Art. 15
 * and 20 in spirit): one JSON document of everything the platform holds about a resident, read in
 * one repeatable-read snapshot so its parts agree with each other.
 *
 * What it holds, by section: the account (status, proofing level and method, dates); the verified
 * attributes (the basic 4 information unsealed, as `/api/me/attributes` shows it); the card
 * certificates the account is anchored on (issuer hash and serial, validity, status — never the
 * certificate, which is not kept); the authenticators, live and revoked (public data only: a
 * passkey's credential id and public key, a card's authentication certificate — Watashi keeps no
 * secret of any of them); every sign-in (sessions: time, method, browser; never the token, of
 * which only a hash is kept anyway); personas; consents given to services (live and withdrawn);
 * consents to J-LIS's latest-basic-4 provision; disclosures (what each service received, claim
 * names); notices; the J-LIS checks made about the resident (fee ledger); the signatures made from
 * the wallet (the signed file's hash and its archive time-stamps' dates); and the audit log's
 * records about the account (which include the disclosures and sign-ins again, as the log has them).
 *
 * Never in it: the My Number (Watashi never reads or stores it — the card's signing certificate
 * does not carry it and no table has a column for it), secrets of the platform (session token
 * hashes, sealing keys), other people's data, and the services' own identifiers for the resident
 * (pairwise `sub`s are derived on demand, not stored).
 */
import type { Kysely } from 'kysely';
import type { PlatformDeps } from '../server/context.ts';
import { openBasic4 } from '../enrolment/seal-basic4.ts';
import type { JsonObject } from '../store/json.ts';
import type { Schema } from '../store/schema.ts';
import { describeDevice } from './device.ts';

/** Name and version of the document format. */
export const EXPORT_FORMAT = 'watashi-account-export/1';

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;
const b64u = (b: Uint8Array | null): string | null =>
  b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
const hex = (b: Uint8Array | null): string | null =>
  b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** The export document (JSON-ready). */
export type AccountExport = JsonObject;

/** Everything the platform holds about `accountId`; undefined when there is no such account. */
export async function exportAccountData(
  deps: Pick<PlatformDeps, 'db' | 'keys' | 'now' | 'config'>,
  accountId: string,
): Promise<AccountExport | undefined> {
  return deps.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => readAll(deps, trx, accountId));
}

async function readAll(
  deps: Pick<PlatformDeps, 'keys' | 'now' | 'config'>,
  db: Kysely<Schema>,
  accountId: string,
): Promise<AccountExport | undefined> {
  const account = await db
    .selectFrom('accounts')
    .select([
      'id',
      'status',
      'status_reason',
      'status_changed_at',
      'proofing_level',
      'proofing_method',
      'proofed_at',
      'created_at',
      'updated_at',
    ])
    .where('id', '=', accountId)
    .executeTakeFirst();
  if (account === undefined) return undefined;
  const b4 = await openBasic4(deps, db, accountId);
  const anchors = await db
    .selectFrom('anchors')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('created_at')
    .execute();
  const authenticators = await db
    .selectFrom('authenticators')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('created_at')
    .execute();
  const sessions = await db
    .selectFrom('sessions as s')
    .leftJoin('authenticators as a', 'a.id', 's.authenticator_id')
    .select([
      's.id',
      's.created_at',
      's.auth_time',
      's.acr',
      's.amr',
      's.last_seen_at',
      's.expires_at',
      's.revoked_at',
      's.user_agent',
      's.authenticator_id',
      'a.type',
    ])
    .where('s.account_id', '=', accountId)
    .orderBy('s.created_at', 'desc')
    .execute();
  const personas = await db
    .selectFrom('personas')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('created_at')
    .execute();
  const serviceConsents = await db
    .selectFrom('oidc_consents as c')
    .leftJoin('relying_parties as rp', 'rp.client_id', 'c.client_id')
    .select([
      'c.client_id',
      'rp.name',
      'rp.purpose',
      'c.claims',
      'c.scopes',
      'c.residence',
      'c.persona_id',
      'c.persona_name',
      'c.granted_at',
      'c.withdrawn_at',
    ])
    .where('c.account_id', '=', accountId)
    .orderBy('c.granted_at', 'desc')
    .execute();
  const jlisConsents = await db
    .selectFrom('consents')
    .select(['id', 'kind', 'service', 'jlis_reference', 'granted_at', 'expires_at', 'withdrawn_at'])
    .where('account_id', '=', accountId)
    .orderBy('granted_at')
    .execute();
  const notices = await db
    .selectFrom('account_notices')
    .select(['kind', 'reason', 'items', 'created_at'])
    .where('account_id', '=', accountId)
    .orderBy('created_at', 'desc')
    .execute();
  const audit = await db
    .selectFrom('audit_log')
    .select(['seq', 'at', 'actor', 'type', 'payload'])
    .where('account_id', '=', accountId)
    .orderBy('seq', 'desc')
    .execute();
  const fees = await db
    .selectFrom('fee_ledger')
    .select(['at', 'method', 'purpose', 'certificate', 'client_id', 'outcome'])
    .where('account_id', '=', accountId)
    .orderBy('at', 'desc')
    .execute();
  const signatures = await db
    .selectFrom('signature_records')
    .select(['id', 'format', 'file_sha256', 'created_at', 'stamps', 'latest_gen_time', 'next_due_at'])
    .where('account_id', '=', accountId)
    .orderBy('created_at', 'desc')
    .execute();
  const rpNames = new Map(
    (await db.selectFrom('relying_parties').select(['client_id', 'name']).execute()).map(
      (r) => [r.client_id, r.name] as const,
    ),
  );

  return {
    format: EXPORT_FORMAT,
    exportedAt: deps.now().toISOString(),
    issuer: deps.config.publicUrl ?? null,
    notIncluded: [
      'my_number: never read or stored by Watashi',
      'session tokens: only their hashes are kept, and those are not yours to use',
      'pairwise identifiers given to services: derived when needed, not stored',
    ],
    account: {
      id: account.id,
      status: account.status,
      statusReason: account.status_reason,
      statusChangedAt: iso(account.status_changed_at),
      identityProofingLevel: account.proofing_level,
      proofingMethod: account.proofing_method,
      proofedAt: iso(account.proofed_at),
      createdAt: iso(account.created_at),
      updatedAt: iso(account.updated_at),
    },
    verifiedAttributes:
      b4 === undefined
        ? null
        : {
            name: b4.name,
            dateOfBirth: b4.dateOfBirth.date,
            // The era digit as the certificate carries it (docs/jpki.md §1.4).
            dateOfBirthEra: b4.dateOfBirth.era,
            sex: b4.sex,
            address: b4.address,
            nameSubstituteCharacters: b4.nameSubstitute,
            addressSubstituteCharacters: b4.addressSubstitute,
            source: 'jpki-sign',
          },
    cardCertificates: anchors.map((a) => ({
      id: a.id,
      purpose: a.purpose,
      variant: a.variant,
      serial: a.serial,
      issuerKeyHash: hex(a.issuer_key_hash),
      certificateHash: hex(a.certificate_hash),
      notBefore: iso(a.not_before),
      notAfter: iso(a.not_after),
      status: a.status,
      revocationReason: a.revocation_reason,
      revokedAt: iso(a.revoked_at),
      statusCheckedAt: iso(a.status_checked_at),
      supersededAt: iso(a.superseded_at),
      createdAt: iso(a.created_at),
    })),
    authenticators: authenticators.map((a) => ({
      id: a.id,
      type: a.type,
      label: a.label,
      createdAt: iso(a.created_at),
      lastUsedAt: iso(a.last_used_at),
      revokedAt: iso(a.revoked_at),
      revocationReason: a.revocation_reason,
      credentialId: b64u(a.credential_id),
      publicKey: b64u(a.public_key),
      signCount: a.sign_count.toString(),
      transports: a.transports,
      backupEligible: a.backup_eligible,
      backedUp: a.backed_up,
      userVerified: a.user_verified,
      attestationFormat: a.attestation_fmt,
      aaguid: a.aaguid,
      certificate: b64u(a.certificate),
      deviceSlot: a.device_slot,
      activatedAt: iso(a.activated_at),
    })),
    signIns: sessions.map((s) => ({
      id: s.id,
      at: iso(s.created_at),
      authTime: iso(s.auth_time),
      authenticatorId: s.authenticator_id,
      authenticatorType: s.type,
      acr: s.acr,
      amr: s.amr,
      userAgent: s.user_agent,
      device: { ...describeDevice(s.user_agent) },
      lastSeenAt: iso(s.last_seen_at),
      expiresAt: iso(s.expires_at),
      signedOutAt: iso(s.revoked_at),
    })),
    personas: personas.map((p) => ({
      id: p.id,
      name: p.name,
      claims: p.claims,
      residence: p.residence,
      createdAt: iso(p.created_at),
    })),
    consentsToServices: serviceConsents.map((c) => ({
      clientId: c.client_id,
      service: c.name ?? c.client_id,
      purpose: c.purpose,
      claims: c.claims,
      scopes: c.scopes,
      residence: c.residence,
      persona: c.persona_name === null ? null : { id: c.persona_id, name: c.persona_name },
      grantedAt: iso(c.granted_at),
      withdrawnAt: iso(c.withdrawn_at),
    })),
    jlisProvisionConsents: jlisConsents.map((c) => ({
      id: c.id,
      kind: c.kind,
      service: c.service,
      jlisReference: c.jlis_reference,
      grantedAt: iso(c.granted_at),
      expiresAt: iso(c.expires_at),
      withdrawnAt: iso(c.withdrawn_at),
    })),
    disclosures: audit
      .filter((r) => r.type === 'oidc.disclosure')
      .map((r) => {
        const p = r.payload as { clientId?: unknown; claims?: unknown; endpoint?: unknown };
        const clientId = String(p.clientId);
        return {
          at: iso(r.at),
          clientId,
          service: rpNames.get(clientId) ?? clientId,
          claims: Array.isArray(p.claims) ? p.claims.filter((c): c is string => typeof c === 'string') : [],
          endpoint: String(p.endpoint),
        };
      }),
    notices: notices.map((n) => ({
      kind: n.kind,
      reason: n.reason,
      items: n.items,
      at: iso(n.created_at),
    })),
    jlisChecks: fees.map((f) => ({
      at: iso(f.at),
      method: f.method,
      purpose: f.purpose,
      certificate: f.certificate,
      clientId: f.client_id,
      outcome: f.outcome,
    })),
    // Signatures made from the wallet: the signed file's hash only (signature/archive.ts).
    signatures: signatures.map((x) => ({
      id: x.id,
      format: x.format,
      fileSha256: hex(x.file_sha256),
      signedAt: iso(x.created_at),
      archiveTimeStamps: x.stamps,
      latestArchiveTimeStampAt: iso(x.latest_gen_time),
      nextRenewalDue: iso(x.next_due_at),
    })),
    auditLog: audit.map((r) => ({
      seq: r.seq.toString(),
      at: iso(r.at),
      actor: r.actor,
      type: r.type,
      payload: r.payload,
    })),
  };
}
