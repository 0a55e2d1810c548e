import * as z from 'zod';
import type { ActivityEvent } from './activity-event';
import { ACTIVITY_TYPES } from './activity-types';

/**
 * The live feed's wire protocol: every frame is one JSON text message. This one module is
 * imported by the worker route, the ActivityFeed Durable Object, the browser client and the
 * Node tools, so they cannot drift apart. It uses the same zod as the REST schemas: the worker
 * bundles that one anyway (a second flavour, `zod/mini`, cost the bundle 0.9 KiB gzip), and the
 * browser takes only the types (web/client/feed.ts checks frames by hand).
 *
 * Server → client:
 * - `ready`: sent on connect (and after `sync`); `lastEventId` is the newest event id the
 *   feed knows at that moment. Every event after the client's cursor up to it follows,
 *   then live events, each exactly once and in id order.
 * - `event`: one activity event; ids grow by one per user, so a client can see a gap itself.
 * - `pong`: the answer to `ping`.
 *
 * Client → server:
 * - `ping`: keep-alive. Send exactly {@link FEED_PING}: the runtime answers it without waking
 *   the object (`setWebSocketAutoResponse`), so an idle feed stays hibernated.
 * - `sync`: "I may have missed something": the server checks D1 for newer events and answers
 *   with `ready` and anything after this socket's cursor.
 *
 * @example
 * ```ts
 * const message = parseServerMessage(frame.data);
 * if (message?.type === 'event') lastEventId = message.event.id;
 * ```
 */
export const wireEventSchema = z.object({
  id: z.int().check(z.positive()),
  type: z.enum(ACTIVITY_TYPES),
  payload: z.record(z.string(), z.unknown()),
  createdAt: z.iso.datetime(),
});

export const feedServerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), lastEventId: z.int().check(z.nonnegative()) }),
  z.object({ type: z.literal('event'), event: wireEventSchema }),
  z.object({ type: z.literal('pong') }),
]);
export const feedClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ping') }),
  z.object({ type: z.literal('sync') }),
]);

export type FeedServerMessage = z.infer<typeof feedServerMessageSchema>;
export type FeedClientMessage = z.infer<typeof feedClientMessageSchema>;

// The wire event and the REST `ActivityEvent` (worker/schemas/activity-event.ts) are one shape;
// this fails to compile the day they differ.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameEvent: Same<z.infer<typeof wireEventSchema>, ActivityEvent> = true;
void sameEvent;

/** The exact keep-alive frames; the runtime compares them byte for byte. */
export const FEED_PING = JSON.stringify({ type: 'ping' } satisfies FeedClientMessage);
export const FEED_PONG = JSON.stringify({ type: 'pong' } satisfies FeedServerMessage);

/**
 * Close codes the server uses (RFC 6455 §7.4.1). The reason text always says what to do next.
 * - 1001 going away: the feed was reset (its history no longer matches); reload the page.
 * - 1008 policy: bad or oversized message, too many open feeds, session expired.
 * - 1011 error: the server could not deliver (e.g. D1 unreachable); reconnect with `?after=`.
 */
export const FEED_CLOSE = { goingAway: 1001, policy: 1008, error: 1011 } as const;

/** Client frames larger than this close the socket with 1008; a ping or sync is 15 bytes. */
export const MAX_CLIENT_MESSAGE_BYTES = 1024;

export function encodeFeedMessage(message: FeedServerMessage | FeedClientMessage): string {
  return JSON.stringify(message);
}

/** Parses a server frame; `undefined` for anything that is not a valid message. */
export function parseServerMessage(data: unknown): FeedServerMessage | undefined {
  return parseWith(feedServerMessageSchema, data);
}

/** Parses a client frame; `undefined` for anything that is not a valid message. */
export function parseClientMessage(data: unknown): FeedClientMessage | undefined {
  return parseWith(feedClientMessageSchema, data);
}

function parseWith<T>(schema: z.ZodType<T>, data: unknown): T | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(data));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
