import type { DomainEvent } from './catalog';

/**
 * What travels in an events-queue message: the event, and beside it what its producer already
 * did, so a consumer need not do it again. The hint is not part of the event (the catalog's
 * schemas leave it out and a consumer's parse drops it); a message without it (the relay's, a
 * replay of an old dead letter, an older producer) makes the consumer do everything.
 */
export type EventMessage = DomainEvent & {
  /**
   * The request handed the event to the user's feed object itself and the object took it, so the
   * consumer skips its own hand-off (the object would ignore the id as one it has anyway).
   */
  feedDelivered?: true;
};

/** Whether a message body says its event already reached the user's feed object. */
export function feedDeliveredIn(body: unknown): boolean {
  return (body as { feedDelivered?: unknown } | null)?.feedDelivered === true;
}
