// The pure steps of completeEnrolment and its step table (the whole completion against both
// database engines and a real simulator: test/enrolment/enrolment.test.ts).
import { describe, expect, it } from 'vitest';
import type { Basic4 } from '@watashi/jpki';
import { firstCostBeforePossession } from '../pipeline.ts';
import {
  anchorEvidence,
  COMPLETE_ENROLMENT_STEPS,
  completionOf,
  sameHolder,
  sameRegistryEntry,
} from './enrolment.ts';
import type { VerifiedEnrolment } from './verify-enrolment-signature.ts';

const taro: Basic4 = {
  name: '山田　太郎',
  nameSubstitute: '00000',
  dateOfBirth: { era: 3, date: '1980-04-01' },
  sex: '1',
  address: '東京都千代田区千代田１－１',
  addressSubstitute: '0'.repeat(13),
};

describe('COMPLETE_ENROLMENT_STEPS', () => {
  it('ok-the-order-of-the-pipeline', () => {
    expect(COMPLETE_ENROLMENT_STEPS.map((s) => s.name)).toEqual([
      'findIssuedDocument',
      'answerRecordedRetry',
      'verifySignature',
      'registerConsent',
      'deriveFacts',
      'commitEnrolment',
    ]);
  });

  it('ok-possession-before-jlis-is-asked-or-anything-is-written', () => {
    expect(firstCostBeforePossession(COMPLETE_ENROLMENT_STEPS)).toBeUndefined();
    const effects = Object.fromEntries(COMPLETE_ENROLMENT_STEPS.map((s) => [s.name, s.effect]));
    expect(effects['registerConsent']).toBe('billed');
    expect(effects['commitEnrolment']).toBe('writes');
  });
});

describe('sameRegistryEntry (same-person rule b)', () => {
  it('ok-same-entry-with-other-white-space-in-the-name', () => {
    expect(sameRegistryEntry(taro, { ...taro, name: '山田 太郎 ' })).toBe(true);
  });
  it('fail-another-address-birth-date-or-sex', () => {
    expect(sameRegistryEntry(taro, { ...taro, address: '大阪府大阪市北区１' })).toBe(false);
    expect(sameRegistryEntry(taro, { ...taro, sex: '2' })).toBe(false);
    expect(
      sameRegistryEntry(taro, { ...taro, dateOfBirth: { ...taro.dateOfBirth, date: '1980-04-02' } }),
    ).toBe(false);
  });
});

describe('sameHolder (re-proofing)', () => {
  it('ok-name-and-address-may-change', () => {
    expect(sameHolder(taro, { ...taro, name: '佐藤　太郎', address: '大阪府大阪市北区１' })).toBe(true);
  });
  it('fail-birth-date-or-sex-differs', () => {
    expect(sameHolder(taro, { ...taro, sex: '2' })).toBe(false);
    expect(sameHolder(taro, { ...taro, dateOfBirth: { ...taro.dateOfBirth, date: '1981-04-01' } })).toBe(
      false,
    );
  });
});

describe('anchorEvidence', () => {
  it('ok-status-and-signature-facts-and-no-basic-4', () => {
    const at = new Date('2026-01-02T03:04:05Z');
    const v = {
      status: {
        source: 'ocsp',
        status: 'good',
        thisUpdate: at,
        checkedAt: at,
        ocspResponse: new Uint8Array([1, 2]),
      },
      format: 'cms',
      documentHash: new Uint8Array([0xab, 0xcd]),
      signedAt: at,
    } as unknown as VerifiedEnrolment;
    expect(anchorEvidence(v, 'simulator')).toEqual({
      source: 'ocsp',
      status: 'good',
      thisUpdate: at.toISOString(),
      checkedAt: at.toISOString(),
      ocsp: 'AQI=',
      signatureFormat: 'cms',
      documentHash: 'abcd',
      signedAt: at.toISOString(),
      backend: 'simulator',
    });
  });
});

describe('completionOf', () => {
  it('ok-a-recorded-completion', () => {
    const c = { accountId: 'a', created: true, anchorId: 'b', proofingLevel: 2, consentId: 'c' };
    expect(completionOf(c)).toEqual(c);
  });
  it('fail-an-unexpected-shape', () => {
    expect(() => completionOf({ accountId: 'a', created: 'yes', anchorId: 'b', proofingLevel: 2 })).toThrow(
      TypeError,
    );
  });
});
