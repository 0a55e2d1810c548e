/**
 * One HTTP load phase with autocannon: N keep-alive connections for D seconds, each request
 * built by `next()`. autocannon reports no p95 and no headers, so every response's latency,
 * status and `Cache-Status` are recorded here from the client events and summarised in stats.ts.
 */
import autocannon from 'autocannon';
import { isCacheHit, isIsolateHit, type RawSample, serverTiming } from './stats';

export interface RequestSpec {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Groups responses in the report (e.g. read / write); unlabelled requests are only counted in the total. */
  label?: string;
}

export interface HttpPhaseOptions {
  url: string;
  connections: number;
  durationSec: number;
  /** Builds each request; called once per request on the generator's event loop. */
  next: () => RequestSpec;
  /** Sent as Host (the baseline worker is chosen by it). */
  host?: string;
  timeoutSec?: number;
  /** Called every `everySec` while the phase runs with the responses of that window (soak progress). */
  progress?: { everySec: number; report(window: ProgressWindow): void };
}

export interface ProgressWindow {
  /** Seconds since the phase started, at the end of the window. */
  elapsedSec: number;
  windowSec: number;
  latenciesMs: number[];
  errors: number;
}

export async function runHttpPhase(options: HttpPhaseOptions): Promise<RawSample> {
  const latencies: number[] = [];
  const arrivals: number[] = [];
  const statusCodes: Record<string, number> = {};
  const labels: (string | undefined)[] = [];
  let labelled = false;
  const coordWaits: number[] = [];
  const rateLimitWaits: number[] = [];
  let cacheSeen = 0;
  let cacheHits = 0;
  let isolateHits = 0;
  let errors = 0;
  const errorKinds: Record<string, number> = {};
  let started = 0;

  let instance: autocannon.Instance | undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSec,
        timeout: options.timeoutSec ?? 10,
        headers: options.host ? { host: options.host } : {},
        requests: [
          {
            // `context` belongs to one connection and is read back when its response arrives
            // (autocannon asks for the next request only after emitting the response).
            setupRequest: (req, context: { label?: string }) => {
              const spec = options.next();
              context.label = spec.label;
              if (spec.label !== undefined) labelled = true;
              return {
                ...req,
                method: spec.method ?? 'GET',
                path: spec.path,
                headers: { ...req.headers, ...spec.headers },
                body: spec.body ?? '',
              } as typeof req;
            },
          },
        ],
        setupClient: (client) => {
          const context = (client as unknown as { requestIterator: { context: { label?: string } } }).requestIterator;
          let cacheStatus: string | null = null;
          let coordMs: number | null = null;
          let rateLimitMs: number | null = null;
          // The typings say IncomingHttpHeaders; at runtime autocannon passes the parser's { headers: [name, value, ...] }.
          client.on('headers', ((info: { headers: string[] }) => {
            cacheStatus = null;
            coordMs = null;
            rateLimitMs = null;
            for (let i = 0; i < info.headers.length; i += 2) {
              const name = info.headers[i]!.toLowerCase();
              if (name === 'cache-status') cacheStatus = info.headers[i + 1] ?? '';
              else if (name === 'server-timing') {
                coordMs = serverTiming(info.headers[i + 1] ?? '', 'coord');
                rateLimitMs = serverTiming(info.headers[i + 1] ?? '', 'ratelimit');
              }
            }
          }) as never);
          client.on('response', (status: number, _bytes: number, latencyMs: number) => {
            latencies.push(latencyMs);
            labels.push(context.context.label);
            arrivals.push((performance.now() - started) / 1000);
            statusCodes[status] = (statusCodes[status] ?? 0) + 1;
            if (coordMs !== null) coordWaits.push(coordMs);
            if (rateLimitMs !== null) rateLimitWaits.push(rateLimitMs);
            if (cacheStatus !== null) {
              cacheSeen++;
              if (isCacheHit(cacheStatus)) cacheHits++;
              if (isIsolateHit(cacheStatus)) isolateHits++;
            }
          });
        },
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
  started = performance.now();
  instance!.on('reqError', (err: Error & { code?: string }) => {
    errors++;
    const kind = err.code ?? err.message;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  });
  let reported = { at: 0, responses: 0, errors: 0 };
  const progress = options.progress;
  const ticker = progress
    ? setInterval(() => {
        const elapsedSec = (performance.now() - started) / 1000;
        progress.report({
          elapsedSec,
          windowSec: elapsedSec - reported.at,
          latenciesMs: latencies.slice(reported.responses),
          errors: errors - reported.errors,
        });
        reported = { at: elapsedSec, responses: latencies.length, errors };
      }, progress.everySec * 1000)
    : undefined;
  const result = await done.finally(() => clearInterval(ticker));
  // autocannon counts timeouts apart from connection errors; reqError covers both since v7.
  errors = Math.max(errors, result.errors);
  return {
    latenciesMs: latencies,
    arrivalsSec: arrivals,
    ...(labelled ? { labels } : {}),
    statusCodes,
    errors,
    errorKinds,
    cacheSeen,
    cacheHits,
    isolateHits,
    ...(coordWaits.length ? { coordWaitsMs: coordWaits } : {}),
    ...(rateLimitWaits.length ? { rateLimitWaitsMs: rateLimitWaits } : {}),
    durationSec: Math.max(0.001, (performance.now() - started) / 1000),
  };
}
