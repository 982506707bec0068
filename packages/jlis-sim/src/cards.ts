/**
 * Hosted virtual cards and smartphones. Each token's state (keys, certificates, PINs, retry
 * counters) lives in the simulator state; `VirtualJpkiCard` from @watashi/jpki answers the APDUs
 * (docs/jpki.md §3), exactly as a card in an NFC reader would:
 * - `apdu()` keeps one in-memory card instance per token as the "session": its security status
 *   (verified PINs) lasts until `endSession()`/`beginSession()`, like a card removed from the
 *   reader; retry counters are persisted after every APDU;
 * - admin operations (export, sign, PIN status) drive a fresh instance through `JpkiCardClient`
 *   and end any open session first (the card is taken out of the reader and put back);
 * - a smartphone whose certificates were revoked by a device change erases its keys the next time
 *   it starts (`startDevice`), and a wiped device answers every APDU with 6A82 (no JPKI AP).
 */
import { isWatashiError, prepareCmsSignature, toBase64 } from '@watashi/pki';
import { JpkiCardClient, VirtualJpkiCard } from '@watashi/jpki';
import { nowIso, type SimContext } from './context.ts';
import { simError } from './errors.ts';
import { verifyResidentSignature, jstDate } from './consent.ts';
import { setCertStatus, tokenCerts } from './issuance.ts';
import type { Purpose, TokenRecord } from './model.ts';
import { z } from 'zod';

const SW_FILE_NOT_FOUND = new Uint8Array([0x6a, 0x82]);

/** Maps card-protocol errors to simulator errors (PIN failures keep the remaining tries). */
function mapCardError(e: unknown): never {
  if (isWatashiError(e, 'card_pin_incorrect')) {
    const remaining = e.detail?.['triesLeft'];
    throw simError('pin_incorrect', 'wrong PIN', {
      cause: e,
      detail: { remaining: typeof remaining === 'number' ? remaining : 0 },
    });
  }
  if (isWatashiError(e, 'card_pin_blocked'))
    throw simError('pin_blocked', 'the PIN is blocked', { cause: e });
  if (isWatashiError(e, 'card_pin_format'))
    throw simError('pin_format', 'PIN format not accepted', { cause: e });
  throw e;
}

/** The revocation request a resident signs with the card's signing key for a lost phone. */
const deviceRevocationSchema = z.strictObject({
  type: z.literal('jlis-sim/device-revocation'),
  deviceId: z.string().min(1).max(64),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});

/** Hosted tokens of one simulator. */
export class HostedCards {
  private readonly sessions = new Map<string, VirtualJpkiCard>();
  /** `writes` of each card instance when its state was last saved (see persist). */
  private readonly saved = new WeakMap<VirtualJpkiCard, number>();

  constructor(private readonly ctx: SimContext) {}

  /** The token `id`; throws `card_not_found`. */
  token(id: string): TokenRecord {
    const t = this.ctx.state.tokens[id];
    if (!t) throw simError('card_not_found', `no card or device ${id}`);
    return t;
  }

  /**
   * Saves the card's state when a command changed it (a retry counter or a PIN: `card.writes`
   * moved since the last save). Reading a certificate takes dozens of APDUs and changes nothing;
   * rewriting state.json after each of them made a card read cost seconds.
   */
  private persist(t: TokenRecord, card: VirtualJpkiCard): void {
    if (card.writes === (this.saved.get(card) ?? 0)) return;
    this.saved.set(card, card.writes);
    t.state = card.exportState();
    this.ctx.save();
  }

  /** Starts a new reader session (security status reset). */
  beginSession(id: string): void {
    this.token(id);
    this.sessions.delete(id);
  }

  /** Ends the reader session (the card leaves the field). */
  endSession(id: string): void {
    this.token(id);
    this.sessions.delete(id);
  }

  /** Transmits one C-APDU to a hosted token; returns the R-APDU (data ‖ SW1 SW2). */
  async apdu(id: string, capdu: Uint8Array): Promise<Uint8Array> {
    const t = this.token(id);
    if (t.state === null || t.status === 'wiped') return SW_FILE_NOT_FOUND.slice();
    let card = this.sessions.get(id);
    if (!card) {
      card = VirtualJpkiCard.fromState(t.state);
      this.sessions.set(id, card);
    }
    const r = await card.transmit(capdu);
    this.persist(t, card);
    return r;
  }

  /** Runs `fn` against a fresh instance of the card (ends any open session), then persists counters. */
  async withClient<T>(id: string, fn: (client: JpkiCardClient) => Promise<T>): Promise<T> {
    const t = this.token(id);
    if (t.state === null || t.status === 'wiped')
      throw simError('device_not_active', `${id} has erased its keys`);
    this.sessions.delete(id);
    const card = VirtualJpkiCard.fromState(t.state);
    const client = new JpkiCardClient(card);
    try {
      await client.selectJpkiAp();
      return await fn(client);
    } catch (e) {
      mapCardError(e);
    } finally {
      this.persist(t, card);
    }
  }

  /**
   * Card material export: CA certificates and the user-auth certificate always; the signing
   * certificate only after the correct signing PIN (docs/jpki.md §3.2: EF 0001 is gated).
   */
  exportCard(
    id: string,
    signPin?: string,
  ): Promise<{
    authCertificate: string;
    authCaCertificate: string;
    signCaCertificate?: string;
    signCertificate?: string;
  }> {
    const t = this.token(id);
    return this.withClient(id, async (c) => {
      if (t.kind === 'android' || t.kind === 'ios') {
        // docs/jpki.md §2.3: on a phone the auth certificate needs the auth PIN; export is
        // offered for cards only.
        throw simError(
          'card_not_active',
          'export is available for cards; read a phone over APDU with its PIN',
        );
      }
      const out: {
        authCertificate: string;
        authCaCertificate: string;
        signCaCertificate?: string;
        signCertificate?: string;
      } = {
        authCertificate: toBase64(await c.readCertificate('auth')),
        authCaCertificate: toBase64(await c.readCertificate('auth-ca')),
      };
      if (t.signSerial !== undefined) out.signCaCertificate = toBase64(await c.readCertificate('sign-ca'));
      if (signPin !== undefined) {
        if (t.signSerial === undefined)
          throw simError('signing_certificate_absent', 'this card has no signing certificate');
        await c.verifyPin('sign', signPin.toUpperCase());
        out.signCertificate = toBase64(await c.readCertificate('sign'));
      }
      return out;
    });
  }

  /**
   * Signs `content` with a card key as CMS SignedData (prepareCmsSignature + the card signing the
   * DigestInfo, docs/jpki.md §3.3). `key: 'sign'` needs the signing password.
   */
  sign(
    id: string,
    o: { pin: string; content: Uint8Array; detached: boolean; key: Purpose },
  ): Promise<Uint8Array> {
    const t = this.token(id);
    if (o.key === 'sign' && t.signSerial === undefined)
      throw simError('signing_certificate_absent', 'this token has no signing certificate');
    return this.withClient(id, async (c) => {
      const kind = o.key;
      await c.verifyPin(kind, kind === 'sign' ? o.pin.toUpperCase() : o.pin);
      const certificate = await c.readCertificate(kind);
      const caCertificate = await c.readCertificate(kind === 'sign' ? 'sign-ca' : 'auth-ca');
      const prepared = await prepareCmsSignature({
        content: o.content,
        detached: o.detached,
        certificate,
        extraCertificates: [caCertificate],
        signingTime: this.ctx.clock.now(),
      });
      const signature = await c.signDigestInfo(kind, prepared.digestInfo);
      return prepared.finish(signature);
    });
  }

  /** Remaining tries of each PIN (the empty-VERIFY query, which does not use up a try). */
  pinStatus(id: string): Promise<{ sign?: number; auth: number }> {
    const t = this.token(id);
    return this.withClient(id, async (c) => {
      const auth = await c.pinStatus('auth');
      if (t.signSerial === undefined) return { auth };
      return { sign: await c.pinStatus('sign'), auth };
    });
  }

  /**
   * A hosted smartphone starts (or polls): it asks for its certificates' status and, if they
   * were revoked (device change, revocation with the card, death…), erases its keys (docs/architecture.md §3.5).
   */
  startDevice(id: string): { status: TokenRecord['status']; wiped: boolean } {
    const t = this.token(id);
    if (t.kind === 'card') throw simError('device_not_found', `${id} is a card, not a smartphone`);
    const dead = tokenCerts(this.ctx, t).every(
      (c) => c.status.type === 'revoked' && c.status.reason !== 'certificateHold',
    );
    if (t.status === 'wiped') return { status: t.status, wiped: false };
    if (t.status === 'revoked' || dead) {
      this.wipe(t);
      return { status: t.status, wiped: true };
    }
    return { status: t.status, wiped: false };
  }

  private wipe(t: TokenRecord): void {
    this.sessions.delete(t.id);
    t.state = null;
    t.status = 'wiped';
    this.ctx.save();
    this.ctx.log.info({ device: t.id }, 'device erased its keys');
  }

  /**
   * Revocation from the phone alone before handing it over (docs/jpki.md §2.3): the phone
   * proves possession with its user-auth PIN, its certificates are revoked (holder's request →
   * superseded, §2.2) and it erases its keys at once.
   */
  async revokeFromDevice(id: string, authPin: string): Promise<{ revoked: string[] }> {
    const t = this.token(id);
    if (t.kind === 'card') throw simError('device_not_found', `${id} is a card, not a smartphone`);
    if (t.status !== 'active') throw simError('device_not_active', `${id} is ${t.status}`);
    await this.withClient(id, (c) => c.verifyPin('auth', authPin));
    const revoked = this.revokeDeviceCerts(t);
    this.wipe(t);
    return { revoked };
  }

  private revokeDeviceCerts(t: TokenRecord): string[] {
    const out: string[] = [];
    for (const c of tokenCerts(this.ctx, t)) {
      if (c.status.type !== 'good') continue;
      setCertStatus(this.ctx, c.serial, 'superseded');
      out.push(c.serial);
    }
    this.ctx.state.events.push({
      id: `ev-${t.id}-${out.length}-${Date.now().toString(36)}`,
      residentId: t.residentId,
      type: 'device-revoke',
      at: nowIso(this.ctx),
      effects: out.map((serial) => ({
        serial,
        purpose: this.ctx.state.certificates[serial]!.purpose,
        effect: 'revoked:superseded',
      })),
    });
    return out;
  }

  /**
   * Revocation of a lost phone with the card (docs/jpki.md §2.3): a request document
   * `{type:'jlis-sim/device-revocation', deviceId, date}` CMS-signed with the resident's live card
   * signing certificate. The phone erases its keys if it ever starts again.
   */
  async revokeWithCard(cms: Uint8Array): Promise<{ deviceId: string; revoked: string[] }> {
    const { content, cert } = await verifyResidentSignature(this.ctx, cms, 'card');
    let doc;
    try {
      doc = deviceRevocationSchema.parse(
        JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(content)),
      );
    } catch (cause) {
      throw simError('request_invalid', 'the signed content is not a device-revocation request', { cause });
    }
    const today = this.ctx.clock.now();
    if (doc.date !== jstDate(today) && doc.date !== jstDate(new Date(today.getTime() - 86_400_000))) {
      throw simError('request_invalid', 'the request is not dated today');
    }
    const t = this.ctx.state.tokens[doc.deviceId];
    if (!t || t.kind === 'card' || t.residentId !== cert.residentId)
      throw simError('device_not_found', `no device ${doc.deviceId} of this resident`);
    if (t.status !== 'active') throw simError('device_not_active', `${t.id} is ${t.status}`);
    const revoked = this.revokeDeviceCerts(t);
    t.status = 'revoked';
    this.ctx.save();
    return { deviceId: t.id, revoked };
  }
}
