import { env } from 'cloudflare:workers';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Flag } from '../../worker/flags/schema';
import { FLAG_SNAPSHOT_KEY, flagSnapshots } from '../../worker/flags/snapshot-store';
import { authHeaders } from '../helpers/auth';
import { failing } from '../helpers/broken-env';
import { call, json } from '../helpers/http';
import { seed } from '../helpers/seed';

const FLAGS = '/api/v1/admin/flags';
const body = { description: 'The Focus for today card', enabled: true, rollout: 25, allow: ['alice'], deny: ['bob'] };

async function asAdmin(path: string, init: { method?: string; body?: unknown } = {}, options: { env?: Partial<Env> } = {}) {
  const headers = await authHeaders('ops', 'admin');
  const req = init.body === undefined ? { method: init.method ?? 'GET', headers } : json(init.body, headers, init.method ?? 'PUT');
  return call(path, req, options);
}

async function flagAudits(key: string) {
  const { results } = await env.DB.prepare(
    "select actor, action, detail from audit_log where action = 'flag.changed' and json_extract(detail, '$.key') = ? order by id",
  )
    .bind(key)
    .all<{ actor: string; action: string; detail: string }>();
  return results.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 3 });
});

beforeEach(() => {
  flagSnapshots.reset();
});

describe('admin flags API', () => {
  it('is for admins only: 401 without a token, 403 for a user, on every route', async () => {
    const user = await authHeaders('alice');
    for (const [method, path] of [
      ['GET', FLAGS],
      ['PUT', `${FLAGS}/some-flag`],
      ['DELETE', `${FLAGS}/some-flag`],
    ] as const) {
      const withBody = method === 'PUT' ? json(body, user, method) : { method, headers: user };
      expect((await call(path, withBody)).status).toBe(403);
      const anonymous = method === 'PUT' ? json(body, {}, method) : { method };
      expect((await call(path, anonymous)).status).toBe(401);
    }
  });

  it('creates (201), replaces (200), lists and deletes (204) a flag, auditing each change', async () => {
    const created = await asAdmin(`${FLAGS}/audit-me`, { body });
    expect(created.status).toBe(201);
    const saved = await created.json<{ flag: Flag; version: number; published: boolean }>();
    expect(saved.flag).toMatchObject({ key: 'audit-me', ...body, updatedBy: 'ops' });
    expect(saved.published).toBe(true);

    const replaced = await asAdmin(`${FLAGS}/audit-me`, { body: { ...body, rollout: 50 } });
    expect(replaced.status).toBe(200);
    const second = await replaced.json<{ flag: Flag; version: number }>();
    expect(second.version).toBeGreaterThan(saved.version);

    const list = await (await asAdmin(FLAGS)).json<{ flags: Flag[] }>();
    const listed = list.flags.find((f) => f.key === 'audit-me');
    expect(listed).toEqual({ key: 'audit-me', ...body, rollout: 50, updatedAt: expect.any(String), updatedBy: 'ops' });
    expect(Object.keys(listed ?? {}).sort()).toEqual([
      'allow',
      'deny',
      'description',
      'enabled',
      'key',
      'rollout',
      'updatedAt',
      'updatedBy',
    ]);

    expect((await asAdmin(`${FLAGS}/audit-me`, { method: 'DELETE' })).status).toBe(204);
    const after = await (await asAdmin(FLAGS)).json<{ flags: Flag[] }>();
    expect(after.flags.map((f) => f.key)).not.toContain('audit-me');

    const audits = await flagAudits('audit-me');
    expect(audits.map((a) => [a.actor, a.detail.change])).toEqual([
      ['ops', 'created'],
      ['ops', 'updated'],
      ['ops', 'deleted'],
    ]);
    expect(audits[1]?.detail).toMatchObject({ before: { rollout: 25 }, after: { rollout: 50 }, requestId: expect.any(String) });
  });

  it('publishes each change to the one KV key, with the version D1 gave it', async () => {
    const res = await asAdmin(`${FLAGS}/published-flag`, { body });
    const { version } = await res.json<{ version: number }>();
    const stored = await env.CACHE.get<{ version: number; flags: { key: string }[] }>(FLAG_SNAPSHOT_KEY, 'json');
    expect(stored?.version).toBe(version);
    expect(stored?.flags.map((f) => f.key)).toContain('published-flag');
  });

  it('answers 400 with the field errors for a bad key or body, and writes nothing', async () => {
    const before = (await flagAudits('Bad_Key')).length;
    for (const key of ['Bad_Key', 'x', '9lives', `a${'b'.repeat(64)}`]) {
      const res = await asAdmin(`${FLAGS}/${key}`, { body });
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain('param.key');
    }
    for (const bad of [
      { ...body, rollout: 101 },
      { ...body, rollout: -1 },
      { ...body, rollout: 2.5 },
      { ...body, enabled: 'yes' },
      { ...body, allow: ['Not A User'] },
      { ...body, surprise: true },
      { description: 'missing the rest' },
    ]) {
      const res = await asAdmin(`${FLAGS}/bad-body`, { body: bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await flagAudits('Bad_Key')).length).toBe(before);
    expect(await env.DB.prepare("select count(*) as n from feature_flags where key = 'bad-body'").first('n')).toBe(0);
    expect((await asAdmin(`${FLAGS}/bad-key!`, { method: 'DELETE' })).status).toBe(400);
  });

  it('answers 404 for deleting an unknown flag', async () => {
    const res = await asAdmin(`${FLAGS}/never-defined`, { method: 'DELETE' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ detail: expect.stringContaining('never-defined') });
  });

  it('answers 503 with nothing half-written when D1 is down', async () => {
    const res = await asAdmin(`${FLAGS}/d1-down`, { body }, { env: { DB: failing.d1() } });
    expect(res.status).toBe(503);
    expect(await env.DB.prepare("select count(*) as n from feature_flags where key = 'd1-down'").first('n')).toBe(0);
    expect(await flagAudits('d1-down')).toEqual([]);
  });

  it('answers 503 to a list or a delete while D1 is down, and the flag stays', async () => {
    await asAdmin(`${FLAGS}/kept-through-outage`, { body });
    const list = await asAdmin(FLAGS, {}, { env: { DB: failing.d1() } });
    expect(list.status).toBe(503);
    expect(list.headers.get('content-type')).toContain('application/problem+json');
    const removal = await asAdmin(`${FLAGS}/kept-through-outage`, { method: 'DELETE' }, { env: { DB: failing.d1() } });
    expect(removal.status).toBe(503);
    expect(await env.DB.prepare("select count(*) as n from feature_flags where key = 'kept-through-outage'").first('n')).toBe(1);
    expect((await flagAudits('kept-through-outage')).length).toBe(1);
  });

  it('republishes D1’s flag set when KV has lost it, on the next admin list', async () => {
    await asAdmin(`${FLAGS}/lost-and-found`, { body });
    await env.CACHE.delete(FLAG_SNAPSHOT_KEY);
    expect((await asAdmin(FLAGS)).status).toBe(200);
    const stored = await env.CACHE.get<{ flags: { key: string }[] }>(FLAG_SNAPSHOT_KEY, 'json');
    expect(stored?.flags.map((f) => f.key)).toContain('lost-and-found');
  });
});
