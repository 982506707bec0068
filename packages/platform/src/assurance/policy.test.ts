import { describe, expect, it } from 'vitest';
import {
  OIDC_CODE_FLOW,
  evaluateAuthentication,
  evaluateIdentityProofing,
  type AuthenticatorFacts,
} from './evaluate.ts';
import { acrRow, acrSatisfies, contextSatisfiesAcr, decide, selectAcr } from './policy.ts';
import { ASSURANCE_TABLE, EIDAS_ACR, acrFor, type Aal, type Ial } from './table.ts';
import type { Reason } from './reasons.ts';

const NOW = new Date('2026-11-22T00:00:00Z');
const codes = (rs: readonly Reason[]) => rs.map((r) => r.code);

const CARD: AuthenticatorFacts = {
  type: 'card_auth',
  synced: false,
  attested: true,
  attestationTrusted: true,
  userVerified: true,
  keyProtection: 'hardware',
  phishingResistant: true,
  activation: 'pin',
};
const SYNCED: AuthenticatorFacts = {
  type: 'passkey',
  synced: true,
  attested: false,
  userVerified: true,
  keyProtection: 'unknown',
  phishingResistant: true,
};
const PASSWORD: AuthenticatorFacts = {
  type: 'password',
  synced: undefined,
  attested: false,
  userVerified: false,
  keyProtection: 'unknown',
  phishingResistant: false,
};

function ctx(status: 'good' | 'revoked' | 'unknown' | 'none', authenticators: AuthenticatorFacts[]) {
  const proofing = evaluateIdentityProofing(
    status === 'none'
      ? {}
      : { anchor: { kind: 'jpki-sign', status, lastCheckedAt: new Date(NOW.getTime() - 3600_000) } },
    NOW,
  );
  return evaluateAuthentication({ proofing, authenticators, federation: OIDC_CODE_FLOW }, NOW);
}

describe('acrSatisfies', () => {
  const levels = [1, 2, 3] as const;
  it('ok-product-order-over-all-watashi-values', () => {
    for (const hi of [0, ...levels] as Ial[]) {
      for (const ha of levels) {
        for (const ri of [0, ...levels] as Ial[]) {
          for (const ra of levels) {
            const expected = hi >= ri && ha >= ra;
            expect(acrSatisfies(acrFor(hi, ha), acrFor(ri, ra)), `${hi}/${ha} vs ${ri}/${ra}`).toBe(expected);
          }
        }
      }
    }
  });

  it('ok-reflexive-and-identity-free-values', () => {
    for (const r of ASSURANCE_TABLE.acrValues) expect(acrSatisfies(r.value, r.value), r.value).toBe(true);
    expect(acrSatisfies('urn:watashi:ac:jp:ial1-aal2', 'urn:watashi:ac:jp:aal2')).toBe(true);
    expect(acrSatisfies('urn:watashi:ac:jp:aal3', 'urn:watashi:ac:jp:ial1-aal1')).toBe(false);
  });

  it('ok-eidas-uris-ordered-and-met-by-the-minimum', () => {
    expect(acrSatisfies(EIDAS_ACR.high, EIDAS_ACR.substantial)).toBe(true);
    expect(acrSatisfies(EIDAS_ACR.low, EIDAS_ACR.substantial)).toBe(false);
    expect(acrSatisfies('urn:watashi:ac:jp:ial3-aal3', EIDAS_ACR.high)).toBe(true);
    expect(acrSatisfies('urn:watashi:ac:jp:ial3-aal2', EIDAS_ACR.substantial)).toBe(true);
    expect(acrSatisfies('urn:watashi:ac:jp:ial3-aal2', EIDAS_ACR.high)).toBe(false);
    // IAL2 maps to eIDAS low only, whatever the authentication.
    expect(acrSatisfies('urn:watashi:ac:jp:ial2-aal3', EIDAS_ACR.substantial)).toBe(false);
    expect(acrSatisfies('urn:watashi:ac:jp:ial2-aal3', EIDAS_ACR.low)).toBe(true);
    // An eIDAS value says nothing about Japanese levels.
    expect(acrSatisfies(EIDAS_ACR.high, 'urn:watashi:ac:jp:ial1-aal1')).toBe(false);
  });

  it('ok-eap-phr-phrh', () => {
    expect(acrSatisfies('urn:watashi:ac:jp:aal3', 'phrh')).toBe(true);
    expect(acrSatisfies('urn:watashi:ac:jp:ial3-aal2', 'phr')).toBe(false);
    expect(acrSatisfies('phrh', 'phr')).toBe(true);
    expect(acrSatisfies('phr', 'phrh')).toBe(false);
  });

  it('fail-unknown-values-never-satisfy', () => {
    expect(acrSatisfies('aal3 crl', 'aal3 crl')).toBe(false);
    expect(acrSatisfies('urn:watashi:ac:jp:ial3-aal3', 'urn:watashi:ac:jp:ial4-aal3')).toBe(false);
    expect(acrSatisfies('urn:watashi:ac:jp:ial9-aal9', 'urn:watashi:ac:jp:aal1')).toBe(false);
    expect(acrRow('urn:watashi:ac:jp:ial3-aal3')?.eidas).toBe('high');
  });
});

describe('contextSatisfiesAcr / selectAcr', () => {
  it('ok-phr-from-the-context-flags', () => {
    // A synced passkey is phishing-resistant but not hardware-bound.
    const c = ctx('good', [SYNCED]);
    expect(contextSatisfiesAcr(c, 'phr')).toBe(true);
    expect(contextSatisfiesAcr(c, 'phrh')).toBe(false);
    expect(contextSatisfiesAcr(ctx('good', [PASSWORD]), 'phr')).toBe(false);
    expect(contextSatisfiesAcr(ctx('good', [CARD]), 'phrh')).toBe(true);
  });

  it('ok-select-acr', () => {
    const c = ctx('good', [CARD]);
    expect(selectAcr(c)).toBe('urn:watashi:ac:jp:ial3-aal3');
    expect(selectAcr(c, [EIDAS_ACR.high, 'urn:watashi:ac:jp:ial2-aal2'])).toBe(EIDAS_ACR.high);
    expect(selectAcr(c, ['urn:watashi:ac:jp:ial3-aal3', EIDAS_ACR.high])).toBe('urn:watashi:ac:jp:ial3-aal3');
    expect(selectAcr(c, ['unknown-value'])).toBe('urn:watashi:ac:jp:ial3-aal3');
    const weak = ctx('good', [SYNCED]);
    expect(selectAcr(weak, [EIDAS_ACR.high])).toBe('urn:watashi:ac:jp:ial3-aal2');
    expect(selectAcr(ctx('good', []), [EIDAS_ACR.low])).toBeNull();
  });
});

describe('decide', () => {
  it('ok-satisfied-with-reason', () => {
    const d = decide({ minIal: 3, minAal: 3, acrValues: [EIDAS_ACR.high] }, ctx('good', [CARD]));
    expect(d.satisfied).toBe(true);
    expect(codes(d.reasons)).toEqual(['requirement_satisfied']);
    expect(decide({}, ctx('none', [PASSWORD])).satisfied).toBe(true);
  });

  it('fail-aal-short-asks-for-authentication-step-up', () => {
    const d = decide({ minIal: 3, minAal: 3 }, ctx('good', [SYNCED]));
    expect(d).toMatchObject({
      satisfied: false,
      stepUp: 'authentication',
      missing: { aal: { required: 3, actual: 2 } },
    });
    expect(d.satisfied === false && codes(d.reasons)).toEqual(['aal_insufficient']);
  });

  it('fail-ial-short-after-revocation-asks-for-proofing', () => {
    const d = decide({ minIal: 3, minAal: 2 }, ctx('revoked', [CARD]));
    expect(d).toMatchObject({
      satisfied: false,
      stepUp: 'proofing',
      missing: { ial: { required: 3, actual: 1 } },
    });
    // Both short: proofing first.
    const both = decide({ minIal: 2, minAal: 3 }, ctx('revoked', [SYNCED]));
    expect(both).toMatchObject({ satisfied: false, stepUp: 'proofing' });
    expect(both.satisfied === false && Object.keys(both.missing).sort()).toEqual(['aal', 'ial']);
  });

  it('fail-acr-values-step-up-by-cheapest-path', () => {
    // Any one of the values suffices; ial3-aal3 needs only a stronger authentication here.
    const auth = decide(
      { acrValues: ['urn:watashi:ac:jp:ial3-aal3', EIDAS_ACR.high] },
      ctx('good', [SYNCED]),
    );
    expect(auth).toMatchObject({
      satisfied: false,
      stepUp: 'authentication',
      missing: { acr: ['urn:watashi:ac:jp:ial3-aal3', EIDAS_ACR.high] },
    });
    // eIDAS substantial is out of reach of an IAL2 account whatever the authentication.
    const proof = decide({ acrValues: [EIDAS_ACR.substantial] }, ctx('unknown', [CARD]));
    expect(proof).toMatchObject({ satisfied: false, stepUp: 'proofing' });
    // One met value is enough.
    expect(
      decide(
        { acrValues: ['urn:watashi:ac:jp:ial3-aal3', 'urn:watashi:ac:jp:ial2-aal2'] },
        ctx('good', [SYNCED]),
      ).satisfied,
    ).toBe(true);
  });

  it('fail-only-unknown-acr-values-is-impossible', () => {
    const d = decide({ acrValues: ['aal3 crl'] }, ctx('good', [CARD]));
    expect(d).toMatchObject({ satisfied: false, stepUp: 'impossible', missing: { acr: ['aal3 crl'] } });
    expect(d.satisfied === false && codes(d.reasons)).toEqual(['acr_unknown', 'acr_unsatisfied']);
    // Unknown values beside a met one are reported and ignored.
    const mixed = decide({ acrValues: ['aal3 crl', 'urn:watashi:ac:jp:aal1'] }, ctx('good', [PASSWORD]));
    expect(mixed.satisfied).toBe(true);
  });

  it('fail-fal-short-is-impossible-for-the-resident', () => {
    const d = decide({ minFal: 3, minAal: 3 }, ctx('good', [SYNCED]));
    expect(d).toMatchObject({
      satisfied: false,
      stepUp: 'impossible',
      missing: { fal: { required: 3, actual: 2 } },
    });
  });

  it('ok-boundaries-each-level', () => {
    for (const ial of [1, 2, 3] as const) {
      for (const aal of [1, 2, 3] as const) {
        const c = ctx('good', [CARD]);
        expect(decide({ minIal: ial, minAal: aal }, c).satisfied).toBe(true);
      }
    }
    const c2 = ctx('good', [SYNCED]);
    expect(decide({ minAal: 2 }, c2).satisfied).toBe(true);
    expect(decide({ minAal: 3 }, c2).satisfied).toBe(false);
  });

  it('fail-caller-bugs-throw', () => {
    const c = ctx('good', [CARD]);
    expect(() => decide({ minIal: 4 as Ial }, c)).toThrow(RangeError);
    expect(() => decide({ minAal: 1.5 as Aal }, c)).toThrow(RangeError);
    expect(() => decide({ minFal: 0 as 1 }, c)).toThrow(RangeError);
  });
});
