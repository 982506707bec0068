/**
 * The resident registry (住民基本台帳, simulated): add, list and show residents. Views expose the
 * basic 4 information, the cards and the certificates — never any individual number.
 */
import { nowIso, syncRandom, type SimContext } from '../context.ts';
import { simError } from '../errors.ts';
import type { CertRecord, ResidentRecord, TokenRecord } from '../model.ts';
import { newId } from '../random.ts';
import { generateResident, type ResidentInput } from './generate.ts';

/** A certificate as shown to the operator of the simulator. */
export interface CertView {
  readonly serial: string;
  readonly purpose: CertRecord['purpose'];
  readonly generation: string;
  readonly variant: CertRecord['variant'];
  readonly tokenId: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly status: 'good' | 'revoked' | 'hold';
  readonly reason?: string | undefined;
  readonly revokedAt?: string | undefined;
  readonly supersededBy?: string | undefined;
}

/** A token (card or device) as shown. */
export interface TokenView {
  readonly id: string;
  readonly kind: TokenRecord['kind'];
  readonly status: TokenRecord['status'];
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly signSerial?: string | undefined;
  readonly authSerial?: string | undefined;
}

/** A resident as shown, with tokens and certificates. */
export interface ResidentView extends ResidentInput {
  readonly id: string;
  readonly status: ResidentRecord['status'];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly tokens: ReadonlyArray<TokenView>;
  readonly certificates: ReadonlyArray<CertView>;
}

/** View of a certificate record. */
export function certView(c: CertRecord): CertView {
  const held = c.status.type === 'revoked' && c.status.reason === 'certificateHold';
  return {
    serial: c.serial,
    purpose: c.purpose,
    generation: c.generation,
    variant: c.variant,
    tokenId: c.tokenId,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    status: c.status.type === 'good' ? 'good' : held ? 'hold' : 'revoked',
    reason: c.status.type === 'revoked' ? c.status.reason : undefined,
    revokedAt: c.status.type === 'revoked' ? c.status.at : undefined,
    supersededBy: c.supersededBy,
  };
}

/** View of a token record (no key material). */
export const tokenView = (t: TokenRecord): TokenView => ({
  id: t.id,
  kind: t.kind,
  status: t.status,
  issuedAt: t.issuedAt,
  expiresAt: t.expiresAt,
  signSerial: t.signSerial,
  authSerial: t.authSerial,
});

/** View of a resident. */
export function residentView(ctx: SimContext, r: ResidentRecord): ResidentView {
  return {
    id: r.id,
    name: r.name,
    nameKana: r.nameKana,
    address: r.address,
    birthDate: r.birthDate,
    sex: r.sex,
    status: r.status,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    tokens: Object.values(ctx.state.tokens)
      .filter((t) => t.residentId === r.id)
      .map(tokenView),
    certificates: Object.values(ctx.state.certificates)
      .filter((c) => c.residentId === r.id)
      .map(certView),
  };
}

/** Adds a resident; missing fields are generated from the seeded PRNG. */
export function addResident(ctx: SimContext, given: Partial<ResidentInput> = {}): ResidentRecord {
  const input = generateResident(ctx.rnd, ctx.clock.now(), given);
  const at = nowIso(ctx);
  const r: ResidentRecord = {
    id: newId(ctx.rnd, 'r'),
    ...input,
    status: 'resident',
    createdAt: at,
    updatedAt: at,
  };
  if (r.nameKana === undefined) delete (r as { nameKana?: string }).nameKana;
  ctx.state.residents[r.id] = r;
  syncRandom(ctx);
  ctx.save();
  return r;
}

/** The resident `id` (any status); throws `resident_not_found`. */
export function residentOf(ctx: SimContext, id: string): ResidentRecord {
  const r = ctx.state.residents[id];
  if (!r) throw simError('resident_not_found', `no resident ${id}`);
  return r;
}
