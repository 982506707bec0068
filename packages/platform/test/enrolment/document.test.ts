// The fast nonce reader used by verification accepts and rejects exactly what the full parse does.
import { describe, expect, it } from 'vitest';
import { isWatashiError } from '@watashi/pki';
import {
  buildEnrolmentDocument,
  parseEnrolmentDocument,
  readEnrolmentNonce,
} from '../../src/enrolment/document.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const outcome = (f: () => Uint8Array): string => {
  try {
    return Buffer.from(f()).toString('hex');
  } catch (e) {
    if (isWatashiError(e)) return e.code;
    throw e;
  }
};

describe('readEnrolmentNonce', () => {
  const at = new Date('2026-11-22T00:00:00Z');
  const built = buildEnrolmentDocument({
    purpose: 'enrolment',
    operator: { id: 'watashi', url: 'https://watashi.example' },
    nonce: new Uint8Array(32).fill(7),
    issuedAt: at,
    expiresAt: new Date(at.getTime() + 600_000),
  });
  const json = new TextDecoder().decode(built.bytes);
  const nonce = built.document.nonce;
  const cases: Record<string, Uint8Array> = {
    'ok-issued-document': built.bytes,
    'ok-bom': Uint8Array.of(0xef, 0xbb, 0xbf, ...built.bytes),
    'ok-escaped-and-non-ascii': enc(
      `{"type":"watashi\\/enrolment-document","version":1,"nonce":"${nonce}","note":"署名\\u00e9 \u2028"}`,
    ),
    'fail-invalid-utf8': Uint8Array.of(...enc(json.slice(0, 40)), 0xff, ...enc(json.slice(40))),
    'fail-truncated-utf8': built.bytes.subarray(0, built.bytes.length - 200),
    'fail-not-json': enc('not json'),
    'fail-non-ascii-outside-strings': enc(
      `{"type":"watashi/enrolment-document","version":1,"nonce":"${nonce}"}\u00a0`,
    ),
    'fail-wrong-type': enc(json.replace('watashi/enrolment-document', 'watashi/enrolment-documenté')),
    'fail-wrong-version': enc(json.replace('"version":1', '"version":2')),
    'fail-short-nonce': enc(json.replace(nonce, nonce.slice(0, 20))),
    'fail-non-base64url-nonce': enc(json.replace(nonce, `${nonce.slice(0, -1)}é`)),
    'fail-empty': new Uint8Array(0),
    // Found by the fuzz suite: JSON that is not an object threw a TypeError from both readers.
    'fail-json-null': enc('null'),
    'fail-json-number': enc('1'),
    'fail-json-string': enc('"watashi/enrolment-document"'),
    'fail-json-array': enc(`["watashi/enrolment-document",1,"${nonce}"]`),
  };
  for (const [name, bytes] of Object.entries(cases))
    it(name, () => {
      const expected = outcome(() => parseEnrolmentDocument(bytes).nonce);
      expect(outcome(() => readEnrolmentNonce(bytes))).toBe(expected);
      expect(expected === 'enrolment_nonce_invalid').toBe(name.startsWith('fail-'));
    });
});
