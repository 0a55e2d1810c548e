/**
 * The user guide's pictures (docs/user-guide.md, docs/operations.md): `npm run docs:screenshots`
 * runs only this file, against the same freshly seeded local server as the browser suite, and
 * writes docs/images/*.png. Skipped in `npm run test:e2e` (no DOCS_SCREENSHOTS), so a test run
 * never rewrites committed files. Its server listens on 8776 (E2E_PORT), not the suite's 8760,
 * so a browser suite running at the same time on this machine cannot change the pictured state.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/local-config';
import { type Browser, launch, type Page, signIn } from './browser';

const IMAGES = resolve(ROOT, 'docs/images');
const enabled = process.env.DOCS_SCREENSHOTS === '1';

let browser: Browser;

async function shoot(page: Page, name: string, fullPage = true): Promise<void> {
  // Let transitions and the live clock settle so a picture does not catch a half-drawn frame.
  await page.waitForTimeout(300);
  // A viewport-sized picture starts at the top, wherever the last click scrolled to.
  if (!fullPage) await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: resolve(IMAGES, `${name}.png`), fullPage, animations: 'disabled' });
}

beforeAll(async () => {
  if (!enabled) return;
  mkdirSync(IMAGES, { recursive: true });
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

describe.skipIf(!enabled)('screenshots for the user guide (docs/images)', () => {
  it('the intro page at 1280 and 360 px, light and dark, and the settings panel', async () => {
    const { page } = await signIn(browser, 'alice', { viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    await expect.poll(() => page.locator('#main .conn').textContent(), { timeout: 15_000 }).toContain('Live');
    await shoot(page, 'intro-page-1280');

    await page.setViewportSize({ width: 360, height: 800 });
    await shoot(page, 'intro-page-360');
    await page.locator('#main .card-personalization').screenshot({ path: resolve(IMAGES, 'personalization-360.png') });

    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole('radio', { name: 'Dark' }).click();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await shoot(page, 'intro-page-1280-dark', false);
    // Back to the seeded choice, so the next run starts from the same page.
    await page.getByRole('radio', { name: 'Light' }).click();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
  });

  it('a degraded section and a feed that is reconnecting', async () => {
    const { page } = await signIn(browser, 'bob', { viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    // The server marks sections degraded only when D1 fails; here the page's own refresh is
    // answered with the same data marked degraded, which the page shows exactly as it would.
    await page.route('**/api/v1/intro-page/bob', async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { degraded: string[] };
      await route.fulfill({ response: res, json: { ...body, degraded: ['userStatistics', 'actionableItems'] } });
    });
    await page
      .getByRole('button', { name: /^Done: / })
      .first()
      .click();
    await expect.poll(() => page.locator('.notice-degraded').count(), { timeout: 10_000 }).toBeGreaterThan(0);

    // Every new feed socket is refused, then the browser drops and regains the network.
    await page.routeWebSocket(/\/api\/v1\/feed/, (ws) => ws.close({ code: 1011, reason: 'docs screenshot' }));
    await page.context().setOffline(true);
    await expect.poll(() => page.locator('#main .conn').textContent()).toContain('Offline');
    await shoot(page, 'offline-1280', false);
    await page.context().setOffline(false);
    await expect.poll(() => page.locator('#main .conn').textContent(), { timeout: 10_000 }).toContain('Reconnecting');
    await shoot(page, 'degraded-reconnecting-1280', false);
  });

  it('adding a task, and the Undo offered after Done', async () => {
    const { page } = await signIn(browser, 'alice', { viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    const form = page.getByRole('form', { name: 'Add a task' });
    await form.getByLabel('Title').fill('Water the plants');
    await form.getByLabel('Priority').selectOption('high');
    await form.getByLabel('Title').press('Enter');
    await expect.poll(() => form.getByRole('status').textContent()).toBe('Added “Water the plants”.');
    await page
      .getByRole('button', { name: /^Done: / })
      .first()
      .click();
    // The offer lasts about 5 s: the picture is taken while it shows.
    await expect.poll(() => page.locator('[data-undo]').count()).toBe(1);
    await page
      .locator('#main .card-actionableItems')
      .screenshot({ path: resolve(IMAGES, 'add-task-undo-1280.png'), animations: 'disabled' });
    await page.locator('[data-undo]').click();
  });

  it("the operators' dashboard at 1280 and 360 px", async () => {
    const { page } = await signIn(browser, 'ops', { viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    await page.goto('/admin');
    await expect.poll(() => page.locator('[data-live-status]').textContent(), { timeout: 15_000 }).toMatch(/^Live: updated/);
    // A few polls so the charts have more than one point.
    await page.waitForTimeout(11_000);
    const live = () => expect.poll(() => page.locator('[data-live-status]').textContent(), { timeout: 15_000 }).toMatch(/^Live: updated/);
    await live();
    await shoot(page, 'admin-1280');
    await page.setViewportSize({ width: 360, height: 800 });
    await live();
    await shoot(page, 'admin-360');
  });
});
