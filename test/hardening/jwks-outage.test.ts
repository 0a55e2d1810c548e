import { env } from 'cloudflare:workers';
import { generateKeyPair, importJWK, SignJWT } from 'jose';
import { beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { DEFAULT_JWKS_TIMEOUT_MS, JWKS_RETRY_AFTER_SECONDS } from '../../worker/auth/verify-token';
import { freshIsolate } from '../../worker/isolate';
import { call, json } from '../helpers/http';
import { seed } from '../helpers/seed';

/** The identity provider is the Node-side server of test/setup/jwks-server.ts: real sockets, real failures. */
const idp = inject('jwks');
const URLS = {
  up: `${idp.baseUrl}/jwks.json`,
  failing: `${idp.baseUrl}/status/503`,
  hanging: `${idp.baseUrl}/hang`,
  closed: idp.closedUrl,
};

let idpKey: CryptoKey;
let otherKey: CryptoKey;

async function token(key: CryptoKey, kid = 'idp-1', sub = 'alice'): Promise<string> {
  return new SignJWT({ role: 'user' })
    .setProtectedHeader({ alg: 'RS256', kid })
    .setSubject(sub)
    .setIssuer(env.JWT_ISSUER)
    .setAudience(env.JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key);
}

function withJwks(url: string, timeoutMs?: number) {
  return { env: { JWT_JWKS_URL: url, ...(timeoutMs ? { JWKS_TIMEOUT_MS: String(timeoutMs) } : {}) } as Partial<Env> };
}

async function expectOutage(res: Response) {
  expect(res.status).toBe(503);
  expect(res.headers.get('Retry-After')).toBe(String(JWKS_RETRY_AFTER_SECONDS));
  expect((await res.json<{ detail: string }>()).detail).toMatch(/key set \(JWKS\) is unavailable/);
}

const taskCount = async () => (await env.DB.prepare("select count(*) as n from tasks where owner_id = 'alice'").first<{ n: number }>())!.n;

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
  idpKey = (await importJWK(JSON.parse(idp.privateJwk), 'RS256')) as CryptoKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
});

// A fresh isolate each time: no key set fetched, no token remembered as verified.
beforeEach(() => freshIsolate());

describe('finding 8: a JWKS outage answers 503 with Retry-After; a bad token is still 401', { timeout: 30_000 }, () => {
  it('with the key set reachable, a token it signed is accepted', async () => {
    const res = await call('/api/v1/tasks', { headers: { Authorization: `Bearer ${await token(idpKey)}` } }, withJwks(URLS.up));
    expect(res.status).toBe(200);
  });

  it('with the key set reachable, a token signed by another key is 401, and so is an unknown kid', async () => {
    const forged = await call('/api/v1/tasks', { headers: { Authorization: `Bearer ${await token(otherKey)}` } }, withJwks(URLS.up));
    expect(forged.status).toBe(401);
    const unknownKid = await call(
      '/api/v1/tasks',
      { headers: { Authorization: `Bearer ${await token(idpKey, 'idp-9')}` } },
      withJwks(URLS.up),
    );
    expect(unknownKid.status).toBe(401);
  });

  it('the JWKS port is closed (connection refused): 503', async () => {
    await expectOutage(await call('/api/v1/tasks', { headers: { Authorization: `Bearer ${await token(idpKey)}` } }, withJwks(URLS.closed)));
  });

  it('the JWKS endpoint answers 503: 503', async () => {
    await expectOutage(
      await call('/api/v1/tasks', { headers: { Authorization: `Bearer ${await token(idpKey)}` } }, withJwks(URLS.failing)),
    );
  });

  it('the JWKS endpoint hangs: 503 once JWKS_TIMEOUT_MS has passed, not later', async () => {
    const started = Date.now();
    await expectOutage(
      await call('/api/v1/tasks', { headers: { Authorization: `Bearer ${await token(idpKey)}` } }, withJwks(URLS.hanging, 300)),
    );
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(2_500);
  });

  it(`without JWKS_TIMEOUT_MS a hanging endpoint is given up after ${DEFAULT_JWKS_TIMEOUT_MS} ms`, async () => {
    const started = Date.now();
    await expectOutage(
      await call('/api/v1/tasks', { headers: { Authorization: `Bearer ${await token(idpKey)}` } }, withJwks(URLS.hanging)),
    );
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(DEFAULT_JWKS_TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(DEFAULT_JWKS_TIMEOUT_MS + 2_500);
  });

  it('a write during the outage answers 503 and writes nothing', async () => {
    const before = await taskCount();
    const res = await call(
      '/api/v1/tasks',
      json({ title: 'While the IdP is down' }, { Authorization: `Bearer ${await token(idpKey)}` }),
      withJwks(URLS.closed),
    );
    await expectOutage(res);
    expect(await taskCount()).toBe(before);
  });

  it('a token that is no JWT at all is still 401 during the outage (nothing to fetch keys for)', async () => {
    const res = await call('/api/v1/tasks', { headers: { Authorization: 'Bearer not.a.jwt' } }, withJwks(URLS.closed));
    expect(res.status).toBe(401);
  });
});
