/**
 * Reads the per-minute request and 5xx counts of a deployed environment from its own
 * `GET /api/v1/metrics` (admin; JSON `timeline`, one bucket per minute, up to 60 minutes).
 */
import { z } from 'zod';
import type { MinuteBucket } from './decide';

/** The part of the Metrics document (worker/schemas/operations.ts) a release reads. */
const timelineSchema = z.object({
  timeline: z.array(z.object({ at: z.string(), requests: z.number(), errors: z.number() })),
});

export type ReadTimeline = (minutes: number) => Promise<MinuteBucket[]>;

/** A reader for one environment; `token` must carry the admin role there. */
export function metricsReader(baseUrl: string, token: string, fetchImpl: typeof fetch = fetch): ReadTimeline {
  const base = baseUrl.replace(/\/+$/, '');
  return async (minutes) => {
    const window = Math.min(60, Math.max(1, Math.ceil(minutes)));
    const res = await fetchImpl(`${base}/api/v1/metrics?minutes=${window}`, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (!res.ok) {
      throw new Error(
        `GET ${base}/api/v1/metrics answered ${res.status}: ${text.slice(0, 300)}\n` +
          'Likely causes: 1. METRICS_TOKEN is missing, expired or not an admin token for this environment; 2. the worker is down (check /api/v1/health).',
      );
    }
    return timelineSchema.parse(JSON.parse(text)).timeline;
  };
}
