import { isOn } from './evaluate';
import type { FlagSnapshot } from './schema';

/** OpenFeature's evaluation context, reduced to what Foyer targets on. */
export interface EvaluationContext {
  userId: string;
}

/** The slice of OpenFeature's Client API Foyer uses, so a Flagship-backed client could replace this one. */
export interface FlagClient {
  getBooleanValue(flagKey: string, defaultValue: boolean, context: EvaluationContext): boolean;
}

/**
 * A client over one snapshot: evaluation is pure and synchronous, with no I/O. An unknown flag
 * answers the caller's default (OpenFeature's FLAG_NOT_FOUND behaviour).
 *
 * @example
 * const flags = flagClient(snapshot);
 * if (flags.getBooleanValue('focus-card', false, { userId: 'alice' })) …
 */
export function flagClient(snapshot: FlagSnapshot): FlagClient {
  const byKey = new Map(snapshot.flags.map((f) => [f.key, f]));
  return {
    getBooleanValue(flagKey, defaultValue, context) {
      const flag = byKey.get(flagKey);
      return flag ? isOn(flag, context.userId) : defaultValue;
    },
  };
}
