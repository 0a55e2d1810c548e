/**
 * Pieces of the per-request JSON log line (worker/middleware/observe.ts). Kept apart so the
 * rules for what may be logged live in one small module.
 */

/** Bearer credentials, JWTs and cookie pairs that might hide inside an error message. */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/\bBearer\s+[A-Za-z0-9._~+/-]+=*/gi, 'Bearer [redacted]'],
  [/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g, '[redacted-jwt]'],
  [/\bfoyer_session=[^;\s]*/g, 'foyer_session=[redacted]'],
];

/** Strips anything credential-shaped; log text from errors always passes through here. */
export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out.length > 500 ? `${out.slice(0, 500)}…` : out;
}

export interface ErrorSummary {
  name: string;
  message: string;
  cause?: string;
}

export function summarizeError(err: unknown): ErrorSummary {
  if (!(err instanceof Error)) return { name: 'NonError', message: redact(String(err)) };
  const summary: ErrorSummary = { name: err.name, message: redact(err.message) };
  if (err.cause !== undefined)
    summary.cause = redact(err.cause instanceof Error ? `${err.cause.name}: ${err.cause.message}` : String(err.cause));
  return summary;
}

export interface CacheStatusSummary {
  /** The cache that answered (the last member with `hit`, RFC 9211 §2), else null. */
  layer: string | null;
  hit: boolean;
  /** The header as sent. */
  status: string;
}

/** Reads a `Cache-Status` header (RFC 9211); members are added nearest-origin first. */
export function parseCacheStatus(header: string | null): CacheStatusSummary | null {
  if (!header) return null;
  let layer: string | null = null;
  for (const member of header.split(',')) {
    const [name, ...params] = member.split(';').map((p) => p.trim());
    if (name && params.some((p) => p.toLowerCase() === 'hit')) layer = name.replace(/^"|"$/g, '');
  }
  return { layer, hit: layer !== null, status: header };
}
