import { renderToString } from 'preact-render-to-string';
import { describe, expect, it } from 'vitest';
import { IntroPage } from '../../web/components/intro-page';
import { ISLANDS } from '../../web/islands';
import type { PageData } from '../../web/page-data';
import { ISLAND_NAMES } from '../../web/page-state';
import { createStore, StoreContext } from '../../web/signal-store';

const data: PageData = {
  viewer: { userId: 'alice', role: 'user' },
  page: {
    userId: 'alice',
    generatedAt: '2026-11-22T10:00:00.000Z',
    sections: {
      userStatistics: { openTasks: 7, completedThisWeek: 4, overdue: 2, completionRate: 0.364, streakDays: 1 },
      systemOverview: { totalUsers: 3, activeUsersToday: 2, tasksCompletedToday: 1, announcements: [], status: 'operational' },
      actionableItems: [{ taskId: 't1', title: 'Renew <passport> & “visa”', reason: 'overdue', dueAt: '2026-11-19T09:00:00.000Z' }],
      activityFeed: {
        events: [
          { id: 2, type: 'task.completed', payload: { taskId: 't9' }, createdAt: '2026-11-21T10:00:00.000Z' },
          { id: 1, type: 'task.created', payload: { taskId: 't9', title: 'Water the plants' }, createdAt: '2026-11-20T10:00:00.000Z' },
        ],
        feedUrl: '/api/v1/feed?after=2',
      },
      personalization: null,
    },
    flags: {},
    degraded: ['personalization', 'userStatistics'],
  },
};

describe('hydration', () => {
  it('each island renders, from the store, exactly the markup the server sent', () => {
    const server = renderToString(<IntroPage data={data} />);
    const store = createStore(data);
    for (const name of ISLAND_NAMES) {
      const Island = ISLANDS[name];
      const island = renderToString(
        <StoreContext.Provider value={store}>
          <Island />
        </StoreContext.Provider>,
      );
      expect(island.length, name).toBeGreaterThan(100);
      expect(server, `island ${name} matches the server's HTML`).toContain(`data-island="${name}">${island}</div>`);
    }
  });

  it('the focus-card flag: server and island render the same variant, from the page data, so nothing flashes', () => {
    for (const on of [true, false]) {
      const flagged: PageData = { ...data, page: { ...data.page, flags: { 'focus-card': on } } };
      const server = renderToString(<IntroPage data={flagged} />);
      const Island = ISLANDS.actionableItems;
      const island = renderToString(
        <StoreContext.Provider value={createStore(flagged)}>
          <Island />
        </StoreContext.Provider>,
      );
      expect(server).toContain(`data-island="actionableItems">${island}</div>`);
      expect(island.includes('Focus for today'), `flag ${on}`).toBe(on);
    }
    // No flags in the page (none defined, or KV down on a cold isolate): the default, off.
    expect(renderToString(<IntroPage data={data} />)).not.toContain('Focus for today');
  });
});
