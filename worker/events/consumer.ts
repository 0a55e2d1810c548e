import { eq, sql } from 'drizzle-orm';
import { eventCursors, eventFailures, processedEvents } from '../../drizzle/schema';
import { createDb, type Database } from '../db/client';
import { errorMessage, log } from '../observability/log';
import { type DomainEvent, domainEventSchema } from './catalog';
import { handlerOf } from './handlers';

/** Retry delays grow 2, 4, 8, 16, 32 … s up to this; Queues allows at most 12 h per message. */
export const MAX_BACKOFF_SECONDS = 300;
/** Deliveries an event waits for a missing predecessor before it is applied anyway (a skip). */
export const REORDER_WAITS = 3;
export const REORDER_DELAY_SECONDS = 2;

export function backoffSeconds(attempts: number): number {
  return Math.min(2 ** Math.max(1, attempts), MAX_BACKOFF_SECONDS);
}

export type Outcome = 'applied' | 'duplicate' | 'reordered' | 'failed';

/**
 * The events queue's consumer. A batch is split by user: one user's messages are handled one
 * after another, in the order they arrived, and different users' run at the same time (their
 * effects are independent), so a batch costs about its longest user stream, not the sum of its
 * messages. Across batches the per-user sequence decides the order (docs/events.md#ordering).
 * Each message is acked or retried on its own: a poison message delays nobody else's, and after
 * `max_retries` Queues moves it to the dead-letter queue.
 */
export async function consumeEvents(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  const db = createDb(env.DB);
  const streams = new Map<string, Message<unknown>[]>();
  for (const message of batch.messages) {
    const userId = (message.body as { userId?: unknown } | null)?.userId;
    const key = typeof userId === 'string' ? userId : '';
    streams.set(key, [...(streams.get(key) ?? []), message]);
  }
  await Promise.all(
    [...streams.values()].map(async (messages) => {
      for (const message of messages) await consumeMessage(db, env, ctx, message);
    }),
  );
}

async function consumeMessage(db: Database, env: Env, ctx: ExecutionContext, message: Message<unknown>): Promise<Outcome> {
  const parsed = domainEventSchema.safeParse(message.body);
  const event = parsed.success ? (parsed.data as DomainEvent) : undefined;
  // The dead-letter consumer finds the failure by the id in the body, as it finds everything else.
  const bodyId = (message.body as { id?: unknown } | null)?.id;
  const eventId = event?.id ?? (typeof bodyId === 'string' ? bodyId : message.id);
  try {
    if (!event) throw new Error(`Not a known event (version or shape): ${parsed.error?.issues[0]?.message ?? 'invalid'}`);
    const outcome = await apply(db, env, ctx, event, message.attempts);
    if (outcome === 'reordered') message.retry({ delaySeconds: REORDER_DELAY_SECONDS });
    else message.ack();
    return outcome;
  } catch (err) {
    const delaySeconds = backoffSeconds(message.attempts);
    log.warn('event consumer failed; retrying', {
      eventId,
      type: event?.type,
      attempts: message.attempts,
      delaySeconds,
      error: errorMessage(err),
    });
    await recordFailure(
      db,
      eventId,
      event?.type ?? String((message.body as { type?: unknown } | null)?.type ?? 'unknown'),
      message.attempts,
      errorMessage(err),
    ).catch(() => {});
    message.retry({ delaySeconds });
    return 'failed';
  }
}

async function apply(db: Database, env: Env, ctx: ExecutionContext, event: DomainEvent, attempts: number): Promise<Outcome> {
  const [[record], [cursor]] = await db.batch([
    db.select({ done: processedEvents.done }).from(processedEvents).where(eq(processedEvents.eventId, event.id)),
    db.select({ lastSeq: eventCursors.lastSeq }).from(eventCursors).where(eq(eventCursors.userId, event.userId)),
  ]);
  if (record?.done) return 'duplicate';
  const handler = handlerOf(event);
  if (!record) {
    // A user with no cursor yet (their first event since events were introduced) starts here.
    const early = cursor !== undefined && event.seq > cursor.lastSeq + 1;
    if (early && attempts <= REORDER_WAITS) return 'reordered';
    const now = Date.now();
    const claim = crypto.randomUUID();
    const apply = { db, claim, now };
    await db.batch([
      db
        .insert(processedEvents)
        .values({
          eventId: event.id,
          userId: event.userId,
          seq: event.seq,
          type: event.type,
          occurredAt: new Date(event.occurredAt),
          appliedAt: new Date(now),
          attempts,
          claim,
          skipped: early,
        })
        .onConflictDoNothing(),
      ...handler.statements(apply, event),
      db
        .insert(eventCursors)
        .values({ userId: event.userId, lastSeq: event.seq, updatedAt: new Date(now) })
        .onConflictDoUpdate({
          target: eventCursors.userId,
          set: { lastSeq: sql`max(${eventCursors.lastSeq}, excluded.last_seq)`, updatedAt: new Date(now) },
        }),
    ]);
    if (early) log.warn('event applied ahead of a missing predecessor', { eventId: event.id, lastSeq: cursor?.lastSeq, attempts });
  }
  await handler.effects({ env, waitUntil: (p) => ctx.waitUntil(p), now: Date.now() }, event);
  await db.update(processedEvents).set({ done: true }).where(eq(processedEvents.eventId, event.id));
  return 'applied';
}

/** The failure the dead-letter consumer will record if this was the last attempt. */
async function recordFailure(db: Database, eventId: string, type: string, attempts: number, error: string): Promise<void> {
  const now = new Date();
  await db
    .insert(eventFailures)
    .values({ eventId, type, attempts, retried: 1, lastError: error.slice(0, 1000), updatedAt: now })
    .onConflictDoUpdate({
      target: eventFailures.eventId,
      set: { attempts, retried: sql`${eventFailures.retried} + 1`, lastError: error.slice(0, 1000), updatedAt: now },
    });
}
