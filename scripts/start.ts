/**
 * `npm start`: the local server on http://127.0.0.1:8787 with D1, KV and Durable Objects all
 * local, browser assets built, migrations applied and demo data seeded (idempotent), state under .wrangler/.
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
const dev = spawn('npx', ['wrangler', 'dev', ...defaults, ...extra], {
  cwd: ROOT,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => dev.kill(signal));
dev.on('exit', (code) => process.exit(code ?? 0));
