// verified_claims (OIDC4IDA): request validation, and the builder's selection of verification
// elements, evidence, claims, constraints and omission rules.
import { describe, expect, it } from 'vitest';
import type { WatashiClaim } from './claims.ts';
import {
  assertVerifiedClaimsRequest,
  buildVerifiedClaims,
  idaTime,
  JPKI_SIGN_CA,
  parseVerifiedClaimsRequest,
  requestedVerifiedClaims,
  STATUS_CHECKED_AT,
  VerifiedClaimsRequestError,
  type VerificationRecord,
} from './verified-claims.ts';

const NOW = new Date('2026-12-01T12:00:00.500Z');
const RECORD: VerificationRecord = {
  level: 3,
  verifiedAt: new Date('2026-11-01T03:04:05.678Z'),
  statusCheckedAt: new Date('2026-12-01T00:00:00Z'),
  process: 'proc-pairwise',
  serialNumber: 'serial-pairwise',
  signedAt: new Date('2026-11-01T03:04:00Z'),
};
const VALUES = {
  name: '山田\u3000花子',
  family_name: '山田',
  given_name: '花子',
  birthdate: '1990-01-02',
  gender: 'female',
  address: { formatted: '東京都千代田区千代田１－１', country: 'JP' },
  over_20: true,
  resident_of: { country: 'JP', region: '東京都' },
};

const req = (v: unknown) => parseVerifiedClaimsRequest(v);
const build = (
  v: unknown,
  record: VerificationRecord | undefined = RECORD,
  values: Partial<Record<WatashiClaim, unknown>> = VALUES,
) => buildVerifiedClaims(req(v), values, record, NOW);

describe('request validation', () => {
  it.each([
    ['not an object', 'x'],
    ['empty array', []],
    ['no verification', { claims: { given_name: null } }],
    ['no claims', { verification: { trust_framework: null } }],
    ['empty claims', { verification: { trust_framework: null }, claims: {} }],
    ['no trust_framework', { verification: {}, claims: { given_name: null } }],
    [
      'trust_framework not an object',
      { verification: { trust_framework: 'jp_jpki' }, claims: { name: null } },
    ],
    ['values empty', { verification: { trust_framework: { values: [] } }, claims: { name: null } }],
    [
      'max_age negative',
      { verification: { trust_framework: null, time: { max_age: -1 } }, claims: { name: null } },
    ],
    [
      'evidence without type',
      { verification: { trust_framework: null, evidence: [{}] }, claims: { name: null } },
    ],
    ['claim not null or object', { verification: { trust_framework: null }, claims: { name: 1 } }],
    [
      'essential not boolean',
      { verification: { trust_framework: null }, claims: { name: { essential: 'yes' } } },
    ],
  ])('fail-%s', (_why, value) => {
    expect(() => parseVerifiedClaimsRequest(value)).toThrow(VerifiedClaimsRequestError);
    expect(() => assertVerifiedClaimsRequest({ userinfo: { verified_claims: value } })).toThrow(
      /^verified_claims/,
    );
  });

  it('fail-bare-null-verified-claims', () => {
    expect(() => assertVerifiedClaimsRequest({ id_token: { verified_claims: null } })).toThrow(
      VerifiedClaimsRequestError,
    );
  });

  it('ok-absent-and-well-formed', () => {
    expect(parseVerifiedClaimsRequest(undefined)).toBeUndefined();
    expect(() => assertVerifiedClaimsRequest({ id_token: { name: null } })).not.toThrow();
    const one = { verification: { trust_framework: null }, claims: { given_name: { essential: true } } };
    expect(parseVerifiedClaimsRequest(one)).toMatchObject({ array: false, requests: [one] });
    expect(parseVerifiedClaimsRequest([one, one])).toMatchObject({ array: true });
  });

  it('ok-requested-names-from-both-targets', () => {
    const raw = JSON.stringify({
      id_token: { verified_claims: { verification: { trust_framework: null }, claims: { birthdate: null } } },
      userinfo: {
        verified_claims: [{ verification: { trust_framework: null }, claims: { name: null, over_20: null } }],
      },
    });
    const r = requestedVerifiedClaims(raw);
    expect(r.asked).toBe(true);
    // over_20 is not a verifiable claim (derived, not basic 4).
    expect([...r.claims].sort()).toEqual(['birthdate', 'name']);
    expect(requestedVerifiedClaims(JSON.stringify({ id_token: { name: null } })).asked).toBe(false);
    expect(requestedVerifiedClaims('{').asked).toBe(false);
  });
});

describe('buildVerifiedClaims', () => {
  it('ok-minimal-request-gets-trust-framework-and-the-requested-claims-only', () => {
    expect(
      build({ verification: { trust_framework: null }, claims: { given_name: null, birthdate: null } }),
    ).toEqual({
      verification: { trust_framework: 'jp_jpki' },
      claims: { given_name: '花子', birthdate: '1990-01-02' },
    });
  });

  it('ok-every-verification-element-when-asked', () => {
    const out = build({
      verification: {
        trust_framework: { value: 'jp_jpki' },
        assurance_level: null,
        time: null,
        verification_process: null,
        evidence: [{ type: { value: 'electronic_signature' }, created_at: null }],
        [STATUS_CHECKED_AT]: null,
      },
      claims: { name: null, address: null },
    });
    expect(out).toEqual({
      verification: {
        trust_framework: 'jp_jpki',
        assurance_level: 'ial3',
        time: '2026-11-01T03:04:05Z',
        verification_process: 'proc-pairwise',
        evidence: [
          {
            type: 'electronic_signature',
            signature_type: 'jpki_sign',
            issuer: JPKI_SIGN_CA,
            serial_number: 'serial-pairwise',
            created_at: '2026-11-01T03:04:00Z',
          },
        ],
        [STATUS_CHECKED_AT]: '2026-12-01T00:00:00Z',
      },
      claims: { name: '山田\u3000花子', address: VALUES.address },
    });
  });

  it('ok-evidence-without-created-at-unless-asked', () => {
    const out = build({
      verification: { trust_framework: null, evidence: [{ type: { value: 'electronic_signature' } }] },
      claims: { name: null },
    }) as { verification: { evidence: Array<Record<string, unknown>> } };
    expect(out.verification.evidence[0]).not.toHaveProperty('created_at');
    expect(out.verification.evidence[0]).toHaveProperty('serial_number', 'serial-pairwise');
  });

  it('ok-claims-outside-the-verifiable-set-or-not-passed-in-are-left-out', () => {
    // over_20 and resident_of are derived, not verified; gender is not in the values passed
    // (not registered, not consented, or outside the persona).
    const { gender: _g, ...values } = VALUES;
    expect(
      buildVerifiedClaims(
        req({
          verification: { trust_framework: null },
          claims: { over_20: null, resident_of: null, gender: null, family_name: null, email: null },
        }),
        values,
        RECORD,
        NOW,
      ),
    ).toEqual({ verification: { trust_framework: 'jp_jpki' }, claims: { family_name: '山田' } });
  });

  it('fail-no-claim-left-omits-the-element', () => {
    expect(build({ verification: { trust_framework: null }, claims: { over_20: null } })).toBeUndefined();
    expect(
      build({ verification: { trust_framework: null }, claims: { name: null } }, RECORD, {}),
    ).toBeUndefined();
  });

  it('fail-no-current-verification-omits-everything', () => {
    const one = req({ verification: { trust_framework: null }, claims: { name: null } });
    expect(buildVerifiedClaims(one, VALUES, undefined, NOW)).toBeUndefined();
    expect(buildVerifiedClaims(undefined, VALUES, RECORD, NOW)).toBeUndefined();
  });

  it('fail-a-level-below-2-is-a-caller-bug', () => {
    expect(() =>
      build(
        { verification: { trust_framework: null }, claims: { name: null } },
        { ...RECORD, level: 1 as 2 },
      ),
    ).toThrow(RangeError);
  });

  it.each([
    ['other trust framework', { trust_framework: { value: 'de_aml' } }],
    ['trust framework values without ours', { trust_framework: { values: ['eidas', 'jp_aml'] } }],
    ['other assurance level', { trust_framework: null, assurance_level: { value: 'ial2' } }],
    ['verification too old', { trust_framework: null, time: { max_age: 86_400 } }],
    ['status check too old', { trust_framework: null, [STATUS_CHECKED_AT]: { max_age: 3600 } }],
    ['other evidence type', { trust_framework: null, evidence: [{ type: { value: 'document' } }] }],
    [
      'signature too old',
      {
        trust_framework: null,
        evidence: [{ type: { value: 'electronic_signature' }, created_at: { max_age: 60 } }],
      },
    ],
  ])('fail-unmet-verification-constraint-%s-omits-the-element', (_why, verification) => {
    expect(build({ verification, claims: { name: null } })).toBeUndefined();
  });

  it('ok-met-constraints', () => {
    const out = build({
      verification: {
        trust_framework: { values: ['de_aml', 'jp_jpki'] },
        assurance_level: { values: ['ial2', 'ial3'] },
        time: { max_age: 31 * 86_400 },
        [STATUS_CHECKED_AT]: { max_age: 86_400 },
        evidence: [{ type: { value: 'document' } }, { type: { value: 'electronic_signature' } }],
      },
      claims: { name: null },
    });
    expect(out).toMatchObject({ verification: { assurance_level: 'ial3' }, claims: { name: VALUES.name } });
  });

  it('ok-claim-value-constraints-drop-the-claim-only', () => {
    expect(
      build({
        verification: { trust_framework: null },
        claims: { birthdate: { value: '1990-01-02' }, gender: { values: ['male'] }, given_name: null },
      }),
    ).toEqual({
      verification: { trust_framework: 'jp_jpki' },
      claims: { birthdate: '1990-01-02', given_name: '花子' },
    });
  });

  it('ok-array-request-gets-the-fulfillable-elements-as-an-array', () => {
    const out = build([
      { verification: { trust_framework: { value: 'eidas' } }, claims: { name: null } },
      { verification: { trust_framework: null, assurance_level: null }, claims: { birthdate: null } },
    ]);
    expect(out).toEqual([
      {
        verification: { trust_framework: 'jp_jpki', assurance_level: 'ial3' },
        claims: { birthdate: '1990-01-02' },
      },
    ]);
    expect(
      build([{ verification: { trust_framework: { value: 'eidas' } }, claims: { name: null } }]),
    ).toBeUndefined();
  });

  it('ok-level-2-and-no-signing-time', () => {
    const { signedAt: _s, ...noSignedAt } = RECORD;
    const out = build(
      {
        verification: {
          trust_framework: null,
          assurance_level: null,
          evidence: [{ type: { value: 'electronic_signature' }, created_at: { max_age: 1 } }],
        },
        claims: { name: null },
      },
      { ...noSignedAt, level: 2 },
    ) as { verification: { assurance_level: string; evidence: Array<Record<string, unknown>> } };
    expect(out.verification.assurance_level).toBe('ial2');
    expect(out.verification.evidence[0]).not.toHaveProperty('created_at');
  });

  it('ok-ida-time-is-utc-seconds', () => {
    expect(idaTime(new Date('2026-01-02T03:04:05.999Z'))).toBe('2026-01-02T03:04:05Z');
  });
});
