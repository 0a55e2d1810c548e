import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../worker/app';
import { documentedOperations, type Operation } from '../helpers/api-matrix';
import { authHeaders } from '../helpers/auth';
import { call } from '../helpers/http';
import { seed } from '../helpers/seed';

// The answers every operation shares because middleware gives them, not the route: 401 without
// credentials, 413 for an oversized body, 415 for a body that is not JSON, 429 over the limit.
// Driven by /api/v1/openapi.json, so a route added later is held to what it documents.
const operations: Operation[] = documentedOperations(await (await call('/api/v1/openapi.json')).json());

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** A concrete path for a template: the caller's own id for `{userId}`, a plausible id elsewhere. */
function pathFor(op: Operation, userId: string): string {
  return op.path.replace(/\{([^}]+)\}/g, (_, name: string) => (name === 'userId' ? userId : 'doc-sample'));
}

/** An operation documenting 101 is a WebSocket upgrade; without the header it answers 426 first. */
function baseHeaders(op: Operation): Record<string, string> {
  return op.statuses.includes('101') ? { Upgrade: 'websocket' } : {};
}

function documenting(status: string): Operation[] {
  return operations.filter((op) => op.statuses.includes(status));
}

const name = (op: Operation) => `${op.method} ${op.path}`;

beforeAll(async () => {
  await seed(env.DB);
});

describe('every operation that documents 401 refuses a request without credentials', () => {
  it.for(documenting('401').map((op) => [name(op), op] as const))('%s', async ([, op]) => {
    const body = WITH_BODY.has(op.method) ? { body: '{}', headers: { 'Content-Type': 'application/json', ...baseHeaders(op) } } : {};
    const res = await call(pathFor(op, 'alice'), { method: op.method, headers: baseHeaders(op), ...body });
    expect(res.status).toBe(401);
  });
});

describe('every operation that documents 413 refuses a body over the limit before reading it', () => {
  it.for(documenting('413').map((op) => [name(op), op] as const))('%s', async ([, op]) => {
    const headers = { ...(await authHeaders('ops', 'admin')), ...baseHeaders(op), 'Content-Type': 'application/json' };
    const body = JSON.stringify({ padding: 'x'.repeat(MAX_BODY_BYTES) });
    const res = await call(pathFor(op, 'ops'), { method: op.method, headers, body });
    expect(res.status).toBe(413);
  });
});

describe('every operation that documents 415 refuses a body that is not JSON', () => {
  it.for(documenting('415').map((op) => [name(op), op] as const))('%s', async ([, op]) => {
    const headers = { ...(await authHeaders('ops', 'admin')), ...baseHeaders(op), 'Content-Type': 'text/plain' };
    const res = await call(pathFor(op, 'ops'), { method: op.method, headers, body: '{"title":"looks like JSON"}' });
    expect(res.status).toBe(415);
  });
});

describe('every operation that documents 429 refuses a principal over its limit, with Retry-After', () => {
  it.for(documenting('429').map((op) => [name(op), op] as const))('%s', async ([, op]) => {
    // A principal of its own, so no other test's requests count against this budget.
    const userId = `limited-${crypto.randomUUID().slice(0, 8)}`;
    const headers = { ...(await authHeaders(userId)), ...baseHeaders(op) };
    const init = WITH_BODY.has(op.method)
      ? { method: op.method, headers: { ...headers, 'Content-Type': 'application/json' }, body: '{}' }
      : { method: op.method, headers };
    const limited = { env: { RATE_LIMIT_REQUESTS: '1', RATE_LIMIT_WINDOW_SECONDS: '60' } };
    let res = await call(pathFor(op, userId), init, limited);
    // Health's own bucket is ten times the others' (worker/rate-limit/policy.ts).
    for (let i = 0; i < 12 && res.status !== 429; i++) res = await call(pathFor(op, userId), init, limited);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
  });
});
