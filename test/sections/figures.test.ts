import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SeedData } from '../../drizzle/seed/demo-data';
import { FragmentCache } from '../../worker/cache/fragment-cache';
import type { IntroPage } from '../../worker/sections';
import { assembleIntroPage } from '../../worker/services/intro-page';
import { seed } from '../helpers/seed';

// Wednesday 18 Nov 2026, 10:00 UTC: 11:00 in Berlin (alice), 05:00 in New York (bob).
const NOW = Date.parse('2026-11-18T10:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let data: SeedData;

// Figures at a fixed clock, straight from D1: the cache is tested in test/cache/.
const uncached = new FragmentCache({ enabled: false });

async function pageOf(userId: string): Promise<IntroPage> {
  return (await assembleIntroPage({ env, waitUntil: () => undefined, userId, now: NOW }, uncached)).page;
}

beforeAll(async () => {
  data = await seed(env.DB, { now: NOW, seedUsers: 5 });
});

describe("alice's page, figured by hand from the seed (Europe/Berlin)", () => {
  it('user statistics', async () => {
    const { sections } = await pageOf('alice');
    expect(sections.userStatistics).toEqual({
      openTasks: 7, // tasks 1-7
      overdue: 2, // passport (-3 d), expenses (-1 d)
      completedThisWeek: 3, // Wed 09:00Z, Tue, Mon; Fri 13th is last week
      completionRate: 0.364, // 4 done of 11
      streakDays: 3, // Wed, Tue, Mon; nothing on Sunday
    });
  });

  it('actionable items: overdue first, then due today, then high priority; snoozed and far-off tasks left out', async () => {
    const { sections } = await pageOf('alice');
    expect(sections.actionableItems).toEqual([
      { taskId: 'alice-task-1', title: 'Renew passport', reason: 'overdue', dueAt: new Date(NOW - 3 * DAY).toISOString() },
      { taskId: 'alice-task-2', title: 'Submit expense report', reason: 'overdue', dueAt: new Date(NOW - DAY).toISOString() },
      { taskId: 'alice-task-3', title: 'Review Q4 roadmap', reason: 'due_today', dueAt: new Date(NOW + 2 * HOUR).toISOString() },
      { taskId: 'alice-task-4', title: 'Call the dentist', reason: 'high_priority', dueAt: new Date(NOW + 3 * DAY).toISOString() },
    ]);
  });

  it('activity feed: newest first, and a feed URL that resumes after the newest shown', async () => {
    const { sections } = await pageOf('alice');
    const feed = sections.activityFeed!;
    expect(feed.events.map((e) => e.id)).toEqual([15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    // Seeded in time order: the newest is this morning's completion of task 8 (the birthday card).
    expect(feed.events[0]).toMatchObject({ type: 'task.completed', payload: { taskId: 'alice-task-8', title: 'Send birthday card' } });
    expect(feed.events.map((e) => e.createdAt)).toEqual(
      feed.events
        .map((e) => e.createdAt)
        .sort()
        .reverse(),
    );
    expect(feed.feedUrl).toBe('/api/v1/feed?after=15');
  });

  it("personalization: her saved theme and locale, her account's time zone, every section in order", async () => {
    const { sections } = await pageOf('alice');
    expect(sections.personalization).toEqual({
      displayName: 'Alice Archer',
      theme: 'light',
      hiddenSections: [],
      sectionOrder: ['userStatistics', 'systemOverview', 'actionableItems', 'activityFeed', 'personalization'],
      locale: 'en-GB',
      timeZone: 'Europe/Berlin',
    });
  });
});

describe("bob's page (America/New_York, where it is still early morning)", () => {
  it('statistics and actionable items', async () => {
    const { sections } = await pageOf('bob');
    expect(sections.userStatistics).toEqual({ openTasks: 4, overdue: 1, completedThisWeek: 1, completionRate: 0.333, streakDays: 1 });
    expect(sections.actionableItems?.map((i) => [i.taskId, i.reason])).toEqual([
      ['bob-task-1', 'overdue'],
      ['bob-task-2', 'due_today'],
      ['bob-task-3', 'high_priority'],
    ]);
    expect(sections.personalization).toMatchObject({ theme: 'system', locale: 'en-US', timeZone: 'America/New_York' });
  });
});

describe('system overview', () => {
  it('counts users, today’s activity and completions, and active announcements', async () => {
    const { sections } = await pageOf('ops');
    const dayStart = Date.parse('2026-11-18T00:00:00Z');
    const activeToday = new Set(data.events.filter((e) => e.created_at >= dayStart).map((e) => e.user_id));
    const completedToday = data.tasks.filter((t) => t.completed_at !== null && t.completed_at >= dayStart).length;
    expect(activeToday.has('alice') && activeToday.has('bob') && activeToday.has('ops')).toBe(true);
    expect(sections.systemOverview).toMatchObject({
      totalUsers: 8, // alice, bob, ops + 5 generated
      activeUsersToday: activeToday.size,
      tasksCompletedToday: completedToday,
      status: 'operational',
    });
    expect(sections.systemOverview?.announcements.map((a) => a.id)).toEqual(['maintenance', 'welcome']);
  });

  it('turns degraded when a warning announcement is active', async () => {
    await env.DB.prepare(
      "insert into announcements (id, title, body, severity, starts_at, ends_at) values ('slow', 'Slow', 'Investigating', 'warning', ?, ?)",
    )
      .bind(NOW - HOUR, NOW + HOUR)
      .run();
    const { sections } = await pageOf('ops');
    expect(sections.systemOverview?.status).toBe('degraded');
    await env.DB.prepare("delete from announcements where id = 'slow'").run();
  });
});

describe('time zones move "today"', () => {
  it('counts a completion on the local day it happened, not the UTC one', async () => {
    // 23:30 UTC on Tuesday is already Wednesday 08:30 in Tokyo.
    await env.DB.prepare(
      "insert into users (id, name, email, time_zone) values ('kenji', 'Kenji', 'kenji@foyer.example', 'Asia/Tokyo')",
    ).run();
    await env.DB.prepare(
      "insert into tasks (id, owner_id, title, status, completed_at) values ('k1', 'kenji', 'Early', 'done', ?), ('k2', 'kenji', 'Late', 'done', ?)",
    )
      .bind(Date.parse('2026-11-17T23:30:00Z'), Date.parse('2026-11-16T14:00:00Z'))
      .run();
    const { sections } = await pageOf('kenji');
    // Wed (the 23:30Z one) and Mon 23:00 Tokyo: Tuesday is empty, so the streak is 1.
    expect(sections.userStatistics).toMatchObject({ completedThisWeek: 2, streakDays: 1, completionRate: 1 });
  });
});
