import { createDb } from '../db/client';
import type { DomainEvent } from './catalog';
import { markSent } from './outbox';

/**
 * Sends committed events to the events queue and stamps their outbox rows as sent. Runs after
 * the response (`waitUntil`), so publishing adds no API latency; if the isolate dies or the
 * send fails first, the rows stay unsent and the relay (worker/events/relay.ts) sends them
 * after RELAY_AFTER_MS. A row stamped sent whose message was lost cannot happen: `send`
 * resolves only once Queues has durably accepted the message
 * (https://developers.cloudflare.com/queues/configuration/javascript-apis/#queue).
 */
export async function publishEvents(env: Env, events: DomainEvent[], options: { relayed?: boolean; now?: number } = {}): Promise<void> {
  if (!events.length) return;
  // The event id travels in the body: Queues assigns its own message ids, and a re-send is a new message.
  if (events.length === 1) await env.EVENTS.send(events[0]!, { contentType: 'json' });
  else await env.EVENTS.sendBatch(events.map((body) => ({ body, contentType: 'json' as const })));
  await markSent(
    createDb(env.DB),
    events.map((e) => e.id),
    options.now,
    options.relayed,
  );
}
