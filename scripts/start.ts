/**
 * `npm start [-- --port N] [--inspector-port M]`: the local server on http://127.0.0.1:8787 with
 * D1, KV, Durable Objects and the events queues (producer and consumers) all local, browser
 * assets built, migrations applied and demo data seeded (idempotent), state under .wrangler/.
 * The local runtime does not fire Cron Triggers by itself, so this script calls the scheduled
 * handler (the outbox relay) every minute. Other flags go to `wrangler dev` as they are.
 */
import { spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { createInterface } from 'node:readline';
import { DEMO_USERS } from '../drizzle/seed/demo-data';
import { buildWeb } from './build-web';
import { ensureDevVars, ROOT } from './local-config';
import { migrateLocal, seedLocal } from './local-db';

const extra = process.argv.slice(2);
const option = (flag: string, fallback: string) => {
  const i = extra.findIndex((arg) => arg === flag || arg.startsWith(`${flag}=`));
  if (i < 0) return fallback;
  return extra[i]!.includes('=') ? extra[i]!.split('=')[1]! : (extra[i + 1] ?? fallback);
};
const origin = `http://${option('--ip', '127.0.0.1')}:${option('--port', '8787')}`;

ensureDevVars();
// The page's scripts and styles (dist/, served by Workers Static Assets); skipped when up to date.
await buildWeb({ ifStale: true });
try {
  console.log(await migrateLocal());
  console.log(seedLocal());
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}

// Offline, the local runtime's fetch of the `Request.cf` object fails with a stack trace per
// start-up; the placeholder it then falls back to is what it gets told to use instead.
const offline = await lookup('workers.cloudflare.com').then(
  () => false,
  () => true,
);
// `npm start -- --port 8790` replaces a default instead of repeating the flag (wrangler refuses that).
const given = (flag: string) => extra.some((arg) => arg === flag || arg.startsWith(`${flag}=`));
const defaults = [...(given('--ip') ? [] : ['--ip', '127.0.0.1']), ...(given('--port') ? [] : ['--port', '8787'])];
const dev = spawn('npx', ['wrangler', 'dev', '--test-scheduled', ...defaults, ...extra], {
  cwd: ROOT,
  stdio: ['inherit', 'pipe', 'pipe'],
  env: { ...process.env, ...(offline ? { CLOUDFLARE_CF_FETCH_ENABLED: 'false' } : {}) },
});

// wrangler dev prints the bindings table again once its dev registry connects: show it once.
let bindingsShown = false;
let skipping = false;
let ready = false;
function relay(stream: NodeJS.ReadableStream, out: NodeJS.WriteStream): void {
  createInterface({ input: stream }).on('line', (line) => {
    if (line.startsWith('Your Worker has access to the following bindings')) {
      skipping = bindingsShown;
      bindingsShown = true;
    } else if (skipping && line.trim() === '') {
      skipping = false;
      return;
    }
    if (skipping || line.includes('Connection status updated')) return;
    out.write(`${line}\n`);
    if (!ready && line.includes('Ready on')) {
      ready = true;
      void announce();
    }
  });
}
relay(dev.stdout!, process.stdout);
relay(dev.stderr!, process.stderr);

/** The banner, once the first page answers. */
async function announce(): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const ok = await fetch(`${origin}/api/v1/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const users = DEMO_USERS.map((u) => (u.role === 'admin' ? `${u.id} (admin)` : u.id)).join(', ');
  console.log(
    [
      '',
      `Foyer is running on ${origin}${offline ? ' (offline: Request.cf is a placeholder)' : ''}`,
      `  sign in:   ${origin}/login as ${users}, or a generated user-00001 …`,
      `  API token: TOKEN=$(npm run -s token -- --sub alice)   (--role admin for an operator)`,
      '  Ctrl-C to stop; another port: npm start -- --port 8790 --inspector-port 8791',
      '',
    ].join('\n'),
  );
}

// `--test-scheduled` exposes /__scheduled (https://developers.cloudflare.com/workers/configuration/cron-triggers/#test-cron-triggers);
// wrangler.toml's cron is every minute, so is this. A failed call (server still starting) waits for the next.
const cron = setInterval(() => {
  fetch(`${origin}/__scheduled?cron=*+*+*+*+*`).catch(() => {});
}, 60_000);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => dev.kill(signal));
dev.on('exit', (code) => {
  clearInterval(cron);
  process.exit(code ?? 0);
});
