/**
 * Foyer's data model. D1 (SQLite) is the source of truth; KV and the Durable Objects only
 * hold copies. Timestamps are integer epoch milliseconds so range predicates stay indexable.
 *
 * Every index below exists for a query the intro page or an API route runs;
 * test/db/query-plans.test.ts proves with EXPLAIN QUERY PLAN that none scans a whole table.
 */
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const ROLES = ['user', 'admin'] as const;
export const TASK_STATUSES = ['open', 'done'] as const;
export const TASK_PRIORITIES = ['low', 'normal', 'high'] as const;
export const THEMES = ['light', 'dark', 'system'] as const;
export const SECTION_NAMES = ['userStatistics', 'systemOverview', 'actionableItems', 'activityFeed', 'personalization'] as const;

const createdAt = () => integer('created_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`);

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email').notNull().unique(),
  role: text('role', { enum: ROLES }).notNull().default('user'),
  timeZone: text('time_zone').notNull().default('UTC'),
  createdAt: createdAt(),
});

export const tasks = sqliteTable(
  'tasks',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    status: text('status', { enum: TASK_STATUSES }).notNull().default('open'),
    priority: text('priority', { enum: TASK_PRIORITIES }).notNull().default('normal'),
    dueAt: integer('due_at', { mode: 'timestamp_ms' }),
    snoozedUntil: integer('snoozed_until', { mode: 'timestamp_ms' }),
    completedAt: integer('completed_at', { mode: 'timestamp_ms' }),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
  },
  (t) => [
    // Task list, open counts, overdue and actionable items: owner + status, then due date.
    index('tasks_owner_status_due_idx').on(t.ownerId, t.status, t.dueAt),
    // Completions this week and the streak: owner + status, then completion time.
    index('tasks_owner_status_completed_idx').on(t.ownerId, t.status, t.completedAt),
    // System overview: tasks completed today across everyone.
    index('tasks_completed_idx').on(t.completedAt),
  ],
);

export const activityEvents = sqliteTable(
  'activity_events',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    // Per-user sequence: 1, 2, 3 … with no gaps, allocated inside the writing batch.
    id: integer('id').notNull(),
    type: text('type').notNull(),
    payload: text('payload', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.id] }),
    // System overview: distinct users active today.
    index('activity_events_created_user_idx').on(t.createdAt, t.userId),
  ],
);

export const preferences = sqliteTable('preferences', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  theme: text('theme', { enum: THEMES }).notNull().default('system'),
  hiddenSections: text('hidden_sections', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
  sectionOrder: text('section_order', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
  locale: text('locale').notNull().default('en-US'),
  timeZone: text('time_zone'),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
});

export const announcements = sqliteTable(
  'announcements',
  {
    id: text('id').primaryKey(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    severity: text('severity', { enum: ['info', 'warning', 'critical'] })
      .notNull()
      .default('info'),
    startsAt: integer('starts_at', { mode: 'timestamp_ms' }).notNull(),
    endsAt: integer('ends_at', { mode: 'timestamp_ms' }),
    createdAt: createdAt(),
  },
  (t) => [index('announcements_starts_idx').on(t.startsAt)],
);

/** Who did what to the system: cache purges and warms, and other operator actions. */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('audit_log_created_idx').on(t.createdAt)],
);

/**
 * Feature flags: the source of truth (worker/flags/). Isolates never read this per request; they
 * evaluate from the snapshot published to KV after every change (docs/architecture.md#feature-flags).
 */
export const featureFlags = sqliteTable('feature_flags', {
  key: text('key').primaryKey(),
  description: text('description').notNull().default(''),
  enabled: integer('enabled', { mode: 'boolean' }).notNull().default(false),
  /** Percentage of users on, 0–100, by a stable hash of (key, user id). */
  rollout: integer('rollout').notNull().default(0),
  allow: text('allow', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
  deny: text('deny', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
  updatedBy: text('updated_by').notNull(),
});

/**
 * One row (id 1): the version of the flag set, raised in the same batch as every flag change,
 * so a snapshot's version orders it against every other snapshot whichever isolate wrote it.
 */
export const featureFlagRevision = sqliteTable('feature_flag_revision', {
  id: integer('id').primaryKey(),
  version: integer('version').notNull(),
});

/** One row per migration run of `npm run migrate`, written after verification. */
export const migrationAudit = sqliteTable('migration_audit', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  migration: text('migration').notNull(),
  environment: text('environment').notNull(),
  actor: text('actor').notNull(),
  bookmark: text('bookmark'),
  result: text('result', { enum: ['applied', 'failed', 'noop'] }).notNull(),
  detail: text('detail'),
  createdAt: createdAt(),
});

/**
 * The transactional outbox of domain events (worker/events/, docs/events.md). A row is written in
 * the same D1 batch as the change and its activity event, so both commit or neither does; the
 * worker sends it to the events queue after the commit and stamps `sent_at`; the relay (a Cron
 * Trigger) re-sends rows still unsent after 30 s and prunes sent ones after a day.
 */
export const eventOutbox = sqliteTable(
  'event_outbox',
  {
    /** `<userId>:<seq>`: the event id, unique per user stream and stable across re-sends. */
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    /** The user's activity event id: the per-user order consumers apply events in. */
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    version: integer('version').notNull(),
    payload: text('payload', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    occurredAt: integer('occurred_at', { mode: 'timestamp_ms' }).notNull(),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
    /** How many times the relay sent it again (0 when the after-commit send worked). */
    relayed: integer('relayed').notNull().default(0),
  },
  (t) => [
    // The relay's scan: unsent rows, oldest first (a partial index, so it stays as small as the backlog).
    index('event_outbox_unsent_idx').on(t.occurredAt).where(sql`sent_at is null`),
    // Pruning and the published figures: sent rows by time.
    index('event_outbox_sent_idx').on(t.sentAt),
  ],
);

/** One row per event a consumer applied: the durable idempotency record (kept 14 days, past the queue's retention). */
export const processedEvents = sqliteTable(
  'processed_events',
  {
    eventId: text('event_id').primaryKey(),
    userId: text('user_id').notNull(),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    occurredAt: integer('occurred_at', { mode: 'timestamp_ms' }).notNull(),
    appliedAt: integer('applied_at', { mode: 'timestamp_ms' }).notNull(),
    /** The delivery attempt that applied it (1 = first delivery). */
    attempts: integer('attempts').notNull(),
    /** A random token of the delivery that wrote this row: the batch's other statements apply only under it. */
    claim: text('claim').notNull(),
    /** True once the effects outside D1 (feed, cache) ran; a redelivery before that runs them again. */
    done: integer('done', { mode: 'boolean' }).notNull().default(false),
    /** True when it was applied ahead of a missing predecessor (skip detection, docs/events.md#ordering). */
    skipped: integer('skipped', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [index('processed_events_applied_idx').on(t.appliedAt)],
);

/** The highest event sequence applied per user: how a consumer sees that an event arrived early. */
export const eventCursors = sqliteTable('event_cursors', {
  userId: text('user_id').primaryKey(),
  lastSeq: integer('last_seq').notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

/** The last failure of an event a consumer could not apply: attempts and error, for retries and the dead-letter record. */
export const eventFailures = sqliteTable('event_failures', {
  eventId: text('event_id').primaryKey(),
  type: text('type').notNull(),
  attempts: integer('attempts').notNull(),
  retried: integer('retried').notNull().default(0),
  lastError: text('last_error').notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

/** Events the queue gave up on (after max_retries), as the dead-letter consumer recorded them. */
export const deadLetters = sqliteTable(
  'dead_letters',
  {
    eventId: text('event_id').primaryKey(),
    userId: text('user_id').notNull(),
    type: text('type').notNull(),
    /** The message body as it arrived, so a replay sends exactly that. */
    body: text('body', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    error: text('error').notNull(),
    attempts: integer('attempts').notNull(),
    deadLetteredAt: integer('dead_lettered_at', { mode: 'timestamp_ms' }).notNull(),
    replayedAt: integer('replayed_at', { mode: 'timestamp_ms' }),
    replayedBy: text('replayed_by'),
  },
  (t) => [index('dead_letters_dead_lettered_idx').on(t.deadLetteredAt)],
);

/** Counters a consumer keeps incrementally per UTC day (tasksCompletedToday, activeUsersToday). */
export const dailyCounters = sqliteTable(
  'daily_counters',
  {
    day: text('day').notNull(),
    name: text('name').notNull(),
    value: integer('value').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.day, t.name] })],
);

/** Who was active on a UTC day, so activeUsersToday counts each user once. */
export const dailyActiveUsers = sqliteTable(
  'daily_active_users',
  {
    day: text('day').notNull(),
    userId: text('user_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.userId] })],
);

export type TaskRow = typeof tasks.$inferSelect;
export type ActivityEventRow = typeof activityEvents.$inferSelect;
export type OutboxRow = typeof eventOutbox.$inferSelect;
export type DeadLetterRow = typeof deadLetters.$inferSelect;
export type SectionName = (typeof SECTION_NAMES)[number];

/** A flag as D1 stores it (worker/flags/repository.ts maps it to the API shape). */
export type FeatureFlagRow = typeof featureFlags.$inferSelect;
