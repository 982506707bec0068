// The circuit breaker of the sweep's provisions (lifecycle/provisions.ts), on a clock the test
// moves: it opens after N consecutive failures, lets one trial through after the cool-down, and
// an answer closes it; which outcomes count as "J-LIS did not answer".
import { describe, expect, it } from 'vitest';
import {
  isTransientProvision,
  JlisCircuitBreaker,
  TRANSIENT_PROVISION_CODES,
} from '../../src/lifecycle/provisions.ts';

describe('JlisCircuitBreaker', () => {
  const clock = (): { now: () => Date; advance: (ms: number) => void } => {
    let t = Date.UTC(2026, 11, 7);
    return { now: () => new Date(t), advance: (ms) => (t += ms) };
  };

  it('ok-opens-after-consecutive-failures-and-closes-after-a-successful-trial', async () => {
    const c = clock();
    const b = new JlisCircuitBreaker({ failures: 3, cooldownMs: 60_000 }, c.now);
    b.failure();
    b.failure();
    // An answer in between resets the count.
    b.success();
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    b.failure();
    expect(b.state).toBe('open');
    expect(await b.admit()).toBe(false);
    c.advance(59_999);
    expect(b.allow()).toBe(false);
    c.advance(1);
    expect(b.state).toBe('half-open');
    // One trial; a second request waits for its outcome.
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(false);
    const waiting = b.admit();
    b.success();
    expect(await waiting).toBe(true);
    expect(b.state).toBe('closed');
  });

  it('fail-a-failed-trial-opens-it-again-and-the-waiting-requests-are-deferred', async () => {
    const c = clock();
    const b = new JlisCircuitBreaker({ failures: 1, cooldownMs: 1000 }, c.now);
    b.failure();
    c.advance(1000);
    expect(b.allow()).toBe(true);
    const waiting = b.admit();
    b.failure();
    expect(await waiting).toBe(false);
    expect(b.state).toBe('open');
  });

  it('fail-bad-settings-are-refused', () => {
    expect(() => new JlisCircuitBreaker({ failures: 0 }, () => new Date())).toThrow(RangeError);
    expect(() => new JlisCircuitBreaker({ cooldownMs: -1 }, () => new Date())).toThrow(RangeError);
  });
});

describe('isTransientProvision', () => {
  it('ok-only-an-answer-is-not-transient', () => {
    for (const code of TRANSIENT_PROVISION_CODES)
      expect(isTransientProvision({ ok: false, code })).toBe(true);
    // J-LIS refusing is its answer; a platform without provisions is a fact, not a blip.
    expect(isTransientProvision({ ok: false, code: 'jlis_refused' })).toBe(false);
    expect(isTransientProvision({ ok: false, code: 'jlis_not_supported' })).toBe(false);
    expect(isTransientProvision({ ok: true, answer: { outcome: 'no_new_certificate' } })).toBe(false);
  });
});
