/**
 * Prints a signed JWT that the local server accepts.
 *   npm run -s token -- --sub alice [--role admin] [--ttl 3600]
 * Run by plain Node (type stripping, no tsx) and without importing wrangler, so it answers in
 * well under a second: every import here is a file Node runs as it is, with its extension.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, parseEnv } from 'node:util';
import { parse } from 'smol-toml';
import { signToken } from '../worker/auth/sign-token.ts';
import { USER_ID_PATTERN } from '../worker/auth/user-id.ts';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * The variables the token needs, as `wrangler dev` sees them: wrangler.toml [vars] overridden by
 * .dev.vars (else the committed example). test/scripts/token.test.ts checks they match
 * scripts/local-config.ts, which reads them through wrangler's own (slower to load) API.
 */
export function tokenVars(): Record<string, string | undefined> {
  const toml = parse(readFileSync(resolve(ROOT, 'wrangler.toml'), 'utf8')) as { vars?: Record<string, string> };
  const devVars = resolve(ROOT, existsSync(resolve(ROOT, '.dev.vars')) ? '.dev.vars' : '.dev.vars.example');
  return { ...toml.vars, ...parseEnv(readFileSync(devVars, 'utf8')) };
}

function main(): Promise<void> | void {
  const { values } = parseArgs({
    options: { sub: { type: 'string' }, role: { type: 'string', default: 'user' }, ttl: { type: 'string', default: '3600' } },
  });
  if (!values.sub || !USER_ID_PATTERN.test(values.sub)) {
    console.error('usage: npm run -s token -- --sub <user id> [--role user|admin] [--ttl seconds]');
    process.exit(2);
  }
  if (values.role !== 'user' && values.role !== 'admin') {
    console.error('--role must be user or admin');
    process.exit(2);
  }
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) {
    console.error('--ttl must be a positive whole number of seconds');
    process.exit(2);
  }
  const vars = tokenVars();
  if (!vars.JWT_SECRET) {
    console.error('JWT_SECRET is not set: copy .dev.vars.example to .dev.vars (npm start does this).');
    process.exit(1);
  }
  return signToken(
    { userId: values.sub, role: values.role },
    { secret: vars.JWT_SECRET, issuer: vars.JWT_ISSUER ?? 'foyer-local', audience: vars.JWT_AUDIENCE ?? 'foyer', ttlSeconds: ttl },
  ).then((token) => console.log(token));
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await main();
