/**
 * The feed's close handshake as a real client sees it: a node `ws` client against `wrangler dev`
 * (the browser suite's server, test/e2e/server.ts, on this suite's ports 8840-8841). The workerd suite cannot show it: its
 * sockets are in-process pairs, where no close frame crosses a wire and no 1006 can happen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { tokenVars } from '../../../scripts/token';
import { signToken } from '../../../worker/auth/sign-token';

// The browser suite's server (wrangler dev, migrated and seeded), on this suite's port.
process.env.E2E_PORT ??= process.env.FEED_NODE_PORT ?? '8840';
const { E2E_URL, startServer } = await import('../../e2e/server');
const URL_BASE = E2E_URL.replace(/^http:\/\//, '');
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  stop = await startServer();
}, 240_000);

afterAll(async () => {
  await stop?.();
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
    ws.once('unexpected-response', (_req, res) => fail(new Error(`upgrade refused: ${res.statusCode}`)));
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
