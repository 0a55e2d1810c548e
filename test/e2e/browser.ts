import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { E2E_URL } from './server';

/** Debian's chromium (`apt-get install chromium`); the suite never downloads a browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

/** A signed-in browser context: the /login page's own form, clicked like a person would. */
export async function signIn(browser: Browser, userId: string, options: Parameters<Browser['newContext']>[0] = {}) {
  const context = await browser.newContext({ baseURL: E2E_URL, ...options });
  const page = await context.newPage();
  await page.goto('/login');
  await Promise.all([page.waitForURL(`${E2E_URL}/`), page.click(`button[value="${userId}"]`)]);
  await hydrated(page);
  return { context, page };
}

/** Waits for the islands to hydrate (the client marks <html> when they are live). */
export async function hydrated(page: Page): Promise<void> {
  await page.waitForSelector('html.hydrated', { timeout: 15_000 });
}

/** Collects what must never happen on a page: script errors and CSP violations. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
  return problems;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA rules) in the page. It is evaluated over the DevTools
 * protocol, which CSP does not govern, so the page keeps its real policy while it is checked.
 */
export async function runAxe(page: Page): Promise<{ violations: AxeViolation[]; passes: number }> {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: AxeViolation[]; passes: unknown[] }> } }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return {
      violations: result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target })),
      })),
      passes: result.passes.length,
    };
  });
}

export type { Browser, BrowserContext, Page };
