import { env } from 'cloudflare:workers';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyToken } from '../../worker/auth/verify-token';
import { UnauthorizedError } from '../../worker/errors';
import { authHeaders, tokenFor } from '../helpers/auth';
import { call } from '../helpers/http';
import { seed } from '../helpers/seed';

const secret = () => new TextEncoder().encode(env.JWT_SECRET);
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');

function claims(overrides: Record<string, unknown> = {}) {
  return { sub: 'alice', role: 'user', iss: env.JWT_ISSUER, aud: env.JWT_AUDIENCE, iat: now(), exp: now() + 600, ...overrides };
}

async function hs(payload: Record<string, unknown>, alg = 'HS256', key: Uint8Array = secret(), header: Record<string, unknown> = {}) {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', ...header }).sign(key);
}

async function page(token: string | undefined, user = 'alice') {
  return call(`/api/v1/intro-page/${user}`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
}

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
});

describe('who may read an intro page', () => {
  it('lets a user read their own page', async () => {
    expect((await call('/api/v1/intro-page/alice', { headers: await authHeaders('alice') })).status).toBe(200);
  });

  it("refuses another user's page with 403", async () => {
    const res = await call('/api/v1/intro-page/alice', { headers: await authHeaders('bob') });
    expect(res.status).toBe(403);
  });

  it("lets an admin read anyone's page", async () => {
    expect((await call('/api/v1/intro-page/alice', { headers: await authHeaders('ops', 'admin') })).status).toBe(200);
  });

  it('answers 401 problem+json without a token, with a hint and WWW-Authenticate', async () => {
    const res = await page(undefined);
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
    expect((await res.json<{ detail: string }>()).detail).toMatch(/npm run token|\/login/);
  });

  it('accepts the session cookie as well as the bearer header', async () => {
    const res = await call('/api/v1/intro-page/alice', { headers: { Cookie: `foyer_session=${await tokenFor('alice')}` } });
    expect(res.status).toBe(200);
  });

  it('answers 404 for an admin asking for a user who does not exist', async () => {
    const res = await call('/api/v1/intro-page/nobody', { headers: await authHeaders('ops', 'admin') });
    expect(res.status).toBe(404);
  });

  it('rejects a malformed user id with 400 and the field', async () => {
    const res = await call('/api/v1/intro-page/NOT..valid', { headers: await authHeaders('ops', 'admin') });
    expect(res.status).toBe(400);
    expect((await res.json<{ errors: { path: string }[] }>()).errors[0]?.path).toBe('param.userId');
  });
});

describe('a corpus of forged and broken tokens is refused with 401', () => {
  const forged: [string, () => Promise<string>][] = [
    ['alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`],
    ['alg none with a signature', async () => `${b64({ alg: 'none' })}.${b64(claims())}.${b64('x')}`],
    ['wrong algorithm (HS512 with the right secret)', () => hs(claims(), 'HS512')],
    ['wrong secret', () => hs(claims(), 'HS256', new TextEncoder().encode('another-secret-of-sufficient-length-000000'))],
    [
      'tampered payload',
      async () => {
        const [h, , s] = (await hs(claims())).split('.');
        return `${h}.${b64(claims({ sub: 'alice', role: 'admin' }))}.${s}`;
      },
    ],
    ['tampered signature', async () => `${(await hs(claims())).slice(0, -4)}AAAA`],
    ['wrong issuer', () => hs(claims({ iss: 'https://evil.example' }))],
    ['wrong audience', () => hs(claims({ aud: 'someone-else' }))],
    ['no audience', () => hs(claims({ aud: undefined }))],
    ['no exp', () => hs(claims({ exp: undefined }))],
    ['expired just past the 30 s tolerance', () => hs(claims({ exp: now() - 32 }))],
    ['not yet valid (nbf far ahead)', () => hs(claims({ nbf: now() + 3600 }))],
    ['no sub', () => hs(claims({ sub: undefined }))],
    ['sub that is not a user id', () => hs(claims({ sub: '../admin' }))],
    ['unknown role', () => hs(claims({ role: 'root' }))],
    ['jku header pointing at an attacker', () => hs(claims(), 'HS256', secret(), { jku: 'https://evil.example/jwks.json' })],
    ['x5u header', () => hs(claims(), 'HS256', secret(), { x5u: 'https://evil.example/cert.pem' })],
    ['not a JWT at all', async () => 'hello'],
    ['empty segments', async () => '..'],
  ];

  for (const [name, make] of forged) {
    it(name, async () => {
      const res = await page(await make());
      expect(res.status).toBe(401);
    });
  }

  it('accepts a token that expired within the clock tolerance', async () => {
    const res = await page(await hs(claims({ exp: now() - 10 })));
    expect(res.status).toBe(200);
  });

  it('rejects an Authorization header that is not a bearer token', async () => {
    const res = await call('/api/v1/intro-page/alice', { headers: { Authorization: 'Basic YWxpY2U6cHc=' } });
    expect(res.status).toBe(401);
  });
});

describe('JWKS mode (staging/production): keys only from the configured URL', () => {
  const JWKS_URL = 'https://auth.test.example/.well-known/jwks.json';
  let privateKey: CryptoKey;
  let publicPem: string;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    publicPem = await exportSPKI(pair.publicKey);
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
    // The identity provider does not exist here; answer its JWKS endpoint and nothing else.
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url === JWKS_URL) return Response.json({ keys: [jwk] });
      throw new Error(`unexpected fetch of ${url}`);
    });
  });
  afterEach(() => undefined);

  const config = () => ({ JWT_ISSUER: env.JWT_ISSUER, JWT_AUDIENCE: env.JWT_AUDIENCE, JWT_JWKS_URL: JWKS_URL });
  const rs = (payload: Record<string, unknown>, kid = 'key-1', header: Record<string, unknown> = {}) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid, ...header }).sign(privateKey);

  it('accepts an RS256 token signed by the configured key set', async () => {
    await expect(verifyToken(await rs(claims()), config())).resolves.toEqual({ userId: 'alice', role: 'user' });
  });

  it('refuses an unknown kid', async () => {
    await expect(verifyToken(await rs(claims(), 'key-2'), config())).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('refuses an HS256 token signed with the public key (algorithm confusion)', async () => {
    const token = await hs(claims(), 'HS256', new TextEncoder().encode(publicPem));
    await expect(verifyToken(token, config())).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('refuses a token that names its own key set (jku), even when signed by a good key', async () => {
    const token = await rs(claims(), 'key-1', { jku: 'https://evil.example/jwks.json' });
    await expect(verifyToken(token, config())).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

describe('tokens verified before are trusted from memory, within limits', () => {
  const config = () => ({ JWT_ISSUER: env.JWT_ISSUER, JWT_AUDIENCE: env.JWT_AUDIENCE, JWT_JWKS_URL: '', JWT_SECRET: env.JWT_SECRET });

  it('answers the same principal again, and a changed signature is verified afresh and refused', async () => {
    const token = await hs(claims({ sub: 'bob' }));
    await expect(verifyToken(token, config())).resolves.toEqual({ userId: 'bob', role: 'user' });
    await expect(verifyToken(token, config())).resolves.toEqual({ userId: 'bob', role: 'user' });
    const [head, body, signature] = token.split('.') as [string, string, string];
    const flipped = `${head}.${body}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    await expect(verifyToken(flipped, config())).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('does not honour a remembered token under another secret or issuer', async () => {
    const token = await hs(claims());
    await expect(verifyToken(token, config())).resolves.toEqual({ userId: 'alice', role: 'user' });
    await expect(verifyToken(token, { ...config(), JWT_SECRET: `${env.JWT_SECRET}-rotated` })).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(verifyToken(token, { ...config(), JWT_ISSUER: 'someone-else' })).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('refuses a remembered token once it expires (the 30 s tolerance included)', async () => {
    // exp 29 s ago: still inside the tolerance for about one more second.
    const token = await hs(claims({ exp: now() - 29 }));
    await expect(verifyToken(token, config())).resolves.toEqual({ userId: 'alice', role: 'user' });
    await scheduler.wait(2100);
    await expect(verifyToken(token, config())).rejects.toThrow(/expired/);
  });
});
