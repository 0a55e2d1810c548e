/**
 * `npm start`: the local server on http://127.0.0.1:8787 with D1, KV and Durable Objects all
 * local, browser assets built, migrations applied and demo data seeded (idempotent), state under .wrangler/.
 */
import { execFileSync, spawn } from 'node:child_process';
import { buildWeb } from './build-web';
import { ensureDevVars, ROOT } from './local-config';

const run = (args: string[]) => execFileSync('npx', args, { cwd: ROOT, stdio: 'inherit' });

ensureDevVars();
// The page's scripts and styles (dist/, served by Workers Static Assets); skipped when up to date.
await buildWeb({ ifStale: true });
run(['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local']);
run(['tsx', 'scripts/seed.ts']);
const dev = spawn('npx', ['wrangler', 'dev', '--ip', '127.0.0.1', '--port', '8787', ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => dev.kill(signal));
dev.on('exit', (code) => process.exit(code ?? 0));
