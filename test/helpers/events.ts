import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import worker from '../../worker/index';
import { breakableQueue } from './broken-bindings';

export interface ProcessedRow {
  event_id: string;
  seq: number;
  attempts: number;
  done: number;
  skipped: number;
}

/** Polls until `read` answers something truthy (the real queue delivers within about a second here). */
export async function waitFor<T>(read: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await scheduler.wait(50);
  }
}

export function processedRow(eventId: string): Promise<ProcessedRow | null> {
  return env.DB.prepare('select * from processed_events where event_id = ?').bind(eventId).first<ProcessedRow>();
}

/** Waits until a consumer applied the event and finished its effects. */
export function applied(eventId: string, timeoutMs?: number): Promise<ProcessedRow> {
  return waitFor(
    async () => {
      const row = await processedRow(eventId);
      return row?.done ? row : null;
    },
    `${eventId} to be applied`,
    timeoutMs,
  );
}

let sequence = 0;

/**
 * Delivers bodies to the worker's own `queue()` handler as Queues would, and answers the acks and
 * retries it chose. `env` replaces bindings for this delivery (a guarded or broken one).
 */
export async function deliver(bodies: unknown[], options: { attempts?: number; queue?: string; env?: Partial<Env> } = {}) {
  const batch = createMessageBatch(
    options.queue ?? 'foyer-events-local',
    bodies.map((body) => ({ id: `test-message-${++sequence}`, timestamp: new Date(), attempts: options.attempts ?? 1, body })),
  );
  // getQueueResult reports which messages were retried but not their delays; record those on the way.
  const delays: (number | undefined)[] = [];
  for (const message of batch.messages) {
    const retry = message.retry.bind(message);
    Object.defineProperty(message, 'retry', {
      value: (options?: QueueRetryOptions) => {
        delays.push(options?.delaySeconds);
        retry(options);
      },
    });
  }
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, ...options.env } as Env, ctx);
  return { ...(await getQueueResult(batch, ctx)), delays };
}

export async function count(sql: string, ...binds: unknown[]): Promise<number> {
  return (await env.DB.prepare(sql)
    .bind(...binds)
    .first<{ n: number }>())!.n;
}

/** The events queue, switchable to refuse every send the way an unreachable queue does. */
export const eventsQueue = () => breakableQueue(env.EVENTS);
