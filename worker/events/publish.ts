import { createDb } from '../db/client';
import type { DomainEvent } from './catalog';
import type { EventMessage } from './message';
import { markSent } from './outbox';

/**
 * Sends events to the events queue, nothing more: the request's path after a commit. Its outbox
 * row is stamped sent by the consumer that receives it, in the D1 batch the consumer writes
 * anyway (worker/events/consumer.ts), so a write costs no extra D1 round trip for the stamp. If
 * the isolate dies or the send fails, the row stays unsent and the relay sends it after
 * RELAY_AFTER_MS (worker/events/relay.ts).
 */
export async function sendEvents(env: Env, messages: EventMessage[]): Promise<void> {
  if (!messages.length) return;
  // The event id travels in the body: Queues assigns its own message ids, and a re-send is a new message.
  if (messages.length === 1) await env.EVENTS.send(messages[0]!, { contentType: 'json' });
  else await env.EVENTS.sendBatch(messages.map((body) => ({ body, contentType: 'json' as const })));
}

/**
 * Sends events and stamps their outbox rows sent at once: the relay's path (it counts what it
 * sent as `relayed`, and a stamped row is not sent again) and the onboarding consumer's. A row
 * stamped sent whose message was lost cannot happen: `send` resolves only once Queues has
 * durably accepted the message
 * (https://developers.cloudflare.com/queues/configuration/javascript-apis/#queue).
 */
export async function publishEvents(env: Env, events: DomainEvent[], options: { relayed?: boolean; now?: number } = {}): Promise<void> {
  if (!events.length) return;
  await sendEvents(env, events);
  await markSent(
    createDb(env.DB),
    events.map((e) => e.id),
    options.now,
    options.relayed,
  );
}
