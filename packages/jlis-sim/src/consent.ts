/**
 * Latest basic 4 information provision with consent (docs/jpki.md §4.2, the 2021 amendment):
 * - consent is given electronically only, per service, by a CMS signature made with a live
 *   signing certificate over a consent document naming the operator, the service, the items and
 *   the date; it is valid for 10 years counted from the day after J-LIS records it (the first day
 *   is not counted, Civil Code Art. 140), i.e. until the end of the day 10 years after recording;
 * - it can be inquired by the operator (by consent ID) and withdrawn by a signed withdrawal;
 * - a query by a revoked signing certificate's serial returns the consented items of the newest
 *   live signing certificate of the same resident plus its serial; while no new certificate
 *   exists nothing is provided and nothing is charged; a provision costs ¥20 (fees.ts).
 */
import { bytesEqual, fromBase64, toBase64, verifyCms, type Certificate } from '@watashi/pki';
import { nodeVerifier } from '@watashi/pki/node';
import { readBasic4, type Basic4 } from '@watashi/jpki';
import { parseCertificate } from '@watashi/pki';
import { z } from 'zod';
import { nowIso, syncRandom, type SimContext } from './context.ts';
import { simError } from './errors.ts';
import { recordFee } from './fees.ts';
import type { Basic4Item, CertRecord, ConsentRecord } from './model.ts';
import { newId } from './random.ts';

/** Content type of consent documents. */
export const CONSENT_TYPE = 'jlis-sim/basic4-consent';
/** Content type of withdrawal documents. */
export const WITHDRAWAL_TYPE = 'jlis-sim/basic4-consent-withdrawal';

const items = z
  .array(z.enum(['name', 'address', 'birthDate', 'sex']))
  .min(1)
  .max(4);

/** The consent document the resident signs (UTF-8 JSON, CMS-signed). */
const consentDocumentSchema = z.strictObject({
  type: z.literal(CONSENT_TYPE),
  operatorId: z.string().min(1).max(64),
  service: z.string().min(1).max(200),
  items,
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});
/** A consent document. */
export type ConsentDocument = z.infer<typeof consentDocumentSchema>;

/** The withdrawal document the resident signs. */
const withdrawalDocumentSchema = z.strictObject({
  type: z.literal(WITHDRAWAL_TYPE),
  consentId: z.string().min(1).max(64),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});

/** The JST calendar date of `at`. */
export const jstDate = (at: Date): string => new Date(at.getTime() + 9 * 3600_000).toISOString().slice(0, 10);

/** Builds the bytes of a consent document (helper for clients and tests). */
export function consentDocument(d: Omit<ConsentDocument, 'type'>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ type: CONSENT_TYPE, ...d }));
}

/** Builds the bytes of a withdrawal document. */
export function withdrawalDocument(consentId: string, date: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ type: WITHDRAWAL_TYPE, consentId, date }));
}

/**
 * Verifies a CMS made with one of our live signing certificates and returns the content and the
 * certificate record. The signer certificate must be byte-identical to one we issued.
 */
export async function verifyResidentSignature(
  ctx: SimContext,
  cms: Uint8Array,
  variant?: 'card' | 'smartphone',
): Promise<{ content: Uint8Array; cert: CertRecord; signer: Certificate }> {
  let verified;
  try {
    verified = await verifyCms({ der: cms, verifier: nodeVerifier() });
  } catch (cause) {
    throw simError('signature_invalid', 'the CMS signature does not verify', { cause });
  }
  const signer = verified.signerCertificate;
  const rec = ctx.state.certificates[signer.serial.toString()];
  if (
    !rec ||
    rec.purpose !== 'sign' ||
    !bytesEqual(fromBase64(rec.der), signer.der) ||
    (variant && rec.variant !== variant)
  ) {
    throw simError(
      'signer_not_authorized',
      'the signer is not a signing certificate issued by this simulator',
    );
  }
  const now = ctx.clock.now().getTime();
  if (rec.status.type !== 'good' || now < Date.parse(rec.notBefore) || now > Date.parse(rec.notAfter)) {
    throw simError(
      'signer_not_authorized',
      'the signing certificate is not valid now (revoked, held or expired)',
    );
  }
  return { content: verified.content, cert: rec, signer };
}

function parseJson(content: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(content)) as unknown;
  } catch (cause) {
    throw simError('consent_document_invalid', 'the signed content is not a UTF-8 JSON document', { cause });
  }
}

function checkDate(ctx: SimContext, date: string): void {
  // The document's date must be today (JST) or yesterday: a stale signed consent is refused.
  const today = ctx.clock.now();
  const ok = [jstDate(today), jstDate(new Date(today.getTime() - 86_400_000))];
  if (!ok.includes(date)) throw simError('consent_document_invalid', `document date ${date} is not today`);
}

/** Records a signed consent given to `operatorId`. */
export async function recordConsent(
  ctx: SimContext,
  operatorId: string,
  cms: Uint8Array,
): Promise<ConsentRecord> {
  const { content, cert } = await verifyResidentSignature(ctx, cms);
  const parsed = consentDocumentSchema.safeParse(parseJson(content));
  if (!parsed.success)
    throw simError(
      'consent_document_invalid',
      `not a consent document: ${parsed.error.issues[0]?.message ?? ''}`,
    );
  const doc = parsed.data;
  if (doc.operatorId !== operatorId)
    throw simError('consent_operator_mismatch', 'the consent names another operator');
  checkDate(ctx, doc.date);
  const now = ctx.clock.now();
  // docs/jpki.md §4.2: 10 years from the day after recording → ends at 24:00 JST of the day
  // 10 years after the recording day.
  const day = jstDate(now);
  const y = Number(day.slice(0, 4)) + 10;
  const validUntil = new Date(Date.parse(`${y}${day.slice(4)}T00:00:00+09:00`) + 86_400_000 - 1000);
  const rec: ConsentRecord = {
    id: newId(ctx.rnd, 'cs'),
    residentId: cert.residentId,
    operatorId,
    service: doc.service,
    items: [...new Set(doc.items)] as Basic4Item[],
    signedBySerial: cert.serial,
    recordedAt: now.toISOString(),
    validFrom: now.toISOString(),
    validUntil: validUntil.toISOString(),
    cms: toBase64(cms),
    status: 'active',
  };
  syncRandom(ctx);
  ctx.state.consents[rec.id] = rec;
  ctx.save();
  return rec;
}

/** The consent `id` as seen by `operatorId` (another operator's consent is "not found"). */
export function inquireConsent(ctx: SimContext, operatorId: string, id: string): ConsentRecord {
  const c = ctx.state.consents[id];
  if (!c || c.operatorId !== operatorId)
    throw simError('consent_not_found', `no consent ${id} for this operator`);
  return c;
}

/** Withdraws a consent with a withdrawal document signed by the same resident's live signing certificate. */
export async function withdrawConsent(
  ctx: SimContext,
  operatorId: string,
  id: string,
  cms: Uint8Array,
): Promise<ConsentRecord> {
  const c = inquireConsent(ctx, operatorId, id);
  const { content, cert } = await verifyResidentSignature(ctx, cms);
  if (cert.residentId !== c.residentId)
    throw simError('signer_not_authorized', 'the withdrawal is not signed by the consenting resident');
  const parsed = withdrawalDocumentSchema.safeParse(parseJson(content));
  if (!parsed.success || parsed.data.consentId !== id)
    throw simError('consent_document_invalid', 'not a withdrawal of this consent');
  checkDate(ctx, parsed.data.date);
  if (c.status === 'withdrawn') throw simError('consent_withdrawn', 'the consent was already withdrawn');
  c.status = 'withdrawn';
  c.withdrawnAt = nowIso(ctx);
  ctx.save();
  return c;
}

/** Result of a latest-basic-4 query. */
export type ProvisionResult =
  | { readonly status: 'not_revoked' }
  | { readonly status: 'no_new_certificate' }
  | {
      readonly status: 'provided';
      readonly newSerial: string;
      readonly generation: string;
      readonly items: ReadonlyArray<Basic4Item>;
      readonly basic4: Partial<Basic4>;
    };

/** The consent in force for (resident, operator) now, optionally for a given consent ID. */
function consentInForce(
  ctx: SimContext,
  residentId: string,
  operatorId: string,
  consentId?: string,
): ConsentRecord | undefined {
  const now = ctx.clock.now().getTime();
  return Object.values(ctx.state.consents).find(
    (c) =>
      c.residentId === residentId &&
      c.operatorId === operatorId &&
      c.status === 'active' &&
      (consentId === undefined || c.id === consentId) &&
      Date.parse(c.validFrom) <= now &&
      now <= Date.parse(c.validUntil),
  );
}

/** Answers a latest-basic-4 query by the serial of a (revoked) signing certificate. */
export function provideLatestBasic4(
  ctx: SimContext,
  operatorId: string,
  q: { serial: string; consentId?: string | undefined },
): ProvisionResult {
  const old = ctx.state.certificates[q.serial];
  if (!old || old.purpose !== 'sign')
    throw simError('certificate_not_found', `no signing certificate with serial ${q.serial}`);
  const consent = consentInForce(ctx, old.residentId, operatorId, q.consentId);
  if (!consent) throw simError('consent_required', 'no consent in force for this resident and operator');
  if (old.status.type === 'good') return { status: 'not_revoked' };
  // Follow the chain of successors to the newest live signing certificate.
  let cur: CertRecord = old;
  const seen = new Set<string>();
  while (cur.supersededBy && !seen.has(cur.serial)) {
    seen.add(cur.serial);
    const next = ctx.state.certificates[cur.supersededBy];
    if (!next) break;
    cur = next;
  }
  if (cur === old || cur.status.type !== 'good') return { status: 'no_new_certificate' };
  const full = readBasic4(parseCertificate(fromBase64(cur.der)));
  const basic4: Partial<Basic4> = {};
  for (const item of consent.items) {
    if (item === 'name') Object.assign(basic4, { name: full.name, nameSubstitute: full.nameSubstitute });
    if (item === 'address')
      Object.assign(basic4, { address: full.address, addressSubstitute: full.addressSubstitute });
    if (item === 'birthDate') Object.assign(basic4, { dateOfBirth: full.dateOfBirth });
    if (item === 'sex') Object.assign(basic4, { sex: full.sex });
  }
  recordFee(ctx, operatorId, 'provision', 'provision');
  return {
    status: 'provided',
    newSerial: cur.serial,
    generation: cur.generation,
    items: consent.items,
    basic4,
  };
}
