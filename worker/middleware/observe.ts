import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from '../app-env';
import { ProblemError } from '../errors';
import { serverTimingHeader, timingsRecord } from '../http/server-timing';
import { scheduleFlush } from '../observability/flush';
import { type LogLine, log } from '../observability/log';
import { increment, metrics, observe as observeHistogram } from '../observability/metrics';
import { parseCacheStatus, summarizeError } from '../observability/request-log';
import { type TraceContext, traceFrom } from '../observability/trace-context';

declare module 'hono' {
  interface ContextVariableMap {
    /** This request's W3C trace context; send `trace.traceparent` on downstream calls. */
    trace: TraceContext;
  }
}

function violatedPolicy(err: Error | undefined): string | undefined {
  const policies = err instanceof ProblemError ? err.extensions['violated-policies'] : undefined;
  return Array.isArray(policies) && typeof policies[0] === 'string' ? policies[0] : undefined;
}

/** The route template that answered (`/api/v1/tasks/:id`), never the raw path: labels stay few. */
export function routeLabel(c: Context<AppEnv>): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i];
    // Middleware is registered for ALL methods; a handler carries its own method.
    if (route && route.method !== 'ALL') return route.path;
  }
  return 'unmatched';
}

/**
 * Outermost middleware after hono/request-id: trace context, one JSON log line per request, and the HTTP metrics. It never holds the response up: points
 * are flushed after it (waitUntil).
 *
 * Time in Workers advances only across I/O (https://developers.cloudflare.com/workers/runtime-apis/performance/),
 * so durations measure waiting on D1, KV and Durable Objects, which is what dominates.
 */
export const observe = createMiddleware<AppEnv>(async function observe(c, next) {
  const started = performance.now();
  // Set by hono/request-id, registered before this middleware (worker/app.ts).
  const requestId = c.get('requestId');
  const trace = traceFrom(c.req.header('traceparent'));
  c.set('trace', trace);

  await next();

  const durationMs = performance.now() - started;
  const status = c.res.status;
  const method = c.req.method;
  const route = routeLabel(c);
  const timings = c.get('serverTiming');
  if (timings) timings.push({ name: 'total', ms: durationMs, description: 'total' });
  try {
    c.res.headers.set('traceparent', trace.traceparent);
    if (timings) c.res.headers.append('Server-Timing', serverTimingHeader(timings));
    // `c.header` above reaches only responses built through `c`; problem responses are built
    // directly, and the contract wants the id on every response.
    if (!c.res.headers.has('X-Request-Id')) c.res.headers.set('X-Request-Id', requestId);
  } catch {
    // Some responses (e.g. passed through from fetch) have immutable headers; the log still has the trace.
  }

  increment('foyer_http_requests_total', { method, route, status: String(status) });
  observeHistogram('foyer_http_request_duration_seconds', { method, route }, durationMs / 1000);
  const principal = c.get('principal');
  // Every 429 is the rate limiter's (contract); its problem names the policy it enforced.
  if (status === 429) metrics.rateLimitRejected(violatedPolicy(c.error) ?? 'unknown');

  const line: LogLine = {
    level: status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
    msg: 'request',
    time: new Date().toISOString(),
    requestId,
    traceId: trace.traceId,
    spanId: trace.spanId,
    parentSpanId: trace.parentSpanId ?? null,
    method,
    route,
    // The path only: a query string may carry a credential (e.g. a WebSocket ticket).
    path: c.req.path,
    status,
    durationMs: Math.round(durationMs * 10) / 10,
    principal: principal ? { userId: principal.userId, role: principal.role } : null,
    cache: parseCacheStatus(c.res.headers.get('Cache-Status')),
    timings: timingsRecord(timings),
  };
  if (c.error) line.error = summarizeError(c.error);
  log.line(line);

  let ctx: ExecutionContext | undefined;
  try {
    ctx = c.executionCtx as ExecutionContext;
  } catch {
    // app.request() in unit tests has no execution context; the points wait for the next request.
  }
  if (ctx) scheduleFlush(c.env, (p) => ctx.waitUntil(p));
});
