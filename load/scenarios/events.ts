/**
 * `events`: the lag of the domain event pipeline, from a write's commit to a consumer having
 * applied its event (docs/events.md), at a steady 10 and then 100 writes per second. Each phase
 * sends PATCH /tasks/:id at a fixed rate (open loop: a slow answer does not slow the next send),
 * waits until every event of the phase is applied, then reads the lag percentiles the
 * consumers recorded (GET /api/v1/admin/events: over the newest 1,000 applied events, so the
 * 100/s phase's sample holds only its own events).
 */
import type { Scenario } from '../lib/scenario';
import { prng } from '../lib/users';

const PRIORITIES = ['low', 'normal', 'high'] as const;
const SEEDED_TASKS_PER_USER = 25;
const RATES = [10, 100] as const;

interface Figures {
  delivered: number;
  lagMs: { p50: number | null; p95: number | null; samples: number };
  outbox: { unsent: number; backlog: number };
}

export const events: Scenario = {
  name: 'events',
  description: 'Commit-to-consumer lag of domain events at 10 and 100 writes/s (PATCH /tasks/:id, open loop).',
  defaultDurationSec: 15,
  users: 1000,
  async run(ctx) {
    const random = prng(14);
    const figures = async (): Promise<Figures> => {
      const res = await fetch(`${ctx.url}/api/v1/admin/events`, { headers: { authorization: ctx.admin.auth } });
      if (!res.ok) throw new Error(`GET /api/v1/admin/events answered ${res.status}`);
      return (await res.json()) as Figures;
    };
    const results: Record<string, unknown> = {};
    let n = 0;
    for (const rate of RATES) {
      const before = await figures();
      const total = rate * ctx.durationSec;
      let ok = 0;
      let failed = 0;
      const sends: Promise<void>[] = [];
      const started = performance.now();
      for (let i = 0; i < total; i++) {
        const due = started + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const user = ctx.users[Math.floor(random() * ctx.users.length)]!;
        const task = 1 + Math.floor(random() * SEEDED_TASKS_PER_USER);
        n++;
        sends.push(
          fetch(`${ctx.url}/api/v1/tasks/${user.id}-task-${task}`, {
            method: 'PATCH',
            headers: { authorization: user.auth, 'content-type': 'application/json' },
            body: JSON.stringify({ priority: PRIORITIES[n % PRIORITIES.length] }),
          }).then(
            async (res) => {
              await res.arrayBuffer();
              if (res.ok) ok++;
              else failed++;
            },
            () => {
              failed++;
            },
          ),
        );
      }
      await Promise.all(sends);
      // Drained: every event of the phase applied (or a minute passed).
      const deadline = performance.now() + 60_000;
      let after = await figures();
      while (after.delivered - before.delivered < ok && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        after = await figures();
      }
      const applied = after.delivered - before.delivered;
      results[`${rate}/s`] = { writes: ok, failed, applied, lagMs: after.lagMs, outbox: after.outbox };
      ctx.log(
        `events @${rate}/s: ${ok} writes (${failed} failed), ${applied} applied; lag p50 ${after.lagMs.p50} ms, p95 ${after.lagMs.p95} ms`,
      );
    }
    ctx.extra.events = results;
    ctx.note(
      'Lag is measured inside the worker: occurredAt (the commit) to the consumer’s D1 commit of its effects, as GET /api/v1/admin/events reports it.',
    );
  },
};
