import { env } from 'cloudflare:workers';
import { generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_TOKEN_BYTES } from '../../worker/auth/verify-token';
import { tokenFor } from '../helpers/auth';
import { call, expectProblem } from '../helpers/http';
import { seed } from '../helpers/seed';

/**
 * RFC 8725 in practice: every token an attacker (or a broken issuer) could send is refused
 * with 401 problem+json and a `WWW-Authenticate` challenge, and the well-formed variants a
 * real issuer produces are accepted. Tokens are built by hand where jose would refuse to sign them.
 */
const secret = () => new TextEncoder().encode(env.JWT_SECRET);
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');

function claims(overrides: Record<string, unknown> = {}) {
  return { sub: 'alice', role: 'user', iss: env.JWT_ISSUER, aud: env.JWT_AUDIENCE, iat: now(), exp: now() + 600, ...overrides };
}

function hs(payload: Record<string, unknown>, options: { alg?: string; key?: Uint8Array; header?: Record<string, unknown> } = {}) {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT', ...options.header })
    .sign(options.key ?? secret());
}

/** Signs header and payload as given, bypassing jose's checks on what it signs. */
async function rawHs256(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
  const input = `${b64(header)}.${b64(payload)}`;
  const key = await crypto.subtle.importKey('raw', secret(), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(input)));
  return `${input}.${btoa(String.fromCharCode(...signature))
    .replace(/=+$/, '')
    .replace(/\+/g, '-')
    .replace(/\//g, '_')}`;
}

type Send = (token: string) => RequestInit;
const bearer: Send = (token) => ({ headers: { Authorization: `Bearer ${token}` } });

let rsaPrivate: CryptoKey;

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
  rsaPrivate = (await generateKeyPair('RS256')).privateKey;
});

const corpus: [string, () => Promise<string>, Send?][] = [
  // Algorithms: only HS256 with the configured secret.
  ['alg none, no signature', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`],
  ['alg none with a signature', async () => `${b64({ alg: 'none' })}.${b64(claims())}.${b64('x')}`],
  ['alg "None" (case games)', async () => `${b64({ alg: 'None' })}.${b64(claims())}.`],
  ['HS384 with the right secret', () => hs(claims(), { alg: 'HS384' })],
  ['HS512 with the right secret', () => hs(claims(), { alg: 'HS512' })],
  ['RS256 signed by an attacker key (RS/HS confusion)', () => new SignJWT(claims()).setProtectedHeader({ alg: 'RS256' }).sign(rsaPrivate)],
  ['wrong secret', () => hs(claims(), { key: new TextEncoder().encode('another-secret-of-sufficient-length-000000') })],
  // Time claims.
  ['no exp', () => hs(claims({ exp: undefined }))],
  ['expired past the 30 s tolerance', () => hs(claims({ exp: now() - 60 }))],
  ['nbf an hour ahead', () => hs(claims({ nbf: now() + 3600 }))],
  ['iat an hour in the future', () => hs(claims({ iat: now() + 3600, exp: now() + 7200 }))],
  ['exp 100 years out', () => hs(claims({ exp: now() + 100 * 365 * 24 * 3600 }))],
  ['no iat (the token age cannot be bounded)', () => hs(claims({ iat: undefined }))],
  ['iat older than the maximum token age', () => hs(claims({ iat: now() - 3 * 24 * 3600, exp: now() + 600 }))],
  ['exp as a string', () => rawHs256({ alg: 'HS256', typ: 'JWT' }, claims({ exp: String(now() + 600) }))],
  // Issuer and audience.
  ['wrong iss', () => hs(claims({ iss: 'https://evil.example' }))],
  ['no iss', () => hs(claims({ iss: undefined }))],
  ['wrong aud', () => hs(claims({ aud: 'someone-else' }))],
  ['aud array without ours', () => hs(claims({ aud: ['a', 'b'] }))],
  // The subject must be a Foyer user id.
  ['sub with a slash', () => hs(claims({ sub: 'alice/../ops' }))],
  ['sub with unicode', () => hs(claims({ sub: 'alicé' }))],
  ['sub in upper case', () => hs(claims({ sub: 'ALICE' }))],
  ['sub over 64 characters', () => hs(claims({ sub: 'a'.repeat(65) }))],
  ['sub with a newline', () => hs(claims({ sub: 'alice\n' }))],
  ['no sub', () => hs(claims({ sub: undefined }))],
  ['sub as a number', () => hs(claims({ sub: 42 }))],
  // Roles.
  ['a bogus role', () => hs(claims({ role: 'root' }))],
  ['a null role', () => hs(claims({ role: null }))],
  ['role as an array', () => hs(claims({ role: ['admin'] }))],
  // Headers that would let the token choose its key, or that we do not understand.
  ['jku header', () => hs(claims(), { header: { jku: 'https://evil.example/jwks.json' } })],
  ['jwk header', () => hs(claims(), { header: { jwk: { kty: 'oct', k: 'AAAA' } } })],
  ['x5u header', () => hs(claims(), { header: { x5u: 'https://evil.example/cert.pem' } })],
  ['an unknown crit extension', () => rawHs256({ alg: 'HS256', typ: 'JWT', crit: ['foyer-evil'], 'foyer-evil': true }, claims())],
  ['typ that is not a JWT', () => hs(claims(), { header: { typ: 'dpop+jwt' } })],
  // Shape.
  ['an oversized token', async () => hs(claims({ pad: 'x'.repeat(MAX_TOKEN_BYTES) }))],
  ['a truncated signature', async () => (await hs(claims())).slice(0, -10)],
  [
    'a tampered payload (role admin)',
    async () => {
      const [h, , s] = (await hs(claims())).split('.');
      return `${h}.${b64(claims({ role: 'admin' }))}.${s}`;
    },
  ],
  ['not a JWT at all', async () => 'hello'],
  ['empty segments', async () => '..'],
  [
    'a token in the cookie and the header at once',
    () => tokenFor('alice'),
    (token) => ({ headers: { Authorization: `Bearer ${token}`, Cookie: `foyer_session=${token}` } }),
  ],
  [
    'a forged token in the session cookie',
    () => hs(claims(), { alg: 'HS384' }),
    (token) => ({ headers: { Cookie: `foyer_session=${token}` } }),
  ],
];

describe('the forged-token corpus: each is a 401 problem+json with a WWW-Authenticate challenge', () => {
  it('has at least 30 cases', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
  });

  for (const [name, make, send = bearer] of corpus) {
    it(name, async () => {
      const res = await call('/api/v1/intro-page/alice', send(await make()));
      expect(res.status).toBe(401);
      await expectProblem(res);
      expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer realm="foyer"/);
    });
  }
});

describe('the valid variants a real issuer produces are accepted', () => {
  const valid: [string, () => Promise<string>][] = [
    ['expired within the 30 s tolerance', () => hs(claims({ exp: now() - 10 }))],
    ['iat a few seconds ahead (clock skew)', () => hs(claims({ iat: now() + 10 }))],
    ['nbf a few seconds ahead (clock skew)', () => hs(claims({ nbf: now() + 10 }))],
    ['aud as an array that includes ours', () => hs(claims({ aud: ['other', env.JWT_AUDIENCE] }))],
    ['extra claims', () => hs(claims({ scope: 'read write', email: 'alice@example.com', jti: crypto.randomUUID() }))],
    ['typ at+jwt (RFC 9068)', () => hs(claims(), { header: { typ: 'at+jwt' } })],
    ['typ application/jwt', () => hs(claims(), { header: { typ: 'application/JWT' } })],
    ['no typ', () => rawHs256({ alg: 'HS256' }, claims())],
    ['a kid the HMAC key ignores', () => hs(claims(), { header: { kid: 'local-1' } })],
    ['lifetime of exactly a day', () => hs(claims({ exp: now() + 24 * 3600 }))],
  ];
  for (const [name, make] of valid) {
    it(name, async () => {
      expect((await call('/api/v1/intro-page/alice', bearer(await make()))).status).toBe(200);
    });
  }
});
