import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { localVars } from '../../../scripts/local-config';
import { tokenVars } from '../../../scripts/token';
import { verifyToken } from '../../../worker/auth/verify-token';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../..');
/** `npm run token` is `node scripts/token.ts`: the same Node, no tsx. */
const token = (...args: string[]) => run(process.execPath, ['scripts/token.ts', ...args], { cwd: ROOT });

// Each case starts Node processes; on a busy shared machine that outlasts the 5 s default.
vi.setConfig({ testTimeout: 30_000 });

describe('npm run token', () => {
  it("reads the same secret, issuer and audience as wrangler dev (read through wrangler's config API)", () => {
    const fast = tokenVars();
    const wrangler = localVars();
    for (const name of ['JWT_SECRET', 'JWT_ISSUER', 'JWT_AUDIENCE'] as const) expect(fast[name], name).toBe(wrangler[name]);
  });

  it('prints a token the worker accepts, with the role and lifetime asked for', async () => {
    const { stdout } = await token('--sub', 'alice', '--role', 'admin', '--ttl', '600');
    const vars = localVars();
    const principal = await verifyToken(stdout.trim(), {
      JWT_SECRET: vars.JWT_SECRET,
      JWT_ISSUER: vars.JWT_ISSUER!,
      JWT_AUDIENCE: vars.JWT_AUDIENCE!,
      JWT_JWKS_URL: '',
    });
    expect(principal).toEqual({ userId: 'alice', role: 'admin' });
    const claims = JSON.parse(Buffer.from(stdout.trim().split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };
    expect(claims.exp - claims.iat).toBe(600);
  });

  it('refuses a bad user id or role with the usage and exit code 2', async () => {
    await expect(token('--sub', 'Not A User')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('usage:') });
    await expect(token('--sub', 'alice', '--role', 'root')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--role') });
  });
});
