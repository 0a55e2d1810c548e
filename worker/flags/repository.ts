import { asc, desc, eq, like, sql } from 'drizzle-orm';
import { auditLog, type FeatureFlagRow, featureFlagRevision, featureFlags } from '../../drizzle/schema';
import type { Database } from '../db/client';
import type { Flag, FlagInput, FlagRule, FlagSnapshot } from './schema';

/** The audit action of every flag change; the dashboard's history lists these rows. */
export const FLAG_AUDIT_ACTION = 'flag.changed';
const REVISION_ID = 1;

export function toFlag(row: FeatureFlagRow): Flag {
  return {
    key: row.key,
    description: row.description,
    enabled: row.enabled,
    rollout: row.rollout,
    allow: row.allow,
    deny: row.deny,
    updatedAt: row.updatedAt.toISOString(),
    updatedBy: row.updatedBy,
  };
}

function toRule(row: FeatureFlagRow): FlagRule {
  return { key: row.key, enabled: row.enabled, rollout: row.rollout, allow: row.allow, deny: row.deny };
}

export async function listFlags(db: Database): Promise<Flag[]> {
  const rows = await db.select().from(featureFlags).orderBy(asc(featureFlags.key));
  return rows.map(toFlag);
}

export async function findFlag(db: Database, key: string): Promise<Flag | undefined> {
  const [row] = await db.select().from(featureFlags).where(eq(featureFlags.key, key));
  return row ? toFlag(row) : undefined;
}

/** The whole flag set and its version as D1 holds it now: what a KV snapshot is made of. */
export async function readSnapshot(db: Database): Promise<FlagSnapshot> {
  const [rows, revision] = await db.batch([snapshotRows(db), revisionRow(db)]);
  return { version: revision[0]?.version ?? 0, flags: rows.map(toRule) };
}

export interface FlagChange {
  key: string;
  actor: string;
  requestId: string;
  before: Flag | undefined;
}

export interface ChangeResult {
  flag: Flag | undefined;
  snapshot: FlagSnapshot;
}

/**
 * Creates or replaces a flag. One D1 batch, which D1 runs as one transaction: the row, the
 * raised version and the audit row commit together or not at all, and the snapshot read at the
 * end of the same batch sees exactly this change (https://developers.cloudflare.com/d1/worker-api/d1-database/#batch).
 */
export async function saveFlag(db: Database, change: FlagChange, input: FlagInput, now = new Date()): Promise<ChangeResult> {
  const values = { ...input, key: change.key, updatedAt: now, updatedBy: change.actor };
  const [, , , saved, rows, revision] = await db.batch([
    db.insert(featureFlags).values(values).onConflictDoUpdate({ target: featureFlags.key, set: values }),
    bumpRevision(db),
    db.insert(auditLog).values({
      actor: change.actor,
      action: FLAG_AUDIT_ACTION,
      detail: {
        key: change.key,
        change: change.before ? 'updated' : 'created',
        before: change.before ?? null,
        after: input,
        requestId: change.requestId,
      },
    }),
    db.select().from(featureFlags).where(eq(featureFlags.key, change.key)),
    snapshotRows(db),
    revisionRow(db),
  ]);
  const row = saved[0];
  return { flag: row ? toFlag(row) : undefined, snapshot: { version: revision[0]?.version ?? 0, flags: rows.map(toRule) } };
}

/** Deletes a flag, in one transaction with the raised version and the audit row (see saveFlag). */
export async function deleteFlag(db: Database, change: FlagChange & { before: Flag }): Promise<ChangeResult> {
  const [, , , rows, revision] = await db.batch([
    db.delete(featureFlags).where(eq(featureFlags.key, change.key)),
    bumpRevision(db),
    db.insert(auditLog).values({
      actor: change.actor,
      action: FLAG_AUDIT_ACTION,
      detail: { key: change.key, change: 'deleted', before: change.before, after: null, requestId: change.requestId },
    }),
    snapshotRows(db),
    revisionRow(db),
  ]);
  return { flag: undefined, snapshot: { version: revision[0]?.version ?? 0, flags: rows.map(toRule) } };
}

export interface FlagHistoryEntry {
  id: number;
  at: string;
  actor: string;
  key: string;
  change: string;
  summary: string;
}

/** The latest flag changes from the audit log, newest first: who changed what and when. */
export async function flagHistory(db: Database, limit = 20): Promise<FlagHistoryEntry[]> {
  const rows = await db.select().from(auditLog).where(like(auditLog.action, 'flag.%')).orderBy(desc(auditLog.id)).limit(limit);
  return rows.map((r) => {
    const detail = r.detail as { key?: string; change?: string; after?: Partial<FlagInput> | null };
    return {
      id: r.id,
      at: r.createdAt.toISOString(),
      actor: r.actor,
      key: String(detail.key ?? ''),
      change: String(detail.change ?? ''),
      summary: summarize(detail.after),
    };
  });
}

function summarize(after: Partial<FlagInput> | null | undefined): string {
  if (!after) return 'removed';
  const lists = [after.allow?.length ? `allow ${after.allow.length}` : '', after.deny?.length ? `deny ${after.deny.length}` : ''].filter(
    Boolean,
  );
  return [after.enabled ? 'enabled' : 'disabled', `rollout ${after.rollout ?? 0} %`, ...lists].join(', ');
}

function snapshotRows(db: Database) {
  return db.select().from(featureFlags).orderBy(asc(featureFlags.key));
}

function revisionRow(db: Database) {
  return db.select({ version: featureFlagRevision.version }).from(featureFlagRevision).where(eq(featureFlagRevision.id, REVISION_ID));
}

/**
 * version = max(version + 1, now in ms): always up, and still ahead of every earlier snapshot
 * after D1 is restored to an older point (isolates ignore a snapshot older than their own).
 */
function bumpRevision(db: Database) {
  const nowMs = sql`CAST(unixepoch('subsec') * 1000 AS INTEGER)`;
  return db
    .insert(featureFlagRevision)
    .values({ id: REVISION_ID, version: nowMs })
    .onConflictDoUpdate({ target: featureFlagRevision.id, set: { version: sql`max(${featureFlagRevision.version} + 1, ${nowMs})` } });
}
