import { heldLru, LRU_ENTRY_BYTES, NUMBER_BYTES, objectBytes, stringBytes } from '../isolate';
import type { FragmentOutcome } from './fragment';

/**
 * Caps the read-your-writes hint (the `Foyer-Version` header, the `foyer_v` cookie) to what
 * D1 said has been written. The hint comes from the client, so it can name a version that
 * does not exist; every page read would then miss every cache layer and read D1 again.
 *
 * When a page computed from D1 itself comes back older than the hint, D1 (the source of truth,
 * read after the request began) has answered: that version was never written. For
 * CEILING_MS afterwards, hints for that user above the answer are lowered to it, so the
 * copy just computed serves them. The cost falls only on a user who sent such a hint: a real
 * write of theirs through another isolate in those seconds shows after CEILING_MS at worst.
 */
export const CEILING_MS = 10_000;
const held = heldLru<string, { version: number; at: number }>(
  'versionCeilings',
  (userId) => LRU_ENTRY_BYTES + stringBytes(userId) + objectBytes(2) + 2 * NUMBER_BYTES,
);

/** The hint to use for `userId`: `hint`, lowered to D1's last answer if that is recent. */
export function capVersionHint(userId: string, hint: number, now = Date.now()): number {
  if (hint === 0) return hint;
  const ceilings = held.get();
  if (ceilings.size === 0) return hint;
  const ceiling = ceilings.peek(userId);
  if (!ceiling) return hint;
  if (now - ceiling.at >= CEILING_MS) {
    ceilings.delete(userId);
    return hint;
  }
  return Math.min(hint, ceiling.version);
}

/** Records D1's answer when a page asked for a newer version than D1 holds. */
export function noteServedVersion(userId: string, requested: number, outcome: FragmentOutcome, now = Date.now()): void {
  const fragment = outcome.fragment;
  if (!fragment || outcome.layer !== 'd1' || outcome.degraded.length > 0 || fragment.v >= requested) return;
  held.get().set(userId, { version: fragment.v, at: now });
}

/** Forgets every ceiling (tests). */
export function forgetVersionCeilings(): void {
  held.get().clear();
}
