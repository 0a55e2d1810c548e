/**
 * `npm start`: the local server on http://127.0.0.1:8787 with D1, KV, Durable Objects and the
 * events queues (producer and consumers) all local, browser assets built, migrations applied and
 * demo data seeded (idempotent), state under .wrangler/. The local runtime does not fire Cron
 * Triggers by itself, so this script calls the scheduled handler (the outbox relay) every minute.
 */
import { execFileSync, spawn } from 'node:child_process';
import { buildWeb } from './build-web';
import { ensureDevVars, ROOT } from './local-config';

// stdin is not passed on: wrangler asks "About to apply N migration(s)… continue?" only when stdin
// is a terminal, and `npm start` must run straight through to the server.
const run = (args: string[]) => execFileSync('npx', args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });

ensureDevVars();
// The page's scripts and styles (dist/, served by Workers Static Assets); skipped when up to date.
await buildWeb({ ifStale: true });
run(['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local']);
run(['tsx', 'scripts/seed.ts']);
// `npm start -- --port 8790` replaces a default instead of repeating the flag (wrangler refuses that).
const extra = process.argv.slice(2);
const given = (flag: string) => extra.some((arg) => arg === flag || arg.startsWith(`${flag}=`));
const defaults = [...(given('--ip') ? [] : ['--ip', '127.0.0.1']), ...(given('--port') ? [] : ['--port', '8787'])];
const dev = spawn('npx', ['wrangler', 'dev', '--test-scheduled', ...defaults, ...extra], {
  cwd: ROOT,
  stdio: 'inherit',
});
// `--test-scheduled` exposes /__scheduled (https://developers.cloudflare.com/workers/configuration/cron-triggers/#test-cron-triggers);
// wrangler.toml's cron is every minute, so is this. A failed call (server still starting) waits for the next.
const option = (flag: string, fallback: string) => {
  const i = extra.findIndex((arg) => arg === flag || arg.startsWith(`${flag}=`));
  if (i < 0) return fallback;
  return extra[i]!.includes('=') ? extra[i]!.split('=')[1]! : (extra[i + 1] ?? fallback);
};
const cron = setInterval(() => {
  fetch(`http://${option('--ip', '127.0.0.1')}:${option('--port', '8787')}/__scheduled?cron=*+*+*+*+*`).catch(() => {});
}, 60_000);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => dev.kill(signal));
dev.on('exit', (code) => {
  clearInterval(cron);
  process.exit(code ?? 0);
});
