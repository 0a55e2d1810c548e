/**
 * The feed's close handshake as a real client sees it: a node `ws` client against `wrangler dev`
 * (this suite's ports 8840-8841, its own throwaway state). The workerd suite cannot show it: its
 * sockets are in-process pairs, where no close frame crosses a wire and no 1006 can happen.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildWeb } from '../../../scripts/build-web';
import { ensureDevVars } from '../../../scripts/local-config';
import { tokenVars } from '../../../scripts/token';
import { signToken } from '../../../worker/auth/sign-token';

const ROOT = resolve(import.meta.dirname, '../../..');
const PORT = Number(process.env.FEED_NODE_PORT ?? 8840);
const URL_BASE = `127.0.0.1:${PORT}`;
const state = mkdtempSync(join(tmpdir(), 'foyer-feed-close-'));
let server: ChildProcess | undefined;
let output = '';

async function waitUntilUp(): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (server?.exitCode !== null) throw new Error(`wrangler dev exited:\n${output.slice(-4000)}`);
    try {
      if ((await fetch(`http://${URL_BASE}/api/v1/health`)).status < 500) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`wrangler dev did not answer within 120 s:\n${output.slice(-4000)}`);
}

beforeAll(async () => {
  ensureDevVars();
  await buildWeb({ ifStale: true, quiet: true });
  execFileSync('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  server = spawn(
    process.execPath,
    [
      resolve(ROOT, 'node_modules/wrangler/bin/wrangler.js'),
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(PORT),
      '--inspector-port',
      String(PORT + 1),
      '--persist-to',
      state,
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
  await waitUntilUp();
}, 240_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server!.once('exit', r));
  }
  rmSync(state, { recursive: true, force: true });
});

async function token(userId: string): Promise<string> {
  const vars = tokenVars();
  return signToken(
    { userId, role: 'user' },
    { secret: vars.JWT_SECRET!, issuer: vars.JWT_ISSUER!, audience: vars.JWT_AUDIENCE!, ttlSeconds: 600 },
  );
}

/** Opens alice's feed and waits for its `ready` frame. */
async function openFeed(): Promise<WebSocket> {
  const ws = new WebSocket(`ws://${URL_BASE}/api/v1/feed`, { headers: { Authorization: `Bearer ${await token('alice')}` } });
  await new Promise<void>((ok, fail) => {
    ws.once('message', () => ok());
    ws.once('error', fail);
    ws.once('unexpected-response', (_req, res) => fail(new Error(`upgrade refused: ${res.statusCode}\n${output.slice(-3000)}`)));
  });
  return ws;
}

describe('GET /api/v1/feed: a client that closes', () => {
  it('gets its close frame answered: wasClean, code 1000, within 2 s', { timeout: 30_000 }, async () => {
    const ws = await openFeed();
    const started = performance.now();
    const closed = new Promise<{ code: number; wasClean: boolean; ms: number }>((ok) => {
      ws.onclose = (e) => ok({ code: e.code, wasClean: e.wasClean, ms: performance.now() - started });
    });
    ws.close(1000, 'bye');
    const result = await Promise.race([closed, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 2000))]);
    expect(result).not.toBe('timeout');
    expect(result).toMatchObject({ code: 1000, wasClean: true });
  });
});
