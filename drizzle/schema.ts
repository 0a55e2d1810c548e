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

export type TaskRow = typeof tasks.$inferSelect;
export type ActivityEventRow = typeof activityEvents.$inferSelect;
export type SectionName = (typeof SECTION_NAMES)[number];

/** A flag as D1 stores it (worker/flags/repository.ts maps it to the API shape). */
export type FeatureFlagRow = typeof featureFlags.$inferSelect;
