import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createActions, createRefresher } from '../../web/client/actions';
import { createStore, type Store } from '../../web/signal-store';
import type { IntroPage } from '../../worker/sections';
import { authHeaders } from '../helpers/auth';
import { call } from '../helpers/http';
import { seed } from '../helpers/seed';

/**
 * The page's "Add a task" against the real worker: the browser's `location` and `fetch` are
 * pointed at the app (signed in as alice), so what the store shows is what the server answered.
 */
let auth: Record<string, string>;

beforeAll(async () => {
  await seed(env.DB);
  auth = await authHeaders('alice');
  vi.stubGlobal('location', { origin: 'http://foyer.test' });
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const headers = new Headers(req.headers);
    for (const [k, v] of Object.entries(auth)) headers.set(k, v);
    const body = req.method === 'GET' ? undefined : await req.text();
    return call(`${url.pathname}${url.search}`, { method: req.method, headers, body });
  });
});

afterAll(() => {
  vi.unstubAllGlobals();
});

async function pageStore(): Promise<{ store: Store; actions: ReturnType<typeof createActions>; refresh: () => void }> {
  const page = (await (await call('/api/v1/intro-page/alice', { headers: auth })).json()) as IntroPage;
  const store = createStore({ page, viewer: { userId: 'alice', role: 'user' } });
  const refresh = createRefresher(store);
  return { store, actions: createActions(store, refresh), refresh };
}

const titles = (store: Store) => {
  const s = store.actionableItems.value;
  return s.status === 'ready' ? s.data.map((i) => i.title) : [];
};
const openTasks = (store: Store) => {
  const s = store.userStatistics.value;
  return s.status === 'ready' ? s.data.openTasks : Number.NaN;
};

describe('adding a task from the page (web/client/actions.ts against the worker)', () => {
  it('shows a qualifying task at once (busy), then under its real id, and the re-read keeps it', async () => {
    const { store, actions } = await pageStore();
    const open = openTasks(store);
    const title = `Call the plumber ${crypto.randomUUID().slice(0, 8)}`;
    const added = actions.createTask({ title, due: '', priority: 'high' });

    // Before the server has answered.
    expect(titles(store)).toContain(title);
    const draft = store.actionableItems.value;
    const draftId = draft.status === 'ready' ? draft.data.find((i) => i.title === title)?.taskId : undefined;
    expect(draftId && store.pendingTasks.value.has(draftId)).toBe(true);
    expect(openTasks(store)).toBe(open + 1);

    expect(await added).toBe(true);
    const { tasks } = (await (await call('/api/v1/tasks', { headers: auth })).json()) as {
      tasks: { id: string; title: string; priority: string }[];
    };
    const saved = tasks.find((t) => t.title === title);
    expect(saved?.priority).toBe('high');
    const items = store.actionableItems.value;
    expect(items.status === 'ready' && items.data.find((i) => i.title === title)).toMatchObject({
      taskId: saved!.id,
      reason: 'high_priority',
    });
    expect(store.pendingTasks.value.size).toBe(0);
    expect(store.addNote.value).toEqual({ error: false, text: `Added “${title}”.` });
    const feed = store.activityFeed.value;
    expect(feed.status === 'ready' && feed.data.events[0]).toMatchObject({ type: 'task.created', payload: { taskId: saved!.id, title } });

    // The re-read (300 ms later) asks for at least the new version: the server's list has it too.
    const shown = store.actionableItems.value;
    await vi.waitFor(() => expect(store.actionableItems.value).not.toBe(shown), { timeout: 3000 });
    expect(titles(store)).toContain(title);
    expect(openTasks(store)).toBe(open + 1);
  });

  it('says so when the task is saved but does not qualify for the list yet', async () => {
    const { store, actions } = await pageStore();
    const before = titles(store);
    const title = `Someday ${crypto.randomUUID().slice(0, 8)}`;
    expect(await actions.createTask({ title, due: '', priority: 'normal' })).toBe(true);
    expect(titles(store)).toEqual(before);
    expect(store.addNote.value?.text).toBe(`Added “${title}”. It will show here once it is due today, or if it is high priority.`);
  });

  it("rolls a refused task back, counts included, with the server's field message", async () => {
    const { store, actions } = await pageStore();
    const before = titles(store);
    const open = openTasks(store);
    const added = actions.createTask({ title: 'x'.repeat(201), due: '', priority: 'high' });
    expect(titles(store)).toHaveLength(before.length + 1);
    expect(await added).toBe(false);
    expect(titles(store)).toEqual(before);
    expect(openTasks(store)).toBe(open);
    expect(store.pendingTasks.value.size).toBe(0);
    expect(store.addNote.value).toEqual({ error: true, text: 'The task was not added: a title has at most 200 characters' });
  });
});
