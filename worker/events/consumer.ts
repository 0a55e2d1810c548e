import { and, eq, isNull, sql } from 'drizzle-orm';
import { eventCursors, eventFailures, eventOutbox, processedEvents } from '../../drizzle/schema';
import { createDb, type Database } from '../db/client';
import { errorMessage, log } from '../observability/log';
import { type DomainEvent, domainEventSchema } from './catalog';
import { claimedBy, handlerOf } from './handlers';
import { feedDeliveredIn } from './message';

/** Retry delays grow 2, 4, 8, 16, 32 … s up to this; Queues allows at most 12 h per message. */
export const MAX_BACKOFF_SECONDS = 300;
/** Deliveries an event waits for a missing predecessor before it is applied anyway (a skip). */
export const REORDER_WAITS = 3;
export const REORDER_DELAY_SECONDS = 2;

export function backoffSeconds(attempts: number): number {
  return Math.min(2 ** Math.max(1, attempts), MAX_BACKOFF_SECONDS);
}

export type Outcome = 'applied' | 'duplicate' | 'reordered' | 'failed';

/** What a delivery brings besides its event: Queues' attempt count and the producer's hint. */
interface Delivery {
  attempts: number;
  feedDelivered: boolean;
}

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
    const outcome = await apply(db, env, ctx, event, { attempts: message.attempts, feedDelivered: feedDeliveredIn(message.body) });
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

/**
 * Applies one event in one D1 batch (one transaction): the idempotency record, written only if
 * the event is in order or has waited out its reorder deliveries, and answered as it then stands
 * (this delivery's, or the one already there: the conflict on its key leaves it as it was); the
 * handler's once-only writes and the cursor's advance, each guarded by this delivery's claim; and
 * the outbox row stamped sent (any delivery proves the send). So an event costs the consumer one
 * round trip, and a second one only when it has effects to run.
 */
async function apply(db: Database, env: Env, ctx: ExecutionContext, event: DomainEvent, delivery: Delivery): Promise<Outcome> {
  const now = Date.now();
  const claim = crypto.randomUUID();
  const handler = handlerOf(event);
  const effects = handler.effects({ env, waitUntil: (p) => ctx.waitUntil(p), now, feedDelivered: delivery.feedDelivered }, event);
  const lastSeq = sql`(select ${eventCursors.lastSeq} from ${eventCursors} where ${eventCursors.userId} = ${event.userId})`;
  // 1 when a predecessor has not been applied yet; a user with no cursor yet (their first event
  // since events were introduced) starts wherever their first event is.
  const early = sql<number>`coalesce(${event.seq} > ${lastSeq} + 1, 0)`;
  const [[record]] = await db.batch([
    db
      .insert(processedEvents)
      .select(
        db
          .select({
            eventId: sql<string>`${event.id}`.as('event_id'),
            userId: sql<string>`${event.userId}`.as('user_id'),
            seq: sql<number>`${event.seq}`.as('seq'),
            type: sql<string>`${event.type}`.as('type'),
            occurredAt: sql<number>`${Date.parse(event.occurredAt)}`.as('occurred_at'),
            appliedAt: sql<number>`${now}`.as('applied_at'),
            attempts: sql<number>`${delivery.attempts}`.as('attempts'),
            claim: sql<string>`${claim}`.as('claim'),
            // Nothing to run after the commit: the record is complete as written.
            done: sql<number>`${effects ? 0 : 1}`.as('done'),
            skipped: early.as('skipped'),
          })
          .from(sql`(select 1)`)
          .where(sql`${delivery.attempts} > ${REORDER_WAITS} or not ${early}`),
      )
      // A no-op update rather than "do nothing", so that RETURNING answers the record already there.
      .onConflictDoUpdate({ target: processedEvents.eventId, set: { eventId: sql`excluded.event_id` } })
      .returning({ claim: processedEvents.claim, done: processedEvents.done, skipped: processedEvents.skipped }),
    ...handler.statements({ db, claim, now }, event),
    db
      .insert(eventCursors)
      .select(
        db
          .select({
            userId: sql<string>`${event.userId}`.as('user_id'),
            lastSeq: sql<number>`${event.seq}`.as('last_seq'),
            updatedAt: sql<number>`${now}`.as('updated_at'),
          })
          .from(sql`(select 1)`)
          .where(claimedBy(event, claim)),
      )
      .onConflictDoUpdate({
        target: eventCursors.userId,
        set: { lastSeq: sql`max(${eventCursors.lastSeq}, excluded.last_seq)`, updatedAt: new Date(now) },
      }),
    stampSent(db, event.id, now),
  ]);
  // No record: the event is early and may still wait for its predecessor (docs/events.md#ordering);
  // a record already there for an early delivery shows up once its reorder waits are over.
  if (!record) return 'reordered';
  const mine = record.claim === claim;
  // Another delivery applied it: done, or its effects are still to run (by this delivery if it has any).
  if (!mine && (record.done || !effects)) return 'duplicate';
  if (mine && record.skipped) {
    log.warn('event applied ahead of a missing predecessor', { eventId: event.id, seq: event.seq, attempts: delivery.attempts });
  }
  if (effects) {
    await effects();
    await db.update(processedEvents).set({ done: true }).where(eq(processedEvents.eventId, event.id));
  }
  return 'applied';
}

/** Stamps an event's outbox row sent, if it is not yet: a consumer received it, so the relay need not send it. */
function stampSent(db: Database, eventId: string, now: number) {
  return db
    .update(eventOutbox)
    .set({ sentAt: new Date(now) })
    .where(and(eq(eventOutbox.id, eventId), isNull(eventOutbox.sentAt)));
}

/** The failure the dead-letter consumer will record if this was the last attempt. */
async function recordFailure(db: Database, eventId: string, type: string, attempts: number, error: string): Promise<void> {
  const now = new Date();
  await db.batch([
    db
      .insert(eventFailures)
      .values({ eventId, type, attempts, retried: 1, lastError: error.slice(0, 1000), updatedAt: now })
      .onConflictDoUpdate({
        target: eventFailures.eventId,
        set: { attempts, retried: sql`${eventFailures.retried} + 1`, lastError: error.slice(0, 1000), updatedAt: now },
      }),
    // The message is in the queue and will be retried: the relay must not send it again.
    stampSent(db, eventId, now.getTime()),
  ]);
}
