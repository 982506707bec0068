import { describe, expect, it } from 'vitest';
import { newClientId } from './registry.ts';

describe('newClientId', () => {
  it('ok-never-starts-with-an-option-dash-and-is-128-bits', () => {
    // One in 32 base64url ids starts with `-` or `_`; 5,000 draws make a miss near certain to show.
    const ids = Array.from({ length: 5000 }, newClientId);
    expect(ids.every((id) => /^[A-Za-z0-9][A-Za-z0-9_-]{21}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
