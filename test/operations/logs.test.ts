import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { app } from '../../worker/app';
import { traceFrom } from '../../worker/observability/trace-context';
import { tokenFor } from '../helpers/auth';
import { envWith, failing } from '../helpers/broken-env';
import { call } from '../helpers/http';
import { seed } from '../helpers/seed';

type Line = Record<string, unknown>;
let printed: string[] = [];

beforeAll(async () => {
  await seed(env.DB);
});

beforeEach(() => {
  printed = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      printed.push(args.map(String).join(' '));
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
});

function requestLine(requestId: string | null): Line {
  const lines = printed.filter((p) => p.startsWith('{')).map((p) => JSON.parse(p) as Line);
  const line = lines.find((l) => l.msg === 'request' && l.requestId === requestId);
  if (!line) throw new Error(`no request line for ${requestId} in:\n${printed.join('\n')}`);
  return line;
}

describe('request logs', () => {
  it('prints one JSON line per request with the required fields, and never the token or cookie', async () => {
    const token = await tokenFor('alice');
    const cookieToken = await tokenFor('alice', 'user', 7200);
    // One credential per request (RFC 6750 §2): the bearer here, the cookie on the next request.
    const res = await call('/api/v1/intro-page/alice?debug=1', { headers: { Authorization: `Bearer ${token}`, Cookie: 'other=1' } });
    expect(res.status).toBe(200);
    const byCookie = await call('/api/v1/intro-page/alice', { headers: { Cookie: `foyer_session=${cookieToken}; other=1` } });
    expect(byCookie.status).toBe(200);
    const requestId = res.headers.get('X-Request-Id');
    const line = requestLine(requestId);
    const printedLines = printed.filter((p) => p.includes('"msg":"request"') && p.includes(requestId ?? '?'));
    expect(printedLines).toHaveLength(1);
    // Workers Logs shows the first fields first (docs/operations.md): level and msg lead.
    expect(printedLines[0]).toMatch(/^\{"level":"info","msg":"request","time":"/);
    expect(line).toMatchObject({
      level: 'info',
      method: 'GET',
      route: '/api/v1/intro-page/:userId',
      path: '/api/v1/intro-page/alice',
      status: 200,
      principal: { userId: 'alice', role: 'user' },
    });
    expect(line.durationMs).toEqual(expect.any(Number));
    expect(line.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(line.timings).toEqual(expect.objectContaining({ d1: expect.any(Number) }));
    expect(line).toHaveProperty('cache');

    const everything = printed.join('\n');
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(cookieToken);
    expect(everything).not.toContain(token.split('.')[2] as string);
    expect(everything).not.toMatch(/Bearer ey/);
  });

  it('reads the serving cache layer from Cache-Status when a route sends it', async () => {
    const { parseCacheStatus } = await import('../../worker/observability/request-log');
    expect(parseCacheStatus('foyer-d1; fwd=miss, foyer-kv; hit; ttl=30')).toEqual({
      layer: 'foyer-kv',
      hit: true,
      status: 'foyer-d1; fwd=miss, foyer-kv; hit; ttl=30',
    });
    expect(parseCacheStatus('foyer-kv; fwd=miss; stored')?.hit).toBe(false);
    expect(parseCacheStatus(null)).toBeNull();
  });

  it('logs a failure with its cause at level error, without the credential that came with it', async () => {
    const token = await tokenFor('alice');
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request('http://foyer.test/api/v1/tasks', { headers: { Authorization: `Bearer ${token}` } }),
      envWith({ DB: failing.d1(`D1_ERROR: disk I/O error while serving Bearer ${token}`) }),
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).not.toContain('D1_ERROR');
    const line = requestLine(res.headers.get('X-Request-Id'));
    expect(line.level).toBe('error');
    expect(line.route).toBe('/api/v1/tasks');
    expect(line.error).toMatchObject({ name: expect.any(String) });
    expect(JSON.stringify(line.error)).toContain('D1_ERROR: disk I/O error');
    expect(printed.join('\n')).not.toContain(token);
  });

  it('labels unknown paths as unmatched, so a scan cannot grow the metric series', async () => {
    const res = await call('/no/such/path/12345');
    expect(res.status).toBe(404);
    expect(requestLine(res.headers.get('X-Request-Id')).route).toBe('unmatched');
  });
});

describe('traceparent (W3C Trace Context)', () => {
  const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('continues a valid trace: same trace id, a new child span id, flags kept', async () => {
    const res = await call('/api/v1/health', { headers: { traceparent: parent } });
    const echoed = res.headers.get('traceparent') ?? '';
    const [version, traceId, spanId, flags] = echoed.split('-');
    expect(version).toBe('00');
    expect(traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(spanId).not.toBe('00f067aa0ba902b7');
    expect(flags).toBe('01');
    const line = requestLine(res.headers.get('X-Request-Id'));
    expect(line).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId, parentSpanId: '00f067aa0ba902b7' });
  });

  it.each([
    ['garbage', 'not-a-traceparent'],
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['an all-zero parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['uppercase hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01'],
    ['extra fields on version 00', `${parent}-extra`],
  ])('replaces %s with a fresh trace', async (_, header) => {
    const res = await call('/api/v1/health', { headers: { traceparent: header } });
    const echoed = res.headers.get('traceparent') ?? '';
    expect(echoed).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(echoed).not.toContain('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(requestLine(res.headers.get('X-Request-Id')).parentSpanId).toBeNull();
  });

  it('starts a trace when none came, on errors too', async () => {
    const res = await call('/api/v1/metrics');
    expect(res.status).toBe(401);
    expect(res.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });

  it('gives every request its own ids, past the end of the pool they are drawn from in bulk', () => {
    const traces = Array.from({ length: 200 }, () => traceFrom(undefined));
    for (const t of traces) expect(t.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(new Set(traces.map((t) => t.traceId)).size).toBe(200);
    expect(new Set(traces.map((t) => t.spanId)).size).toBe(200);
  });

  it('makes a version 4 UUID request id for each request that sent none', async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, async () => (await call('/api/v1/health')).headers.get('X-Request-Id')));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(5);
  });

  it('accepts a later version with extra fields, answering in version 00', async () => {
    const res = await call('/api/v1/health', {
      headers: { traceparent: `01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-future` },
    });
    expect(res.headers.get('traceparent')).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  });
});
