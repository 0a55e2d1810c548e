import { inject } from 'vitest';

/**
 * How hard the long suites push (fuzz, property runs, the memory fill). vitest.config.ts provides
 * it: `quick` for `npm test`, `deep` for `npm run test:deep` (docs/testing.md#depth).
 */
export type Depth = 'quick' | 'deep';

declare module 'vitest' {
  interface ProvidedContext {
    depth: Depth;
    /** FUZZ_SEED from the command line: replays a failed random-seed fuzz run. */
    fuzzSeed: number | null;
  }
}

export const depth: Depth = inject('depth') ?? 'quick';
export const deep = depth === 'deep';

/** `quick` in npm test, `deep` in test:deep: e.g. property numRuns a tenth of the deep ones. */
export function byDepth<T>(quick: T, deepValue: T): T {
  return deep ? deepValue : quick;
}

/** The seed of a fuzz file's random-seed run: FUZZ_SEED when given, otherwise new each run. */
export function fuzzRandomSeed(): number {
  return inject('fuzzSeed') ?? Math.floor(Math.random() * 2 ** 31);
}
