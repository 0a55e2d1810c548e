import { Hono } from 'hono';
import { renderToString } from 'preact-render-to-string';
import { Dashboard, Forbidden } from '../../web/admin/dashboard';
import type { FlagsPanelData } from '../../web/admin/flags-panel';
import type { AppEnv } from '../app-env';
import type { Principal } from '../auth/principal';
import { sessionCookieToken } from '../auth/session-cookie';
import { verifyToken } from '../auth/verify-token';
import { replicaDb } from '../db/sessions';
import { ForbiddenError, UnauthorizedError } from '../errors';
import { eventFigures } from '../events/figures';
import { flagHistory, listFlags } from '../flags/repository';
import { tokenFrom } from '../middleware/authenticate';
import { htmlSecurityHeaders } from '../middleware/security-headers';
import { flushMetrics, metricsStore } from '../observability/flush';
import { errorMessage, log } from '../observability/log';
import { type MetricsSummary, summarize } from '../observability/summary';
import { checkHealth } from '../services/dependency-checks';

/** Minutes the dashboard shows; its script polls the same window. */
const DASHBOARD_MINUTES = 30;

/** The signed-in principal, or null when there is no usable session (absent, malformed, expired). */
async function sessionOf(authorization: string | undefined, cookie: string | undefined, env: Env): Promise<Principal | null> {
  try {
    const token = tokenFrom(authorization, cookie);
    return token ? await verifyToken(token, env) : null;
  } catch (err) {
    if (err instanceof UnauthorizedError) return null;
    throw err;
  }
}

async function recentMetrics(env: Env): Promise<MetricsSummary | null> {
  try {
    await flushMetrics(env);
    return summarize(await metricsStore(env).snapshot(DASHBOARD_MINUTES));
  } catch (err) {
    log.error('dashboard could not read metrics', { error: errorMessage(err) });
    return null;
  }
}

async function flagsPanel(env: Env): Promise<FlagsPanelData | null> {
  try {
    // The dashboard's view of the flags may trail a write by a replica's lag; the flags API reads the primary.
    const db = replicaDb(env);
    const [flags, history] = await Promise.all([listFlags(db), flagHistory(db)]);
    return { flags, history };
  } catch (err) {
    console.error(JSON.stringify({ level: 'error', msg: 'dashboard could not read flags', error: String(err) }));
    return null;
  }
}

/**
 * GET /admin: the operators' dashboard, server-rendered with Preact. Without a session the
 * answer is a redirect to /login; a signed-in non-admin gets 403, as an HTML page when the
 * client accepts HTML (a browser) and as problem+json otherwise.
 */
export const adminPage = new Hono<AppEnv>();
adminPage.use('*', htmlSecurityHeaders({ styleNonce: true }));

adminPage.get('/', async (c) => {
  c.header('Cache-Control', 'no-store');
  const principal = await sessionOf(c.req.header('Authorization'), sessionCookieToken(c), c.env);
  if (!principal) return c.redirect('/login', 302);
  c.set('principal', principal);
  const nonce = c.get('secureHeadersNonce') ?? '';
  if (principal.role !== 'admin') {
    // A person gets a page; a program gets the contract's problem+json.
    if (!/\btext\/html\b/i.test(c.req.header('Accept') ?? '')) throw new ForbiddenError('The dashboard is for operators (role admin).');
    return c.html(`<!doctype html>${renderToString(<Forbidden nonce={nonce} user={principal.userId} />)}`, 403);
  }
  const [health, metrics, flags, events] = await Promise.all([
    checkHealth(c.env, c.get('requestId')),
    recentMetrics(c.env),
    flagsPanel(c.env),
    eventFigures(replicaDb(c.env)).catch((err: unknown) => {
      log.error('dashboard could not read the event figures', { error: errorMessage(err) });
      return null;
    }),
  ]);
  const page = renderToString(
    <Dashboard health={health} metrics={metrics} nonce={nonce} operator={principal.userId} flags={flags} events={events} />,
  );
  return c.html(`<!doctype html>${page}`, 200);
});
