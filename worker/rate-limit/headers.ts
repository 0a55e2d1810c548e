import type { Decision } from './allowance';
import type { RatePolicy } from './policy';

/**
 * The RateLimit and RateLimit-Policy fields of the IETF httpapi draft
 * (https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/, revision 11):
 * Structured Field lists whose items are the policy name as a String, with `q` (quota) and
 * `w` (window, seconds) on the policy, `r` (remaining) and `t` (seconds) on the current limit.
 *
 * @example
 * policyField(policies.read)          // '"read";q=300;w=60'
 * limitField(policies.read, decision) // '"read";r=299;t=1'
 */
export function policyField(policy: RatePolicy): string {
  return `"${policy.name}";q=${policy.quota};w=${policy.windowSeconds}`;
}

export function limitField(policy: RatePolicy, decision: Pick<Decision, 'remaining' | 'resetSeconds'>): string {
  return `"${policy.name}";r=${Math.max(0, Math.floor(decision.remaining))};t=${Math.max(0, Math.ceil(decision.resetSeconds))}`;
}
