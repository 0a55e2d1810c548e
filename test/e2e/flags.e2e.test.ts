import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf } from '../../worker/flags/evaluate';
import { FLAG_SNAPSHOT_TTL_MS } from '../../worker/flags/snapshot-store';
import { type Browser, launch, type Page, runAxe, signIn, watchProblems } from './browser';

const FLAG = 'focus-card';
const CARD = '#main [data-flag="focus-card"]';
let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

/** Reloads until the card is shown (or not); a change reaches the server's isolate within the TTL. */
async function cardAfterReload(page: Page, expected: boolean): Promise<void> {
  await expect
    .poll(
      async () => {
        await page.reload();
        return page.locator(CARD).count();
      },
      { timeout: FLAG_SNAPSHOT_TTL_MS * 3, interval: 500 },
    )
    .toBe(expected ? 1 : 0);
}

describe('feature flags end to end', () => {
  it('an operator creates and flips a flag from the dashboard: the card appears on reload for a user in the rollout only', async () => {
    // The rollout puts exactly one of the two demo users in: the one with the lower bucket.
    const [inside, outside] = ['alice', 'bob'].sort((a, b) => bucketOf(FLAG, a) - bucketOf(FLAG, b)) as [string, string];
    const rollout = bucketOf(FLAG, inside) + 1;
    expect(bucketOf(FLAG, outside)).toBeGreaterThanOrEqual(rollout);

    const ops = await signIn(browser, 'ops', { viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(ops.page);
    await ops.page.goto('/admin');
    // Create it switched off, by keyboard: the key, then the slider moved with arrow keys.
    await ops.page.getByLabel(/^Key/).fill(FLAG);
    await ops.page.locator('#flag-new-rollout').focus();
    await ops.page.keyboard.press('Home');
    for (let i = 0; i < rollout; i++) await ops.page.keyboard.press('ArrowRight');
    await expect.poll(() => ops.page.locator('#flag-new-rollout').inputValue()).toBe(String(rollout));
    await Promise.all([ops.page.waitForEvent('load'), ops.page.getByRole('button', { name: 'Create flag' }).press('Enter')]);
    await expect.poll(() => ops.page.locator(`form[data-key="${FLAG}"]`).count()).toBe(1);
    expect(await ops.page.locator('[data-flag-history]').textContent()).toContain(`created: disabled, rollout ${rollout} %`);
    expect((await runAxe(ops.page)).violations).toEqual([]);

    const userIn = await signIn(browser, inside);
    const userOut = await signIn(browser, outside);
    expect(await userIn.page.locator(CARD).count()).toBe(0);

    // The kill switch the other way: one keystroke on "Enabled" saves.
    await ops.page.locator(`#flag-${FLAG}-enabled`).focus();
    await Promise.all([ops.page.waitForEvent('load'), ops.page.keyboard.press('Space')]);
    expect(await ops.page.locator(`#flag-${FLAG}-enabled`).isChecked()).toBe(true);
    expect(await ops.page.locator('[data-flag-history]').textContent()).toContain(`updated: enabled, rollout ${rollout} %`);

    await cardAfterReload(userIn.page, true);
    expect(await userIn.page.locator(CARD).textContent()).toContain('Focus for today');
    await cardAfterReload(userOut.page, false);
    // Server-rendered with the page, not added by hydration: the HTML itself carries it.
    const html = await (await userIn.context.request.get('/')).text();
    expect(html).toContain('data-flag="focus-card"');
    expect((await runAxe(userIn.page)).violations).toEqual([]);

    // Switched off again: gone on reload.
    await ops.page.locator(`#flag-${FLAG}-enabled`).focus();
    await Promise.all([ops.page.waitForEvent('load'), ops.page.keyboard.press('Space')]);
    await cardAfterReload(userIn.page, false);
    expect(problems).toEqual([]);
  });
});
