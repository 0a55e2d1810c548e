import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/local-config';
import { type Browser, type BrowserContext, hydrated, launch, type Page, runAxe, signIn, watchProblems } from './browser';
import { E2E_URL } from './server';

const ARTIFACTS = resolve(ROOT, 'test-results/e2e');
const WIDTHS = [360, 768, 1280] as const;

let browser: Browser;
let alice: { context: BrowserContext; page: Page };
let problems: string[];
const metrics: Record<string, unknown> = {};

async function api<T>(context: BrowserContext, path: string): Promise<T> {
  const res = await context.request.get(path);
  expect(res.status(), path).toBe(200);
  return (await res.json()) as T;
}

interface Stats {
  openTasks: number;
  completedThisWeek: number;
  overdue: number;
  completionRate: number;
  streakDays: number;
}

async function figure(page: Page, label: string): Promise<string> {
  return (
    (await page
      .locator('#main .slot-userStatistics .stat', { has: page.locator(`dt:text-is("${label}")`) })
      .locator('dd')
      .textContent()) ?? ''
  );
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launch();
  alice = await signIn(browser, 'alice', { viewport: { width: 1280, height: 900 } });
  problems = watchProblems(alice.page);
});

afterAll(async () => {
  writeFileSync(resolve(ARTIFACTS, 'page-metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  await browser?.close();
});

describe('the intro page in a browser', () => {
  it('shows alice her real figures, server-rendered and hydrated', async () => {
    const { page, context } = alice;
    const intro = await api<{ sections: { userStatistics: Stats; actionableItems: { title: string }[] } }>(
      context,
      '/api/v1/intro-page/alice',
    );
    const s = intro.sections.userStatistics;
    expect(s.openTasks).toBeGreaterThan(0);
    expect(await figure(page, 'Open tasks')).toBe(String(s.openTasks));
    expect(await figure(page, 'Overdue')).toBe(String(s.overdue));
    expect(await figure(page, 'Done this week')).toBe(String(s.completedThisWeek));
    expect(await figure(page, 'Streak')).toBe(`${s.streakDays} ${s.streakDays === 1 ? 'day' : 'days'}`);
    const titles = await page.locator('#main .slot-actionableItems .item-title').allTextContents();
    expect(titles).toEqual(intro.sections.actionableItems.map((i) => i.title));
    await expect.poll(() => page.locator('#main .conn').textContent()).toContain('Live');
    // Hydration enabled the controls the server rendered disabled.
    expect(await page.locator('#main .slot-actionableItems button:disabled').count()).toBe(0);
  });

  it('fits 360, 768 and 1280 px wide (screenshots in test-results/e2e)', async () => {
    const { page } = alice;
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await page.waitForTimeout(150);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `no horizontal scrolling at ${width}px`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: resolve(ARTIFACTS, `intro-page-${width}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('axe-core finds no WCAG 2.1 A/AA violations (light and dark, and /login)', async () => {
    const { page } = alice;
    const light = await runAxe(page);
    expect(light.violations).toEqual([]);
    const dark = await browser.newContext({ baseURL: E2E_URL, colorScheme: 'dark', storageState: await alice.context.storageState() });
    const darkPage = await dark.newPage();
    await darkPage.goto('/');
    await hydrated(darkPage);
    await darkPage.evaluate(() => {
      document.documentElement.dataset.theme = 'dark';
      document.getElementById('main')!.dataset.theme = 'dark';
    });
    const darkResult = await runAxe(darkPage);
    expect(darkResult.violations).toEqual([]);
    await darkPage.screenshot({ path: resolve(ARTIFACTS, 'intro-page-1280-dark.png'), fullPage: true });
    const login = await (await browser.newContext({ baseURL: E2E_URL, viewport: { width: 360, height: 720 } })).newPage();
    await login.goto('/login');
    const loginResult = await runAxe(login);
    expect(loginResult.violations).toEqual([]);
    await login.screenshot({ path: resolve(ARTIFACTS, 'login-360.png') });
    metrics.axe = {
      rules: 'wcag2a, wcag2aa, wcag21a, wcag21aa, best-practice',
      violations: { light: light.violations.length, dark: darkResult.violations.length, login: loginResult.violations.length },
      passedRules: { light: light.passes, dark: darkResult.passes, login: loginResult.passes },
    };
    await dark.close();
    await login.context().close();
  });

  it('completing a task updates statistics and feed without a reload, and a second tab gets the event', async () => {
    const { page, context } = alice;
    const second = await context.newPage();
    const secondProblems = watchProblems(second);
    await second.goto('/');
    await hydrated(second);
    await expect.poll(() => second.locator('#main .conn').textContent()).toContain('Live');
    await expect.poll(() => page.locator('#main .conn').textContent()).toContain('Live');

    await page.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    const open = Number(await figure(page, 'Open tasks'));
    const done = Number(await figure(page, 'Done this week'));
    const item = page.locator('#main .slot-actionableItems .item').first();
    const title = (await item.locator('.item-title').textContent())!;
    await item.getByRole('button', { name: `Done: ${title}` }).click();

    await expect.poll(() => page.locator('#main .slot-actionableItems .item-title').allTextContents()).not.toContain(title);
    await expect.poll(() => figure(page, 'Open tasks')).toBe(String(open - 1));
    await expect.poll(() => figure(page, 'Done this week')).toBe(String(done + 1));
    await expect.poll(() => page.locator('#main .slot-activityFeed .event-text').first().textContent()).toBe(`Completed “${title}”`);
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);

    // The other tab: the event arrives over its WebSocket, then its figures follow.
    await expect
      .poll(() => second.locator('#main .slot-activityFeed .event-text').first().textContent(), { timeout: 10_000 })
      .toBe(`Completed “${title}”`);
    await expect.poll(() => figure(second, 'Open tasks'), { timeout: 10_000 }).toBe(String(open - 1));
    await expect.poll(() => second.locator('#main .slot-actionableItems .item-title').allTextContents()).not.toContain(title);
    expect(secondProblems).toEqual([]);
    await second.close();

    // And the server agrees.
    const after = await api<{ sections: { userStatistics: Stats } }>(context, '/api/v1/intro-page/alice');
    expect(after.sections.userStatistics.openTasks).toBe(open - 1);
  });

  it('snoozes an item: gone now and after a reload', async () => {
    const { page } = alice;
    const item = page.locator('#main .slot-actionableItems .item').first();
    const title = (await item.locator('.item-title').textContent())!;
    await item.getByRole('button', { name: `Snooze a day: ${title}` }).click();
    await expect.poll(() => page.locator('#main .slot-actionableItems .item-title').allTextContents()).not.toContain(title);
    await expect.poll(() => page.locator('#main .slot-activityFeed .event-text').first().textContent()).toBe(`Snoozed “${title}”`);
    await page.reload();
    await hydrated(page);
    expect(await page.locator('#main .slot-actionableItems .item-title').allTextContents()).not.toContain(title);
    // The server-rendered feed keeps the words: the event carries the title, not only the task id.
    expect(await page.locator('#main .slot-activityFeed .event-text').first().textContent()).toBe(`Snoozed “${title}”`);
  });

  it('a page that does not exist is a page: 404, the way home, the request id, axe-clean', async () => {
    const page = await alice.context.newPage();
    const res = await page.goto('/no-such-page');
    expect(res?.status()).toBe(404);
    expect(res?.headers()['content-type']).toContain('text/html');
    expect(await page.locator('.request-id').textContent()).toBe(res?.headers()['x-request-id']);
    expect((await runAxe(page)).violations).toEqual([]);
    await page.locator('a[href="/"]').first().click();
    await page.waitForURL(`${E2E_URL}/`);
    await hydrated(page);
    await page.close();
  });

  const itemTitles = (page: Page) => page.locator('#main .slot-actionableItems .item-title').allTextContents();
  const addForm = (page: Page) => page.getByRole('form', { name: 'Add a task' });

  /** Holds the page's POST /api/v1/tasks until released, to see what it shows before the server answers. */
  async function holdCreate(page: Page) {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    await page.route('**/api/v1/tasks', async (route) => {
      await held;
      await route.continue();
    });
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/tasks') && r.request().method() === 'POST');
    return {
      async release() {
        release();
        const res = await answered;
        await page.unroute('**/api/v1/tasks');
        return res.status();
      },
    };
  }

  it('adds a task from the page: shown at once, confirmed, and there after a reload', async () => {
    const { page, context } = alice;
    const intro = await api<{ sections: { personalization: { timeZone: string } } }>(context, '/api/v1/intro-page/alice');
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: intro.sections.personalization.timeZone }).format(new Date());
    const open = Number(await figure(page, 'Open tasks'));
    const title = `Book the car service ${Date.now()}`;
    const form = addForm(page);
    const create = await holdCreate(page);
    await form.getByLabel('Title').fill(title);
    await form.getByLabel('Due date (optional)').fill(today);
    await form.getByLabel('Priority').selectOption('high');
    await form.getByLabel('Title').press('Enter');

    // Before the server has answered: in the list (busy), counted, and the form ready for the next.
    const item = page.locator('#main .slot-actionableItems .item', { hasText: title });
    // count() first: getAttribute would wait for a missing item until the test times out.
    await expect.poll(() => item.count()).toBe(1);
    expect(await item.getAttribute('aria-busy')).toBe('true');
    expect(await item.locator('.badge').textContent()).toBe('Due today');
    expect(await figure(page, 'Open tasks')).toBe(String(open + 1));
    expect(await form.getByLabel('Title').inputValue()).toBe('');
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('title');

    expect(await create.release()).toBe(201);
    await expect.poll(() => item.getAttribute('aria-busy')).toBeNull();
    expect(await item.getByRole('button', { name: `Done: ${title}` }).isEnabled()).toBe(true);
    await expect.poll(() => form.getByRole('status').textContent()).toBe(`Added “${title}”.`);
    await expect.poll(() => page.locator('#main .slot-activityFeed .event-text').first().textContent()).toBe(`Created “${title}”`);

    await page.reload();
    await hydrated(page);
    expect(await itemTitles(page)).toContain(title);
    expect(await figure(page, 'Open tasks')).toBe(String(open + 1));
  });

  it("rolls a refused add back with the server's reason, and gives the input back", async () => {
    const { page } = alice;
    const before = await itemTitles(page);
    const form = addForm(page);
    const title = `Too long ${'x'.repeat(200)}`;
    const create = await holdCreate(page);
    await form.getByLabel('Title').fill(title);
    await form.getByLabel('Priority').selectOption('high');
    await form.getByRole('button', { name: 'Add task' }).click();
    await expect.poll(() => itemTitles(page)).toHaveLength(before.length + 1);

    expect(await create.release()).toBe(400);
    const alert = form.getByRole('alert');
    await expect.poll(() => alert.textContent()).toBe('The task was not added: a title has at most 200 characters');
    expect(await itemTitles(page)).toEqual(before);
    expect(await form.getByLabel('Title').inputValue()).toBe(title);
    expect(await form.getByLabel('Priority').inputValue()).toBe('high');
    // The message is tied to the field it is about, and the page stays accessible with it shown.
    expect(await form.getByLabel('Title').getAttribute('aria-describedby')).toContain((await alert.getAttribute('id'))!);
    expect((await runAxe(page)).violations).toEqual([]);
    await form.getByLabel('Title').fill('');
    await form.getByLabel('Priority').selectOption('normal');
  });

  it('Undo after Done keeps the task: back at once, reopened, and there after a reload', async () => {
    const { page } = alice;
    const open = Number(await figure(page, 'Open tasks'));
    const item = page.locator('#main .slot-actionableItems .item').first();
    const title = (await item.locator('.item-title').textContent())!;
    await item.getByRole('button', { name: `Done: ${title}` }).click();
    await expect.poll(() => itemTitles(page)).not.toContain(title);
    const undo = page.getByRole('button', { name: `Undo: complete “${title}”` });
    expect(await page.locator('#main .undo').textContent()).toBe(`Completed “${title}”. Undo`);
    // Focus does not fall to <body> with the button that left: it is on Undo.
    await expect.poll(() => undo.evaluate((el) => el === document.activeElement)).toBe(true);
    await expect.poll(() => figure(page, 'Open tasks')).toBe(String(open - 1));

    const reopened = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.request().postData() === '{"status":"open"}');
    await undo.click();
    await expect.poll(() => itemTitles(page)).toContain(title);
    expect((await reopened).status()).toBe(200);
    expect(await undo.count()).toBe(0);
    await expect.poll(() => figure(page, 'Open tasks')).toBe(String(open));
    await expect.poll(() => page.locator('#main .slot-activityFeed .event-text').first().textContent()).toBe(`Reopened “${title}”`);

    await page.reload();
    await hydrated(page);
    expect(await itemTitles(page)).toContain(title);
    expect(await figure(page, 'Open tasks')).toBe(String(open));
  });

  it('keeps the Undo of a Snooze while the keyboard is on it, lets it go about 5 s after, and the snooze stays', async () => {
    const { page } = alice;
    const item = page.locator('#main .slot-actionableItems .item').first();
    const title = (await item.locator('.item-title').textContent())!;
    await item.getByRole('button', { name: `Snooze a day: ${title}` }).focus();
    await page.keyboard.press('Enter');
    const undo = page.getByRole('button', { name: `Undo: snooze “${title}”` });
    await expect.poll(() => undo.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.waitForTimeout(6000);
    expect(await undo.count(), 'still offered while focused').toBe(1);
    await page.keyboard.press('Tab');
    const left = Date.now();
    await expect.poll(() => undo.count(), { timeout: 10_000, interval: 200 }).toBe(0);
    const shownFor = Date.now() - left;
    // It is re-checked every 5 s, so it goes at most that long after focus moved on.
    expect(shownFor).toBeLessThanOrEqual(6000);
    metrics.undo = { offeredMsAfterFocusLeft: shownFor };
    await page.reload();
    await hydrated(page);
    expect(await itemTitles(page)).not.toContain(title);
  });

  it('changes the theme at once, and the server paints it on reload (no flash)', async () => {
    const { page, context } = alice;
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/v1/users/alice/preferences') && r.request().method() === 'PATCH');
    await page.getByRole('radio', { name: 'Dark' }).check();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect((await saved).status()).toBe(200);
    await page.reload();
    // The first bytes already carry the theme: from the cookie hint, and <main> from the saved preference.
    const html = await (await context.request.get('/')).text();
    expect(html).toMatch(/^<!doctype html><html lang="en" data-theme="dark">/);
    expect(html).toContain('<main id="main" class="page" data-theme="dark"');
    await hydrated(page);
    expect(await page.locator('input[name="theme"][value="dark"]').isChecked()).toBe(true);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe('rgb(14, 16, 20)');
    await page.screenshot({ path: resolve(ARTIFACTS, 'intro-page-1280-after-changes.png'), fullPage: true });
  });

  it('hides and reorders sections, kept across a reload', async () => {
    const { page } = alice;
    const order = () => page.locator('#sections > .slot').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.slot));
    const before = await order();
    const savedPreferences = () => page.waitForResponse((r) => r.url().endsWith('/preferences') && r.ok());
    let saved = savedPreferences();
    await page.getByRole('checkbox', { name: 'System overview' }).uncheck();
    await saved;
    await expect.poll(() => page.locator('[data-slot="systemOverview"]').isHidden()).toBe(true);
    saved = savedPreferences();
    await page.getByRole('button', { name: 'Move Activity up' }).click();
    await saved;
    const moved = await order();
    expect(moved.indexOf('activityFeed')).toBe(before.indexOf('activityFeed') - 1);
    await page.reload();
    await hydrated(page);
    expect(await order()).toEqual(moved);
    expect(await page.locator('[data-slot="systemOverview"]').isHidden()).toBe(true);
    saved = savedPreferences();
    await page.getByRole('checkbox', { name: 'System overview' }).check();
    await saved;
  });

  it('rolls a failed preference change back, with a message', async () => {
    const { page } = alice;
    await page.route('**/api/v1/users/alice/preferences', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: 'about:blank',
          title: 'Service unavailable',
          status: 503,
          detail: 'D1 is unavailable.',
          instance: 'x',
        }),
      }),
    );
    // click, not check(): the rollback can undo the choice before Playwright looks at it.
    await page.getByRole('radio', { name: 'Light' }).click();
    await expect.poll(() => page.locator('.prefs .inline-alert').textContent()).toContain('D1 is unavailable.');
    expect(await page.locator('input[name="theme"][value="dark"]').isChecked()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.unroute('**/api/v1/users/alice/preferences');
  });

  it('shows the connection state and resumes the feed after going offline', async () => {
    const { page, context } = alice;
    await context.setOffline(true);
    try {
      await expect.poll(() => page.locator('#main .conn').textContent()).toContain('Offline');
    } finally {
      await context.setOffline(false);
    }
    await expect.poll(() => page.locator('#main .conn').textContent(), { timeout: 15_000 }).toContain('Live');
    // An event made elsewhere (the API) while reconnected arrives live.
    const created = await context.request.post('/api/v1/tasks', { data: { title: 'Made in another terminal' } });
    expect(created.status()).toBe(201);
    await expect
      .poll(() => page.locator('#main .slot-activityFeed .event-text').first().textContent(), { timeout: 10_000 })
      .toBe('Created “Made in another terminal”');
  });

  // Swagger UI is heavy (1.5 MB of script, axe over some 2,000 nodes): one load, both schemes.
  it('the /docs explorer: axe finds no violations, light and dark, closed and with an operation tried and the Authorize dialog open', {
    timeout: 180_000,
  }, async () => {
    const context = await browser.newContext({ baseURL: E2E_URL, viewport: { width: 1280, height: 900 } });
    const docs = await context.newPage();
    const docsProblems = watchProblems(docs);
    const violations: Record<string, number> = {};
    const check = async (state: string) => {
      for (const colorScheme of ['light', 'dark'] as const) {
        await docs.emulateMedia({ colorScheme });
        const result = await runAxe(docs);
        expect(result.violations, `${state}, ${colorScheme}`).toEqual([]);
        violations[`${state}-${colorScheme}`] = result.violations.length;
      }
    };
    await docs.goto('/docs');
    await docs.waitForSelector('#operations-Tasks-createTask', { timeout: 60_000 });
    await check('closed');
    // The servers <select> has a name, and the operations a heading between the title and the tags.
    expect(await docs.getByRole('combobox', { name: 'Server' }).count()).toBe(1);
    expect(await docs.getByRole('heading', { level: 2, name: 'Operations' }).count()).toBe(1);
    await docs.locator('#operations-Tasks-createTask .opblock-summary-control').click();
    await docs.locator('#operations-Tasks-createTask .try-out__btn').click();
    await docs.getByRole('textbox', { name: 'Request body' }).waitFor();
    await docs.locator('.auth-wrapper .btn.authorize').click();
    await docs.getByRole('button', { name: 'Close' }).first().waitFor();
    await check('open');
    await docs.screenshot({ path: resolve(ARTIFACTS, 'docs-1280.png') });
    expect(docsProblems).toEqual([]);
    metrics.docsAxe = { violations };
    await context.close();
  });

  it('serves hashed assets immutable and /docs offline under its CSP', async () => {
    const { context } = alice;
    const html = await (await context.request.get('/')).text();
    const script = /<script type="module" src="([^"]+)"/.exec(html)![1]!;
    const style = /<link rel="stylesheet" href="([^"]+)"/.exec(html)![1]!;
    const js = await context.request.get(script);
    expect(js.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
    const css = await context.request.get(style);
    const docs = await context.newPage();
    const docsProblems = watchProblems(docs);
    await docs.goto('/docs');
    await docs.waitForSelector('.swagger-ui .info .title', { timeout: 20_000 });
    expect(await docs.locator('.swagger-ui .info .title').textContent()).toContain('Foyer API');
    expect(docsProblems).toEqual([]);
    await docs.close();

    const page = await fetch(`${E2E_URL}/`, {
      headers: { cookie: (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ') },
    });
    const body = Buffer.from(await page.arrayBuffer());
    metrics.javascript = { file: script, bytes: (await js.body()).length, gzipBytes: gzipSync(await js.body(), { level: 9 }).length };
    metrics.css = { file: style, bytes: (await css.body()).length, gzipBytes: gzipSync(await css.body(), { level: 9 }).length };
    metrics.html = { bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length };
    expect((metrics.javascript as { gzipBytes: number }).gzipBytes).toBeLessThan(20 * 1024);
  });

  it('measures time to first byte and to the sections', async () => {
    const cookie = (await alice.context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const ttfb: number[] = [];
    const complete: number[] = [];
    for (let i = 0; i < 25; i++) {
      const started = performance.now();
      const res = await fetch(`${E2E_URL}/`, { headers: { cookie } });
      const reader = res.body!.getReader();
      await reader.read();
      ttfb.push(performance.now() - started);
      while (!(await reader.read()).done) {}
      complete.push(performance.now() - started);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    metrics.timing = {
      requests: ttfb.length,
      note: 'wrangler dev on this machine, sequential, warm: a warm page is sent whole (a cold one streams the shell first)',
      ttfbMedianMs: Math.round(median(ttfb) * 10) / 10,
      completeMedianMs: Math.round(median(complete) * 10) / 10,
    };
    expect(median(ttfb)).toBeLessThanOrEqual(median(complete));
  });

  it('raised no script error and no CSP violation along the way', () => {
    expect(problems).toEqual([]);
  });
});
