import { auditLog } from '../../drizzle/schema';
import type { Database } from '../db/client';

export type AuditEntry = Pick<typeof auditLog.$inferInsert, 'actor' | 'action' | 'detail'>;

/** Records an operator action (who, what, when) in `audit_log`. */
export async function recordAudit(db: Database, entry: AuditEntry): Promise<void> {
  await auditStatement(db, entry);
}

/** The audit row as a statement, to run in the same D1 batch as the action it records. */
export function auditStatement(db: Database, entry: AuditEntry) {
  return db.insert(auditLog).values(entry);
}
