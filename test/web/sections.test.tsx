import { renderToString } from 'preact-render-to-string';
import { describe, expect, it } from 'vitest';
import { ActionableItems } from '../../web/components/actionable-items';
import { ActivityFeed, describeEvent } from '../../web/components/activity-feed';
import { IntroPage, LoadingShell } from '../../web/components/intro-page';
import { PersonalizationPanel } from '../../web/components/personalization-panel';
import { SystemOverview } from '../../web/components/system-overview';
import { UserStatistics } from '../../web/components/user-statistics';
import { formatter } from '../../web/format';
import type {
  ActionableItem,
  ActivityFeed as Feed,
  SystemOverview as Overview,
  PageData,
  Personalization,
  UserStatistics as Stats,
} from '../../web/page-data';
import { SECTION_UNAVAILABLE, type SectionState } from '../../web/signal-store';

const format = formatter('en-US', 'UTC');
const loading = { status: 'loading' } as const;
const failed = { status: 'error', message: SECTION_UNAVAILABLE } as const;
const ready = <T,>(data: T): SectionState<T> => ({ status: 'ready', data });

const stats: Stats = { openTasks: 7, completedThisWeek: 4, overdue: 2, completionRate: 0.364, streakDays: 3 };
const overview: Overview = {
  totalUsers: 1203,
  activeUsersToday: 51,
  tasksCompletedToday: 140,
  status: 'degraded',
  announcements: [
    {
      id: 'a1',
      title: 'Maintenance',
      body: 'Read-only at 02:00.',
      severity: 'warning',
      startsAt: '2026-11-21T02:00:00.000Z',
      endsAt: null,
    },
  ],
};
const items: ActionableItem[] = [
  { taskId: 't1', title: 'Renew passport', reason: 'overdue', dueAt: '2026-11-19T09:00:00.000Z' },
  { taskId: 't2', title: 'Call the dentist', reason: 'high_priority', dueAt: null },
];
const feed: Feed = {
  events: [
    { id: 2, type: 'task.completed', payload: { taskId: 't9', changes: ['status'] }, createdAt: '2026-11-21T10:00:00.000Z' },
    { id: 1, type: 'task.created', payload: { taskId: 't9', title: 'Water the plants' }, createdAt: '2026-11-20T10:00:00.000Z' },
  ],
  feedUrl: '/api/v1/feed?after=2',
};
const prefs: Personalization = {
  displayName: 'Alice Archer',
  theme: 'dark',
  hiddenSections: ['systemOverview'],
  sectionOrder: ['activityFeed', 'userStatistics', 'systemOverview', 'actionableItems', 'personalization'],
  locale: 'de-DE',
  timeZone: 'Europe/Berlin',
};

/** The four states every section has, plus the degraded notice on top of data. */
function expectStates(
  render: (state: SectionState<never> | SectionState<unknown>, degraded: boolean) => string,
  readyState: SectionState<unknown>,
  emptyState: SectionState<unknown> | undefined,
  emptyText: RegExp | undefined,
) {
  const skeleton = render(loading, false);
  expect(skeleton).toContain('aria-busy="true"');
  expect(skeleton).toContain('Loading…');
  expect(skeleton).toContain('skeleton');

  const error = render(failed, true);
  expect(error).toContain('notice-error');
  expect(error).toContain(SECTION_UNAVAILABLE);
  expect(error).not.toContain('notice-degraded');

  const data = render(readyState, false);
  expect(data).toContain('data-state="ready"');
  expect(data).not.toContain('notice-degraded');
  expect(data).not.toContain('skeleton');

  expect(render(readyState, true)).toContain('Showing a saved copy');

  if (emptyState && emptyText) {
    const empty = render(emptyState, false);
    expect(empty).toMatch(emptyText);
    expect(empty).toContain('class="empty"');
  }
  return data;
}

describe('UserStatistics', () => {
  it('renders skeleton, error, empty, data and degraded states', () => {
    const html = expectStates(
      (state, degraded) => renderToString(<UserStatistics state={state as SectionState<Stats>} degraded={degraded} format={format} />),
      ready(stats),
      ready({ openTasks: 0, completedThisWeek: 0, overdue: 0, completionRate: 0, streakDays: 0 }),
      /no tasks yet/,
    );
    expect(html).toMatch(/<dt>Open tasks<\/dt><dd>7<\/dd>/);
    expect(html).toMatch(/<dt>Completion rate<\/dt><dd>36%<\/dd>/);
    expect(html).toMatch(/<dt>Streak<\/dt><dd>3<span class="unit"> days<\/span><\/dd>/);
    expect(html).toContain('stat-warn');
  });
});

describe('SystemOverview', () => {
  it('renders skeleton, error, empty, data and degraded states', () => {
    const html = expectStates(
      (state, degraded) => renderToString(<SystemOverview state={state as SectionState<Overview>} degraded={degraded} format={format} />),
      ready(overview),
      ready({ ...overview, totalUsers: 0, announcements: [] }),
      /No activity on Foyer yet/,
    );
    expect(html).toContain('Some systems degraded');
    expect(html).toContain('1,203');
    expect(html).toContain('<h3>Maintenance</h3>');
  });

  it('says so when there are no announcements', () => {
    expect(renderToString(<SystemOverview state={ready({ ...overview, announcements: [] })} degraded={false} format={format} />)).toContain(
      'No announcements.',
    );
  });
});

describe('ActionableItems', () => {
  it('renders skeleton, error, empty, data and degraded states', () => {
    const html = expectStates(
      (state, degraded) =>
        renderToString(<ActionableItems state={state as SectionState<ActionableItem[]>} degraded={degraded} format={format} />),
      ready(items),
      ready([]),
      /Nothing needs you right now/,
    );
    expect(html).toContain('Renew passport');
    expect(html).toContain('Overdue');
    expect(html).toContain('datetime="2026-11-19T09:00:00.000Z"');
    // Each button names its task for screen readers; disabled until hydrated.
    expect(html).toContain('aria-label="Done: Renew passport"');
    expect(html).toMatch(/<button type="button" class="btn btn-primary" aria-label="Done: Renew passport" disabled/);
  });

  it('enables the buttons once actions exist, and marks a pending item busy', () => {
    const html = renderToString(
      <ActionableItems
        state={ready(items)}
        degraded={false}
        format={format}
        onComplete={() => {}}
        onSnooze={() => {}}
        onAdd={async () => true}
        pending={new Set(['t1'])}
      />,
    );
    expect(html.match(/disabled/g)).toHaveLength(2);
    expect(html).toContain('aria-busy="true"');
  });

  it('offers a labelled "Add a task" form under the list and in the empty state, its button disabled until hydrated', () => {
    for (const state of [ready(items), ready([])]) {
      const html = renderToString(<ActionableItems state={state} degraded={false} format={format} />);
      expect(html).toContain('<form class="add-task" aria-labelledby="add-task-heading">');
      expect(html).toContain('<h3 id="add-task-heading">Add a task</h3>');
      // Every control has a visible label wrapping it; the title is required.
      expect(html).toMatch(/<label class="field add-task-title"><span>Title<\/span><input name="title" type="text" required/);
      expect(html).toMatch(/<span>Due date \(optional\)<\/span><input name="due" type="date"/);
      expect(html).toMatch(/<span>Priority<\/span><select name="priority">.*<option value="normal" selected>Normal<\/option>/);
      expect(html).toContain('<button type="submit" class="btn btn-primary" disabled>Add task</button>');
    }
    expect(renderToString(<ActionableItems state={ready([])} degraded={false} format={format} />)).toContain('Nothing needs you right now');
    // Not while loading: the streamed shell's skeleton has no controls.
    expect(renderToString(<ActionableItems state={loading} degraded={false} format={format} />)).not.toContain('<form');
  });

  it("announces the add's outcome: a failure as an alert the title points to, a success as a status", () => {
    const failed = renderToString(
      <ActionableItems
        state={ready(items)}
        degraded={false}
        format={format}
        note={{ error: true, text: 'The task was not added: a title is required' }}
      />,
    );
    expect(failed).toContain('aria-describedby="add-task-hint add-task-error"');
    expect(failed).toContain('<p id="add-task-error" class="inline-alert" role="alert">The task was not added: a title is required</p>');
    expect(failed).toContain('<p class="inline-status" role="status"></p>');
    const added = renderToString(
      <ActionableItems state={ready(items)} degraded={false} format={format} note={{ error: false, text: 'Added “Buy milk”.' }} />,
    );
    expect(added).toContain('<p class="inline-status" role="status">Added “Buy milk”.</p>');
    expect(added).toContain('<p id="add-task-error" class="inline-alert" role="alert"></p>');
  });

  it('offers Undo after Done or Snooze, named for the task, in a live region that is there before it fills', () => {
    const none = renderToString(<ActionableItems state={ready(items)} degraded={false} format={format} />);
    expect(none).toContain('<p class="undo" role="status"></p>');
    const html = renderToString(
      <ActionableItems
        state={ready([])}
        degraded={false}
        format={format}
        undo={{ text: 'Completed “Renew passport”.', label: 'Undo: complete “Renew passport”', undo: () => {} }}
      />,
    );
    expect(html).toContain(
      '<p class="undo" role="status">Completed “Renew passport”. <button type="button" class="btn" data-undo="true" aria-label="Undo: complete “Renew passport”">Undo</button></p>',
    );
  });

  it('announces a failed action', () => {
    const html = renderToString(<ActionableItems state={ready(items)} degraded={false} format={format} message="Could not complete it" />);
    expect(html).toContain('<p class="inline-alert" role="alert">Could not complete it</p>');
  });
});

describe('ActivityFeed', () => {
  const render = (state: SectionState<Feed>, degraded: boolean) =>
    renderToString(<ActivityFeed state={state} degraded={degraded} format={format} connection={{ status: 'live' }} fresh={new Set([2])} />);

  it('renders skeleton, error, empty, data and degraded states', () => {
    const html = expectStates(
      (state, degraded) => render(state as SectionState<Feed>, degraded),
      ready(feed),
      ready({ events: [], feedUrl: '/api/v1/feed?after=0' }),
      /No activity yet/,
    );
    expect(html).toContain('aria-live="polite"');
    expect(html).toContain('Created “Water the plants”');
    expect(html).toMatch(/class="event type-task-completed fresh"/);
  });

  it('shows the connection state', () => {
    const conn = (connection: Parameters<typeof ActivityFeed>[0]['connection']) =>
      renderToString(<ActivityFeed state={ready(feed)} degraded={false} format={format} connection={connection} />);
    expect(conn({ status: 'live' })).toContain('Live');
    expect(conn({ status: 'reconnecting', attempt: 2, retryInMs: 3600 })).toContain('Reconnecting in 4 s');
    expect(conn({ status: 'offline' })).toContain('Offline');
  });

  it('names tasks by title when the page knows it', () => {
    expect(describeEvent(feed.events[0]!, new Map([['t9', 'Water the plants']]))).toBe('Completed “Water the plants”');
    expect(describeEvent(feed.events[0]!)).toBe('Completed a task');
    expect(
      describeEvent({ id: 3, type: 'preferences.updated', payload: { fields: ['theme'] }, createdAt: feed.events[0]!.createdAt }),
    ).toBe('Changed settings: theme');
  });

  it("names a task by the title its event carries, the title at that moment, over the page's current one", () => {
    const event = { ...feed.events[0]!, payload: { taskId: 't9', title: 'Renew passport' } };
    expect(describeEvent(event)).toBe('Completed “Renew passport”');
    expect(describeEvent(event, new Map([['t9', 'Renew the passport']]))).toBe('Completed “Renew passport”');
  });
});

describe('PersonalizationPanel', () => {
  it('renders skeleton, error, data and degraded states', () => {
    const html = expectStates(
      (state, degraded) => renderToString(<PersonalizationPanel state={state as SectionState<Personalization>} degraded={degraded} />),
      ready(prefs),
      undefined,
      undefined,
    );
    expect(html).toMatch(/<input type="radio" name="theme" value="dark" checked/);
    expect(html).toMatch(/<option value="de-DE" selected/);
    // Hidden sections are unchecked; the settings themselves cannot be hidden.
    expect(html).toMatch(/<input type="checkbox" disabled\/?>System overview/);
    expect(html).not.toMatch(/checkbox[^>]*>Personalize/);
  });

  it('says when the defaults are in use (its empty state)', () => {
    const defaults: Personalization = { ...prefs, theme: 'system', hiddenSections: [], locale: 'en-US' };
    expect(renderToString(<PersonalizationPanel state={ready(defaults)} degraded={false} />)).toContain(
      'You are using the default settings',
    );
  });

  it('announces a rolled-back change', () => {
    const html = renderToString(<PersonalizationPanel state={ready(prefs)} degraded={false} onChange={() => {}} message="not saved" />);
    expect(html).toContain('role="alert">not saved</p>');
    expect(html).not.toContain('disabled=""');
  });
});

describe('IntroPage', () => {
  const data: PageData = {
    viewer: { userId: 'alice', role: 'user' },
    page: {
      userId: 'alice',
      generatedAt: '2026-11-22T10:00:00.000Z',
      sections: { userStatistics: stats, systemOverview: null, actionableItems: items, activityFeed: feed, personalization: prefs },
      flags: {},
      degraded: ['systemOverview'],
    },
  };

  it('lays sections out in the saved order, keeps hidden ones in the DOM, marks islands', () => {
    const html = renderToString(<IntroPage data={data} />);
    const order = [...html.matchAll(/data-slot="(\w+)"/g)].map((m) => m[1]);
    expect(order).toEqual(prefs.sectionOrder);
    expect(html).toMatch(/data-slot="systemOverview"[^>]*hidden/);
    expect(html).not.toMatch(/data-slot="systemOverview"[^>]*data-island/);
    expect(html).toMatch(/data-slot="activityFeed" data-island="activityFeed"/);
    expect(html).toContain('<main id="main" class="page" data-theme="dark"');
    // Greeted by the name they registered with, not the account id.
    expect(html).toContain('<h1>Welcome back, Alice Archer</h1>');
    // Dates in the viewer's locale and zone.
    expect(html).toContain('Sonntag, 22. November');
    // A completion carries only the task id; the title comes from the creation event on the page.
    expect(html).toContain('Completed “Water the plants”');
  });

  it('shows a section whose source failed as an error, and the others normally', () => {
    const html = renderToString(<IntroPage data={data} />);
    expect(html).toMatch(/card-systemOverview"[^>]*data-state="error"/);
    expect(html).toMatch(/card-userStatistics"[^>]*data-state="ready"/);
  });

  it('has a loading shell with every section skeleton and no duplicate ids', () => {
    const shell = renderToString(<LoadingShell />);
    expect(shell.match(/data-state="loading"/g)).toHaveLength(5);
    const page = renderToString(<IntroPage data={data} />);
    const ids = [...(shell + page).matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
