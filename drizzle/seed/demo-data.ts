/**
 * Deterministic demo data: the same `now` and user count always give the same rows.
 *
 * Named users (alice, bob, ops) have tasks in every state relative to `now` — overdue, due
 * later today in their own time zone, high priority, snoozed, done today / yesterday / earlier —
 * so every section of their page has something to show. Generated users `user-00001` … have
 * realistic volumes (about 30 tasks and 50 events each) for load tests.
 */

import { endOfLocalDay, MS, startOfLocalDay } from '../../shared/calendar';
import type { TASK_PRIORITIES } from '../schema';

export interface SeedUser {
  id: string;
  name: string;
  email: string;
  role: 'user' | 'admin';
  time_zone: string;
  created_at: number;
}
export interface SeedTask {
  id: string;
  owner_id: string;
  title: string;
  status: 'open' | 'done';
  priority: (typeof TASK_PRIORITIES)[number];
  due_at: number | null;
  snoozed_until: number | null;
  completed_at: number | null;
  created_at: number;
  updated_at: number;
}
export interface SeedEvent {
  user_id: string;
  id: number;
  type: string;
  payload: string;
  created_at: number;
}
export interface SeedPreferences {
  user_id: string;
  theme: 'light' | 'dark' | 'system';
  hidden_sections: string;
  section_order: string;
  locale: string;
  time_zone: string | null;
  updated_at: number;
}
export interface SeedAnnouncement {
  id: string;
  title: string;
  body: string;
  severity: 'info' | 'warning' | 'critical';
  starts_at: number;
  ends_at: number | null;
  created_at: number;
}

export interface SeedData {
  users: SeedUser[];
  tasks: SeedTask[];
  events: SeedEvent[];
  preferences: SeedPreferences[];
  announcements: SeedAnnouncement[];
}

export const DEMO_USERS = [
  { id: 'alice', name: 'Alice Archer', role: 'user', timeZone: 'Europe/Berlin' },
  { id: 'bob', name: 'Bob Baker', role: 'user', timeZone: 'America/New_York' },
  { id: 'ops', name: 'Olivia Ops', role: 'admin', timeZone: 'UTC' },
] as const;

export const DEFAULT_SEED_USERS = 1000;
const TIME_ZONES = [
  'UTC',
  'Europe/Berlin',
  'Europe/London',
  'America/New_York',
  'America/Los_Angeles',
  'Asia/Tokyo',
  'Asia/Kolkata',
  'Australia/Sydney',
];
const TITLES = [
  'Review pull request',
  'Update roadmap',
  'Reply to support ticket',
  'Prepare demo',
  'Write release notes',
  'Fix flaky test',
  'Plan sprint',
  'Call vendor',
  'Renew certificate',
  'Audit access',
  'Draft proposal',
  'Book travel',
  'Clean up backlog',
  'Pair with new hire',
  'Check invoices',
];

/** A fixed "last Monday" so generated users' creation dates do not move between runs. */
const EPOCH = Date.UTC(2026, 0, 5);

/** mulberry32: tiny, fast, good enough for demo data and load mixes; seeded so runs repeat exactly. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A moment strictly between now and the end of the user's local day. */
function laterToday(now: number, timeZone: string): number {
  return now + Math.max(60_000, Math.min(2 * MS.hour, Math.floor((endOfLocalDay(now, timeZone) - now) / 2)));
}

/** A moment strictly between the start of the user's local day and now. */
function earlierToday(now: number, timeZone: string): number {
  return now - Math.max(1, Math.min(MS.hour, Math.floor((now - startOfLocalDay(now, timeZone)) / 2)));
}

type TaskSpec = Omit<SeedTask, 'owner_id' | 'created_at' | 'updated_at' | 'snoozed_until'> & { snoozed_until?: number | null };

/** The named users' tasks; test/sections/figures.test.ts derives every expected figure from this list. */
export function demoTasks(userId: string, timeZone: string, now: number): TaskSpec[] {
  const t = (n: number, spec: Omit<TaskSpec, 'id'>): TaskSpec => ({ id: `${userId}-task-${n}`, ...spec });
  const open = { status: 'open' as const, completed_at: null };
  const done = (at: number) => ({ status: 'done' as const, completed_at: at });
  if (userId === 'alice') {
    return [
      t(1, { title: 'Renew passport', priority: 'high', due_at: now - 3 * MS.day, ...open }),
      t(2, { title: 'Submit expense report', priority: 'normal', due_at: now - MS.day, ...open }),
      t(3, { title: 'Review Q4 roadmap', priority: 'normal', due_at: laterToday(now, timeZone), ...open }),
      t(4, { title: 'Call the dentist', priority: 'high', due_at: now + 3 * MS.day, ...open }),
      t(5, { title: 'Plan team offsite', priority: 'low', due_at: now + 7 * MS.day, ...open }),
      t(6, { title: 'Water the plants', priority: 'normal', due_at: null, ...open }),
      t(7, { title: 'Reply to the landlord', priority: 'high', due_at: null, snoozed_until: now + MS.day, ...open }),
      t(8, { title: 'Send birthday card', priority: 'normal', due_at: now - MS.hour, ...done(earlierToday(now, timeZone)) }),
      t(9, { title: 'Pay electricity bill', priority: 'normal', due_at: now - MS.day, ...done(now - MS.day) }),
      t(10, { title: 'Book train tickets', priority: 'low', due_at: null, ...done(now - 2 * MS.day) }),
      t(11, { title: 'Order new keyboard', priority: 'low', due_at: null, ...done(now - 5 * MS.day) }),
    ];
  }
  if (userId === 'bob') {
    return [
      t(1, { title: 'Fix the bike brakes', priority: 'normal', due_at: now - 2 * MS.day, ...open }),
      t(2, { title: 'Prepare standup notes', priority: 'normal', due_at: laterToday(now, timeZone), ...open }),
      t(3, { title: 'Migrate the wiki', priority: 'high', due_at: null, ...open }),
      t(4, { title: 'Read the RFC', priority: 'low', due_at: now + 10 * MS.day, ...open }),
      t(5, { title: 'Sign the contract', priority: 'normal', due_at: null, ...done(earlierToday(now, timeZone)) }),
      t(6, { title: 'Return library books', priority: 'low', due_at: null, ...done(now - 9 * MS.day) }),
    ];
  }
  return [
    t(1, { title: 'Rotate the JWT signing key', priority: 'high', due_at: now - MS.day, ...open }),
    t(2, { title: 'Review the error budget', priority: 'normal', due_at: laterToday(now, timeZone), ...open }),
    t(3, { title: 'Tune cache TTLs', priority: 'normal', due_at: now + 5 * MS.day, ...open }),
    t(4, { title: 'Apply D1 migration 0001', priority: 'normal', due_at: null, ...done(earlierToday(now, timeZone)) }),
  ];
}

function demoUserData(now: number): Pick<SeedData, 'users' | 'tasks' | 'events' | 'preferences'> {
  const out: Pick<SeedData, 'users' | 'tasks' | 'events' | 'preferences'> = { users: [], tasks: [], events: [], preferences: [] };
  for (const u of DEMO_USERS) {
    out.users.push({ id: u.id, name: u.name, email: `${u.id}@foyer.example`, role: u.role, time_zone: u.timeZone, created_at: EPOCH });
    const history: Omit<SeedEvent, 'id'>[] = [];
    const specs = demoTasks(u.id, u.timeZone, now);
    for (const [i, spec] of specs.entries()) {
      const created = now - (20 - i) * MS.day;
      out.tasks.push({
        ...spec,
        snoozed_until: spec.snoozed_until ?? null,
        owner_id: u.id,
        created_at: created,
        updated_at: spec.completed_at ?? created,
      });
      history.push({
        user_id: u.id,
        type: 'task.created',
        payload: JSON.stringify({ taskId: spec.id, title: spec.title }),
        created_at: created,
      });
      if (spec.completed_at !== null)
        history.push({
          user_id: u.id,
          type: 'task.completed',
          payload: JSON.stringify({ taskId: spec.id, title: spec.title, changes: ['status'] }),
          created_at: spec.completed_at,
        });
    }
    // Ids in time order, as the app allocates them: a feed sorted by id reads newest first.
    history.sort((a, b) => a.created_at - b.created_at);
    for (const [i, e] of history.entries()) out.events.push({ ...e, id: i + 1 });
    if (u.id === 'alice') {
      out.preferences.push({
        user_id: 'alice',
        theme: 'light',
        hidden_sections: '[]',
        section_order: '[]',
        locale: 'en-GB',
        time_zone: null,
        updated_at: now - 30 * MS.day,
      });
    }
  }
  return out;
}

export function generatedUserData(index: number, now: number): Pick<SeedData, 'users' | 'tasks' | 'events'> {
  const random = rng(index * 7919 + 17);
  const id = `user-${String(index).padStart(5, '0')}`;
  const timeZone = TIME_ZONES[index % TIME_ZONES.length]!;
  const users: SeedUser[] = [
    { id, name: `Demo User ${index}`, email: `${id}@foyer.example`, role: 'user', time_zone: timeZone, created_at: EPOCH + index * 1000 },
  ];
  const tasks: SeedTask[] = [];
  const events: SeedEvent[] = [];
  const taskCount = 25 + Math.floor(random() * 11); // 25…35
  let eventId = 0;
  const history: SeedEvent[] = [];
  for (let n = 1; n <= taskCount; n++) {
    const title = `${TITLES[Math.floor(random() * TITLES.length)]} #${n}`;
    const created = now - Math.floor(random() * 30 * MS.day) - MS.hour;
    const isDone = random() < 0.55;
    const dueRoll = random();
    const due = dueRoll < 0.3 ? null : now + Math.floor((random() - 0.35) * 14 * MS.day);
    const completed = isDone ? Math.min(now - 1000, created + Math.floor(random() * 10 * MS.day)) : null;
    const priority = random() < 0.15 ? 'high' : random() < 0.5 ? 'normal' : 'low';
    tasks.push({
      id: `${id}-task-${n}`,
      owner_id: id,
      title,
      status: isDone ? 'done' : 'open',
      priority,
      due_at: due,
      snoozed_until: null,
      completed_at: completed,
      created_at: created,
      updated_at: completed ?? created,
    });
    history.push({
      user_id: id,
      id: 0,
      type: 'task.created',
      payload: JSON.stringify({ taskId: `${id}-task-${n}`, title }),
      created_at: created,
    });
    if (completed)
      history.push({
        user_id: id,
        id: 0,
        type: 'task.completed',
        payload: JSON.stringify({ taskId: `${id}-task-${n}`, title, changes: ['status'] }),
        created_at: completed,
      });
  }
  // Top up to about 50 events with edits, so feeds have realistic depth.
  while (history.length < 50) {
    const n = 1 + Math.floor(random() * taskCount);
    history.push({
      user_id: id,
      id: 0,
      type: 'task.updated',
      payload: JSON.stringify({ taskId: `${id}-task-${n}`, title: tasks[n - 1]!.title, changes: ['title'] }),
      created_at: now - Math.floor(random() * 30 * MS.day),
    });
  }
  history.sort((a, b) => a.created_at - b.created_at);
  for (const e of history) events.push({ ...e, id: ++eventId });
  return { users, tasks, events };
}

export function generateSeed(options: { now: number; seedUsers?: number }): SeedData {
  const now = options.now;
  const demo = demoUserData(now);
  const data: SeedData = {
    ...demo,
    announcements: [
      {
        id: 'welcome',
        title: 'Welcome to Foyer',
        body: 'Your tasks, activity and settings in one place.',
        severity: 'info',
        starts_at: now - 30 * MS.day,
        ends_at: null,
        created_at: now - 30 * MS.day,
      },
      {
        id: 'maintenance',
        title: 'Scheduled maintenance',
        body: 'Brief read-only window on Sunday 02:00–02:15 UTC.',
        severity: 'info',
        starts_at: now - MS.day,
        ends_at: now + 6 * MS.day,
        created_at: now - MS.day,
      },
      {
        id: 'old-incident',
        title: 'Resolved: slow page loads',
        body: 'Fixed on the same day.',
        severity: 'warning',
        starts_at: now - 20 * MS.day,
        ends_at: now - 19 * MS.day,
        created_at: now - 20 * MS.day,
      },
    ],
  };
  for (let i = 1; i <= (options.seedUsers ?? DEFAULT_SEED_USERS); i++) {
    const g = generatedUserData(i, now);
    data.users.push(...g.users);
    data.tasks.push(...g.tasks);
    data.events.push(...g.events);
  }
  return data;
}
