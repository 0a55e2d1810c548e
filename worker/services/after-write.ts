import type { Context } from 'hono';
import type { AppEnv } from '../app-env';
import { fragmentCache, type WriteThrough } from '../cache';
import type { Database } from '../db/client';
import { primaryDb } from '../db/sessions';
import type { EventMessage } from '../events/message';
import { toDomainEvent } from '../events/outbox';
import { sendEvents } from '../events/publish';
import { handOffToFeed } from '../feed/hand-off';
import { setVersionToken } from '../http/version-token';
import { errorMessage, log } from '../observability/log';
import type { ActivityEvent, ActivityType } from '../schemas/activity-event';
import { withTimeout } from '../time-limit';
import type { Change } from './tasks';

/**
 * How long the send to the queue waits for the direct feed hand-off before it goes without the
 * "delivered" hint (the consumer then hands the event over again; the object ignores an id it has).
 */
export const FEED_HAND_OFF_WAIT_MS = 1_000;

/**
 * A user's write, as every write route makes it: on the primary, at one `now`, with the
 * write-through's reads riding in the write's own batch when this isolate holds the user's bundle
 * (one D1 round trip in the request), then `afterUserWrite` with the write's bookmark and those
 * reads' results. `write` makes the change with the `db`, `now` and riding `reads` it is given.
 *
 * @example
 * const change = await userWrite(c, userId, 'task.created', (db, now, reads) => createTask(db, userId, input, now, reads));
 */
export async function userWrite<T>(
  c: Context<AppEnv>,
  userId: string,
  eventType: ActivityType,
  write: (db: Database, now: number, reads: WriteThrough['statements'] | undefined) => Promise<Change<T>>,
): Promise<Change<T>> {
  const primary = primaryDb(c.env);
  const now = Date.now();
  const writeThrough = fragmentCache.writeThroughFor(primary.db, userId, eventType, now);
  const change = await write(primary.db, now, writeThrough?.statements);
  afterUserWrite(c, userId, change.event, primary.bookmark(), writeThrough, change.readResults);
  return change;
}

/**
 * Everything that follows a committed user write (D1 holds the change and its event by now),
 * called by name so that no effect depends on some module having been imported:
 *
 * 1. before the response: the write-through of the writer's fresh bundle (FragmentCache.afterWrite),
 *    from `writeThrough` and its `results` when the write's own batch carried them, and the
 *    read-your-writes version token it returns, with the write's D1 `bookmark`
 *    (worker/http/version-token.ts);
 * 2. after it (`waitUntil`): the event handed to the user's live feed (worker/feed/hand-off.ts),
 *    the direct path that keeps the feed's latency low;
 * 3. then, in the same `waitUntil`: the event, whose outbox row committed with the change, sent
 *    to the events queue (worker/events/publish.ts), marked `feedDelivered` when the object took
 *    it. Without the mark (the hand-off failed or took over FEED_HAND_OFF_WAIT_MS) the consumer
 *    hands the event over again, so a lost direct hand-off is covered; with it, the consumer
 *    skips that second call (docs/events.md). If this send is lost too, the relay sends the row
 *    within a minute, unmarked.
 *
 * An effect that fails never fails the write: D1 is the source of truth and every effect can
 * recover from it. A new effect is one more line here.
 */
export function afterUserWrite(
  c: Context<AppEnv>,
  userId: string,
  event: ActivityEvent,
  bookmark?: string | null,
  writeThrough?: WriteThrough,
  results?: readonly unknown[],
): void {
  try {
    const req = { env: c.env, waitUntil: (p: Promise<unknown>) => c.executionCtx.waitUntil(p), ...(bookmark ? { bookmark } : {}) };
    setVersionToken(c, userId, fragmentCache.afterWrite(req, userId, event, writeThrough, results), bookmark);
  } catch (err) {
    // The write is committed; an effect's failure must not undo its answer.
    log.error('after-write consumer failed', { requestId: c.get('requestId'), userId, error: errorMessage(err) });
  }
  afterResponse(c, userId, event, async () => {
    const message: EventMessage = toDomainEvent(userId, event);
    try {
      await withTimeout(handOffToFeed(c.env, userId, event), FEED_HAND_OFF_WAIT_MS, () => new Error('feed hand-off timed out'));
      message.feedDelivered = true;
    } catch (err) {
      // The queue's consumer hands it over instead (and a connect fills any gap from D1).
      log.error('after-write consumer failed', { requestId: c.get('requestId'), userId, eventId: event.id, error: errorMessage(err) });
    }
    await sendEvents(c.env, [message]);
  });
}

/** Runs an effect in `waitUntil`, after the response; its failure is logged, never thrown. */
function afterResponse(c: Context<AppEnv>, userId: string, event: ActivityEvent, effect: () => Promise<void>): void {
  const run = Promise.resolve()
    .then(effect)
    .catch((err: unknown) =>
      log.error('after-write consumer failed', { requestId: c.get('requestId'), userId, eventId: event.id, error: errorMessage(err) }),
    );
  c.executionCtx.waitUntil(run);
}
