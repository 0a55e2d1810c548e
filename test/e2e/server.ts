/**
 * The local server the browser suite talks to: `wrangler dev` on this suite's own port range
 * (8760-8769) with its own persisted state, migrated and seeded from scratch every run so the
 * figures the tests expect are the seed's.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildWeb } from '../../scripts/build-web';
import { ensureDevVars, ROOT } from '../../scripts/local-config';

export const E2E_PORT = Number(process.env.E2E_PORT ?? 8760);
export const E2E_INSPECTOR_PORT = E2E_PORT + 1;
export const E2E_URL = `http://127.0.0.1:${E2E_PORT}`;
const STATE = resolve(ROOT, '.wrangler/e2e-state');
const SEED_USERS = '25';

const npx = (args: string[]) =>
  execFileSync('npx', args, {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, SEED_USERS, WRANGLER_SEND_METRICS: 'false' },
  });

async function waitUntilUp(server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`wrangler dev exited with ${server.exitCode}:\n${log()}`);
    try {
      const res = await fetch(`${E2E_URL}/login`);
      if (res.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`wrangler dev did not answer on ${E2E_URL} within 120 s:\n${log()}`);
}

export async function startServer(): Promise<() => Promise<void>> {
  ensureDevVars();
  await buildWeb({ ifStale: true, quiet: true });
  rmSync(STATE, { recursive: true, force: true });
  npx(['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', STATE]);
  npx(['tsx', 'scripts/seed.ts', '--persist-to', STATE]);
  let output = '';
  const server = spawn(
    process.execPath,
    [
      resolve(ROOT, 'node_modules/wrangler/bin/wrangler.js'),
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(E2E_PORT),
      '--inspector-port',
      String(E2E_INSPECTOR_PORT),
      '--persist-to',
      STATE,
      '--show-interactive-dev-session=false',
    ],
    { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  server.stdout?.on('data', (d) => {
    output += d;
  });
  server.stderr?.on('data', (d) => {
    output += d;
  });
  await waitUntilUp(server, () => output.slice(-4000));
  return async () => {
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  };
}
