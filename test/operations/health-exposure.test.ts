import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { app } from '../../worker/app';
import { forgetHealthReport, HEALTH_REPORT_TTL_MS } from '../../worker/services/health-cache';
import { authHeaders } from '../helpers/auth';
import { switchableD1 } from '../helpers/d1-outage';
import { seed } from '../helpers/seed';

async function health(bindings: Env, headers: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request('http://foyer.test/api/v1/health', { headers }), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return { res, body: await res.json<Record<string, unknown>>() };
}

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
});

describe('finding 6: the public health route is cheap and says little', () => {
  it('an anonymous caller gets only {status}; an admin gets every check and the backup age', async () => {
    forgetHealthReport();
    const anonymous = await health(env);
    expect(anonymous.res.status).toBe(200);
    expect(Object.keys(anonymous.body)).toEqual(['status']);
    const user = await health(env, await authHeaders('alice'));
    expect(Object.keys(user.body)).toEqual(['status']);
    const admin = await health(env, await authHeaders('ops', 'admin'));
    expect(Object.keys(admin.body).sort()).toEqual(['backup', 'checks', 'status']);
  });

  it('a burst of health requests costs one round of checks per isolate and TTL', async () => {
    forgetHealthReport();
    const d1 = switchableD1(env.DB);
    const bindings = { ...env, DB: d1.db } as Env;
    for (let i = 0; i < 20; i++) expect((await health(bindings)).res.status).toBe(200);
    // One round: the d1 probe and the queue check's one batch (outbox backlog and lag).
    expect(d1.roundTrips).toBe(2);
    expect(HEALTH_REPORT_TTL_MS).toBeLessThanOrEqual(10_000);
  });

  it('after the TTL the checks run again, so an outage shows within seconds', async () => {
    forgetHealthReport();
    const d1 = switchableD1(env.DB);
    const bindings = { ...env, DB: d1.db } as Env;
    const admin = await authHeaders('ops', 'admin');
    expect(((await health(bindings, admin)).body.checks as Record<string, { status: string }>).d1?.status).not.toBe('down');
    d1.failWith = 'D1_ERROR: Network connection lost.';
    forgetHealthReport(); // stands for HEALTH_REPORT_TTL_MS passing
    const after = await health(bindings, admin);
    expect((after.body.checks as Record<string, { status: string }>).d1?.status).toBe('down');
  });
});
