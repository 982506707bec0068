// Which audit events of a sweep batch become lifecycle facts, and which event each RP gets.
import { describe, expect, it } from 'vitest';
import { CAEP, eventFor, factsFromAudit, RISC } from './outbox.ts';

const at = new Date('2026-04-01T00:00:00Z');
const acc = '8f0c7a52-2c43-4a59-9e8e-5d0d4b1f7a10';

describe('factsFromAudit', () => {
  it('ok-maps-status-changes-closure-and-attribute-updates', () => {
    const facts = factsFromAudit([
      {
        actor: 's',
        type: 'account.status_changed',
        accountId: acc,
        at,
        payload: { to: 'suspended', reason: 'certificateHold' },
      },
      {
        actor: 's',
        type: 'account.status_changed',
        accountId: acc,
        at,
        payload: { to: 'live', reason: 'certificateHold' },
      },
      {
        actor: 's',
        type: 'account.status_changed',
        accountId: acc,
        at,
        payload: { to: 'needs_reproofing', reason: 'superseded' },
      },
      {
        actor: 's',
        type: 'account.closed',
        accountId: acc,
        at,
        payload: { to: 'closed', reason: 'cessationOfOperation' },
      },
      {
        actor: 's',
        type: 'account.attributes_updated',
        accountId: acc,
        at,
        payload: { items: ['name', 'address'], changed: ['address'] },
      },
      { actor: 's', type: 'anchor.revoked', accountId: acc, at, payload: {} },
    ]);
    expect(facts.map((f) => [f.kind, f.reason ?? null])).toEqual([
      ['suspended', 'certificateHold'],
      ['released', 'certificateHold'],
      ['reproofing_required', 'superseded'],
      ['closed', 'cessationOfOperation'],
      ['attributes_updated', null],
    ]);
    expect(facts[4]!.items).toEqual(['address']);
  });

  it('ok-reanchor-out-of-needs-reproofing-is-also-a-reproofed-fact', () => {
    const facts = factsFromAudit([
      {
        actor: 's',
        type: 'account.attributes_updated',
        accountId: acc,
        at,
        payload: { items: ['address'], changed: ['address'], from: 'needs_reproofing', to: 'live' },
      },
    ]);
    expect(facts.map((f) => f.kind)).toEqual(['attributes_updated', 'reproofed']);
    expect(eventFor(facts[1]!, [])?.body).toMatchObject({
      change_type: 'create',
      initiating_entity: 'system',
    });
  });
});

describe('eventFor', () => {
  it('ok-token-claims-change-names-only-the-rps-changed-claims-without-values', () => {
    const e = eventFor({ accountId: acc, kind: 'attributes_updated', items: ['address'], at }, [
      'address',
      'resident_of',
      'name',
    ]);
    expect(e?.type).toBe(CAEP.tokenClaimsChange);
    expect(e?.body['claims']).toEqual({ address: null, resident_of: null });
    expect(e?.body['event_timestamp']).toBe(at.getTime() / 1000);
    // An RP registered for none of the changed claims hears nothing.
    expect(
      eventFor({ accountId: acc, kind: 'attributes_updated', items: ['address'], at }, ['over_20']),
    ).toBeUndefined();
  });

  it('ok-risc-types-for-hold-release-and-closure', () => {
    expect(eventFor({ accountId: acc, kind: 'suspended', reason: 'certificateHold', at }, [])?.type).toBe(
      RISC.accountDisabled,
    );
    expect(eventFor({ accountId: acc, kind: 'released', at }, [])?.type).toBe(RISC.accountEnabled);
    expect(eventFor({ accountId: acc, kind: 'closed', at }, [])?.type).toBe(RISC.accountPurged);
    expect(JSON.stringify(eventFor({ accountId: acc, kind: 'closed', at }, []))).not.toContain(acc);
  });
});
