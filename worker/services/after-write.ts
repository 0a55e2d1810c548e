import type { Context } from 'hono';
import type { AppEnv } from '../app-env';
import { handBackVersion } from '../cache/read-your-writes';
import { toDomainEvent } from '../events/outbox';
import { publishEvents } from '../events/publish';
import { handOffToFeed } from '../feed/hand-off';
import { errorMessage, log } from '../observability/log';
import type { ActivityEvent } from '../schemas/activity-event';

/**
 * Everything that follows a committed user write (D1 holds the change and its event by now),
 * called by name so that no effect depends on some module having been imported:
 *
 * 1. before the response: the read-your-writes version token (with the write's D1 `bookmark`)
 *    and the write-through of the writer's fresh bundle (worker/cache/read-your-writes.ts);
 * 2. after it (`waitUntil`): the event handed to the user's live feed (worker/feed/hand-off.ts),
 *    the direct path that keeps the feed's latency low;
 * 3. after it (`waitUntil`): the event, whose outbox row committed with the change, sent to the
 *    events queue (worker/events/publish.ts). Its consumers repeat the feed hand-off (the feed
 *    ignores an id it has), so a lost direct hand-off is covered, and do the rest of the work
 *    (docs/events.md). If this send is lost too, the relay sends the row within a minute.
 *
 * An effect that fails never fails the write: D1 is the source of truth and every effect can
 * recover from it. A new effect is one more line here.
 */
export function afterUserWrite(c: Context<AppEnv>, userId: string, event: ActivityEvent, bookmark?: string | null): void {
  try {
    handBackVersion(c, userId, event, bookmark);
  } catch (err) {
    // The write is committed; an effect's failure must not undo its answer.
    log.error('after-write consumer failed', { requestId: c.get('requestId'), userId, error: errorMessage(err) });
  }
  afterResponse(c, userId, event, () => handOffToFeed(c.env, userId, event));
  afterResponse(c, userId, event, () => publishEvents(c.env, [toDomainEvent(userId, event)]));
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
