import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import devVarsExample from '../../.dev.vars.example?raw';
import { app } from '../../worker/app';
import { EXAMPLE_JWT_SECRET, weakSecretReason } from '../../worker/auth/secret-policy';

async function healthIn(vars: Partial<Env> & { JWT_SECRET?: string }): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request('http://foyer.test/api/v1/health'), { ...env, ...vars } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const randomSecret = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));

describe('finding 3: outside local the worker refuses to serve with a weak or example JWT secret', () => {
  it('knows the committed example value', () => {
    expect(devVarsExample).toContain(`JWT_SECRET="${EXAMPLE_JWT_SECRET}"`);
  });

  for (const [name, secret] of [
    ['the committed example secret', EXAMPLE_JWT_SECRET],
    ['a short secret', 'short-but-set'],
    ['32 characters of one letter', 'a'.repeat(40)],
    ['a memorable phrase', 'correct-horse-battery-staple-1234'],
  ] as const) {
    it(`staging with ${name} answers 503 to everything`, async () => {
      const res = await healthIn({ ENVIRONMENT: 'staging', JWT_JWKS_URL: '', JWT_SECRET: secret });
      expect(res.status).toBe(503);
      expect(res.headers.get('Content-Type')).toMatch(/problem\+json/);
      expect(await res.text()).not.toContain(secret);
    });
  }

  it('staging with 32 random bytes serves', async () => {
    expect((await healthIn({ ENVIRONMENT: 'staging', JWT_JWKS_URL: '', JWT_SECRET: randomSecret() })).status).toBe(200);
  });

  it('local serves with the example secret (a fresh clone just runs)', async () => {
    expect((await healthIn({ ENVIRONMENT: 'local', JWT_SECRET: EXAMPLE_JWT_SECRET })).status).toBe(200);
  });

  it('judges hex and base64 secrets by their alphabet', () => {
    const hex = [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, '0')).join('');
    expect(weakSecretReason(hex)).toBeUndefined();
    expect(weakSecretReason(hex.slice(0, 40))).toMatch(/weaker than 32 random bytes/);
    expect(weakSecretReason(randomSecret())).toBeUndefined();
  });
});
