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

/** Registers a consumer; modules call this once at import time. */
export function onUserWrite(hook: AfterWriteHook): void {
  hooks.push(hook);
}

export function afterUserWrite(c: Context<AppEnv>, userId: string, event: ActivityEvent): void {
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
