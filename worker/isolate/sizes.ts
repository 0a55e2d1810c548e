/**
 * Estimated V8 heap bytes of what the in-isolate caches hold, for their byte budgets
 * (budget.ts). Estimates, not measurements: V8 exposes no per-object size to
 * a Worker. They are deliberately on the high side, and `npm run load -- memory` checks the sum
 * against the isolate's real heap (docs/capacity.md#isolate-memory-budget).
 */

/** One entry of an Lru: a slot in each of its two hash tables (key, value, chain link; tables kept under half full). */
export const LRU_ENTRY_BYTES = 96;
/** A heap number or a small object's header and a pointer field. */
export const NUMBER_BYTES = 16;
const OBJECT_HEADER_BYTES = 24;
const FIELD_BYTES = 8;

/** A string's header plus its characters: one byte each while all are Latin-1 (V8's one-byte strings), else two. */
export function stringBytes(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return 16 + 2 * s.length;
  return 16 + s.length;
}

/** A plain object with `fields` properties held in-object (numbers and references; strings and nested objects on top). */
export function objectBytes(fields: number): number {
  return OBJECT_HEADER_BYTES + FIELD_BYTES * fields;
}

/**
 * Heap bytes of parsed JSON per byte of its text. Measured with `npm run load -- memory` on
 * personal fragments (about 3.7 KB of JSON each): a cached user took 12.4 KB of isolate heap in
 * all, of which about 7 KB (×1.9 the text) for the parsed sections; 2.5 keeps the estimate on
 * the high side (docs/capacity.md).
 */
export const PARSED_JSON_FACTOR = 2.5;

/**
 * Estimated heap of a parsed JSON value whose serialisation is `jsonLength` characters long,
 * in whole bytes (rounded up, still on the high side): the budget and `keys.isolate.bytes` are integers.
 */
export function parsedJsonBytes(jsonLength: number): number {
  return Math.ceil(jsonLength * PARSED_JSON_FACTOR);
}
