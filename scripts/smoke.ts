/**
 * npm run smoke -- --url <base url> [--env local|staging|production] [--user <id>] [--retries 5]
 *                  [--header 'Name: value']...
 *
 * The post-deploy smoke test the pipeline and operators share: health, an authenticated intro
 * page (JSON and the HTML page with the session cookie), and that an unauthenticated one is refused. The token comes from --token, else
 * SMOKE_TOKEN, else is signed here with JWT_SECRET (only for environments that verify HS256,
 * i.e. without JWT_JWKS_URL). Every --header goes on every request: `npm run release` sends
 * `Cloudflare-Workers-Version-Overrides` this way to test a version before it takes traffic.
 * Exits 1 on any failure.
 */
import { parseArgs } from 'node:util';
import { decodeJwt } from 'jose';
import { signToken } from '../worker/auth/sign-token';
import { localVars, rawWranglerConfig } from './local-config';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    env: { type: 'string' },
    user: { type: 'string' },
    token: { type: 'string' },
    retries: { type: 'string', default: '5' },
    'retry-delay': { type: 'string', default: '3' },
    header: { type: 'string', multiple: true, default: [] },
  },
});
if (!values.url || !/^https?:\/\//.test(values.url)) {
  console.error(
    "usage: npm run smoke -- --url https://staging.foyer.example [--env staging] [--user smoke-test] [--token <jwt>] [--header 'Name: value']",
  );
  process.exit(2);
}
const base = values.url.replace(/\/+$/, '');
const extraHeaders: Record<string, string> = {};
for (const header of values.header) {
  const colon = header.indexOf(':');
  if (colon < 1) {
    console.error(`--header takes 'Name: value', got ${JSON.stringify(header)}`);
    process.exit(2);
  }
  extraHeaders[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
}
const isLocal = /^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(base);
const env = values.env ?? (isLocal ? 'local' : undefined);
const retries = Math.max(0, Number(values.retries) || 0);
const delayMs = Math.max(0, Number(values['retry-delay']) || 0) * 1000;

type Vars = Record<string, string>;
function varsOf(name: string | undefined): Vars {
  if (name === 'local' || name === undefined) return localVars();
  const config = rawWranglerConfig() as { env?: Record<string, { vars?: Vars }> };
  const vars = config.env?.[name]?.vars;
  if (!vars) throw new Error(`wrangler.toml has no [env.${name}.vars].`);
  return vars;
}

async function resolveToken(): Promise<{ token: string; user: string; source: string }> {
  const given = values.token ?? process.env.SMOKE_TOKEN;
  if (given) {
    const sub = decodeJwt(given).sub;
    if (!sub) throw new Error('The smoke token has no `sub` claim.');
    return { token: given, user: values.user ?? sub, source: values.token ? '--token' : 'SMOKE_TOKEN' };
  }
  const vars = varsOf(env);
  const secret = process.env.JWT_SECRET ?? (env === 'local' ? vars.JWT_SECRET : undefined);
  if (vars.JWT_JWKS_URL) {
    throw new Error(
      `${env} verifies tokens against ${vars.JWT_JWKS_URL}, so a token signed with JWT_SECRET would be refused. Set SMOKE_TOKEN to a token your identity provider issued for the smoke user.`,
    );
  }
  if (!secret) throw new Error('No token: pass --token, set SMOKE_TOKEN, or set JWT_SECRET (and --env) so one can be signed.');
  const user = values.user ?? process.env.SMOKE_USER ?? (env === 'local' ? 'alice' : 'smoke-test');
  const token = await signToken(
    { userId: user, role: 'user' },
    { secret, issuer: vars.JWT_ISSUER ?? 'foyer-local', audience: vars.JWT_AUDIENCE ?? 'foyer', ttlSeconds: 300 },
  );
  return { token, user, source: `signed with JWT_SECRET for ${env}` };
}

interface Check {
  name: string;
  run: () => Promise<string>;
}

async function get(path: string, headers: Record<string, string> = {}): Promise<{ res: Response; body: unknown; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${base}${path}`, {
    headers: { ...extraHeaders, Accept: 'application/json', ...headers },
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the check below says so.
  }
  return { res, body, ms: Math.round(performance.now() - started) };
}

function expectThat(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const SECTIONS = ['userStatistics', 'systemOverview', 'actionableItems', 'activityFeed', 'personalization'];

let auth: Awaited<ReturnType<typeof resolveToken>>;
try {
  auth = await resolveToken();
} catch (err) {
  console.error(`✗ ${(err as Error).message}`);
  process.exit(1);
}

const checks: Check[] = [
  {
    name: 'GET /api/v1/health',
    run: async () => {
      const { res, body, ms } = await get('/api/v1/health');
      const report = body as { status?: string; checks?: Record<string, { status?: string; ok?: boolean }> };
      expectThat(res.status === 200, `status ${res.status}, want 200 (body: ${JSON.stringify(body).slice(0, 300)})`);
      expectThat(report.status === 'ok' || report.status === 'degraded', `health status "${report.status}"`);
      expectThat(!!res.headers.get('x-request-id'), 'no x-request-id header');
      const parts = Object.entries(report.checks ?? {}).map(([k, v]) => `${k} ${v.status ?? (v.ok ? 'ok' : 'down')}`);
      return `${res.status} ${report.status} in ${ms} ms (${parts.join(', ')})`;
    },
  },
  {
    name: `GET /api/v1/intro-page/${auth.user} (token from ${auth.source})`,
    run: async () => {
      const { res, body, ms } = await get(`/api/v1/intro-page/${encodeURIComponent(auth.user)}`, { Authorization: `Bearer ${auth.token}` });
      expectThat(res.status === 200, `status ${res.status}, want 200 (body: ${JSON.stringify(body).slice(0, 300)})`);
      const page = body as { userId?: string; sections?: Record<string, unknown>; degraded?: string[] };
      expectThat(page.userId === auth.user, `userId "${page.userId}", want "${auth.user}"`);
      const missing = SECTIONS.filter((s) => !(s in (page.sections ?? {})));
      expectThat(missing.length === 0, `sections missing: ${missing.join(', ')}`);
      const degraded = page.degraded ?? [];
      return `${res.status} in ${ms} ms, ${SECTIONS.length} sections${degraded.length ? `, DEGRADED: ${degraded.join(', ')}` : ''}`;
    },
  },
  {
    name: 'GET / with the session cookie (the edge-rendered page)',
    run: async () => {
      const started = performance.now();
      const res = await fetch(`${base}/`, {
        headers: { ...extraHeaders, Cookie: `foyer_session=${auth.token}` },
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      });
      const html = await res.text();
      const ms = Math.round(performance.now() - started);
      expectThat(
        res.status === 200,
        `status ${res.status}, want 200${res.headers.get('location') ? ` (redirect to ${res.headers.get('location')})` : ''}`,
      );
      expectThat((res.headers.get('content-type') ?? '').startsWith('text/html'), `content-type ${res.headers.get('content-type')}`);
      expectThat(html.includes('</html>'), 'the streamed document never finished');
      expectThat(!html.includes('Something went wrong on our side'), 'the page rendered its failure state');
      return `${res.status} text/html, ${html.length} bytes in ${ms} ms`;
    },
  },
  {
    name: `GET /api/v1/intro-page/${auth.user} without a token`,
    run: async () => {
      const { res } = await get(`/api/v1/intro-page/${encodeURIComponent(auth.user)}`);
      expectThat(res.status === 401, `status ${res.status}, want 401`);
      expectThat((res.headers.get('content-type') ?? '').startsWith('application/problem+json'), 'not application/problem+json');
      return '401 problem+json';
    },
  },
];

console.log(`smoke ${base}${env ? ` (${env})` : ''}${values.header.length ? ` with ${values.header.join('; ')}` : ''}`);
let failed = 0;
for (const check of checks) {
  for (let attempt = 0; ; attempt++) {
    try {
      console.log(`✓ ${check.name}: ${await check.run()}`);
      break;
    } catch (err) {
      // A fresh deploy can take a few seconds to reach every location.
      if (attempt < retries) {
        await new Promise((r) => setTimeout(r, delayMs));
        continue;
      }
      failed++;
      console.log(`✗ ${check.name}: ${(err as Error).message}`);
      break;
    }
  }
}
console.log(`smoke: ${checks.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
