import { z } from 'zod';
import type { ACTIVITY_TYPES } from '../schemas/activity-types';

/**
 * The domain event catalog: every event the worker publishes to the events queue, as one zod
 * schema each. The same schemas validate what a consumer receives, answer
 * `GET /api/v1/events/catalog` (as JSON Schema) and generate docs/events.md
 * (`npm run events:docs`; test/events/catalog.test.ts fails when that file is stale).
 *
 * Every event is an activity event of one user, so `userId` is the ordering key and `seq` (the
 * user's activity event id, 1, 2, 3 … with no gap) is the order (docs/events.md#ordering).
 */
/**
 * The task's title when the event was recorded, so a feed can name the task without looking it
 * up (it may be renamed or gone). Optional: messages from before it existed (a dead letter
 * replayed, the relay's backlog at the upgrade) lack it; migration 0003 filled the stored rows.
 */
const taskTitle = z.string().optional().describe("The task's title when the event was recorded.");

const taskChangePayload = z.object({
  taskId: z.string(),
  title: taskTitle,
  /** The fields the patch named. */
  changes: z.array(z.string()),
  /** task.snoozed: until when. */
  until: z.string().optional(),
});

const PAYLOADS = {
  'task.created': z.object({
    taskId: z.string(),
    title: z.string(),
    priority: z.enum(['low', 'normal', 'high']),
    dueAt: z.string().nullable(),
  }),
  'task.updated': taskChangePayload,
  'task.completed': taskChangePayload,
  'task.reopened': taskChangePayload,
  'task.snoozed': taskChangePayload,
  'task.deleted': z.object({ taskId: z.string(), title: taskTitle }),
  'preferences.updated': z.object({ fields: z.array(z.string()), by: z.string() }),
  'user.registered': z.object({
    displayName: z.string(),
    email: z.string().nullable(),
    timeZone: z.string(),
    locale: z.string(),
  }),
} satisfies Record<(typeof ACTIVITY_TYPES)[number], z.ZodType>;

export type EventType = keyof typeof PAYLOADS;
export const EVENT_TYPES = Object.keys(PAYLOADS) as EventType[];
/** Raised when a payload changes incompatibly; consumers refuse a version they do not know. */
export const EVENT_VERSION = 1;

/** Who writes each event and what consumes it (worker/events/handlers.ts), for docs/events.md and the catalog. */
export const EVENT_ROLES: Record<EventType, { producer: string; consumers: string[] }> = (() => {
  const task = (route: string) => ({
    producer: route,
    consumers: ['feed fan-out', 'personal-fragment refresh', 'daily counters (activeUsersToday)'],
  });
  return {
    'task.created': task('POST /api/v1/tasks; the onboarding consumer of user.registered'),
    'task.updated': task('PATCH /api/v1/tasks/{id} (a change of title, priority or due date)'),
    'task.completed': {
      producer: 'PATCH /api/v1/tasks/{id} with status "done"',
      consumers: ['feed fan-out', 'personal-fragment refresh', 'daily counters (tasksCompletedToday, activeUsersToday)'],
    },
    'task.reopened': task('PATCH /api/v1/tasks/{id} with status "open"'),
    'task.snoozed': task('PATCH /api/v1/tasks/{id} with snoozedUntil'),
    'task.deleted': task('DELETE /api/v1/tasks/{id}'),
    'preferences.updated': task('PATCH /api/v1/users/{userId}/preferences'),
    'user.registered': {
      producer: 'POST /api/v1/users (admin)',
      consumers: [
        'onboarding task "Set up your page"',
        'feed fan-out',
        'personal-fragment refresh',
        'audit record',
        'daily counters (activeUsersToday)',
      ],
    },
  };
})();

function envelope<T extends EventType>(type: T) {
  return z
    .object({
      /** `<userId>:<seq>`; a consumer applies an id once (processed_events). */
      id: z.string().min(3),
      type: z.literal(type),
      version: z.literal(EVENT_VERSION),
      occurredAt: z.iso.datetime(),
      userId: z.string().min(1),
      seq: z.number().int().positive(),
      payload: PAYLOADS[type] as (typeof PAYLOADS)[T],
    })
    .meta({ title: type, description: `${type} v${EVENT_VERSION}. Produced by ${EVENT_ROLES[type].producer}.` });
}

const SCHEMAS = Object.fromEntries(EVENT_TYPES.map((type) => [type, envelope(type)])) as {
  [T in EventType]: ReturnType<typeof envelope<T>>;
};

export const domainEventSchema = z.discriminatedUnion(
  'type',
  EVENT_TYPES.map((type) => SCHEMAS[type]) as unknown as [ReturnType<typeof envelope<'task.created'>>, ...ReturnType<typeof envelope>[]],
);

export type DomainEvent = { [T in EventType]: z.infer<(typeof SCHEMAS)[T]> }[EventType];

export function eventSchemaOf(type: EventType) {
  return SCHEMAS[type];
}

export interface CatalogEntry {
  type: EventType;
  version: number;
  producer: string;
  consumers: string[];
  schema: Record<string, unknown>;
}

/** The catalog as JSON Schema (draft 2020-12), in EVENT_TYPES order. */
export function eventCatalog(): CatalogEntry[] {
  return EVENT_TYPES.map((type) => ({
    type,
    version: EVENT_VERSION,
    ...EVENT_ROLES[type],
    schema: z.toJSONSchema(SCHEMAS[type]) as Record<string, unknown>,
  }));
}
