import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../worker/events/catalog';
import { RELAY_AFTER_MS, RELAY_BATCH } from '../../worker/events/outbox';
import { runRelay } from '../../worker/events/relay';

/** Stands in for the queue binding: accepts every send and keeps the bodies in order. */
function recordingQueue(): { binding: Queue; sent: DomainEvent[] } {
  const sent: DomainEvent[] = [];
  const binding = {
    async send(body: DomainEvent) {
      sent.push(body);
    },
    async sendBatch(messages: { body: DomainEvent }[]) {
      for (const m of messages) sent.push(m.body);
    },
  } as unknown as Queue;
  return { binding, sent };
}

const USERS = ['backlog-a', 'backlog-b', 'backlog-c', 'backlog-d', 'backlog-e'];

describe('the outbox relay after a queue outage', () => {
  it('drains a backlog of many batches in one run, oldest first and each user in order', async (ctx) => {
    const perUser = 500;
    const now = Date.now();
    const from = now - RELAY_AFTER_MS - 3_600_000;
    // What an hour of queue outage leaves: rows interleaved across users, one millisecond apart.
    for (const [u, userId] of USERS.entries()) {
      await env.DB.prepare(
        `with recursive n(i) as (select 1 union all select i + 1 from n where i < ?)
         insert into event_outbox (id, user_id, seq, type, version, payload, occurred_at, sent_at, relayed)
         select ? || ':' || i, ?, i, 'task.updated', 1, '{}', ? + i * ? + ?, null, 0 from n`,
      )
        .bind(perUser, userId, userId, from, USERS.length, u)
        .run();
    }
    const total = perUser * USERS.length;
    expect(total / RELAY_BATCH).toBeGreaterThanOrEqual(20);

    const queue = recordingQueue();
    const started = performance.now();
    const report = await runRelay({ ...env, EVENTS: queue.binding }, now);
    const seconds = (performance.now() - started) / 1000;
    ctx.annotate(
      `relay drained ${report.relayed} rows in ${report.batches} batches in ${seconds.toFixed(1)} s (${Math.round(report.relayed / seconds)} rows/s)`,
    );

    expect(report.relayed).toBe(total);
    const left = await env.DB.prepare("select count(*) as n from event_outbox where user_id like 'backlog-%' and sent_at is null").first<{
      n: number;
    }>();
    expect(left?.n).toBe(0);
    const ours = queue.sent.filter((e) => USERS.includes(e.userId));
    expect(ours.length).toBe(total);
    // Oldest first across users, so every user's events leave in seq order.
    const times = ours.map((e) => Date.parse(e.occurredAt));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    for (const userId of USERS) {
      expect(ours.filter((e) => e.userId === userId).map((e) => e.seq)).toEqual(Array.from({ length: perUser }, (_, i) => i + 1));
    }
    // A second run finds nothing left to send.
    expect((await runRelay({ ...env, EVENTS: queue.binding }, now)).relayed).toBe(0);
  }, 120_000);
});
