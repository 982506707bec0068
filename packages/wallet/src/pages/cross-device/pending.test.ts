import { beforeEach, describe, expect, it } from 'vitest';
import { afterSignIn, hasPendingToken, keepPendingToken, takePendingToken } from './pending.ts';

/** The part of the browser's Storage that pending.ts uses, in memory (Node has no sessionStorage). */
class MemoryStorage {
  private readonly items = new Map<string, string>();
  getItem(k: string): string | null {
    return this.items.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    this.items.set(k, v);
  }
  removeItem(k: string): void {
    this.items.delete(k);
  }
}

beforeEach(() => {
  (globalThis as { sessionStorage?: unknown }).sessionStorage = new MemoryStorage();
});

describe('a scanned sign-in QR kept through signing in', () => {
  it('ok-kept-then-taken-once-and-the-sign-in-pages-come-back-while-it-waits', () => {
    const now = Date.parse('2026-12-08T00:00:00Z');
    expect(afterSignIn('/wallet/account', now)).toBe('/wallet/account');
    keepPendingToken('tok-1', now);
    expect(hasPendingToken(now + 1_000)).toBe(true);
    expect(afterSignIn('/wallet/account', now + 1_000)).toBe('/wallet/cross-device');
    expect(takePendingToken(now + 1_000)).toBe('tok-1');
    expect(takePendingToken(now + 1_000)).toBeUndefined();
    expect(hasPendingToken(now + 1_000)).toBe(false);
  });

  it('fail-a-token-older-than-the-request-lives-is-dropped', () => {
    const now = Date.parse('2026-12-08T00:00:00Z');
    keepPendingToken('tok-2', now);
    expect(hasPendingToken(now + 121_000)).toBe(false);
    expect(takePendingToken(now + 1_000)).toBeUndefined(); // dropped by the expired read
  });

  it('fail-something-else-in-the-slot-is-ignored', () => {
    sessionStorage.setItem('watashi.crossDevice.pending', '{"token":1}');
    expect(takePendingToken()).toBeUndefined();
    sessionStorage.setItem('watashi.crossDevice.pending', 'not json');
    expect(hasPendingToken()).toBe(false);
  });
});
