// The pure steps of verifyEnrolmentSignature and its step table (the whole function against a real
// simulator: test/enrolment/verify-order.test.ts).
import { describe, expect, it } from 'vitest';
import { isWatashiError, WatashiError } from '@watashi/pki';
import { firstCostBeforePossession } from '../pipeline.ts';
import {
  enrolmentCertificateError,
  MAX_SIGNATURE_INPUT_BYTES,
  signatureInputSize,
  statusError,
  throwForNonce,
  VERIFY_ENROLMENT_STEPS,
} from './verify-enrolment-signature.ts';

describe('VERIFY_ENROLMENT_STEPS', () => {
  it('ok-the-documented-order', () => {
    expect(VERIFY_ENROLMENT_STEPS.map((s) => s.name)).toEqual([
      'checkInputShape',
      'checkCertificate',
      'checkPossession',
      'checkNonce',
      'checkRevocation',
    ]);
  });

  it('ok-possession-before-the-billed-jlis-query', () => {
    expect(firstCostBeforePossession(VERIFY_ENROLMENT_STEPS)).toBeUndefined();
    expect(VERIFY_ENROLMENT_STEPS.find((s) => s.name === 'checkRevocation')?.effect).toBe('billed');
  });
});

describe('signatureInputSize', () => {
  it('ok-cms-and-raw', () => {
    expect(signatureInputSize({ cms: new Uint8Array(10) })).toBe(10);
    expect(signatureInputSize({ signature: new Uint8Array(3), certificate: new Uint8Array(4) })).toBe(7);
  });

  it('fail-oversized-input-is-refused-by-the-first-step', async () => {
    const first = VERIFY_ENROLMENT_STEPS[0]!;
    const state = {
      input: {
        document: new Uint8Array(1),
        signature: { cms: new Uint8Array(MAX_SIGNATURE_INPUT_BYTES + 1) },
      },
      ctx: {} as never,
      verifier: {} as never,
    };
    await expect(Promise.resolve().then(() => first.run(state))).rejects.toSatisfy((e) =>
      isWatashiError(e, 'enrolment_body_too_large'),
    );
  });
});

describe('statusError', () => {
  const code = (e: Error | undefined): string | undefined =>
    e instanceof WatashiError ? String(e.code) : e?.message;
  it('ok-good-passes-under-both-policies', () => {
    expect(statusError({ status: 'good' }, 'hard-fail')).toBeUndefined();
    expect(statusError({ status: 'good' }, 'soft-fail')).toBeUndefined();
  });
  it('ok-unknown-passes-only-under-soft-fail', () => {
    expect(statusError({ status: 'unknown' }, 'soft-fail')).toBeUndefined();
    expect(code(statusError({ status: 'unknown' }, 'hard-fail'))).toBe('enrolment_revocation_unavailable');
  });
  it('fail-revoked-and-on-hold-under-both-policies', () => {
    for (const policy of ['hard-fail', 'soft-fail'] as const) {
      expect(code(statusError({ status: 'revoked', reason: 'keyCompromise' }, policy))).toBe(
        'enrolment_certificate_revoked',
      );
      expect(code(statusError({ status: 'revoked', reason: 'certificateHold' }, policy))).toBe(
        'enrolment_certificate_on_hold',
      );
    }
  });
});

describe('throwForNonce', () => {
  it('ok-and-each-refusal', () => {
    expect(() => throwForNonce('ok')).not.toThrow();
    const codeOf = (o: Parameters<typeof throwForNonce>[0]) => {
      try {
        throwForNonce(o);
      } catch (e) {
        return e instanceof WatashiError ? String(e.code) : 'other';
      }
      return 'none';
    };
    expect(codeOf('used')).toBe('enrolment_nonce_replayed');
    expect(codeOf('expired')).toBe('enrolment_nonce_expired');
    expect(codeOf('wrong_purpose')).toBe('enrolment_nonce_invalid');
  });
});

describe('enrolmentCertificateError', () => {
  it('ok-maps-each-jpki-code', () => {
    const map: Record<string, string> = {
      jpki_certificate_malformed: 'enrolment_certificate_malformed',
      not_jpki_certificate: 'enrolment_not_jpki_certificate',
      jpki_profile_mismatch: 'enrolment_certificate_profile',
      trust_simulator_root_in_production: 'enrolment_simulator_root_in_production',
      jpki_chain_invalid: 'enrolment_certificate_chain',
      jpki_certificate_not_yet_valid: 'enrolment_certificate_not_yet_valid',
      jpki_certificate_expired: 'enrolment_certificate_expired',
    };
    for (const [from, to] of Object.entries(map)) {
      const mapped = enrolmentCertificateError(new WatashiError(from as never, 'x'));
      expect(mapped instanceof WatashiError ? mapped.code : mapped, from).toBe(to);
    }
  });
  it('ok-anything-else-passes-through', () => {
    const other = new Error('disk');
    expect(enrolmentCertificateError(other)).toBe(other);
  });
});
