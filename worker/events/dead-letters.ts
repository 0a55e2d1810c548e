import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import { type DeadLetterRow, deadLetters, eventFailures } from '../../drizzle/schema';
import type { Database } from '../db/client';
import { errorMessage, log } from '../observability/log';
import { auditStatement } from '../services/audit';

/** How a queue name says it is a dead-letter queue (wrangler.toml names them foyer-events-dlq-<env>). */
export const isDeadLetterQueue = (queue: string) => queue.includes('-dlq');

/**
 * The dead-letter queue's consumer: records each message in D1 with the last error and the
 * attempts the events consumer saw (event_failures), then acks it. A message dead-lettered again
 * after a replay updates its row and becomes replayable again.
 */
export async function recordDeadLetters(db: Database, batch: MessageBatch<unknown>): Promise<void> {
  for (const message of batch.messages) {
    const body = (message.body && typeof message.body === 'object' ? message.body : { value: message.body }) as Record<string, unknown>;
    const eventId = typeof body.id === 'string' ? body.id : message.id;
    const [failure] = await db.select().from(eventFailures).where(eq(eventFailures.eventId, eventId));
    const row = {
      eventId,
      userId: typeof body.userId === 'string' ? body.userId : 'unknown',
      type: typeof body.type === 'string' ? body.type : 'unknown',
      body,
      error: failure?.lastError ?? 'No failure was recorded (the consumer could not reach D1).',
      attempts: failure?.attempts ?? 0,
      deadLetteredAt: new Date(),
      replayedAt: null,
      replayedBy: null,
    };
    await db
      .insert(deadLetters)
      .values(row)
      .onConflictDoUpdate({
        target: deadLetters.eventId,
        set: { error: row.error, attempts: row.attempts, deadLetteredAt: row.deadLetteredAt, body, replayedAt: null, replayedBy: null },
      });
    log.error('event dead-lettered', { eventId, type: row.type, attempts: row.attempts, error: row.error });
    message.ack();
  }
}

export const DEAD_LETTER_PAGE = 100;

export async function listDeadLetters(db: Database, limit = DEAD_LETTER_PAGE): Promise<DeadLetterRow[]> {
  return db.select().from(deadLetters).orderBy(desc(deadLetters.deadLetteredAt)).limit(limit);
}

export interface ReplayResult {
  replayed: string[];
  /** Asked for but not replayable: unknown, or already replayed and not dead-lettered since. */
  skipped: string[];
  /**
   * False when the events were sent but their replayed stamp and the audit row could not be
   * written: the replay happened, and replaying again sends them again (applied once anyway).
   */
  recorded: boolean;
}

/**
 * Re-enqueues dead letters that have not been replayed since they were dead-lettered (all of
 * them, or the given ids), then stamps them replayed and audits the replay in one D1 batch.
 * Replaying twice does no harm: the second call finds them replayed, and the consumer applies
 * an event id once anyway. Once the send succeeded the answer says what was sent, even if the
 * record of it failed: a 503 would tell the operator nothing happened.
 */
export async function replayDeadLetters(env: Env, db: Database, actor: string, ids?: string[]): Promise<ReplayResult> {
  const rows = await db
    .select()
    .from(deadLetters)
    .where(and(isNull(deadLetters.replayedAt), ids ? inArray(deadLetters.eventId, ids) : undefined))
    .limit(DEAD_LETTER_PAGE);
  const replayed = rows.map((r) => r.eventId);
  const skipped = (ids ?? []).filter((id) => !replayed.includes(id));
  if (rows.length) await env.EVENTS.sendBatch(rows.map((r) => ({ body: r.body, contentType: 'json' as const })));
  const audit = auditStatement(db, { actor, action: 'events.dead-letters.replay', detail: { replayed, skipped } });
  const recorded = await (replayed.length
    ? db.batch([
        db.update(deadLetters).set({ replayedAt: new Date(), replayedBy: actor }).where(inArray(deadLetters.eventId, replayed)),
        // A fresh count of attempts for the replayed run.
        db.delete(eventFailures).where(inArray(eventFailures.eventId, replayed)),
        audit,
      ])
    : audit
  ).then(
    () => true,
    (error: unknown) => {
      if (!replayed.length) throw error;
      log.error('dead-letter replay sent but not recorded', { replayed, error: errorMessage(error) });
      return false;
    },
  );
  return { replayed, skipped, recorded };
}
