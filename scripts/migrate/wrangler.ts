/**
 * The CLI's only door to D1: `wrangler d1 …`, so local and remote go through the same tool
 * (and the same migration bookkeeping in d1_migrations) as `npm start` and CI.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ROOT } from '../local-config';
import { DB_BINDING, type Plan } from './plan';

const WRANGLER = resolve(ROOT, 'node_modules/.bin/wrangler');

/** Runs wrangler with the terminal attached (the operator sees its progress); returns the exit code. */
export function wranglerInteractive(args: string[]): number {
  const run = spawnSync(WRANGLER, args, { cwd: ROOT, stdio: 'inherit' });
  return run.status ?? 1;
}

/** Runs a wrangler command with `--json` and parses what it prints. */
export function wranglerJson<T>(args: string[]): T {
  const run = spawnSync(WRANGLER, [...args, '--json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const out = run.stdout ?? '';
  const start = out.search(/[[{]/);
  let parsed: unknown;
  try {
    parsed = start === -1 ? undefined : JSON.parse(out.slice(start));
  } catch {
    parsed = undefined;
  }
  const error = (parsed as { error?: { text?: string } } | undefined)?.error;
  if (run.status !== 0 || parsed === undefined || error) {
    const why = error?.text ?? (run.stderr || out || `exit code ${run.status}`).trim().split('\n').slice(-5).join('\n');
    throw new Error(`wrangler ${args.slice(0, 3).join(' ')} failed: ${why}`);
  }
  return parsed as T;
}

interface ExecuteResult {
  results: Record<string, unknown>[];
}

/** Runs statements in one `wrangler d1 execute` (D1 runs them as one batch) and returns each one's rows. */
export function execute(plan: Plan, statements: string[]): Record<string, unknown>[][] {
  const out = wranglerJson<ExecuteResult[]>(['d1', 'execute', DB_BINDING, ...plan.target, '--command', statements.join(';\n')]);
  return out.map((r) => r.results ?? []);
}

/** The current Time Travel bookmark of a remote database (https://developers.cloudflare.com/d1/reference/time-travel/). */
export function timeTravelBookmark(plan: Plan): string {
  const out = wranglerJson<{ bookmark?: string }>(['d1', 'time-travel', 'info', DB_BINDING, '--env', plan.env]);
  if (!out.bookmark) throw new Error('wrangler d1 time-travel info returned no bookmark.');
  return out.bookmark;
}
