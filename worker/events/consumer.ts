import { and, eq, isNull, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { eventCursors, eventFailures, eventOutbox, processedEvents } from '../../drizzle/schema';
import { createDb, type Database } from '../db/client';
import { errorMessage, log } from '../observability/log';
import { type DomainEvent, domainEventSchema } from './catalog';
import { claimedBy, type Effects, handlerOf } from './handlers';
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
 * The events queue's consumer. Every valid event of a batch is applied in ONE D1 batch (one
 * transaction, one round trip; a user's events in the order they arrived, so each one's reorder
 * check sees its predecessor applied), then each event's effects run, a user's one after another
 * and different users' at the same time. Across batches the per-user sequence decides the order
 * (docs/events.md#ordering). If that shared batch fails, nothing of it was written, and the events
 * are applied one by one as below, so a poison message costs only itself a retry; after
 * `max_retries` Queues moves it to the dead-letter queue.
 */
export async function consumeEvents(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  const db = createDb(env.DB);
  const parsed = batch.messages.map((message) => ({ message, event: eventIn(message) }));
  const valid = parsed.filter((p): p is Received => p.event !== undefined);
  if (valid.length > 1 && (await applyTogether(db, env, ctx, valid))) {
    await Promise.all(parsed.filter((p) => p.event === undefined).map((p) => consumeMessage(db, env, ctx, p.message)));
    return;
  }
  await consumeOneByOne(db, env, ctx, batch.messages);
}

interface Received {
  message: Message<unknown>;
  event: DomainEvent;
}

function eventIn(message: Message<unknown>): DomainEvent | undefined {
  const parsed = domainEventSchema.safeParse(message.body);
  return parsed.success ? (parsed.data as DomainEvent) : undefined;
}

/** Messages grouped by user, in arrival order within each group. */
function byUser<T extends { message: Message<unknown> }>(items: T[]): T[][] {
  const streams = new Map<string, T[]>();
  for (const item of items) {
    const userId = (item.message.body as { userId?: unknown } | null)?.userId;
    const key = typeof userId === 'string' ? userId : '';
    streams.set(key, [...(streams.get(key) ?? []), item]);
  }
  return [...streams.values()];
}

/**
 * The batch one message at a time: one user's messages one after another, in the order they
 * arrived, different users' at the same time (their effects are independent), so a batch costs
 * about its longest user stream, not the sum of its messages. Each message is acked or retried on
 * its own.
 */
async function consumeOneByOne(db: Database, env: Env, ctx: ExecutionContext, messages: readonly Message<unknown>[]): Promise<void> {
  await Promise.all(
    byUser(messages.map((message) => ({ message }))).map(async (stream) => {
      for (const { message } of stream) await consumeMessage(db, env, ctx, message);
    }),
  );
}

/**
 * Applies every event of the batch in one D1 batch, then runs the effects and marks them done (one
 * more batch for all of them). Answers false when the shared batch failed: nothing of it was
 * written and no message was acked or retried, so the caller applies them one by one.
 */
async function applyTogether(db: Database, env: Env, ctx: ExecutionContext, received: Received[]): Promise<boolean> {
  const now = Date.now();
  const prepared = received.map(({ message, event }) => ({
    message,
    event,
    ...prepareApply(db, env, ctx, event, { attempts: message.attempts, feedDelivered: feedDeliveredIn(message.body) }, now),
  }));
  const statements = prepared.flatMap((p) => p.statements);
  let results: unknown[];
  try {
    results = await db.batch(nonEmpty(statements));
  } catch (err) {
    log.warn('event batch failed as a whole; applying its events one by one', { events: received.length, error: errorMessage(err) });
    return false;
  }
  const claims = new Set<string>();
  const toFinish: (typeof prepared)[number][] = [];
  let at = 0;
  for (const item of prepared) {
    const [record] = results[at] as AppliedRecord[];
    at += item.statements.length;
    // A second copy of an event in the same batch meets the record its first copy just wrote.
    const outcome =
      record && claims.has(record.claim) ? 'duplicate' : outcomeOf(item.event, record, item.claim, item.effects, item.message.attempts);
    claims.add(item.claim);
    if (outcome === 'reordered') item.message.retry({ delaySeconds: REORDER_DELAY_SECONDS });
    else if (outcome === 'effects') toFinish.push(item);
    else item.message.ack();
  }
  if (toFinish.length === 0) return true;
  const finished: typeof toFinish = [];
  await Promise.all(
    byUser(toFinish).map(async (stream) => {
      for (const item of stream) {
        try {
          await item.effects!();
          finished.push(item);
        } catch (err) {
          await retryLater(db, item.message, item.event.id, item.event.type, err);
        }
      }
    }),
  );
  if (finished.length === 0) return true;
  try {
    await db.batch(nonEmpty(finished.map((item): BatchItem<'sqlite'> => markDone(db, item.event.id))));
    for (const item of finished) item.message.ack();
  } catch (err) {
    // The effects ran; the records still say not done, so a redelivery runs them again (idempotent).
    for (const item of finished) await retryLater(db, item.message, item.event.id, item.event.type, err);
  }
  return true;
}

async function consumeMessage(db: Database, env: Env, ctx: ExecutionContext, message: Message<unknown>): Promise<Outcome> {
  const event = eventIn(message);
  // The dead-letter consumer finds the failure by the id in the body, as it finds everything else.
  const bodyId = (message.body as { id?: unknown } | null)?.id;
  const eventId = event?.id ?? (typeof bodyId === 'string' ? bodyId : message.id);
  try {
    if (!event) {
      const issue = domainEventSchema.safeParse(message.body).error?.issues[0]?.message ?? 'invalid';
      throw new Error(`Not a known event (version or shape): ${issue}`);
    }
    const outcome = await apply(db, env, ctx, event, { attempts: message.attempts, feedDelivered: feedDeliveredIn(message.body) });
    if (outcome === 'reordered') message.retry({ delaySeconds: REORDER_DELAY_SECONDS });
    else message.ack();
    return outcome;
  } catch (err) {
    await retryLater(db, message, eventId, event?.type ?? String((message.body as { type?: unknown } | null)?.type ?? 'unknown'), err);
    return 'failed';
  }
}

/** A failed delivery: logged, recorded for the dead-letter view, and retried with backoff. */
async function retryLater(db: Database, message: Message<unknown>, eventId: string, type: string, err: unknown): Promise<void> {
  const delaySeconds = backoffSeconds(message.attempts);
  log.warn('event consumer failed; retrying', { eventId, type, attempts: message.attempts, delaySeconds, error: errorMessage(err) });
  await recordFailure(db, eventId, type, message.attempts, errorMessage(err)).catch(() => {});
  message.retry({ delaySeconds });
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
  const { statements, claim, effects } = prepareApply(db, env, ctx, event, delivery, Date.now());
  const [[record]] = (await db.batch(nonEmpty(statements))) as [AppliedRecord[], ...unknown[]];
  const outcome = outcomeOf(event, record, claim, effects, delivery.attempts);
  if (outcome !== 'effects') return outcome;
  await effects!();
  await markDone(db, event.id);
  return 'applied';
}

/** The idempotency record as the apply batch's first statement answers it (RETURNING). */
interface AppliedRecord {
  claim: string;
  done: boolean;
  skipped: boolean;
}

/**
 * One event's statements (its first answers the idempotency record), the delivery's claim, and
 * the effects to run after their commit.
 */
function prepareApply(db: Database, env: Env, ctx: ExecutionContext, event: DomainEvent, delivery: Delivery, now: number) {
  const claim = crypto.randomUUID();
  const handler = handlerOf(event);
  const effects = handler.effects({ env, waitUntil: (p) => ctx.waitUntil(p), now, feedDelivered: delivery.feedDelivered }, event);
  const lastSeq = sql`(select ${eventCursors.lastSeq} from ${eventCursors} where ${eventCursors.userId} = ${event.userId})`;
  // 1 when a predecessor has not been applied yet; a user with no cursor yet (their first event
  // since events were introduced) starts wherever their first event is.
  const early = sql<number>`coalesce(${event.seq} > ${lastSeq} + 1, 0)`;
  const statements: BatchItem<'sqlite'>[] = [
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
  ];
  return { statements, claim, effects };
}

/**
 * What the committed apply batch means for this delivery. No record: the event is early and may
 * still wait for its predecessor (docs/events.md#ordering); a record already there for an early
 * delivery shows up once its reorder waits are over. Another delivery's record: done, or its
 * effects are still to run (by this delivery if it has any).
 */
function outcomeOf(
  event: DomainEvent,
  record: AppliedRecord | undefined,
  claim: string,
  effects: Effects | undefined,
  attempts: number,
): 'reordered' | 'duplicate' | 'applied' | 'effects' {
  if (!record) return 'reordered';
  const mine = record.claim === claim;
  if (!mine && (record.done || !effects)) return 'duplicate';
  if (mine && record.skipped) log.warn('event applied ahead of a missing predecessor', { eventId: event.id, seq: event.seq, attempts });
  return effects ? 'effects' : 'applied';
}

/** drizzle's batch wants a non-empty tuple; every caller here has at least one statement. */
function nonEmpty(items: BatchItem<'sqlite'>[]): [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]] {
  return items as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]];
}

/** The record's effects have run. */
function markDone(db: Database, eventId: string) {
  return db.update(processedEvents).set({ done: true }).where(eq(processedEvents.eventId, eventId));
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
