import { hash32 } from '../hash';
import type { FlagRule, FlagSnapshot, FlagValues } from './schema';

export { hash32 };

/**
 * A user's bucket for one flag, 0–99. Keyed by the flag too, so the same 5 % of users do not get
 * every new feature first.
 *
 * @example
 * bucketOf('focus-card', 'alice') // → the same number on every call, in every isolate
 */
export function bucketOf(flagKey: string, userId: string): number {
  return hash32(`${flagKey}\u0000${userId}`) % 100;
}

/**
 * One flag for one user. A disabled flag is off for everyone; then the deny list beats the allow
 * list, which beats the percentage. A user is in the rollout when their bucket is below it, so
 * raising the rollout only ever adds users.
 *
 * @example
 * isOn({ key: 'focus-card', enabled: true, rollout: 0, allow: ['alice'], deny: [] }, 'alice') // → true
 */
export function isOn(flag: FlagRule, userId: string): boolean {
  if (!flag.enabled) return false;
  if (flag.deny.includes(userId)) return false;
  if (flag.allow.includes(userId)) return true;
  return bucketOf(flag.key, userId) < flag.rollout;
}

export interface Evaluation {
  /** Every flag of the snapshot, by key, in key order. */
  values: FlagValues;
  /** A short fingerprint of `values`, for the page's ETag: it changes exactly when an answer does. */
  tag: string;
}

/**
 * Evaluates every flag of a snapshot for one user: what the intro page carries. The snapshot's
 * flags are kept in key order, so the same answers always serialise (and fingerprint) the same.
 */
export function evaluateAll(snapshot: FlagSnapshot, userId: string): Evaluation {
  const values: FlagValues = {};
  let fingerprint = '';
  for (const flag of snapshot.flags) {
    const on = isOn(flag, userId);
    values[flag.key] = on;
    fingerprint += `${flag.key}=${on ? 1 : 0};`;
  }
  return { values, tag: fingerprint === '' ? '' : hash32(fingerprint).toString(36) };
}
