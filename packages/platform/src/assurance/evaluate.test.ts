import { describe, expect, it } from 'vitest';
import {
  OIDC_CODE_FLOW,
  evaluateAuthentication,
  evaluateAuthenticator,
  evaluateFederation,
  evaluateIdentityProofing,
  type AnchorFacts,
  type AuthenticatorFacts,
  type IdentityProofingResult,
} from './evaluate.ts';
import type { Reason } from './reasons.ts';

const NOW = new Date('2026-11-22T00:00:00Z');
const HOUR = 3600 * 1000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const codes = (rs: readonly Reason[]) => rs.map((r) => r.code);

function sign(status: AnchorFacts['status'], checkedMsAgo = HOUR, reason?: string): AnchorFacts {
  return { kind: 'jpki-sign', status, lastCheckedAt: ago(checkedMsAgo), ...(reason ? { reason } : {}) };
}

/** The card's user-authentication certificate with its PIN. */
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
/** A typical synced platform passkey (BE=1, UV=1, no attestation). */
const SYNCED_PASSKEY: AuthenticatorFacts = {
  type: 'passkey',
  synced: true,
  backupEligible: true,
  attested: false,
  userVerified: true,
  keyProtection: 'unknown',
  phishingResistant: true,
};
/** A device-bound security key with a trusted attestation. */
const BOUND_PASSKEY: AuthenticatorFacts = {
  type: 'passkey',
  synced: false,
  backupEligible: false,
  attested: true,
  attestationTrusted: true,
  userVerified: true,
  keyProtection: 'hardware',
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

describe('evaluateIdentityProofing', () => {
  it('ok-signing-certificate-good-and-fresh-is-ial3', () => {
    const r = evaluateIdentityProofing({ anchor: sign('good'), proofedAt: ago(100 * HOUR) }, NOW);
    expect(r.level).toBe(3);
    expect(codes(r.reasons)).toEqual(['anchor_sign_current']);
    expect(r.verifiedAt).toEqual(ago(100 * HOUR));
    expect(r.evidenceCheckedAt).toEqual(ago(HOUR));
    expect(r.reproofingWouldHelp).toBe(false);
  });

  it('ok-freshness-boundary-48h', () => {
    expect(evaluateIdentityProofing({ anchor: sign('good', 48 * HOUR) }, NOW).level).toBe(3);
    const stale = evaluateIdentityProofing({ anchor: sign('good', 48 * HOUR + 1000) }, NOW);
    expect(stale.level).toBe(2);
    expect(codes(stale.reasons)).toEqual(['anchor_status_stale']);
    // Custom window.
    expect(
      evaluateIdentityProofing({ anchor: sign('good', 2 * HOUR) }, NOW, { freshSeconds: 3600 }).level,
    ).toBe(2);
  });

  it('ok-long-unconfirmed-good-drops-to-1', () => {
    const r = evaluateIdentityProofing({ anchor: sign('good', 31 * 24 * HOUR) }, NOW);
    expect(r.level).toBe(1);
    expect(codes(r.reasons)).toEqual(['anchor_status_outdated']);
  });

  it('fail-check-in-the-future-is-not-fresh', () => {
    const r = evaluateIdentityProofing({ anchor: sign('good', -HOUR) }, NOW);
    expect(r.level).toBe(2);
    expect(codes(r.reasons)).toEqual(['anchor_check_in_future']);
    // Within the clock-skew allowance it still counts.
    expect(evaluateIdentityProofing({ anchor: sign('good', -60_000) }, NOW).level).toBe(3);
  });

  it('fail-unknown-status-is-not-ial3', () => {
    const r = evaluateIdentityProofing({ anchor: sign('unknown') }, NOW);
    expect(r.level).toBe(2);
    expect(codes(r.reasons)).toEqual(['anchor_status_unknown']);
    expect(r.reproofingWouldHelp).toBe(true);
  });

  it('fail-revoked-affiliation-changed-drops-to-ial1', () => {
    const r = evaluateIdentityProofing({ anchor: sign('revoked', HOUR, 'affiliationChanged') }, NOW);
    expect(r.level).toBe(1);
    expect(codes(r.reasons)).toEqual(['anchor_revoked']);
    expect(r.reasons[0]?.detail).toMatchObject({ status: 'revoked', reason: 'affiliationChanged' });
  });

  it('fail-revoked-superseded-or-without-reason-drops-to-ial1', () => {
    expect(evaluateIdentityProofing({ anchor: sign('revoked', HOUR, 'superseded') }, NOW).level).toBe(1);
    expect(evaluateIdentityProofing({ anchor: sign('revoked') }, NOW).level).toBe(1);
  });

  it('fail-revoked-key-compromise-drops-to-0', () => {
    for (const why of ['keyCompromise', 'cACompromise', 'aACompromise']) {
      const r = evaluateIdentityProofing({ anchor: sign('revoked', HOUR, why) }, NOW);
      expect(r.level, why).toBe(0);
      expect(codes(r.reasons)).toEqual(['anchor_revoked_compromise']);
    }
  });

  it('fail-death-or-emigration-drops-to-0', () => {
    const r = evaluateIdentityProofing({ anchor: sign('revoked', HOUR, 'cessationOfOperation') }, NOW);
    expect(r.level).toBe(0);
    expect(codes(r.reasons)).toEqual(['anchor_revoked_subject_ceased']);
  });

  it('fail-hold-drops-to-ial1', () => {
    expect(codes(evaluateIdentityProofing({ anchor: sign('hold') }, NOW).reasons)).toEqual([
      'anchor_on_hold',
    ]);
    expect(evaluateIdentityProofing({ anchor: sign('hold') }, NOW).level).toBe(1);
    // A CRL entry with reason certificateHold is the same suspension.
    const crlHold = evaluateIdentityProofing({ anchor: sign('revoked', HOUR, 'certificateHold') }, NOW);
    expect([crlHold.level, codes(crlHold.reasons)]).toEqual([1, ['anchor_on_hold']]);
  });

  it('fail-expired-drops-to-ial1', () => {
    const r = evaluateIdentityProofing({ anchor: sign('expired') }, NOW);
    expect([r.level, codes(r.reasons)]).toEqual([1, ['anchor_expired']]);
  });

  it('fail-reproofing-required-caps-at-1', () => {
    const r = evaluateIdentityProofing({ anchor: sign('good'), reproofingRequired: true }, NOW);
    expect(r.level).toBe(1);
    expect(codes(r.reasons)).toEqual(['anchor_sign_current', 'reproofing_required']);
    // It never raises a lower level.
    expect(
      evaluateIdentityProofing(
        { anchor: sign('revoked', HOUR, 'keyCompromise'), reproofingRequired: true },
        NOW,
      ).level,
    ).toBe(0);
  });

  it('fail-user-auth-certificate-carries-no-identity', () => {
    const r = evaluateIdentityProofing({ anchor: { ...sign('good'), kind: 'jpki-auth' } }, NOW);
    expect(r.level).toBe(1);
    expect(codes(r.reasons)).toEqual(['anchor_sign_current', 'anchor_auth_no_attributes']);
  });

  it('ok-no-anchor-is-no-claim', () => {
    const r = evaluateIdentityProofing({}, NOW);
    expect([r.level, codes(r.reasons)]).toEqual([0, ['proofing_none']]);
  });

  it('fail-caller-bugs-throw', () => {
    expect(() => evaluateIdentityProofing({}, new Date('x'))).toThrow(TypeError);
    expect(() =>
      evaluateIdentityProofing({ anchor: { ...sign('good'), lastCheckedAt: new Date(NaN) } }, NOW),
    ).toThrow(TypeError);
    expect(() =>
      evaluateIdentityProofing(
        { anchor: { ...sign('good'), status: 'bogus' as AnchorFacts['status'] } },
        NOW,
      ),
    ).toThrow(TypeError);
    expect(() => evaluateIdentityProofing({ anchor: sign('good') }, NOW, { freshSeconds: 0 })).toThrow(
      RangeError,
    );
  });
});

describe('evaluateAuthenticator', () => {
  it('ok-card-auth-with-pin-is-top-level', () => {
    const r = evaluateAuthenticator(CARD);
    expect(r.level).toBe(3);
    expect(r.factors).toEqual(['possession', 'knowledge']);
    expect(r.hardwareBound).toBe(true);
    expect(codes(r.reasons)).toEqual(['possession_proven', 'activation_pin', 'card_auth_top']);
    expect([...r.amr].sort()).toEqual(['hwk', 'pin', 'pop', 'sc', 'user']);
  });

  it('fail-card-auth-without-pin-is-single-factor', () => {
    const r = evaluateAuthenticator({ ...CARD, userVerified: false });
    expect(r.level).toBe(1);
    expect(codes(r.reasons)).toContain('activation_absent');
  });

  it('ok-synced-passkey-capped-at-2', () => {
    const r = evaluateAuthenticator(SYNCED_PASSKEY);
    expect(r.level).toBe(2);
    expect(codes(r.reasons)).toContain('cap_syncable');
    expect(r.amr).toContain('swk');
    // Even claiming hardware with a trusted attestation, a syncable key is not top level.
    const claimed = evaluateAuthenticator({
      ...SYNCED_PASSKEY,
      keyProtection: 'hardware',
      attested: true,
      attestationTrusted: true,
    });
    expect(claimed.level).toBe(2);
    expect(codes(claimed.reasons)).toEqual([
      'possession_proven',
      'activation_user_verified',
      'cap_syncable',
      'multi_factor',
    ]);
  });

  it('fail-unreported-sync-state-is-treated-as-syncable', () => {
    const r = evaluateAuthenticator({
      ...BOUND_PASSKEY,
      synced: undefined,
      backupEligible: undefined as never,
    });
    expect(r.level).toBe(2);
    expect(codes(r.reasons)).toContain('cap_syncable');
    // BE set although the caller says "not synced": still syncable.
    expect(evaluateAuthenticator({ ...BOUND_PASSKEY, backupEligible: true }).level).toBe(2);
    expect(evaluateAuthenticator({ ...BOUND_PASSKEY, backedUp: true }).level).toBe(2);
  });

  it('ok-device-bound-attested-hardware-passkey-is-3', () => {
    const r = evaluateAuthenticator(BOUND_PASSKEY);
    expect(r.level).toBe(3);
    expect(codes(r.reasons)).toEqual([
      'possession_proven',
      'activation_user_verified',
      'multi_factor_hardware_bound',
    ]);
    expect(r.amr).toContain('hwk');
  });

  it('fail-software-key-capped-at-2', () => {
    const r = evaluateAuthenticator({
      ...BOUND_PASSKEY,
      type: 'device_key',
      keyProtection: 'software',
      activation: 'pin',
    });
    expect(r.level).toBe(2);
    expect(codes(r.reasons)).toContain('cap_software_key');
    expect(r.hardwareBound).toBe(false);
  });

  it('fail-hardware-claim-without-trusted-attestation-capped-at-2', () => {
    for (const facts of [
      { ...BOUND_PASSKEY, attested: false },
      { ...BOUND_PASSKEY, attestationTrusted: false },
      { ...BOUND_PASSKEY, keyProtection: 'unknown' as const },
    ]) {
      const r = evaluateAuthenticator(facts);
      expect(r.level).toBe(2);
      expect(codes(r.reasons)).toContain('cap_hardware_unverified');
    }
  });

  it('fail-not-phishing-resistant-capped-at-2', () => {
    const r = evaluateAuthenticator({
      ...BOUND_PASSKEY,
      type: 'device_key',
      phishingResistant: false,
      activation: 'pin',
    });
    expect(r.level).toBe(2);
    expect(codes(r.reasons)).toContain('cap_not_phishing_resistant');
  });

  it('ok-biometric-activates-device-bound-key', () => {
    const r = evaluateAuthenticator({ ...BOUND_PASSKEY, activation: 'fingerprint' });
    expect(r.level).toBe(3);
    expect(r.factors).toEqual(['possession', 'inherence']);
    expect(r.amr).toContain('fpt');
    expect(codes(r.reasons)).toContain('activation_biometric');
  });

  it('fail-biometric-not-counted-on-a-syncable-or-software-key', () => {
    const synced = evaluateAuthenticator({ ...SYNCED_PASSKEY, activation: 'face' });
    expect(synced.level).toBe(1);
    expect(synced.factors).toEqual(['possession']);
    expect(synced.amr).not.toContain('face');
    expect(codes(synced.reasons)).toEqual(['possession_proven', 'biometric_not_bound', 'single_factor']);
    const software = evaluateAuthenticator({
      ...BOUND_PASSKEY,
      type: 'device_key',
      keyProtection: 'software',
      activation: 'biometric',
    });
    expect(software.level).toBe(1);
    expect(codes(software.reasons)).toContain('biometric_not_bound');
  });

  it('fail-biometric-only-without-user-verification-is-not-a-factor', () => {
    const r = evaluateAuthenticator({ ...BOUND_PASSKEY, userVerified: false, activation: 'biometric' });
    expect(r.level).toBe(1);
    expect(r.factors).toEqual(['possession']);
    expect(codes(r.reasons)).toEqual(['possession_proven', 'activation_absent', 'single_factor']);
  });

  it('fail-contradictory-uv-with-no-activation-counts-nothing', () => {
    expect(evaluateAuthenticator({ ...BOUND_PASSKEY, activation: 'none' }).level).toBe(1);
  });

  it('ok-password-is-single-factor', () => {
    const r = evaluateAuthenticator(PASSWORD);
    expect([r.level, r.factors, r.amr, r.cryptographic]).toEqual([1, ['knowledge'], ['pwd'], false]);
    expect(codes(r.reasons)).toEqual(['password_single_factor']);
  });

  it('ok-device-cert-alias-of-device-key', () => {
    expect(evaluateAuthenticator({ ...BOUND_PASSKEY, type: 'device_cert', activation: 'pin' }).level).toBe(3);
    expect(() => evaluateAuthenticator({ ...BOUND_PASSKEY, type: 'sms' as 'passkey' })).toThrow(TypeError);
  });
});

describe('evaluateFederation', () => {
  it('ok-oidc-code-flow-is-fal2', () => {
    const r = evaluateFederation(OIDC_CODE_FLOW);
    expect([r.level, codes(r.reasons)]).toEqual([2, ['fal1_signed', 'fal2_protected']]);
  });

  it('ok-holder-of-key-is-fal3', () => {
    const r = evaluateFederation({ ...OIDC_CODE_FLOW, holderOfKey: true });
    expect(r.level).toBe(3);
    expect(
      evaluateFederation({ ...OIDC_CODE_FLOW, holderOfKey: true, keyEstablishment: 'dynamic' }).level,
    ).toBe(2);
  });

  it('fail-dpop-alone-is-not-fal3', () => {
    const r = evaluateFederation({ ...OIDC_CODE_FLOW, senderConstrained: 'dpop' });
    expect(r.level).toBe(2);
    expect(codes(r.reasons)).toContain('fal_sender_constrained_only');
  });

  it('fail-multi-audience-or-unregistered-is-fal1', () => {
    expect(evaluateFederation({ ...OIDC_CODE_FLOW, audience: 'multiple' }).level).toBe(1);
    expect(evaluateFederation({ ...OIDC_CODE_FLOW, trust: 'subscriber-driven' }).level).toBe(1);
    expect(evaluateFederation({ ...OIDC_CODE_FLOW, rpInitiated: false }).level).toBe(1);
    expect(() => evaluateFederation({ ...OIDC_CODE_FLOW, signed: false as true })).toThrow(TypeError);
  });
});

describe('evaluateAuthentication', () => {
  const ial3 = evaluateIdentityProofing({ anchor: sign('good') }, NOW);
  const ial1 = evaluateIdentityProofing({ anchor: sign('revoked', HOUR, 'affiliationChanged') }, NOW);
  const ial0: IdentityProofingResult = evaluateIdentityProofing({}, NOW);
  const login = (proofing: IdentityProofingResult, authenticators: AuthenticatorFacts[], extra = {}) =>
    evaluateAuthentication({ proofing, authenticators, federation: OIDC_CODE_FLOW, ...extra }, NOW);

  it('ok-card-login-on-ial3-account-is-eidas-high', () => {
    const ctx = login(ial3, [CARD]);
    expect(ctx).toMatchObject({
      ial: 3,
      aal: 3,
      fal: 2,
      acr: 'urn:watashi:ac:jp:ial3-aal3',
      nist: { ial: 'IAL2', aal: 'AAL3', fal: 'FAL2' },
      eidas: 'high',
      phishingResistant: true,
      hardwareProtected: true,
    });
    expect(ctx.amr).toEqual(['hwk', 'mfa', 'pin', 'pop', 'sc', 'user']);
    expect(codes(ctx.reasons)).toContain('eidas_minimum');
  });

  it('ok-eidas-minimum-rule', () => {
    // IAL3 (high) + synced passkey AAL2 (substantial) → substantial.
    expect(login(ial3, [SYNCED_PASSKEY]).eidas).toBe('substantial');
    // IAL1 (none) + card (high) → none.
    const low = login(ial1, [CARD]);
    expect([low.ial, low.aal, low.eidas, low.acr]).toEqual([1, 3, null, 'urn:watashi:ac:jp:ial1-aal3']);
    expect(codes(low.reasons)).toContain('eidas_none');
    // IAL2 (low) + card (high) → low.
    expect(login(evaluateIdentityProofing({ anchor: sign('unknown') }, NOW), [CARD]).eidas).toBe('low');
  });

  it('ok-password-plus-single-factor-key-is-2', () => {
    const sfKey = { ...SYNCED_PASSKEY, userVerified: false };
    const ctx = login(ial3, [PASSWORD, sfKey]);
    expect(ctx.aal).toBe(2);
    expect(codes(ctx.reasons)).toContain('aal_password_plus_key');
    expect(ctx.amr).toContain('mfa');
    expect(login(ial3, [sfKey]).aal).toBe(1);
  });

  it('ok-password-plus-single-factor-hardware-key-is-3', () => {
    const ctx = login(ial3, [PASSWORD, { ...BOUND_PASSKEY, userVerified: false }]);
    expect(ctx.aal).toBe(3);
    expect(codes(ctx.reasons)).toContain('aal_password_plus_hardware_key');
  });

  it('fail-two-possession-factors-are-not-mfa', () => {
    const sf = { ...SYNCED_PASSKEY, userVerified: false };
    const ctx = login(ial3, [sf, { ...sf }]);
    expect(ctx.aal).toBe(1);
    expect(ctx.amr).not.toContain('mfa');
  });

  it('fail-no-authenticator-is-unauthenticated', () => {
    const ctx = login(ial3, []);
    expect([ctx.aal, ctx.acr, ctx.eidas]).toEqual([0, null, null]);
    expect(codes(ctx.reasons)).toContain('no_authenticator');
  });

  it('ok-identity-free-acr-when-no-ial', () => {
    expect(login(ial0, [SYNCED_PASSKEY]).acr).toBe('urn:watashi:ac:jp:aal2');
  });

  it('fail-old-authentication-drops-by-reauthentication-limits', () => {
    const at = (h: number) => login(ial3, [CARD], { authTime: ago(h * HOUR) }).aal;
    expect(at(11)).toBe(3);
    expect(at(13)).toBe(2);
    expect(at(25)).toBe(1);
    expect(at(31 * 24)).toBe(0);
    const ctx = login(ial3, [CARD], { authTime: ago(13 * HOUR) });
    expect(ctx.acr).toBe('urn:watashi:ac:jp:ial3-aal2');
    expect(codes(ctx.reasons)).toContain('reauthentication_due');
  });

  it('ok-every-decision-carries-reasons', () => {
    const cases = [
      login(ial3, [CARD]),
      login(ial1, [PASSWORD]),
      login(ial0, []),
      login(ial3, [SYNCED_PASSKEY]),
    ];
    for (const ctx of cases) {
      expect(ctx.reasons.length).toBeGreaterThan(2);
      for (const r of ctx.reasons) {
        expect(r.en).toBeTruthy();
        expect(r.ja).toBeTruthy();
        expect(r.source).toBeTruthy();
      }
      expect(ctx.tableVersion).toBe('1.0.0');
    }
  });
});
