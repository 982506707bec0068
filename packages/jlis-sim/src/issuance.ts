/**
 * Certificate issuance onto cards and smartphones (docs/jpki.md §1.2–§1.5, §2.3):
 * - a card gets a user-authentication certificate and, from age 15, a signing certificate, each
 *   with its own key pair generated for that card (the municipal counter generates keys, 施行規則 §3);
 * - validity runs to the 5th birthday after issuance at 14:59:59Z, capped by the card's expiry
 *   (10th birthday, or 5th for minors under 18);
 * - serials come from one sequential serial space (§1.1); new issuance uses the newest CA generation;
 * - a smartphone gets separate keys, serials and PINs; a second live smartphone certificate set for
 *   the same resident is refused (二重発行の防止) unless it replaces the old device (device change).
 */
import { cardKeyPair } from './keys.ts';
import { parseCertificate, toBase64 } from '@watashi/pki';
import {
  basic4From,
  buildJpkiAuthCertificate,
  buildJpkiSigningCertificate,
  jpkiValidity,
  birthdayIn,
  endOfJstDay,
  jstDate,
} from '@watashi/jpki';
import { caOf, issuingCa } from './ca.ts';
import { createCardState, hasSignPin, replaceOnCard } from './card-state.ts';
import { nextSerial, syncRandom, type CaRuntime, type SimContext } from './context.ts';
import { simError } from './errors.ts';
import type { CertRecord, Purpose, ResidentRecord, RevocationReason, TokenRecord } from './model.ts';
import { ALPHABET, newAuthPin, newId, newSignPin } from './random.ts';
import { locateAddress } from './residents/addresses.ts';

/** Options of {@link issueCard}. */
export interface IssueCardOptions {
  /** Signing password (6–16 of A–Z0–9 with letters and digits; lowercase is uppercased). Generated when omitted. */
  readonly signPin?: string | undefined;
  /** User-authentication PIN (4 digits). Generated when omitted. */
  readonly authPin?: string | undefined;
  /** Also set up a smartphone with the same PINs. */
  readonly smartphone?: 'android' | 'ios' | undefined;
  /** Issue from this CA generation (e.g. an older one, dated before the newest generation began). */
  readonly generation?: string | undefined;
}

/** What an issuance returns (the PINs are returned once, to the "resident"). */
export interface IssuedToken {
  readonly tokenId: string;
  readonly kind: TokenRecord['kind'];
  readonly signSerial?: string | undefined;
  readonly authSerial: string;
  readonly signPin?: string | undefined;
  readonly authPin: string;
  readonly expiresAt: string;
  readonly generation: string;
}

/** Normalizes and checks a signing password (docs/jpki.md §3.5). */
export function checkSignPin(pin: string): string {
  const p = pin.toUpperCase();
  if (!/^[A-Z0-9]{6,16}$/.test(p) || !/[A-Z]/.test(p) || !/[0-9]/.test(p)) {
    throw simError(
      'pin_format',
      'the signing password must be 6–16 characters of A–Z and 0–9, mixing letters and digits',
    );
  }
  return p;
}

/** Checks a user-authentication PIN (docs/jpki.md §3.5: 4 digits). */
export function checkAuthPin(pin: string): string {
  if (!/^\d{4}$/.test(pin)) throw simError('pin_format', 'the user-authentication PIN must be 4 digits');
  return pin;
}

/** Age in whole years at `at` (JST calendar). */
export function ageAt(birthDate: string, at: Date): number {
  const d = new Date(at.getTime() + 9 * 3600_000).toISOString().slice(0, 10);
  const [y, m, dd] = d.split('-').map(Number) as [number, number, number];
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && dd < bd) ? 1 : 0);
}

/**
 * The n-th birthday strictly after the JST day of `at`, at 14:59:59Z (23:59:59 JST). Built on the
 * same calendar rules as `jpkiValidity` (`@watashi/jpki`), so a card's expiry and its certificates'
 * validity agree: 29 February falls on 28 February in common years, and a birthday on the day of
 * issuance counts as already passed.
 */
export function nthBirthdayAfter(birthDate: string, at: Date, n: number): Date {
  const [, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const today = jstDate(at);
  let year = today[0];
  const on = (y: number): [number, number, number] => birthdayIn(y, bm, bd);
  const [, m0, d0] = on(year);
  if (m0 < today[1] || (m0 === today[1] && d0 <= today[2])) year++;
  return endOfJstDay(...on(year + n - 1));
}

/** The resident `id`, which must be living in the registry. */
export function livingResident(ctx: SimContext, id: string): ResidentRecord {
  const r = ctx.state.residents[id];
  if (!r) throw simError('resident_not_found', `no resident ${id}`);
  if (r.status !== 'resident') throw simError('resident_not_living', `resident ${id} is ${r.status}`);
  return r;
}

/** Sets a certificate's status; records `successor` for basic-4 provision. */
export function setCertStatus(
  ctx: SimContext,
  serial: string,
  reason: RevocationReason | 'good',
  successor?: string,
): void {
  const c = ctx.state.certificates[serial];
  if (!c) return;
  c.status =
    reason === 'good' ? { type: 'good' } : { type: 'revoked', reason, at: ctx.clock.now().toISOString() };
  if (successor !== undefined) c.supersededBy = successor;
}

/** A CN in the signing-certificate format (docs/jpki.md §1.2): request time (JST) + 5-digit sequence + 9-character desk code. */
function signingCn(ctx: SimContext, at: Date): string {
  const jst = new Date(at.getTime() + 9 * 3600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${jst}${ctx.rnd.chars(5, ALPHABET.digits)}${ctx.rnd.chars(9, ALPHABET.upperAlnum)}`;
}

/** An opaque user-authentication CN (docs/jpki.md §1.3: 20–23 alphanumerics, no personal data). */
const authCn = (ctx: SimContext): string => ctx.rnd.chars(23, ALPHABET.upperAlnum);

/** The basic 4 information of a resident, as the signing certificate records it. */
function residentBasic4(r: ResidentRecord): ReturnType<typeof basic4From> {
  return basic4From({ name: r.name, address: r.address, birthDate: r.birthDate, sex: r.sex });
}

interface KeyedCert {
  readonly record: CertRecord;
  readonly der: Uint8Array;
  readonly privateJwk: JsonWebKey;
}

/** Issues one certificate with a fresh key pair. */
async function issueOne(
  ctx: SimContext,
  purpose: Purpose,
  ca: CaRuntime,
  r: ResidentRecord,
  tokenId: string,
  variant: 'card' | 'smartphone',
  issuedAt: Date,
  cardExpiry: Date,
): Promise<KeyedCert> {
  const { privateJwk, spki } = cardKeyPair(ctx.keys);
  const serial = nextSerial(ctx);
  const v = jpkiValidity({ issuedAt, birthDate: r.birthDate, cardExpiry });
  const notAfter =
    v.notAfter.getTime() > ca.certificate.notAfter.getTime() ? ca.certificate.notAfter : v.notAfter;
  const issuer = { organization: 'JPKI-SIM' as const, purpose, spki: ca.certificate.spki };
  const der =
    purpose === 'sign'
      ? await buildJpkiSigningCertificate({
          issuer: { ...issuer, purpose: 'sign' },
          signer: ca.signer,
          serial,
          notBefore: v.notBefore,
          notAfter,
          spki,
          subject: { ...locateAddress(r.address), cn: signingCn(ctx, issuedAt) },
          basic4: residentBasic4(r),
          variant,
        })
      : await buildJpkiAuthCertificate({
          issuer: { ...issuer, purpose: 'auth' },
          signer: ca.signer,
          serial,
          notBefore: v.notBefore,
          notAfter,
          spki,
          cn: authCn(ctx),
          variant,
        });
  const parsed = parseCertificate(der);
  const record: CertRecord = {
    serial: serial.toString(),
    purpose,
    generation: ca.generation,
    variant,
    residentId: r.id,
    tokenId,
    der: toBase64(der),
    notBefore: parsed.notBefore.toISOString(),
    notAfter: parsed.notAfter.toISOString(),
    issuedAt: issuedAt.toISOString(),
    status: { type: 'good' },
  };
  ctx.state.certificates[record.serial] = record;
  return { record, der, privateJwk };
}

/**
 * The date of an issuance from `ca`: now while `ca` is the generation current now; for an older
 * generation, 30 days before the generation after it began (capped by now), so the card was issued
 * while `ca` was current (docs/jpki.md §1.1: each card carries the CA of its own generation)
 * and the old CA has certificates "issued before the change-over". A generation that was never
 * current by now (not yet valid) is `ca_not_found`.
 */
function issuanceTime(ctx: SimContext, ca: CaRuntime): Date {
  const now = ctx.clock.now();
  const start = ca.certificate.notBefore.getTime();
  if (start > now.getTime())
    throw simError('ca_not_found', `the ${ca.purpose} CA of generation ${ca.generation} is not valid yet`);
  const next = [...ctx.cas.values()]
    .filter((c) => c.purpose === ca.purpose && c.certificate.notBefore.getTime() > start)
    .sort((a, b) => a.certificate.notBefore.getTime() - b.certificate.notBefore.getTime())[0];
  const nextStart = next?.certificate.notBefore.getTime() ?? Infinity;
  const at = new Date(Math.max(start, Math.min(now.getTime(), nextStart - 30 * 86_400_000)));
  if (issuingCa(ctx, ca.purpose, at) !== ca)
    throw simError('ca_not_found', `the ${ca.purpose} CA of generation ${ca.generation} was never current`);
  return at;
}

/** Live (good or held) certificates of a token. */
export function tokenCerts(ctx: SimContext, t: TokenRecord): CertRecord[] {
  return [t.signSerial, t.authSerial]
    .filter((s): s is string => s !== undefined)
    .map((s) => ctx.state.certificates[s])
    .filter((c): c is CertRecord => c !== undefined);
}

/** Tokens of a resident. */
export const residentTokens = (ctx: SimContext, residentId: string): TokenRecord[] =>
  Object.values(ctx.state.tokens).filter((t) => t.residentId === residentId);

async function issueToken(
  ctx: SimContext,
  r: ResidentRecord,
  kind: TokenRecord['kind'],
  pins: { signPin: string; authPin: string },
  generation: string | undefined,
  cardExpiryOverride?: Date,
): Promise<IssuedToken> {
  const signCa = generation ? caOf(ctx, 'sign', generation) : issuingCa(ctx, 'sign');
  const authCa = generation ? caOf(ctx, 'auth', generation) : issuingCa(ctx, 'auth');
  const issuedAt = issuanceTime(ctx, signCa);
  const age = ageAt(r.birthDate, issuedAt);
  // docs/jpki.md §1.5: card valid to the 10th birthday (5th for minors under 18).
  const cardExpiry = cardExpiryOverride ?? nthBirthdayAfter(r.birthDate, issuedAt, age < 18 ? 5 : 10);
  const id = newId(ctx.rnd, kind === 'card' ? 'c' : 'd');
  const variant = kind === 'card' ? 'card' : 'smartphone';
  // docs/jpki.md §1.5: no signing certificate under 15.
  const sign =
    age >= 15 ? await issueOne(ctx, 'sign', signCa, r, id, variant, issuedAt, cardExpiry) : undefined;
  const auth = await issueOne(ctx, 'auth', authCa, r, id, variant, issuedAt, cardExpiry);
  const state = createCardState({
    kind,
    sign: sign
      ? { certificate: sign.der, key: sign.privateJwk, caCertificate: signCa.der, pin: pins.signPin }
      : undefined,
    auth: { certificate: auth.der, key: auth.privateJwk, caCertificate: authCa.der, pin: pins.authPin },
  });
  const token: TokenRecord = {
    id,
    kind,
    residentId: r.id,
    status: 'active',
    issuedAt: issuedAt.toISOString(),
    expiresAt: cardExpiry.toISOString(),
    signSerial: sign?.record.serial,
    authSerial: auth.record.serial,
    state,
  };
  ctx.state.tokens[id] = token;
  syncRandom(ctx);
  return {
    tokenId: id,
    kind,
    signSerial: sign?.record.serial,
    authSerial: auth.record.serial,
    signPin: sign ? pins.signPin : undefined,
    authPin: pins.authPin,
    expiresAt: token.expiresAt,
    generation: authCa.generation,
  };
}

/**
 * Issues a new card (both certificates and keys on it). A previous card of the resident is
 * replaced: its live certificates are revoked as superseded (docs/jpki.md §2.2).
 */
export async function issueCard(
  ctx: SimContext,
  residentId: string,
  o: IssueCardOptions = {},
): Promise<{ card: IssuedToken; device?: IssuedToken | undefined }> {
  const r = livingResident(ctx, residentId);
  const pins = {
    signPin: checkSignPin(o.signPin ?? newSignPin(ctx.rnd)),
    authPin: checkAuthPin(o.authPin ?? newAuthPin(ctx.rnd)),
  };
  const replaced: CertRecord[] = [];
  for (const t of residentTokens(ctx, r.id)) {
    if (t.kind !== 'card' || (t.status !== 'active' && t.status !== 'lost')) continue;
    for (const c of tokenCerts(ctx, t)) {
      if (c.status.type === 'good' || c.status.reason === 'certificateHold') {
        setCertStatus(ctx, c.serial, 'superseded');
        replaced.push(c);
      }
    }
    t.status = 'revoked';
  }
  const card = await issueToken(ctx, r, 'card', pins, o.generation);
  for (const c of replaced) {
    const successor = c.purpose === 'sign' ? card.signSerial : card.authSerial;
    if (successor !== undefined) c.supersededBy = successor;
  }
  const device = o.smartphone
    ? await issueDevice(ctx, residentId, { kind: o.smartphone, ...pins })
    : undefined;
  ctx.save();
  return { card, device };
}

/** Live smartphone tokens of a resident. */
const liveDevices = (ctx: SimContext, residentId: string): TokenRecord[] =>
  residentTokens(ctx, residentId).filter((t) => t.kind !== 'card' && t.status === 'active');

/**
 * Sets up smartphone certificates (Android SE / iPhone; docs/jpki.md §2.3). Requires an active
 * card (the set-up reads it). Refused while a live smartphone certificate exists, unless `replace`
 * (device change from the new device alone): the old device's certificates are then revoked as
 * superseded and the old device erases its keys when it next starts (cards.ts `startDevice`).
 */
export async function issueDevice(
  ctx: SimContext,
  residentId: string,
  o: {
    kind: 'android' | 'ios';
    signPin?: string | undefined;
    authPin?: string | undefined;
    replace?: boolean | undefined;
  },
): Promise<IssuedToken> {
  const r = livingResident(ctx, residentId);
  const card = residentTokens(ctx, r.id).find((t) => t.kind === 'card' && t.status === 'active');
  if (!card) throw simError('no_active_card', 'smartphone set-up needs an active card');
  const live = liveDevices(ctx, r.id);
  if (live.length > 0 && !o.replace) {
    throw simError(
      'smartphone_already_issued',
      'a live smartphone certificate already exists for this resident (二重発行の防止)',
    );
  }
  for (const t of live) {
    for (const c of tokenCerts(ctx, t))
      if (c.status.type === 'good') setCertStatus(ctx, c.serial, 'superseded');
    t.status = 'revoked';
  }
  const pins = {
    signPin: checkSignPin(o.signPin ?? newSignPin(ctx.rnd)),
    authPin: checkAuthPin(o.authPin ?? newAuthPin(ctx.rnd)),
  };
  const issued = await issueToken(ctx, r, o.kind, pins, undefined, new Date(card.expiresAt));
  ctx.save();
  return issued;
}

/**
 * Writes a new signing certificate with a new key pair onto an existing card (re-issue at the
 * counter after a basic 4 change, docs/jpki.md §4.2 step 1). Links the old certificate to the
 * new one for latest-basic-4 provision.
 */
export async function reissueSigning(
  ctx: SimContext,
  token: TokenRecord,
  signPin?: string,
): Promise<CertRecord | undefined> {
  const r = livingResident(ctx, token.residentId);
  const issuedAt = ctx.clock.now();
  // docs/jpki.md §1.5: none under 15; a card issued before 15 has no signing password until
  // one is set at the counter (`signPin`).
  if (ageAt(r.birthDate, issuedAt) < 15) return undefined;
  if (!hasSignPin(token.state) && signPin === undefined) return undefined;
  const ca = issuingCa(ctx, 'sign', issuedAt);
  const variant = token.kind === 'card' ? 'card' : 'smartphone';
  const issued = await issueOne(ctx, 'sign', ca, r, token.id, variant, issuedAt, new Date(token.expiresAt));
  const oldSerial = token.signSerial;
  token.state = replaceOnCard(token.state, 'sign', {
    certificate: issued.der,
    key: issued.privateJwk,
    caCertificate: ca.der,
    ...(signPin === undefined ? {} : { pin: checkSignPin(signPin) }),
  });
  token.signSerial = issued.record.serial;
  if (oldSerial) {
    const old = ctx.state.certificates[oldSerial];
    if (old) old.supersededBy = issued.record.serial;
  }
  syncRandom(ctx);
  return issued.record;
}

/**
 * Renewal (docs/jpki.md §1.5): new user-auth and (from 15) signing certificates with new key
 * pairs on the same card, from the newest generation; the caller revoked the old ones as
 * superseded. The card keeps its PINs and counters.
 */
export async function reissueRenewal(
  ctx: SimContext,
  token: TokenRecord,
  signPin?: string,
): Promise<CertRecord[]> {
  const r = livingResident(ctx, token.residentId);
  const issuedAt = ctx.clock.now();
  const out: CertRecord[] = [];
  const expiry = new Date(token.expiresAt);
  const authCa = issuingCa(ctx, 'auth', issuedAt);
  const auth = await issueOne(
    ctx,
    'auth',
    authCa,
    r,
    token.id,
    token.kind === 'card' ? 'card' : 'smartphone',
    issuedAt,
    expiry,
  );
  token.state = replaceOnCard(token.state, 'auth', {
    certificate: auth.der,
    key: auth.privateJwk,
    caCertificate: authCa.der,
  });
  if (token.authSerial) {
    const old = ctx.state.certificates[token.authSerial];
    if (old) old.supersededBy = auth.record.serial;
  }
  token.authSerial = auth.record.serial;
  out.push(auth.record);
  const sign = await reissueSigning(ctx, token, signPin);
  if (sign) out.push(sign);
  syncRandom(ctx);
  return out;
}
