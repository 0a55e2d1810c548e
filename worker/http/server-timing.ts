import type { Context } from 'hono';

/** One `Server-Timing` metric (https://www.w3.org/TR/server-timing/). */
export interface TimingEntry {
  name: string;
  ms: number;
  description?: string;
}

declare module 'hono' {
  interface ContextVariableMap {
    /** This request's timings: written once as `Server-Timing` and logged by `observe`. */
    serverTiming: TimingEntry[];
  }
}

/**
 * Adds a metric to this request's `Server-Timing`. Middleware and handlers only record;
 * `observe` writes the header once and puts the same figures in the log line, so nothing
 * parses a header back.
 *
 * @example
 * recordTiming(c, 'kv', 3.2, 'kv lookup');
 */
export function recordTiming(c: Context, name: string, ms: number, description?: string): void {
  const entry: TimingEntry = description === undefined ? { name, ms } : { name, ms, description };
  const list = c.get('serverTiming');
  if (list) list.push(entry);
  else c.set('serverTiming', [entry]);
}

/**
 * Adds metrics made elsewhere, as they are: the list only ever grows, and nothing changes an
 * entry once recorded, so entries another request also holds (a warm page's) can be shared.
 */
export function recordTimings(c: Context, entries: readonly TimingEntry[]): void {
  const list = c.get('serverTiming');
  if (list) list.push(...entries);
  else c.set('serverTiming', [...entries]);
}

/** `name;dur=1.2;desc="…"` metrics, comma-separated. */
export function serverTimingHeader(entries: readonly TimingEntry[]): string {
  let out = '';
  for (const e of entries) {
    if (out) out += ', ';
    out += `${e.name};dur=${e.ms.toFixed(1)}`;
    if (e.description !== undefined) out += `;desc="${e.description.replace(/["\\]/g, '')}"`;
  }
  return out;
}

/** The same metrics as `{ name: ms }` for the log line (one decimal). */
export function timingsRecord(entries: readonly TimingEntry[] | undefined): Record<string, number> | null {
  if (!entries || entries.length === 0) return null;
  const out: Record<string, number> = {};
  for (const e of entries) out[e.name] = Math.round(e.ms * 10) / 10;
  return out;
}
