/**
 * Life events and their effect on each certificate (docs/jpki.md §1.3, §1.5, §2.2 mapping):
 *
 * | event        | signing certificate(s)                     | user-auth certificate(s)       |
 * |--------------|--------------------------------------------|--------------------------------|
 * | move         | revoked, affiliationChanged; re-issued on the card (new key) unless `reissue: false` | untouched |
 * | marriage     | same as move (the name changes)            | untouched                      |
 * | renew        | card: superseded, new one (new key)        | card: superseded, new one      |
 * | lose         | card: certificateHold                      | card: certificateHold          |
 * | found        | card: hold released (drops from the next CRL, good again after the OCSP refresh) | same |
 * | revoke-lost  | card: held → superseded (holder's request) | same                           |
 * | death        | all: cessationOfOperation                  | all: cessationOfOperation      |
 * | emigrate     | all: cessationOfOperation                  | all: cessationOfOperation      |
 *
 * `revoke-lost` uses superseded, not keyCompromise: docs/jpki.md §2.2 maps "request by the
 * holder" to superseded and reserves keyCompromise for key leakage; a lost card's keys stay behind
 * its PINs, so leakage is not established. A move or marriage also revokes a smartphone's signing
 * certificate (the basic 4 information changed); the phone is not re-issued automatically — the
 * resident sets it up again (device change), as on a real phone.
 */
import { nowIso, syncRandom, type SimContext } from './context.ts';
import { simError } from './errors.ts';
import {
  ageAt,
  livingResident,
  reissueRenewal,
  reissueSigning,
  residentTokens,
  setCertStatus,
  tokenCerts,
} from './issuance.ts';
import type { CertRecord, EventRecord, Purpose, TokenRecord } from './model.ts';
import { newId } from './random.ts';
import { generateAddress, generateMarriedName } from './residents/generate.ts';

/** Event types. */
export const EVENT_TYPES = [
  'move',
  'marriage',
  'renew',
  'lose',
  'found',
  'revoke-lost',
  'death',
  'emigrate',
] as const;
/** An event type. */
export type LifeEventType = (typeof EVENT_TYPES)[number];

/** An event request. */
export interface LifeEventInput {
  readonly type: LifeEventType;
  /** move: the new address (generated when omitted). */
  readonly address?: string | undefined;
  /** marriage: the new name (generated when omitted). */
  readonly name?: string | undefined;
  /** move / marriage: visit the counter and get a new signing certificate now (default true). */
  readonly reissue?: boolean | undefined;
}

type Effect = { serial: string; purpose: Purpose; effect: string };

function cardOf(ctx: SimContext, residentId: string, status: TokenRecord['status']): TokenRecord {
  const t = residentTokens(ctx, residentId).find((x) => x.kind === 'card' && x.status === status);
  if (!t)
    throw simError(
      status === 'lost' ? 'card_not_lost' : 'no_active_card',
      `the resident has no ${status} card`,
    );
  return t;
}

const liveOrHeld = (c: CertRecord): boolean =>
  c.status.type === 'good' || (c.status.type === 'revoked' && c.status.reason === 'certificateHold');

/** Applies a life event; returns the logged event with the effect on each certificate. */
export async function applyLifeEvent(
  ctx: SimContext,
  residentId: string,
  e: LifeEventInput,
): Promise<EventRecord> {
  const r = livingResident(ctx, residentId);
  const effects: Effect[] = [];
  const mark = (c: CertRecord, effect: string): void => {
    effects.push({ serial: c.serial, purpose: c.purpose, effect });
  };
  switch (e.type) {
    case 'move':
    case 'marriage': {
      if (e.type === 'move') r.address = e.address ?? generateAddress(ctx.rnd, r.address);
      else r.name = e.name ?? generateMarriedName(ctx.rnd, r.name);
      if (e.type === 'marriage' && e.name !== undefined) r.nameKana = undefined;
      r.updatedAt = nowIso(ctx);
      for (const t of residentTokens(ctx, r.id)) {
        if (t.status !== 'active' && t.status !== 'lost') continue;
        for (const c of tokenCerts(ctx, t)) {
          if (c.purpose !== 'sign' || !liveOrHeld(c)) continue;
          setCertStatus(ctx, c.serial, 'affiliationChanged');
          mark(c, 'revoked:affiliationChanged');
        }
      }
      const card = residentTokens(ctx, r.id).find((x) => x.kind === 'card' && x.status === 'active');
      if (e.reissue !== false && card && ageAt(r.birthDate, ctx.clock.now()) >= 15) {
        const n = await reissueSigning(ctx, card);
        if (n) mark(n, 'issued');
      }
      break;
    }
    case 'renew': {
      const card = cardOf(ctx, r.id, 'active');
      for (const c of tokenCerts(ctx, card)) {
        if (c.status.type !== 'good') continue;
        setCertStatus(ctx, c.serial, 'superseded');
        mark(c, 'revoked:superseded');
      }
      for (const n of await reissueRenewal(ctx, card)) mark(n, 'issued');
      break;
    }
    case 'lose': {
      const card = cardOf(ctx, r.id, 'active');
      for (const c of tokenCerts(ctx, card)) {
        if (c.status.type !== 'good') continue;
        setCertStatus(ctx, c.serial, 'certificateHold');
        mark(c, 'hold');
      }
      card.status = 'lost';
      break;
    }
    case 'found': {
      const card = cardOf(ctx, r.id, 'lost');
      for (const c of tokenCerts(ctx, card)) {
        if (c.status.type !== 'revoked' || c.status.reason !== 'certificateHold') continue;
        setCertStatus(ctx, c.serial, 'good');
        mark(c, 'released');
      }
      card.status = 'active';
      break;
    }
    case 'revoke-lost': {
      const card = cardOf(ctx, r.id, 'lost');
      for (const c of tokenCerts(ctx, card)) {
        if (!liveOrHeld(c)) continue;
        setCertStatus(ctx, c.serial, 'superseded');
        mark(c, 'revoked:superseded');
      }
      card.status = 'revoked';
      break;
    }
    case 'death':
    case 'emigrate': {
      for (const t of residentTokens(ctx, r.id)) {
        for (const c of tokenCerts(ctx, t)) {
          if (!liveOrHeld(c)) continue;
          setCertStatus(ctx, c.serial, 'cessationOfOperation');
          mark(c, 'revoked:cessationOfOperation');
        }
        if (t.status === 'active' || t.status === 'lost') t.status = 'revoked';
      }
      r.status = e.type === 'death' ? 'deceased' : 'emigrated';
      r.updatedAt = nowIso(ctx);
      break;
    }
    default: {
      const never: never = e.type;
      throw simError('event_invalid', `unknown event ${String(never)}`);
    }
  }
  const rec: EventRecord = {
    id: newId(ctx.rnd, 'ev'),
    residentId: r.id,
    type: e.type,
    at: nowIso(ctx),
    effects,
  };
  ctx.state.events.push(rec);
  syncRandom(ctx);
  ctx.save();
  ctx.log.info({ resident: r.id, event: e.type, effects: effects.length }, 'life event');
  return rec;
}
