import type { EventFigures } from '../../worker/events/figures';
import type { MetricsSummary } from '../../worker/observability/summary';
import type { HealthReport } from '../../worker/services/dependency-checks';
import { LineChart } from './charts';
import { FLAGS_STYLE, FlagsPanel, type FlagsPanelData } from './flags-panel';
import { FLAGS_SCRIPT } from './flags-script';
import { format } from './format';
import { LIVE_SCRIPT } from './live';
import { DASHBOARD_STYLE } from './style';

/** The alert thresholds of docs/operations.md, drawn on the charts. */
export const THRESHOLDS = { p95Ms: 200, errorRate: 0.01, cacheHitRate: 0.85 } as const;

export interface DashboardProps {
  health: HealthReport;
  /** Null when the metrics store did not answer; the page says so and keeps polling. */
  metrics: MetricsSummary | null;
  nonce: string;
  operator: string;
  /** The flags panel's data; null when D1 did not answer, absent to leave the panel out. */
  flags?: FlagsPanelData | null;
  /** The domain event figures (GET /api/v1/admin/events); null when D1 did not answer. */
  events?: EventFigures | null;
}

function Stat({ label, bind, value }: { label: string; bind: string; value: string }) {
  return (
    <div class="stat">
      <dt>{label}</dt>
      <dd data-m={bind}>{value}</dd>
    </div>
  );
}

/** The domain event pipeline over 24 h (docs/operations.md#domain-events); the live script refreshes it from /api/v1/metrics. */
function EventsPanel({ events: e }: { events: EventFigures | null }) {
  return (
    <section aria-labelledby="events-h">
      <h2 id="events-h">Domain events (24 h)</h2>
      {e === null ? (
        <p class="notice" role="status">
          D1 did not answer; the event figures appear when it does.
        </p>
      ) : null}
      <dl class="stats">
        <Stat label="Published" bind="events.published" value={format.n(e?.published)} />
        <Stat label="Delivered" bind="events.delivered" value={format.n(e?.delivered)} />
        <Stat label="Retried" bind="events.retried" value={format.n(e?.retried)} />
        <Stat label="Dead-lettered" bind="events.deadLettered" value={format.n(e?.deadLettered)} />
        <Stat label="Dead letters to replay" bind="events.deadLettersPending" value={format.n(e?.deadLettersPending)} />
        <Stat label="Lag p50" bind="events.lagMs.p50|ms" value={format.ms(e?.lagMs.p50)} />
        <Stat label="Lag p95" bind="events.lagMs.p95|ms" value={format.ms(e?.lagMs.p95)} />
        <Stat label="Outbox backlog (> 30 s)" bind="events.outbox.backlog" value={format.n(e?.outbox.backlog)} />
      </dl>
    </section>
  );
}

/** GET /admin: health, latency, cache and feed at a glance, refreshed live by LIVE_SCRIPT. */
export function Dashboard({ health, metrics, nonce, operator, flags, events }: DashboardProps) {
  const m = metrics;
  const timeline = m?.timeline ?? [];
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>Foyer operations</title>
        <style nonce={nonce} dangerouslySetInnerHTML={{ __html: DASHBOARD_STYLE + FLAGS_STYLE }} />
      </head>
      <body>
        <header>
          <h1>Foyer operations</h1>
          <p>
            Signed in as {operator}.{' '}
            <span data-live-status aria-live="polite">
              Live updates start in 5 s.
            </span>
          </p>
        </header>
        <main>
          <section aria-labelledby="health-h">
            <h2 id="health-h">
              Health: <span data-h="status">{health.status}</span>
            </h2>
            <ul class="checks">
              {Object.entries(health.checks).map(([name, check]) => (
                <li key={name} data-check={`checks.${name}`} data-status={check.status}>
                  <strong>{name}</strong> <span data-h={`checks.${name}.status`}>{check.status}</span>{' '}
                  <span data-h={`checks.${name}.latencyMs|ms`}>{format.ms(check.latencyMs)}</span>
                </li>
              ))}
            </ul>
          </section>

          {m === null ? (
            <p class="notice" role="status">
              The metrics store did not answer; figures appear when it does.
            </p>
          ) : null}

          <section aria-labelledby="traffic-h">
            <h2 id="traffic-h">Last {m?.windowMinutes ?? 30} minutes</h2>
            <dl class="stats">
              <Stat label="Requests" bind="http.requests" value={format.n(m?.http.requests)} />
              <Stat label="Error rate (5xx)" bind="http.errorRate|pct" value={format.pct(m?.http.errorRate)} />
              <Stat label="Latency p50" bind="http.p50Ms|ms" value={format.ms(m?.http.p50Ms)} />
              <Stat label="Latency p95" bind="http.p95Ms|ms" value={format.ms(m?.http.p95Ms)} />
              <Stat label="Latency p99" bind="http.p99Ms|ms" value={format.ms(m?.http.p99Ms)} />
              <Stat label="Cache hit rate" bind="cache.hitRate|pct" value={format.pct(m?.cache.hitRate)} />
              <Stat label="Feed connections open" bind="websocket.open" value={format.n(m?.websocket.open)} />
              <Stat label="Feed messages out" bind="websocket.messagesOut" value={format.n(m?.websocket.messagesOut)} />
              <Stat label="Rate-limit rejections" bind="rateLimit.rejections" value={format.n(m?.rateLimit.rejections)} />
              <Stat label="D1 p95" bind="d1.p95Ms|ms" value={format.ms(m?.d1.p95Ms)} />
            </dl>
            <div class="charts">
              <LineChart series="requests" title="Requests per minute" unit="n" values={timeline.map((t) => t.requests)} />
              <LineChart series="p95Ms" title="Latency p95" unit="ms" values={timeline.map((t) => t.p95Ms)} threshold={THRESHOLDS.p95Ms} />
              <LineChart
                series="cacheHitRate"
                title="Cache hit rate"
                unit="pct"
                max={1}
                values={timeline.map((t) => t.cacheHitRate)}
                threshold={THRESHOLDS.cacheHitRate}
              />
            </div>
          </section>

          <section aria-labelledby="routes-h">
            <h2 id="routes-h">Routes</h2>
            <table>
              <caption>Busiest routes in the window; latency from fixed histogram buckets.</caption>
              <thead>
                <tr>
                  <th scope="col">Route</th>
                  <th scope="col">Requests</th>
                  <th scope="col">Errors</th>
                  <th scope="col">p50</th>
                  <th scope="col">p95</th>
                  <th scope="col">p99</th>
                </tr>
              </thead>
              <tbody data-routes>
                {(m?.http.routes ?? []).slice(0, 15).map((r) => (
                  <tr key={`${r.method} ${r.route}`}>
                    <td>
                      {r.method} {r.route}
                    </td>
                    <td>{format.n(r.requests)}</td>
                    <td>{format.pct(r.errorRate)}</td>
                    <td>{format.ms(r.p50Ms)}</td>
                    <td>{format.ms(r.p95Ms)}</td>
                    <td>{format.ms(r.p99Ms)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>

          {events !== undefined ? <EventsPanel events={events} /> : null}

          {flags !== undefined ? <FlagsPanel data={flags} /> : null}
        </main>
        <footer>
          <p>
            Raw figures: <a href="/api/v1/metrics">/api/v1/metrics</a> (JSON), <a href="/api/v1/metrics?format=prometheus">Prometheus</a>,{' '}
            <a href="/api/v1/health">/api/v1/health</a>. Thresholds and how to read this page: docs/operations.md.
          </p>
        </footer>
        <script nonce={nonce} dangerouslySetInnerHTML={{ __html: flags ? `${LIVE_SCRIPT}\n${FLAGS_SCRIPT}` : LIVE_SCRIPT }} />
      </body>
    </html>
  );
}

/** The 403 page for a signed-in non-admin. */
export function Forbidden({ nonce, user }: { nonce: string; user: string }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Not allowed · Foyer operations</title>
        <style nonce={nonce} dangerouslySetInnerHTML={{ __html: DASHBOARD_STYLE + FLAGS_STYLE }} />
      </head>
      <body>
        <main>
          <h1>Operators only</h1>
          <p>
            You are signed in as {user}, who does not have the admin role. Ask an operator for access, or go back to{' '}
            <a href="/">your intro page</a>.
          </p>
        </main>
      </body>
    </html>
  );
}
