/**
 * The live exposition through a scraper's lint: starts a local Foyer (the browser suite's
 * `startServer`, test/e2e/server.ts: wrangler dev, migrated and seeded), sends a page view, a
 * write and a 404, then pipes GET /api/v1/metrics?format=prometheus (admin token) to
 * `promtool check metrics`. Exits 1 when promtool rejects the text, or when the traffic or the
 * write's consumer lag never shows up in it (a check on an empty exposition proves little).
 *
 * Usage: npx tsx ops/prometheus/live-check.ts   (port 8880 and its inspector 8881; E2E_PORT overrides)
 */
import { spawnSync } from 'node:child_process';
import { tokenVars } from '../../scripts/token';
import { signToken } from '../../worker/auth/sign-token';

// test/e2e/server.ts reads its port when it loads, so the variable is set before the import.
process.env.E2E_PORT ??= '8880';
const { E2E_URL, startServer } = await import('../../test/e2e/server');

/** Points reach the metrics store about a second after the request (METRICS_FLUSH_MS); the consumer a few later. */
const SETTLE_MS = 30_000;

async function token(userId: string, role: 'user' | 'admin'): Promise<string> {
  const vars = tokenVars();
  return signToken(
    { userId, role },
    { secret: vars.JWT_SECRET ?? '', issuer: vars.JWT_ISSUER ?? 'foyer-local', audience: vars.JWT_AUDIENCE ?? 'foyer', ttlSeconds: 600 },
  );
}

async function expectStatus(what: string, res: Response, status: number): Promise<void> {
  await res.arrayBuffer();
  if (res.status !== status) throw new Error(`${what} answered ${res.status}, expected ${status}`);
}

async function traffic(alice: string): Promise<void> {
  await expectStatus('GET /', await fetch(`${E2E_URL}/`, { headers: { cookie: `foyer_session=${alice}`, accept: 'text/html' } }), 200);
  const write = await fetch(`${E2E_URL}/api/v1/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Check the metrics with promtool' }),
  });
  await expectStatus('POST /api/v1/tasks', write, 201);
  await expectStatus(
    'GET /api/v1/no-such-route',
    await fetch(`${E2E_URL}/api/v1/no-such-route`, { headers: { authorization: `Bearer ${alice}` } }),
    404,
  );
}

/** What the exposition must show of the traffic before promtool's verdict means anything. */
const EXPECTED: [string, RegExp][] = [
  ['the 404', /^foyer_http_requests_total\{[^}]*status="404"[^}]*\} [1-9]/m],
  ['the write', /^foyer_http_requests_total\{method="POST",route="\/api\/v1\/tasks",status="201"\} [1-9]/m],
  ['the write applied by its consumer', /^foyer_events_lag_seconds_count [1-9]/m],
];

async function scrape(admin: string): Promise<string> {
  const res = await fetch(`${E2E_URL}/api/v1/metrics?format=prometheus`, { headers: { authorization: `Bearer ${admin}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /api/v1/metrics?format=prometheus answered ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

async function main(): Promise<number> {
  const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (promtool.status !== 0) {
    console.error('promtool is not installed: apt-get install prometheus (Debian), or put promtool on PATH.');
    return 1;
  }
  const stop = await startServer();
  try {
    const [alice, admin] = await Promise.all([token('alice', 'user'), token('ops', 'admin')]);
    await traffic(alice);
    let text = '';
    const started = Date.now();
    let missing = EXPECTED;
    while (Date.now() - started < SETTLE_MS) {
      text = await scrape(admin);
      missing = EXPECTED.filter(([, pattern]) => !pattern.test(text));
      if (missing.length === 0) break;
      await new Promise((ok) => setTimeout(ok, 1000));
    }
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    const families = text.split('\n').filter((l) => l.startsWith('# TYPE ')).length;
    const verdict = `${lint.stdout}${lint.stderr}`.trim();
    if (lint.status !== 0) console.log(`FAILED: promtool check metrics rejects the live exposition (${families} families):\n${verdict}`);
    else console.log(`ok: promtool check metrics accepts the live exposition (${families} families, ${text.length} bytes)`);
    for (const [what] of missing) console.log(`FAILED: ${what} never showed up in the exposition within ${SETTLE_MS / 1000} s`);
    return lint.status === 0 && missing.length === 0 ? 0 : 1;
  } finally {
    await stop();
  }
}

const code = await main().catch((err: unknown) => {
  console.error(err);
  return 1;
});
process.exit(code);
