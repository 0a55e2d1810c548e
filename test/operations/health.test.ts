import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { app } from '../../worker/app';
import { forgetHealthReport } from '../../worker/services/health-cache';
import { authHeaders } from '../helpers/auth';
import { envWith, failing } from '../helpers/broken-env';
import { call } from '../helpers/http';
import { seed } from '../helpers/seed';

type Health = { status: string; checks: Record<string, { status: string; latencyMs: number; budgetMs: number; error?: string }> };

async function healthWith(overrides: Partial<Env>): Promise<{ res: Response; body: Health }> {
  const ctx = createExecutionContext();
  forgetHealthReport();
  const res = await app.fetch(
    new Request('http://foyer.test/api/v1/health', { headers: await authHeaders('ops', 'admin') }),
    envWith(overrides),
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { res, body: await res.json<Health>() };
}

beforeAll(async () => {
  await seed(env.DB);
});

describe('GET /api/v1/health', () => {
  it('answers ok with every check a real round trip, to an admin', async () => {
    // The first calls may pay for starting the probe objects, or meet a busy shared machine past
    // a check's latency threshold; a healthy system answers ok within a few seconds.
    const admin = { headers: await authHeaders('ops', 'admin') };
    let res = await call('/api/v1/health', admin);
    for (let i = 0; i < 10 && (await res.clone().json<Health>()).status !== 'ok'; i++) {
      await scheduler.wait(300);
      res = await call('/api/v1/health', admin);
    }
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const body = await res.json<Health>();
    expect(body.status).toBe('ok');
    expect(Object.keys(body.checks).sort()).toEqual(['cacheCoordinator', 'd1', 'feed', 'kv', 'metrics', 'queue', 'rateLimiter']);
    for (const check of Object.values(body.checks)) {
      expect(check.status).toBe('ok');
      expect(check.latencyMs).toBeGreaterThanOrEqual(0);
      expect(check.budgetMs).toBeGreaterThan(0);
      expect(check.error).toBeUndefined();
    }
  });

  it('is degraded (200) when one dependency fails, naming it without leaking its message', async () => {
    const { res, body } = await healthWith({ RATE_LIMITER: failing.objects() });
    expect(res.status).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.checks.rateLimiter?.status).toBe('down');
    expect(body.checks.rateLimiter?.error).toBeTruthy();
    expect(JSON.stringify(body)).not.toContain('simulated');
    expect(body.checks.d1?.status).not.toBe('down');
  });

  it('is degraded when D1 alone is down: the KV cache still has pages to serve', async () => {
    const { res, body } = await healthWith({ DB: failing.d1() });
    expect(res.status).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.checks.d1?.status).toBe('down');
  });

  it('is down (503, same shape) when D1 and KV both fail: nothing left to serve', async () => {
    const { res, body } = await healthWith({ DB: failing.d1(), CACHE: failing.kv() });
    expect(res.status).toBe(503);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(body.status).toBe('down');
    expect(body.checks.d1?.status).toBe('down');
    expect(body.checks.kv?.status).toBe('down');
    expect(res.headers.get('X-Request-Id')).toBeTruthy();
  });

  it('counts a dependency that never answers as down after the time budget', async () => {
    const started = Date.now();
    const { res, body } = await healthWith({ ACTIVITY_FEED: failing.objects('hang') });
    expect(res.status).toBe(200);
    expect(body.checks.feed?.status).toBe('down');
    expect(body.checks.feed?.error).toMatch(/No answer within/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
