import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createDb } from '../../worker/db/client';
import { REORDER_DELAY_SECONDS } from '../../worker/events/consumer';
import { onboardingTaskId } from '../../worker/events/handlers';
import { rowToDomainEvent } from '../../worker/events/outbox';
import { authHeaders } from '../helpers/auth';
import { breakableQueue } from '../helpers/broken-bindings';
import { guardD1 } from '../helpers/d1-guard';
import { applied, count, deliver, processedRow } from '../helpers/events';
import { call, json } from '../helpers/http';
import { seed } from '../helpers/seed';

// A batch of the events queue is applied in one D1 round trip (worker/events/consumer.ts).

vi.setConfig({ testTimeout: 30_000 });

let admin: Record<string, string>;
const uniqueId = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
  admin = await authHeaders('ops', 'admin');
});

/** A registered user whose first events (registration, onboarding task) are applied. */
async function registered(prefix: string): Promise<string> {
  const id = uniqueId(prefix);
  expect((await call('/api/v1/users', json({ id, displayName: `Test ${id}` }, admin))).status).toBe(201);
  await applied(`${id}:2`);
  return id;
}

/**
 * Changes the user's onboarding task `times` times with the queue down, so no consumer sees the
 * events before the test delivers them; answers the events as fresh, feed-delivered messages (a
 * consumer then has no effects to run for them).
 */
async function undeliveredChanges(id: string, times: number) {
  const queue = breakableQueue(env.EVENTS);
  queue.mode = 'down';
  const headers = await authHeaders(id);
  for (let i = 0; i < times; i++) {
    const res = await call(`/api/v1/tasks/${onboardingTaskId(id)}`, json({ title: `Change ${i}` }, headers, 'PATCH'), {
      env: { EVENTS: queue.binding },
    });
    expect(res.status).toBe(200);
  }
  const rows = await createDb(env.DB).query.eventOutbox.findMany({
    where: (t, { eq }) => eq(t.userId, id),
    orderBy: (t, { asc }) => asc(t.seq),
  });
  return rows
    .filter((row) => row.seq > 2)
    .map((row) => ({ ...rowToDomainEvent(row), occurredAt: new Date().toISOString(), feedDelivered: true as const }));
}

describe('the events consumer, a batch at a time', () => {
  it("applies several users' events in one D1 round trip, each user's in order", async () => {
    const [a, b, c] = await Promise.all([registered('batch-a'), registered('batch-b'), registered('batch-c')]);
    const events = [...(await undeliveredChanges(a, 2)), ...(await undeliveredChanges(b, 1)), ...(await undeliveredChanges(c, 2))];
    expect(events.map((e) => e.id)).toEqual([`${a}:3`, `${a}:4`, `${b}:3`, `${c}:3`, `${c}:4`]);

    const d1 = guardD1(env.DB);
    const result = await deliver(events, { env: { DB: d1.db } });
    expect(result.explicitAcks).toHaveLength(5);
    expect(result.retryMessages).toHaveLength(0);
    expect(d1.trace.roundTrips).toBe(1);
    for (const event of events) {
      expect(await processedRow(event.id)).toMatchObject({ done: 1, attempts: 1, skipped: 0 });
      const stamped = await count('select count(*) n from event_outbox where id = ? and sent_at is not null', event.id);
      expect(stamped).toBe(1);
    }
    // The second event of a user met the cursor its first had just advanced in the same transaction.
    expect(await count('select last_seq n from event_cursors where user_id = ?', a)).toBe(4);
    expect(await count('select last_seq n from event_cursors where user_id = ?', b)).toBe(3);
    expect(await count('select last_seq n from event_cursors where user_id = ?', c)).toBe(4);
  });

  it('holds back an event that arrives before its predecessor in the same batch, and applies the predecessor', async () => {
    const id = await registered('batch-order');
    const [third, fourth] = await undeliveredChanges(id, 2);
    const result = await deliver([fourth, third]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toHaveLength(1);
    expect(result.delays).toEqual([REORDER_DELAY_SECONDS]);
    expect(await processedRow(third!.id)).toMatchObject({ done: 1 });
    expect(await processedRow(fourth!.id)).toBeNull();
    // Its retry then finds the predecessor applied.
    const retried = await deliver([fourth], { attempts: 2 });
    expect(retried.explicitAcks).toHaveLength(1);
    expect(await processedRow(fourth!.id)).toMatchObject({ done: 1, skipped: 0 });
  });

  it('applies the others one by one when one event breaks the shared batch, and retries only that one (real D1 failure)', async () => {
    const [good, poison, other] = await Promise.all([registered('batch-good'), registered('batch-poison'), registered('batch-other')]);
    const events = [
      ...(await undeliveredChanges(good, 1)),
      ...(await undeliveredChanges(poison, 1)),
      ...(await undeliveredChanges(other, 1)),
    ];
    await env.DB.exec(
      `CREATE TRIGGER consumer_fault BEFORE INSERT ON processed_events WHEN NEW.user_id = '${poison}' BEGIN SELECT RAISE(ABORT, 'injected consumer failure'); END`,
    );
    let result: Awaited<ReturnType<typeof deliver>>;
    const d1 = guardD1(env.DB);
    try {
      result = await deliver(events, { env: { DB: d1.db } });
    } finally {
      await env.DB.exec('DROP TRIGGER consumer_fault');
    }
    expect(result.explicitAcks).toHaveLength(2);
    expect(result.retryMessages).toHaveLength(1);
    // The shared batch (rolled back as a whole), then one apply per event and the poison's failure record.
    expect(d1.trace.roundTrips).toBe(5);
    expect(await processedRow(`${good}:3`)).toMatchObject({ done: 1 });
    expect(await processedRow(`${other}:3`)).toMatchObject({ done: 1 });
    expect(await processedRow(`${poison}:3`)).toBeNull();
    const failure = await env.DB.prepare('select attempts, last_error from event_failures where event_id = ?')
      .bind(`${poison}:3`)
      .first<{ attempts: number; last_error: string }>();
    expect(failure?.last_error).toContain('injected consumer failure');
    // Nothing is lost: the retry, with the fault gone, applies it.
    const retried = await deliver([events[1]], { attempts: 2 });
    expect(retried.explicitAcks).toHaveLength(1);
    expect(await processedRow(`${poison}:3`)).toMatchObject({ done: 1 });
  });
});
