import type { Context } from 'hono';
import type { AppEnv } from '../app-env';
import type { ActivityEvent } from '../schemas/activity-event';

/**
 * Work that follows a committed user write (D1 holds the change and its event by now):
 * fresh fragments for the writer, the event handed to their live feed. Each consumer gets
 * the event once; a consumer that fails never fails the write, because D1 is the source
 * of truth and every consumer can recover from it.
 */
export type AfterWriteHook = (c: Context<AppEnv>, userId: string, event: ActivityEvent) => Promise<void> | void;

const hooks: AfterWriteHook[] = [];

/**
 * A consumer that must act before the write's response is built (it may set headers, e.g. the
 * read-your-writes version token). Runs synchronously; keep it to in-memory work and start
 * anything slow with `c.executionCtx.waitUntil`.
 */
export type BeforeResponseHook = (c: Context<AppEnv>, userId: string, event: ActivityEvent) => void;

const beforeResponseHooks: BeforeResponseHook[] = [];

/** Registers a consumer; modules call this once at import time. */
export function onUserWrite(hook: AfterWriteHook): void {
  hooks.push(hook);
}

/** Registers a consumer that runs before the response (see BeforeResponseHook). */
export function onUserWriteBeforeResponse(hook: BeforeResponseHook): void {
  beforeResponseHooks.push(hook);
}

export function afterUserWrite(c: Context<AppEnv>, userId: string, event: ActivityEvent): void {
  for (const hook of beforeResponseHooks) {
    try {
      hook(c, userId, event);
    } catch (err) {
      // Same rule as below: the write is committed; a consumer's failure must not undo its answer.
      console.error(
        JSON.stringify({ level: 'error', msg: 'after-write consumer failed', requestId: c.get('requestId'), userId, error: String(err) }),
      );
    }
  }
  for (const hook of hooks) {
    const run = Promise.resolve()
      .then(() => hook(c, userId, event))
      .catch((err: unknown) =>
        console.error(
          JSON.stringify({
            level: 'error',
            msg: 'after-write consumer failed',
            requestId: c.get('requestId'),
            userId,
            eventId: event.id,
            error: err instanceof Error ? err.message : String(err),
          }),
        ),
      );
    c.executionCtx.waitUntil(run);
  }
}
