// The pure steps of a sweep batch against a real CRL (built and read by @watashi/pki). The batch
// as a whole, on both database engines: test/lifecycle/sweep.test.ts and sweep-faults.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCrl, readCrl } from '@watashi/pki';
import { nodeGenerateKey, nodeSigner } from '@watashi/pki/node';
import type { VerifiedCrl } from '../jlis/backend.ts';
import type { ProvisionOutcome } from './reanchor.ts';
import type { AnchorRow, Change } from './status-effects.ts';
import {
  accountsOf,
  cursorKey,
  decideChanges,
  holdUnanswered,
  pickCandidates,
  provisionsNeeded,
  type BatchIssuer,
  type Counts,
  type SlimAnchor,
  type WholeAnchor,
} from './sweep-batch.ts';

const thisUpdate = new Date('2026-03-01T00:00:00Z');
const revokedAt = new Date('2026-02-27T00:00:00Z');
const caKey = new Uint8Array(32).fill(7);
const otherCa = new Uint8Array(32).fill(9);
let issuers: BatchIssuer[];

beforeAll(async () => {
  const der = await buildCrl({
    issuer: new Uint8Array([0x30, 0x00]),
    authorityKeyId: new Uint8Array(20).fill(1),
    thisUpdate,
    nextUpdate: new Date(thisUpdate.getTime() + 86_400_000),
    crlNumber: 42n,
    entries: [
      { serial: 100n, revocationDate: revokedAt, reason: 'keyCompromise' },
      { serial: 101n, revocationDate: revokedAt, reason: 'affiliationChanged' },
      { serial: 102n, revocationDate: revokedAt, reason: 'certificateHold' },
    ],
    signer: nodeSigner(nodeGenerateKey('ECDSA-SHA256'), 'ECDSA-SHA256'),
  });
  const crl = { index: readCrl(der), crlNumber: 42n, thisUpdate } as unknown as VerifiedCrl;
  issuers = [{ keyHash: caKey, crl }, { keyHash: otherCa }];
});

const zero = (): Counts => ({ checked: 0, revoked: 0, released: 0, unchecked: 0 });
const slim = (serial: number, state: string | null = null, ix = 0): SlimAnchor => ({
  serial: String(serial),
  issuer_ix: ix,
  state,
  other_issuer: ix < 0 ? otherCa : null,
});
const row = (serial: number, over: Partial<AnchorRow> = {}): AnchorRow => ({
  id: `anchor-${serial}`,
  account_id: `account-${serial}`,
  purpose: 'sign',
  variant: 'card',
  issuer_key_hash: caKey,
  serial: String(serial),
  status: 'good',
  revocation_reason: null,
  ...over,
});

describe('pickCandidates', () => {
  it('ok-listed-held-released-and-waiting-rows-are-candidates', () => {
    const counts = zero();
    const picked = pickCandidates(
      [
        slim(1), // good, not listed: stays
        slim(100), // good, listed: revoked
        slim(102, 'revoked|certificateHold|sign'), // held, still listed: stays
        slim(103, 'revoked|certificateHold|sign'), // held, no longer listed: released
        slim(104, 'revoked|affiliationChanged|sign'), // waits for J-LIS
        slim(105, 'unknown||sign'), // unknown, not listed: good
        slim(100, null, 1), // a CA without a CRL this run
        slim(100, null, -1), // a CA not in the run
      ],
      issuers,
      counts,
    );
    expect(picked.map((c) => c.serial)).toEqual(['100', '103', '104', '105']);
    expect(counts).toEqual({ checked: 6, revoked: 0, released: 0, unchecked: 2 });
  });
});

describe('cursorKey', () => {
  it('ok-the-last-row-by-its-ca', () => {
    expect(cursorKey([slim(1), slim(2)], issuers)).toEqual({ keyHash: caKey, serial: '2' });
    expect(cursorKey([slim(3, null, -1)], issuers)).toEqual({ keyHash: otherCa, serial: '3' });
    expect(cursorKey([], issuers)).toBeUndefined();
  });
});

describe('decideChanges', () => {
  it('ok-decided-again-as-the-rows-are-now', () => {
    const counts = zero();
    const picked = pickCandidates(
      [
        slim(100),
        slim(101),
        slim(103, 'revoked|certificateHold|sign'),
        slim(104, 'revoked|affiliationChanged|sign'),
      ],
      issuers,
      counts,
    );
    const whole = new Map<string, WholeAnchor>([
      // Revoked meanwhile with the CRL's reason: nothing to change.
      ['100', { ...row(100, { status: 'revoked', revocation_reason: 'keyCompromise' }), superseded: false }],
      // Superseded meanwhile: no longer the sweep's.
      ['101', { ...row(101), superseded: true }],
      [
        '103',
        { ...row(103, { status: 'revoked', revocation_reason: 'certificateHold' }), superseded: false },
      ],
      [
        '104',
        { ...row(104, { status: 'revoked', revocation_reason: 'affiliationChanged' }), superseded: false },
      ],
    ]);
    const { changes, reaffirmed } = decideChanges(picked, (w) => whole.get(w.serial), counts);
    expect(changes.map((c) => [c.row.serial, c.to.status, c.crlNumber, c.checkedAt])).toEqual([
      ['103', 'good', 42n, thisUpdate],
    ]);
    expect(reaffirmed.map((r) => r.serial)).toEqual(['104']);
    expect(counts.released).toBe(1);
    expect(counts.revoked).toBe(0);
  });

  it('ok-a-listed-good-row-is-revoked-and-counted', () => {
    const counts = zero();
    const picked = pickCandidates([slim(100)], issuers, counts);
    const { changes } = decideChanges(picked, () => ({ ...row(100), superseded: false }), counts);
    expect(changes[0]?.to).toEqual({ status: 'revoked', reason: 'keyCompromise', revokedAt });
    expect(counts.revoked).toBe(1);
  });
});

describe('provisionsNeeded', () => {
  const affiliation = (serial: number, over: Partial<AnchorRow> = {}): Change => ({
    row: row(serial, over),
    to: { status: 'revoked', reason: 'affiliationChanged', revokedAt },
  });
  const consents = new Map([
    ['account-1', { jlis_reference: 'c1' }],
    ['account-2', { jlis_reference: 'c2' }],
    ['account-3', { jlis_reference: 'c3' }],
    ['account-5', { jlis_reference: 'c5' }],
  ]);
  const accounts = new Map([
    ['account-1', { status: 'live' as const }],
    ['account-2', { status: 'closed' as const }],
    ['account-3', { status: 'live' as const }],
    ['account-4', { status: 'live' as const }],
    ['account-5', { status: 'needs_reproofing' as const }],
    ['account-6', { status: 'needs_reproofing' as const }],
  ]);

  it('ok-only-signing-anchors-of-open-accounts-with-a-consent', () => {
    const needed = provisionsNeeded(
      [
        affiliation(1), // asked
        affiliation(2), // closed account
        affiliation(3, { purpose: 'auth' }), // not a signing anchor
        affiliation(4), // no consent
        { row: row(1), to: { status: 'revoked', reason: 'keyCompromise', revokedAt } }, // another reason
      ],
      [row(5, { status: 'revoked', revocation_reason: 'affiliationChanged' }), row(6)],
      accounts,
      consents,
    );
    expect(needed.map((n) => [n.row.serial, n.consentRef])).toEqual([
      ['1', 'c1'],
      ['5', 'c5'],
    ]);
  });

  it('ok-accounts-of-changes-and-reaffirmed-once-each', () => {
    expect(accountsOf([affiliation(1), affiliation(1)], [row(5), row(1)])).toEqual([
      'account-1',
      'account-5',
    ]);
  });
});

describe('holdUnanswered', () => {
  it('ok-an-unanswered-provision-holds-its-change-back', () => {
    const change: Change = {
      row: row(1),
      to: { status: 'revoked', reason: 'affiliationChanged', revokedAt },
      checkedAt: thisUpdate,
      crlNumber: 42n,
    };
    const other: Change = { row: row(2), to: { status: 'revoked', reason: 'keyCompromise', revokedAt } };
    const waiting = row(3, { status: 'revoked', revocation_reason: 'affiliationChanged' });
    const answered = row(4, { status: 'revoked', revocation_reason: 'affiliationChanged' });
    const provisions = new Map<string, ProvisionOutcome>([
      ['anchor-1', { ok: false, code: 'jlis_unavailable' }],
      ['anchor-3', { ok: false, code: 'jlis_circuit_open' }],
      ['anchor-4', { ok: false, code: 'jlis_consent_withdrawn' }],
    ]);
    const r = holdUnanswered(
      [
        { row: change.row, consentRef: 'c1' },
        { row: waiting, consentRef: 'c3' },
        { row: answered, consentRef: 'c4' },
      ],
      [change, other],
      [waiting, answered],
      provisions,
    );
    expect(r.deferred.map((d) => [d.req.row.id, d.code])).toEqual([
      ['anchor-1', 'jlis_unavailable'],
      ['anchor-3', 'jlis_circuit_open'],
    ]);
    expect(r.deferred[0]?.change).toEqual({
      from: { status: 'good', reason: null },
      to: { status: 'revoked', reason: 'affiliationChanged', revokedAt: revokedAt.toISOString() },
      checkedAt: thisUpdate.toISOString(),
      crlNumber: '42',
    });
    expect(r.deferred[1]?.change).toBeNull();
    expect(r.answered.map((a) => a.id)).toEqual(['anchor-4']);
    expect(r.applying).toEqual([other]);
    expect(r.reaffirming).toEqual([answered]);
  });
});
