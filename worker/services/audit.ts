import { auditLog } from '../../drizzle/schema';
import type { Database } from '../db/client';

export type AuditEntry = Pick<typeof auditLog.$inferInsert, 'actor' | 'action' | 'detail'>;

/** Records an operator action (who, what, when) in `audit_log`. */
export async function recordAudit(db: Database, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values(entry);
}
