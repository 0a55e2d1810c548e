import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { CATALOG } from '../../worker/observability/catalog';
import { metricsStore } from '../../worker/observability/flush';
import { authHeaders } from '../helpers/auth';
import { openFeed } from '../helpers/feed';
import { call, json } from '../helpers/http';
import { assertHistogramsWellFormed, assertSummariesWellFormed, parsePrometheus } from '../helpers/prometheus';
import { seed } from '../helpers/seed';

type Summary = {
  windowMinutes: number;
  http: {
    requests: number;
    routes: { method: string; route: string; requests: number; errors: number; clientErrors: number; p95Ms: number | null }[];
  };
  cache: { hitRate: number | null; layers: { layer: string; hits: number; misses: number }[] };
  rateLimit: { rejections: number };
  websocket: { open: number; opened: number; closed: number; messagesIn: number; messagesOut: number };
  d1: { queries: number };
  timeline: { at: string; requests: number }[];
};

let admin: Record<string, string>;

async function summary(): Promise<Summary> {
  const res = await call('/api/v1/metrics?minutes=10', { headers: admin });
  expect(res.status).toBe(200);
  return res.json<Summary>();
}

function routeCount(s: Summary, route: string, method = 'GET'): number {
  return s.http.routes.find((r) => r.route === route && r.method === method)?.requests ?? 0;
}

/** Metrics arrive off the critical path; poll until `ready` holds (or give up after ~5 s). */
async function eventually(ready: (s: Summary) => boolean): Promise<Summary> {
  let s = await summary();
  for (let i = 0; i < 25 && !ready(s); i++) {
    await new Promise((r) => setTimeout(r, 200));
    s = await summary();
  }
  return s;
}

beforeAll(async () => {
  await seed(env.DB);
  admin = await authHeaders('ops', 'admin');
});

describe('GET /api/v1/metrics', () => {
  it('requires a token (401) and the admin role (403), as problem+json', async () => {
    const none = await call('/api/v1/metrics');
    expect(none.status).toBe(401);
    expect(none.headers.get('Content-Type')).toBe('application/problem+json');
    const user = await call('/api/v1/metrics', { headers: await authHeaders('alice') });
    expect(user.status).toBe(403);
    expect((await user.json<{ status: number }>()).status).toBe(403);
    const prom = await call('/api/v1/metrics?format=prometheus', { headers: await authHeaders('bob') });
    expect(prom.status).toBe(403);
  });

  it('rejects a bad window with the field named', async () => {
    const res = await call('/api/v1/metrics?minutes=0', { headers: admin });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('query.minutes');
  });

  it('adds up requests, statuses and D1 round trips across requests', async () => {
    const before = await summary();
    const alice = await authHeaders('alice');
    for (let i = 0; i < 5; i++) expect((await call('/api/v1/intro-page/alice', { headers: alice })).status).toBe(200);
    expect((await call('/api/v1/intro-page/bob', { headers: alice })).status).toBe(403);

    const route = '/api/v1/intro-page/:userId';
    const after = await eventually((s) => routeCount(s, route) >= routeCount(before, route) + 6);
    expect(routeCount(after, route) - routeCount(before, route)).toBe(6);
    const row = after.http.routes.find((r) => r.route === route);
    expect(row?.clientErrors).toBeGreaterThanOrEqual(1);
    expect(row?.p95Ms).toBeGreaterThan(0);
    // The first load computes the page from D1; the next four are cache hits (docs/architecture.md#cache).
    expect(after.d1.queries).toBeGreaterThanOrEqual(before.d1.queries + 1);
    // The fragment cache records its lookups per layer; the page repeated, so something hit.
    const isolate = after.cache.layers.find((l) => l.layer === 'isolate');
    expect((isolate?.hits ?? 0) + (isolate?.misses ?? 0)).toBeGreaterThanOrEqual(5);
    expect(after.cache.hitRate).toBeGreaterThan(0);
    expect(after.cache.layers.find((l) => l.layer === 'isolate')?.hits).toBeGreaterThanOrEqual(4);
    expect(after.timeline.length).toBe(after.windowMinutes);
  });

  it('counts rate-limit rejections by the policy that refused', async () => {
    const before = await summary();
    const headers = await authHeaders('user-00003');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('/api/v1/tasks', { headers }, { env: { RATE_LIMIT_REQUESTS: '2' } })).status);
    const rejected = statuses.filter((s) => s === 429).length;
    expect(rejected).toBeGreaterThanOrEqual(1);
    const after = await eventually((s) => s.rateLimit.rejections >= before.rateLimit.rejections + rejected);
    expect(after.rateLimit.rejections - before.rateLimit.rejections).toBe(rejected);
    const prom = await (await call('/api/v1/metrics?format=prometheus', { headers: admin })).text();
    expect(prom).toMatch(/^foyer_rate_limit_rejections_total\{policy="read"\} \d+$/m);
  });

  it('aggregates what other isolates flush into the one store', async () => {
    const before = await summary();
    // What a second isolate (or a feed object) sends: deltas for the same series.
    await metricsStore(env).ingest({
      at: Date.now(),
      points: [
        { name: 'foyer_cache_lookups_total', labels: { layer: 'test-layer', result: 'hit' }, value: 9 },
        { name: 'foyer_cache_lookups_total', labels: { layer: 'test-layer', result: 'miss' }, value: 1 },
        { name: 'foyer_websocket_connections_opened_total', labels: {}, value: 3 },
        { name: 'foyer_websocket_connections_closed_total', labels: {}, value: 1 },
        { name: 'foyer_websocket_messages_total', labels: { direction: 'out' }, value: 7 },
        { name: 'not_a_foyer_metric', labels: {}, value: 1 },
      ],
    });
    const after = await summary();
    const layer = after.cache.layers.find((l) => l.layer === 'test-layer');
    expect(layer).toMatchObject({ hits: 9, misses: 1 });
    expect(after.websocket.open - before.websocket.open).toBe(2);
    expect(after.websocket.messagesOut - before.websocket.messagesOut).toBe(7);
  });

  it('counts live feed connections and messages, recorded inside the feed objects', async () => {
    const before = await summary();
    const feed = await openFeed('bob');
    await feed.ready();
    const write = await call('/api/v1/tasks', json({ title: 'counted by the feed' }, await authHeaders('bob')));
    expect(write.status).toBe(201);
    await feed.until((m) => m.some((x) => x.type === 'event'), 'the event');
    feed.ws.send(JSON.stringify({ type: 'sync' }));
    await feed.until((m) => m.filter((x) => x.type === 'ready').length >= 2, 'the answer to sync');

    const during = await eventually((s) => s.websocket.messagesIn > before.websocket.messagesIn);
    expect(during.websocket.opened - before.websocket.opened).toBe(1);
    expect(during.websocket.open - before.websocket.open).toBe(1);
    expect(during.websocket.messagesIn - before.websocket.messagesIn).toBe(1);
    // ready, the event, ready again.
    expect(during.websocket.messagesOut - before.websocket.messagesOut).toBeGreaterThanOrEqual(3);

    feed.ws.close(1000, 'done');
    const after = await eventually((s) => s.websocket.closed > before.websocket.closed);
    expect(after.websocket.closed - before.websocket.closed).toBe(1);
    expect(after.websocket.open).toBe(before.websocket.open);
  });

  it('renders Prometheus text that a strict parser accepts, by ?format and by Accept', async () => {
    await call('/api/v1/health');
    for (const init of [
      { query: '?format=prometheus', headers: {} as Record<string, string> },
      { query: '', headers: { Accept: 'text/plain' } },
    ]) {
      const res = await call(`/api/v1/metrics${init.query}`, { headers: { ...admin, ...init.headers } });
      expect(res.status).toBe(200);
      expect(res.headers.get('Content-Type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const families = parsePrometheus(await res.text());
      for (const name of Object.keys(CATALOG)) {
        expect(families.get(name)?.type).toBe(CATALOG[name as keyof typeof CATALOG].type);
        expect(families.get(name)?.help).toBeTruthy();
      }
      expect(families.get('foyer_websocket_connections')?.type).toBe('gauge');
      expect(assertHistogramsWellFormed(families)).toBeGreaterThan(0);
      expect(assertSummariesWellFormed(families)).toBe(1);
      const requests = families.get('foyer_http_requests_total')?.samples ?? [];
      expect(requests.some((s) => s.labels.route === '/api/v1/health' && s.labels.status === '200' && s.value >= 1)).toBe(true);
      for (const s of requests) expect(s.labels.route).not.toMatch(/alice|bob/);
    }
  });

  it('gives the event lag as a summary: quantiles, _sum and _count over the applied events it sampled', async () => {
    const id = `lag-${crypto.randomUUID().slice(0, 8)}`;
    expect((await call('/api/v1/users', json({ id, displayName: 'Lag' }, admin))).status).toBe(201);
    const lag = async () =>
      parsePrometheus(await (await call('/api/v1/metrics?format=prometheus', { headers: admin })).text()).get('foyer_events_lag_seconds');
    let family = await lag();
    const count = () => family?.samples.find((s) => s.name === 'foyer_events_lag_seconds_count')?.value ?? 0;
    for (let i = 0; i < 50 && count() < 1; i++) {
      await new Promise((r) => setTimeout(r, 200));
      family = await lag();
    }
    expect(family?.type).toBe('summary');
    const sample = (name: string, quantile?: string) =>
      family?.samples.find((s) => s.name === name && s.labels.quantile === quantile)?.value ?? Number.NaN;
    const p50 = sample('foyer_events_lag_seconds', '0.5');
    const p95 = sample('foyer_events_lag_seconds', '0.95');
    expect(count()).toBeGreaterThanOrEqual(1);
    expect(p50).toBeGreaterThanOrEqual(0);
    expect(p95).toBeGreaterThanOrEqual(p50);
    // The mean of the sample lies between its smallest and largest lag, so within [0, p100] and near the quantiles' scale.
    const mean = sample('foyer_events_lag_seconds_sum') / count();
    expect(mean).toBeGreaterThanOrEqual(0);
    expect(mean).toBeLessThan(60);
    // The admin figures read the same sample.
    const figures = await (await call('/api/v1/admin/events', { headers: admin })).json<{ lagMs: { samples: number; sum: number } }>();
    expect(figures.lagMs.samples).toBeGreaterThanOrEqual(count());
    expect(figures.lagMs.sum).toBeGreaterThanOrEqual(0);
  });

  it('keeps JSON when format=json is explicit, whatever Accept says', async () => {
    const res = await call('/api/v1/metrics?format=json', { headers: { ...admin, Accept: 'text/plain' } });
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
  });
});
