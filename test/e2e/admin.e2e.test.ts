import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/local-config';
import { type Browser, launch, runAxe, signIn, watchProblems } from './browser';
import { E2E_URL } from './server';

const ARTIFACTS = resolve(ROOT, 'test-results/e2e');
let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

describe('the operators dashboard in a browser', () => {
  it('runs its live script under the nonce CSP, updates from the API and passes axe at 360 and 1280 px', async () => {
    const { page } = await signIn(browser, 'ops', { viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    const res = await page.goto('/admin');
    expect(res?.status()).toBe(200);
    await expect.poll(() => page.locator('[data-live-status]').textContent(), { timeout: 15_000 }).toMatch(/^Live: updated/);
    expect(await page.locator('[data-h="status"]').textContent()).toMatch(/^(ok|degraded)$/);
    // Its own polling is traffic too: the routes table now lists the metrics route.
    await expect.poll(() => page.locator('[data-routes]').textContent(), { timeout: 15_000 }).toContain('/api/v1/metrics');
    expect(await page.locator('svg[data-series="requests"] polyline').getAttribute('points')).toMatch(/\d/);
    expect(problems).toEqual([]);
    expect((await runAxe(page)).violations).toEqual([]);
    await page.setViewportSize({ width: 360, height: 800 });
    await page.waitForTimeout(150);
    await page.screenshot({ path: resolve(ARTIFACTS, 'admin-360.png'), fullPage: true });
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    expect((await runAxe(page)).violations).toEqual([]);
  });

  it('shows a signed-in user the 403 page, and sends a visitor to /login', async () => {
    const { page } = await signIn(browser, 'alice');
    const res = await page.goto('/admin');
    expect(res?.status()).toBe(403);
    expect(await page.locator('h1').textContent()).toBe('Operators only');
    const anonymous = await (await browser.newContext({ baseURL: E2E_URL })).newPage();
    await anonymous.goto('/admin');
    expect(new URL(anonymous.url()).pathname).toBe('/login');
  });
});
