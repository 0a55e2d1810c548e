import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { USER_ID_PATTERN } from '../../worker/auth/principal';
import { flagClient } from '../../worker/flags/client';
import { bucketOf, evaluateAll, isOn } from '../../worker/flags/evaluate';
import type { FlagRule } from '../../worker/flags/schema';
import { byDepth } from '../helpers/depth';

const USERS = 10_000;
const rule = (over: Partial<FlagRule> = {}): FlagRule => ({ key: 'focus-card', enabled: true, rollout: 0, allow: [], deny: [], ...over });

/** 10,000 distinct user ids of the shapes Foyer sees (demo names, generated ids, anything the pattern allows). */
const userIds = fc.uniqueArray(
  fc.oneof(
    { arbitrary: fc.stringMatching(USER_ID_PATTERN), weight: 1 },
    { arbitrary: fc.nat({ max: 999_999 }).map((n) => `user-${String(n).padStart(6, '0')}`), weight: 3 },
    { arbitrary: fc.uuid().map((u) => u.toLowerCase()), weight: 3 },
  ),
  { minLength: USERS, maxLength: USERS },
);
/** Each run generates 10,000 ids and takes seconds inside workerd: 10 runs deep, 2 in npm test. */
const RUNS = { numRuns: byDepth(2, 10) };
const flagKeys = fc.stringMatching(/^[a-z][a-z0-9-]{1,63}$/);

describe('stable bucketing (property, 10,000 generated user ids per run)', { timeout: 120_000 }, () => {
  it('turns on a share of users within ±2 % of the rollout', () => {
    fc.assert(
      fc.property(userIds, flagKeys, fc.integer({ min: 0, max: 100 }), (users, key, rollout) => {
        const flag = rule({ key, rollout });
        const on = users.filter((u) => isOn(flag, u)).length;
        expect(Math.abs(on / users.length - rollout / 100)).toBeLessThanOrEqual(0.02);
      }),
      RUNS,
    );
  });

  it('never turns a user off when the rollout only grows', () => {
    fc.assert(
      fc.property(userIds, flagKeys, fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (users, key, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const lowFlag = rule({ key, rollout: low });
        const highFlag = rule({ key, rollout: high });
        const turnedOff = users.filter((u) => isOn(lowFlag, u) && !isOn(highFlag, u));
        expect(turnedOff).toEqual([]);
      }),
      RUNS,
    );
  });

  it('gives the same answer for the same input, every time', () => {
    fc.assert(
      fc.property(userIds, flagKeys, fc.integer({ min: 0, max: 100 }), (users, key, rollout) => {
        const flag = rule({ key, rollout });
        const first = users.map((u) => isOn(flag, u));
        const again = users.map((u) => isOn({ ...flag, allow: [], deny: [] }, u));
        expect(again).toEqual(first);
        expect(users.map((u) => bucketOf(key, u))).toEqual(users.map((u) => bucketOf(key, u)));
      }),
      RUNS,
    );
  });

  it('buckets each flag on its own, so one 5 % rollout does not pick the same users as another', () => {
    const users = Array.from({ length: USERS }, (_, i) => `user-${String(i).padStart(5, '0')}`);
    const a = new Set(users.filter((u) => isOn(rule({ key: 'focus-card', rollout: 5 }), u)));
    const both = users.filter((u) => a.has(u) && isOn(rule({ key: 'compact-layout', rollout: 5 }), u)).length;
    // Independent 5 % draws overlap on about 0.25 % of users (25 of 10,000), not on 5 %.
    expect(both).toBeLessThan(100);
  });
});

describe('precedence', () => {
  const always = rule({ rollout: 100 });
  const never = rule({ rollout: 0 });

  it('a disabled flag is off for everyone, even allowed users at 100 %', () => {
    const off = rule({ enabled: false, rollout: 100, allow: ['alice'] });
    expect(isOn(off, 'alice')).toBe(false);
    expect(isOn(off, 'bob')).toBe(false);
  });

  it('the deny list beats the allow list, which beats the percentage', () => {
    expect(isOn({ ...always, deny: ['alice'] }, 'alice')).toBe(false);
    expect(isOn({ ...always, deny: ['alice'], allow: ['alice'] }, 'alice')).toBe(false);
    expect(isOn({ ...never, allow: ['alice'] }, 'alice')).toBe(true);
    expect(isOn({ ...never, allow: ['alice'] }, 'bob')).toBe(false);
    expect(isOn(always, 'bob')).toBe(true);
  });

  it('OpenFeature-style client: evaluates defined flags, answers the default for unknown ones', () => {
    const client = flagClient({ version: 3, flags: [{ ...never, allow: ['alice'] }] });
    expect(client.getBooleanValue('focus-card', false, { userId: 'alice' })).toBe(true);
    expect(client.getBooleanValue('focus-card', true, { userId: 'bob' })).toBe(false);
    expect(client.getBooleanValue('no-such-flag', true, { userId: 'alice' })).toBe(true);
    expect(client.getBooleanValue('no-such-flag', false, { userId: 'alice' })).toBe(false);
  });

  it("evaluateAll gives every flag's answer and a fingerprint that changes exactly when an answer does", () => {
    const snapshot = { version: 1, flags: [rule({ key: 'a-flag', rollout: 100 }), rule({ key: 'b-flag', allow: ['alice'] })] };
    const alice = evaluateAll(snapshot, 'alice');
    expect(alice.values).toEqual({ 'a-flag': true, 'b-flag': true });
    const bob = evaluateAll(snapshot, 'bob');
    expect(bob.values).toEqual({ 'a-flag': true, 'b-flag': false });
    expect(bob.tag).not.toBe(alice.tag);
    expect(evaluateAll({ ...snapshot, version: 2 }, 'alice').tag).toBe(alice.tag);
    expect(evaluateAll({ version: 0, flags: [] }, 'alice')).toEqual({ values: {}, tag: '' });
  });
});
