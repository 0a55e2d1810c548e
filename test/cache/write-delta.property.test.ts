import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MS } from '../../shared/calendar';
import { applyEvent, readFragmentAfter } from '../../worker/cache/delta-source';
import type { Fragment } from '../../worker/cache/fragment';
import { readFragment } from '../../worker/cache/page-source';
import { createDb } from '../../worker/db/client';
import type { ActivityEvent, ActivityType } from '../../worker/schemas/activity-event';
import type { UpdateTask } from '../../worker/schemas/task';
import { sectionsChangedBy } from '../../worker/sections/after-event';
import { type SectionReads, sectionReads } from '../../worker/sections/load';
import { updatePreferences } from '../../worker/services/preferences';
import { createTask, deleteTask, updateTask } from '../../worker/services/tasks';
import { byDepth } from '../helpers/depth';

/** Zones far apart (and on both sides of the date line), so a clock step crosses some user's midnight or Monday. */
const ZONES = ['UTC', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'America/New_York', 'Asia/Kolkata', 'Australia/Adelaide', 'Europe/Berlin'];
const PRIORITIES = ['low', 'normal', 'high'] as const;

/** An instant near the clock: due dates and snoozes that fall either side of today's boundaries. */
const offset = fc.integer({ min: -3 * 24, max: 3 * 24 }).map((hours) => hours * MS.hour);

type Step =
  | { kind: 'create'; title: string; priority: (typeof PRIORITIES)[number]; due: number | null }
  | {
      kind: 'update';
      task: number;
      patch: { priority?: (typeof PRIORITIES)[number]; due?: number | null; snooze?: number | null; title?: string };
    }
  | { kind: 'complete' | 'reopen' | 'delete'; task: number }
  | { kind: 'preferences'; timeZone?: string; theme?: 'light' | 'dark' }
  | { kind: 'clock'; hours: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('create' as const),
    title: fc.string({ minLength: 1, maxLength: 20 }).filter((t) => t.trim().length > 0),
    priority: fc.constantFrom(...PRIORITIES),
    due: fc.option(offset, { nil: null }),
  }),
  fc.record({
    kind: fc.constant('update' as const),
    task: fc.nat(),
    patch: fc.record(
      {
        priority: fc.constantFrom(...PRIORITIES),
        due: fc.option(offset, { nil: null }),
        snooze: fc.option(offset, { nil: null }),
        title: fc.string({ minLength: 1, maxLength: 20 }).filter((t) => t.trim().length > 0),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({ kind: fc.constantFrom('complete' as const, 'reopen' as const, 'delete' as const), task: fc.nat() }),
  fc.record(
    {
      kind: fc.constant('preferences' as const),
      timeZone: fc.constantFrom(...ZONES),
      theme: fc.constantFrom('light' as const, 'dark' as const),
    },
    { requiredKeys: ['kind'] },
  ),
  fc.record({ kind: fc.constant('clock' as const), hours: fc.integer({ min: 1, max: 40 }) }),
);

let runs = 0;

/** A user of their own for each run, created with one of the zones, with no task yet. */
async function freshUser(zone: string): Promise<string> {
  const id = `delta-${++runs}-${crypto.randomUUID().slice(0, 8)}`;
  await env.DB.prepare('insert into users (id, name, email, time_zone) values (?, ?, ?, ?)').bind(id, id, `${id}@example.test`, zone).run();
  return id;
}

/** The event type a step records (what the route names when it asks for the write-through's reads). */
function eventTypeOf(s: Step): ActivityType | undefined {
  if (s.kind === 'create') return 'task.created';
  if (s.kind === 'update' || s.kind === 'complete' || s.kind === 'reopen') return 'task.updated';
  if (s.kind === 'delete') return 'task.deleted';
  if (s.kind === 'preferences') return 'preferences.updated';
  return undefined;
}

/**
 * Applies one step through the real services, with the write-through's reads riding in the
 * write's own batch when `reads` is given (as the routes do); the committed event and what
 * the reads returned, or null when nothing was written.
 */
async function apply(
  db: ReturnType<typeof createDb>,
  userId: string,
  s: Step,
  tasks: string[],
  now: number,
  reads: SectionReads['statements'] = [],
): Promise<{ event: ActivityEvent; readResults: unknown[] } | null> {
  const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? ms : new Date(now + ms).toISOString());
  const pick = (i: number) => tasks[i % Math.max(1, tasks.length)] ?? 'no-such-task';
  try {
    switch (s.kind) {
      case 'create': {
        const change = await createTask(db, userId, { title: s.title, priority: s.priority, dueAt: iso(s.due) ?? null }, now, reads);
        tasks.push(change.value.id);
        return answered(change);
      }
      case 'update': {
        const patch: UpdateTask = {};
        if (s.patch.priority) patch.priority = s.patch.priority;
        if (s.patch.title) patch.title = s.patch.title;
        if (s.patch.due !== undefined) patch.dueAt = iso(s.patch.due);
        if (s.patch.snooze !== undefined) patch.snoozedUntil = iso(s.patch.snooze);
        if (Object.keys(patch).length === 0) patch.priority = 'high';
        return answered(await updateTask(db, userId, pick(s.task), patch, now, reads));
      }
      case 'complete':
      case 'reopen':
        return answered(await updateTask(db, userId, pick(s.task), { status: s.kind === 'complete' ? 'done' : 'open' }, now, reads));
      case 'delete': {
        const id = pick(s.task);
        const change = await deleteTask(db, userId, id, reads);
        tasks.splice(tasks.indexOf(id), 1);
        return answered(change);
      }
      case 'preferences': {
        const patch = { ...(s.timeZone ? { timeZone: s.timeZone } : {}), ...(s.theme ? { theme: s.theme } : {}) };
        if (Object.keys(patch).length === 0) return null;
        return answered(await updatePreferences(db, userId, patch, userId, now, reads));
      }
      case 'clock':
        return null;
    }
  } catch (err) {
    // A step aimed at a task that is gone writes nothing (404): not a case for the cache.
    if (err instanceof Error && /no task/i.test(err.message)) return null;
    throw err;
  }
}

function answered(change: { event: ActivityEvent; readResults?: unknown[] }) {
  return { event: change.event, readResults: change.readResults ?? [] };
}

describe('write-through by delta (property, real D1)', { timeout: 240_000 }, () => {
  it("a bundle brought forward event by event (reads in the write's batch, or read after it) equals the bundle read whole at the same moment", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ZONES),
        fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 11, 31) }),
        fc.array(step, { minLength: 1, maxLength: 14 }),
        async (zone, start, steps) => {
          const userId = await freshUser(zone);
          let now = start;
          let bundle: Fragment = (await readFragment(env, 'personal', userId, now)).fragment;
          const tasks: string[] = [];
          for (const s of steps) {
            if (s.kind === 'clock') now += s.hours * MS.hour;
            // The batched path, as the routes take it: the reread sections' statements ride in
            // the write's own batch, built on the write's database, at the write's `now`.
            const db = createDb(env.DB);
            const type = eventTypeOf(s);
            const reread = type ? sectionsChangedBy({ type }) : undefined;
            const reads = reread ? sectionReads(db, reread, { userId, now, timeZone: bundle.s.personalization?.timeZone }) : undefined;
            const written = await apply(db, userId, s, tasks, now, reads?.statements);
            if (!written) continue;
            const { event } = written;
            const batched = reads && reread ? await applyEvent(bundle, event, reread, reads.build(written.readResults), now) : undefined;
            // The read-after path (the fallback when no reads rode along), from the same state.
            const delta = await readFragmentAfter(env, userId, bundle, event, now);
            const whole = (await readFragment(env, 'personal', userId, now)).fragment;
            expect(batched, `batched delta after ${s.kind} declined`).toBeDefined();
            expect(delta, `delta after ${s.kind} declined`).toBeDefined();
            // Same sections, same version, same order of keys: the same content hash.
            expect(batched?.fragment).toStrictEqual(whole);
            expect(delta?.fragment).toStrictEqual(whole);
            bundle = batched?.fragment as Fragment;
          }
        },
      ),
      {
        numRuns: byDepth(4, 40),
        // Found by this property: a theme change after the clock moved past a due date once kept
        // the statistics of the bundle's older moment.
        examples: [
          [
            'UTC',
            Date.UTC(2026, 0, 1, 12),
            [
              { kind: 'create', title: 'due soon', priority: 'low', due: MS.hour },
              { kind: 'clock', hours: 2 },
              { kind: 'preferences', theme: 'dark' },
            ],
          ],
        ],
      },
    );
  });
});

describe('write-through by delta: when it declines', () => {
  it('declines a bundle that is not exactly one version behind, and one that D1 has already moved past', async () => {
    const userId = await freshUser('Europe/Berlin');
    const db = createDb(env.DB);
    const now = Date.now();
    const base = (await readFragment(env, 'personal', userId, now)).fragment;
    const first = await createTask(db, userId, { title: 'one', priority: 'high' }, now);
    const second = await createTask(db, userId, { title: 'two', priority: 'high' }, now);
    // A gap: the bundle never saw the first event.
    expect(await readFragmentAfter(env, userId, base, second.event, now)).toBeUndefined();
    // D1 holds a newer event than the one applied: reading the rest now would mix two versions.
    expect(await readFragmentAfter(env, userId, base, first.event, now)).toBeUndefined();
    // A bundle with a section missing (a degraded copy) is never the base of a delta.
    const caughtUp = (await readFragment(env, 'personal', userId, now)).fragment;
    const third = await createTask(db, userId, { title: 'three', priority: 'low' }, now);
    const { activityFeed: _dropped, ...partial } = caughtUp.s;
    expect(await readFragmentAfter(env, userId, { ...caughtUp, s: partial }, third.event, now)).toBeUndefined();
    expect((await readFragmentAfter(env, userId, caughtUp, third.event, now))?.fragment.v).toBe(third.event.id);
  });
});
