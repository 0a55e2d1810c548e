import { describe, expect, it } from 'vitest';
import { DEFAULT_CACHE_CONFIG, PERSONAL_FRESH_SPREAD, personalFreshMsFor } from '../../worker/cache/config';

const users = Array.from({ length: 1000 }, (_, i) => `user-${String(i + 1).padStart(5, '0')}`);

describe('personal fragments warmed together expire spread out (the soak finding)', () => {
  it('each user expires at most 20 % early, never late, and the same way in every isolate', () => {
    const ttl = DEFAULT_CACHE_CONFIG.personalFreshMs;
    for (const userId of users) {
      const ms = personalFreshMsFor(DEFAULT_CACHE_CONFIG, userId);
      expect(ms).toBeLessThanOrEqual(ttl);
      expect(ms).toBeGreaterThanOrEqual(ttl * (1 - PERSONAL_FRESH_SPREAD));
      expect(personalFreshMsFor({ personalFreshMs: ttl }, userId)).toBe(ms);
    }
  });

  it('spreads 1,000 users warmed in the same second over the whole minute, no second holding more than 3 % (an even spread is 1.7 %)', () => {
    const perSecond = new Map<number, number>();
    for (const userId of users) {
      const second = Math.floor(personalFreshMsFor(DEFAULT_CACHE_CONFIG, userId) / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
    expect(perSecond.size).toBeGreaterThanOrEqual(55);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(30);
  });
});
