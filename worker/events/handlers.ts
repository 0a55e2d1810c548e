import { sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { auditLog, dailyActiveUsers, dailyCounters, processedEvents, tasks } from '../../drizzle/schema';
import { fragmentCache } from '../cache';
import type { Database } from '../db/client';
import { createDb } from '../db/client';
import { handOffToFeed } from '../feed/hand-off';
import { appendEvent } from '../services/activity';
import type { DomainEvent, EventType } from './catalog';
import { outboxStatement, rowToDomainEvent, unsentRowsOf } from './outbox';
import { publishEvents } from './publish';

/** The onboarding task a `user.registered` consumer gives every new user. */
export const ONBOARDING_TASK_TITLE = 'Set up your page';
export const onboardingTaskId = (userId: string) => `onboarding-${userId}`;

export interface ApplyContext {
  db: Database;
  /** The delivery's claim token: a statement applies only if this delivery wrote the idempotency record. */
  claim: string;
  now: number;
}

export interface EffectContext {
  env: Env;
  waitUntil: (promise: Promise<unknown>) => void;
  now: number;
  /** The producer handed the event to the user's feed object itself (worker/events/message.ts). */
  feedDelivered: boolean;
}

/** The work outside D1 one delivery must do after its commit. */
export type Effects = () => Promise<void>;

/** Events younger than this had their writer's own write-through; older ones are refreshed here. */
export const WRITE_THROUGH_WINDOW_MS = 5_000;

/**
 * One handler per event type. `statements` are D1 writes that must happen once: they run in the
 * same batch (one transaction) as the idempotency record, each guarded by this delivery's claim,
 * so a redelivery, or two deliveries racing, apply them at most once. `effects` answers the work
 * outside D1 (the feed object, the fragment cache) this delivery must do, or undefined when there
 * is none; it is idempotent and runs after that commit, again on a redelivery until one run
 * finishes. Deciding before the commit lets the idempotency record be written already done when
 * there is nothing to run, which saves the consumer a second D1 write.
 */
export interface EventHandler<E extends DomainEvent = DomainEvent> {
  statements(ctx: ApplyContext, event: E): BatchItem<'sqlite'>[];
  effects(ctx: EffectContext, event: E): Effects | undefined;
}

type HandlerOf<T extends EventType> = EventHandler<Extract<DomainEvent, { type: T }>>;

/** `exists (this delivery's idempotency record)`: the guard of every once-only statement. */
export function claimedBy(event: DomainEvent, claim: string) {
  return sql`exists (select 1 from ${processedEvents} where ${processedEvents.eventId} = ${event.id} and ${processedEvents.claim} = ${claim})`;
}

const claimed = (ctx: ApplyContext, event: DomainEvent) => claimedBy(event, ctx.claim);

const dayOf = (event: DomainEvent) => event.occurredAt.slice(0, 10);

function bumpCounter(ctx: ApplyContext, event: DomainEvent, name: string, guard = claimed(ctx, event)) {
  return ctx.db
    .insert(dailyCounters)
    .select(
      ctx.db
        .select({ day: sql<string>`${dayOf(event)}`.as('day'), name: sql<string>`${name}`.as('name'), value: sql<number>`1`.as('value') })
        .from(sql`(select 1)`)
        .where(guard),
    )
    .onConflictDoUpdate({ target: [dailyCounters.day, dailyCounters.name], set: { value: sql`${dailyCounters.value} + 1` } });
}

/** activeUsersToday: the user's first event of the day adds one (changes() of the insert just before). */
function activeUser(ctx: ApplyContext, event: DomainEvent): BatchItem<'sqlite'>[] {
  return [
    ctx.db
      .insert(dailyActiveUsers)
      .select(
        ctx.db
          .select({ day: sql<string>`${dayOf(event)}`.as('day'), userId: sql<string>`${event.userId}`.as('user_id') })
          .from(sql`(select 1)`)
          .where(claimed(ctx, event)),
      )
      .onConflictDoNothing(),
    bumpCounter(ctx, event, 'activeUsersToday', sql`changes() > 0`),
  ];
}

/**
 * The effects every event of a user may need: the feed fan-out, unless the producer's own
 * hand-off reached the object (the message says so), and the refresh of their cached bundle when
 * the event is late. Undefined when neither is needed: the common case of a fresh event whose
 * request did both.
 */
function userEffects(ctx: EffectContext, event: DomainEvent): Effects | undefined {
  const handOff = !ctx.feedDelivered;
  // A fresh event's request already wrote the bundle through (FragmentCache.afterWrite);
  // a second compute per write would double the write path's D1 work. A late event (relayed,
  // retried, replayed) may have lost that write-through with its isolate, so it refreshes.
  const refresh = ctx.now - Date.parse(event.occurredAt) > WRITE_THROUGH_WINDOW_MS || event.type === 'user.registered';
  if (!handOff && !refresh) return undefined;
  return async () => {
    // The feed keeps an id it already has once (ActivityFeed.publish ignores id <= head), so this
    // repeats a direct hand-off harmlessly and covers it when that one was lost.
    if (handOff) {
      await handOffToFeed(ctx.env, event.userId, {
        id: event.seq,
        type: event.type,
        payload: event.payload as Record<string, unknown>,
        createdAt: event.occurredAt,
      });
    }
    if (refresh) await fragmentCache.refreshPersonal({ env: ctx.env, waitUntil: ctx.waitUntil }, event.userId, event.seq);
  };
}

const userActivity: EventHandler = {
  statements: (ctx, event) => activeUser(ctx, event),
  effects: userEffects,
};

const taskCompleted: HandlerOf<'task.completed'> = {
  statements: (ctx, event) => [...activeUser(ctx, event), bumpCounter(ctx, event, 'tasksCompletedToday')],
  effects: userEffects,
};

/**
 * A new user: their onboarding task, recorded like any task (activity event and outbox row in the
 * same batch, so its own task.created event follows through the queue), and an audit record.
 * The task's id is derived from the user, so even a replay after the idempotency record was
 * pruned cannot give a user two.
 */
const userRegistered: HandlerOf<'user.registered'> = {
  statements: (ctx, event) => [
    ctx.db.insert(auditLog).select(
      ctx.db
        .select({
          // drizzle's insert … select names every column; a null rowid makes SQLite allocate the next one.
          id: sql<number>`null`.as('id'),
          actor: sql<string>`'events'`.as('actor'),
          action: sql<string>`'user.registered'`.as('action'),
          detail: sql<string>`${JSON.stringify({ eventId: event.id, userId: event.userId, displayName: event.payload.displayName })}`.as(
            'detail',
          ),
          createdAt: sql<number>`${ctx.now}`.as('created_at'),
        })
        .from(sql`(select 1)`)
        .where(claimed(ctx, event)),
    ),
    ctx.db
      .insert(tasks)
      .select(
        ctx.db
          .select({
            id: sql<string>`${onboardingTaskId(event.userId)}`.as('id'),
            ownerId: sql<string>`${event.userId}`.as('owner_id'),
            title: sql<string>`${ONBOARDING_TASK_TITLE}`.as('title'),
            status: sql<string>`'open'`.as('status'),
            priority: sql<string>`'high'`.as('priority'),
            dueAt: sql<null>`null`.as('due_at'),
            snoozedUntil: sql<null>`null`.as('snoozed_until'),
            completedAt: sql<null>`null`.as('completed_at'),
            createdAt: sql<number>`${ctx.now}`.as('created_at'),
            updatedAt: sql<number>`${ctx.now}`.as('updated_at'),
          })
          .from(sql`(select 1)`)
          .where(claimed(ctx, event)),
      )
      .onConflictDoNothing(),
    appendEvent(
      ctx.db,
      event.userId,
      'task.created',
      { taskId: onboardingTaskId(event.userId), title: ONBOARDING_TASK_TITLE, priority: 'high', dueAt: null },
      { whenPreviousChanged: true, now: ctx.now },
    ),
    outboxStatement(ctx.db, event.userId),
    ...activeUser(ctx, event),
  ],
  effects: (ctx, event) => {
    const user = userEffects(ctx, event);
    return async () => {
      await user?.();
      // The onboarding task's own event goes out now rather than at the relay's next run.
      const rows = await unsentRowsOf(createDb(ctx.env.DB), event.userId);
      await publishEvents(ctx.env, rows.map(rowToDomainEvent));
    };
  },
};

export const HANDLERS: { [T in EventType]: HandlerOf<T> } = {
  'task.created': userActivity,
  'task.updated': userActivity,
  'task.completed': taskCompleted,
  'task.reopened': userActivity,
  'task.snoozed': userActivity,
  'task.deleted': userActivity,
  'preferences.updated': userActivity,
  'user.registered': userRegistered,
};

export function handlerOf(event: DomainEvent): EventHandler {
  return HANDLERS[event.type] as EventHandler;
}
