/** Number formats shared by the server render and (mirrored) by live.ts. */
export const format = {
  ms: (v: number | null | undefined) => (v == null ? '–' : v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`),
  pct: (v: number | null | undefined) => (v == null ? '–' : `${(v * 100).toFixed(1)} %`),
  n: (v: number | null | undefined) => (v == null ? '–' : String(v)),
};
export type FormatName = keyof typeof format;
