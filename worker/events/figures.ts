import { z } from '@hono/zod-openapi';
import { and, desc, gt, isNull, lt, sql } from 'drizzle-orm';
import { deadLetters, eventFailures, eventOutbox, processedEvents } from '../../drizzle/schema';
import type { Database } from '../db/client';
import { RELAY_AFTER_MS } from './outbox';

/** The window of the figures: sent outbox rows are kept that long (OUTBOX_RETENTION_MS). */
export const FIGURES_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Lag percentiles come from the newest this many applied events. */
export const LAG_SAMPLE = 1000;
/** The health check's thresholds (docs/operations.md#domain-events): over either, `queue` is degraded. */
export const BACKLOG_THRESHOLD = 100;
export const LAG_P95_THRESHOLD_MS = 60_000;

const countsSchema = z.object({
  published: z.number().int(),
  delivered: z.number().int(),
  retried: z.number().int(),
  deadLettered: z.number().int(),
});

export const eventFiguresSchema = countsSchema.extend({
  windowHours: z.number().int(),
  /** From an event's occurredAt (its commit) to a consumer having applied it, over the newest LAG_SAMPLE; `sum` of those `samples`. */
  lagMs: z.object({ p50: z.number().nullable(), p95: z.number().nullable(), sum: z.number(), samples: z.number().int() }),
  outbox: z.object({
    /** Rows no consumer has received yet (a consumer stamps the row it receives): in the queue, or their send failed. */
    unsent: z.number().int(),
    /** Unsent for longer than the relay bound (30 s): the relay's work, and what the health check watches. */
    backlog: z.number().int(),
    oldestUnsentAgeMs: z.number().nullable(),
    /** Rows the relay sent because no consumer had received them within 30 s (the send failed, or the consumer was behind). */
    relayed: z.number().int(),
  }),
  /** Dead letters not replayed since they arrived. */
  deadLettersPending: z.number().int(),
  byType: z.record(z.string(), countsSchema),
});

export type EventFigures = z.infer<typeof eventFiguresSchema>;

export function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The pipeline's figures over the last FIGURES_WINDOW_MS, in one D1 round trip. */
export async function eventFigures(db: Database, now = Date.now()): Promise<EventFigures> {
  const since = new Date(now - FIGURES_WINDOW_MS);
  const [outbox, delivered, lags, failures, dead] = await db.batch([
    db
      .select({
        type: eventOutbox.type,
        published: sql<number>`count(${eventOutbox.sentAt})`,
        unsent: sql<number>`sum(${eventOutbox.sentAt} is null)`,
        backlog: sql<number>`sum(${eventOutbox.sentAt} is null and ${eventOutbox.occurredAt} < ${now - RELAY_AFTER_MS})`,
        oldestUnsent: sql<number | null>`min(case when ${eventOutbox.sentAt} is null then ${eventOutbox.occurredAt} end)`,
        relayed: sql<number>`sum(${eventOutbox.relayed} > 0)`,
      })
      .from(eventOutbox)
      .groupBy(eventOutbox.type),
    db
      .select({ type: processedEvents.type, n: sql<number>`count(*)` })
      .from(processedEvents)
      .where(gt(processedEvents.appliedAt, since))
      .groupBy(processedEvents.type),
    db
      .select({ lag: sql<number>`${processedEvents.appliedAt} - ${processedEvents.occurredAt}` })
      .from(processedEvents)
      .where(gt(processedEvents.appliedAt, since))
      .orderBy(desc(processedEvents.appliedAt))
      .limit(LAG_SAMPLE),
    db
      .select({ type: eventFailures.type, n: sql<number>`sum(${eventFailures.retried})` })
      .from(eventFailures)
      .groupBy(eventFailures.type),
    db
      .select({ type: deadLetters.type, n: sql<number>`count(*)`, pending: sql<number>`sum(${deadLetters.replayedAt} is null)` })
      .from(deadLetters)
      .groupBy(deadLetters.type),
  ]);
  const byType: EventFigures['byType'] = {};
  const of = (type: string) => {
    byType[type] ??= { published: 0, delivered: 0, retried: 0, deadLettered: 0 };
    return byType[type];
  };
  for (const r of outbox) of(r.type).published = Number(r.published);
  for (const r of delivered) of(r.type).delivered = Number(r.n);
  for (const r of failures) of(r.type).retried = Number(r.n);
  for (const r of dead) of(r.type).deadLettered = Number(r.n);
  const total = (key: keyof z.infer<typeof countsSchema>) => Object.values(byType).reduce((sum, c) => sum + c[key], 0);
  const sorted = lags.map((r) => Number(r.lag)).sort((a, b) => a - b);
  const oldest = outbox.reduce<number | null>(
    (min, r) => (r.oldestUnsent != null && (min === null || r.oldestUnsent < min) ? r.oldestUnsent : min),
    null,
  );
  return {
    published: total('published'),
    delivered: total('delivered'),
    retried: total('retried'),
    deadLettered: total('deadLettered'),
    windowHours: FIGURES_WINDOW_MS / 3_600_000,
    lagMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), sum: sorted.reduce((a, b) => a + b, 0), samples: sorted.length },
    outbox: {
      unsent: outbox.reduce((s, r) => s + Number(r.unsent ?? 0), 0),
      backlog: outbox.reduce((s, r) => s + Number(r.backlog ?? 0), 0),
      oldestUnsentAgeMs: oldest === null ? null : now - Number(oldest),
      relayed: outbox.reduce((s, r) => s + Number(r.relayed ?? 0), 0),
    },
    deadLettersPending: dead.reduce((s, r) => s + Number(r.pending ?? 0), 0),
    byType,
  };
}

/** Why the pipeline is behind, or undefined when it keeps up (the health check's `queue`). */
export async function queueLagging(db: Database, now = Date.now()): Promise<string | undefined> {
  const [[backlog], lags] = await db.batch([
    db
      .select({ n: sql<number>`count(*)` })
      .from(eventOutbox)
      .where(and(isNull(eventOutbox.sentAt), lt(eventOutbox.occurredAt, new Date(now - RELAY_AFTER_MS)))),
    db
      .select({ lag: sql<number>`${processedEvents.appliedAt} - ${processedEvents.occurredAt}` })
      .from(processedEvents)
      .where(gt(processedEvents.appliedAt, new Date(now - 5 * 60_000)))
      .orderBy(desc(processedEvents.appliedAt))
      .limit(200),
  ]);
  const p95 = percentile(
    lags.map((r) => Number(r.lag)).sort((a, b) => a - b),
    95,
  );
  if (Number(backlog?.n ?? 0) > BACKLOG_THRESHOLD) return `${backlog?.n} events wait in the outbox (threshold ${BACKLOG_THRESHOLD}).`;
  if (p95 !== null && p95 > LAG_P95_THRESHOLD_MS) return `Consumer lag p95 is ${p95} ms (threshold ${LAG_P95_THRESHOLD_MS} ms).`;
  return undefined;
}
