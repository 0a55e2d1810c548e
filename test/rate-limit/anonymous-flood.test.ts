import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { authHeaders } from '../helpers/auth';
import { callWith, parseLimit } from '../helpers/limited';

// The ANON_FLOOD binding (wrangler.toml): 600 requests per 10 s per address, before the object.
vi.setConfig({ testTimeout: 60_000 });

/** A random address no other test uses, so the binding's count starts at zero. */
function address(): string {
  const [a, b] = crypto.getRandomValues(new Uint8Array(2));
  return `198.51.${a}.${b}`;
}

async function get(path: string, ip: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await callWith({}, path, { headers: { 'CF-Connecting-IP': ip, ...headers } });
  await res.arrayBuffer();
  return res;
}

describe('an anonymous flood from one address', () => {
  it('is refused past the binding ceiling with the 429 problem a client can act on; others still pass', async () => {
    const ip = address();
    expect((await get('/api/v1/events/catalog', ip)).status).toBe(200);
    // The rest of the address's budget is spent on the binding itself (600 requests through the
    // app can outlast its 10 s period on a busy machine); the app must then refuse the address.
    // If the period turns over between the two, spend again (at most twice more).
    let refused = new Response();
    for (let attempt = 0; attempt < 3 && refused.status !== 429; attempt++) {
      while ((await env.ANON_FLOOD.limit({ key: `ip:${ip}` })).success);
      refused = await callWith({}, '/api/v1/events/catalog', { headers: { 'CF-Connecting-IP': ip } });
    }
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.headers.get('Retry-After')).toBe('10');
    expect(parseLimit(refused.headers.get('RateLimit'))).toEqual({ policy: 'read', params: { r: 0, t: 10 } });
    expect(refused.headers.get('RateLimit-Policy')).toMatch(/^"read";q=\d+;w=\d+$/);
    const problem = (await refused.json()) as { status: number; retryAfter: number; 'violated-policies': string[] };
    expect(problem).toMatchObject({ status: 429, retryAfter: 10, 'violated-policies': ['read'] });

    // Another address, and a signed-in person behind the same address, are not affected.
    expect((await get('/api/v1/events/catalog', address())).status).toBe(200);
    expect((await get('/api/v1/events/catalog', ip, await authHeaders('alice'))).status).toBe(200);
  });

  it('passes callers when the binding itself fails: the object still limits them', async () => {
    const broken = { limit: () => Promise.reject(new Error('rate limiting unavailable')) } as unknown as RateLimit;
    const res = await callWith({ ANON_FLOOD: broken }, '/api/v1/events/catalog', { headers: { 'CF-Connecting-IP': address() } });
    expect(res.status).toBe(200);
    expect(res.headers.get('RateLimit')).toMatch(/^"read";r=\d+;t=\d+$/);
    expect(env.ANON_FLOOD).toBeDefined();
  });
});
