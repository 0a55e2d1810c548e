/**
 * Alert delivery end to end (ops/alertmanager/README.md): Debian's Prometheus scrapes a stand-in
 * Foyer whose last verified backup is two hours old, ops/prometheus/alerts.yml makes
 * FoyerBackupStale fire, and Alertmanager, running ops/alertmanager/alertmanager.yml unchanged,
 * delivers it through its Slack receiver to a local webhook standing in for Slack. Exits 1 unless
 * the page arrives within DEADLINE_MS of the first scrape, with nothing sent to the tickets channel.
 *
 * The stand-in serves what /api/v1/metrics?format=prometheus serves (`renderPrometheus`), with
 * the backup age read by the worker's own `readBackupStatus` from the record `npm run backup`
 * writes; only the R2 bucket under it is an in-memory copy of that one object.
 *
 * Usage: npx tsx ops/alertmanager/e2e.ts [--keep]   (--keep leaves the temporary directory)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LAST_GOOD_BACKUP_KEY, readBackupStatus } from '../../worker/observability/backup-status';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../../worker/observability/prometheus';
import { CHECK_BUDGETS_MS, CHECK_NAMES, type HealthReport } from '../../worker/services/dependency-checks';

/** Ports of this check (loopback only): the stand-in, the Slack stand-in, Alertmanager, Prometheus. */
const PORTS = { foyer: 8850, slack: 8851, alertmanager: 8852, prometheus: 8853 } as const;
/** The rule's `for: 2m`, the page route's `group_wait: 10s`, and slack for the 1 s scrape and evaluation. */
const DEADLINE_MS = 180_000;
const BACKUP_AGE_MS = 2 * 3600_000;

const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'foyer-alert-e2e-'));
const children: ChildProcess[] = [];
const servers: Server[] = [];

function listen(server: Server, port: number): Promise<void> {
  servers.push(server);
  return new Promise((ok, fail) => server.once('error', fail).listen(port, '127.0.0.1', () => ok()));
}

/** A stand-in Foyer: the real exposition, every check ok, the backup record two hours old. */
async function startFoyer(): Promise<{ scrapes: () => number; firstScrapeAt: () => number | undefined }> {
  const record = { at: new Date(Date.now() - BACKUP_AGE_MS).toISOString(), environment: 'production', manifest: 'e2e', sha256: 'e2e' };
  const bucket = {
    get: async (key: string) => (key === LAST_GOOD_BACKUP_KEY ? { json: async () => record } : null),
  } as unknown as R2Bucket;
  let scrapes = 0;
  let first: number | undefined;
  const server = createServer(async (req, res) => {
    if (!req.url?.startsWith('/api/v1/metrics')) return void res.writeHead(404).end();
    scrapes += 1;
    first ??= Date.now();
    const checks = Object.fromEntries(CHECK_NAMES.map((name) => [name, { status: 'ok', latencyMs: 3, budgetMs: CHECK_BUDGETS_MS[name] }]));
    const health = { status: 'ok', checks, backup: await readBackupStatus(bucket, Date.now()) } as HealthReport;
    res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(renderPrometheus([], health, undefined, 'production'));
  });
  await listen(server, PORTS.foyer);
  return { scrapes: () => scrapes, firstScrapeAt: () => first };
}

interface Delivery {
  channel: string;
  at: number;
  body: { channel?: string; attachments?: { title?: string; text?: string }[] };
}

/** Stands in for Slack's incoming webhooks: one path per receiver, records what arrives. */
async function startSlack(): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      deliveries.push({ channel: req.url ?? '', at: Date.now(), body: JSON.parse(text || '{}') });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await listen(server, PORTS.slack);
  return deliveries;
}

function run(name: string, command: string, args: string[]): void {
  const child = spawn(command, args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = join(work, `${name}.log`);
  const lines: string[] = [];
  child.stdout?.on('data', (d) => lines.push(String(d)));
  child.stderr?.on('data', (d) => lines.push(String(d)));
  child.on('exit', (code, signal) => {
    writeFileSync(log, lines.join(''));
    if (!stopping) console.error(`${name} exited (${code ?? signal}); its log: ${log}`);
  });
  child.on('error', (err) => console.error(`${name} could not start: ${err.message}`));
  children.push(child);
}

let stopping = false;
async function stop(): Promise<void> {
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((ok) => c.once('exit', ok)) : undefined)));
  for (const server of servers) server.close();
  if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true });
}

async function main(): Promise<number> {
  // Alertmanager's config as committed, beside the secret files it names (relative paths).
  copyFileSync(join(root, 'ops/alertmanager/alertmanager.yml'), join(work, 'alertmanager.yml'));
  mkdirSync(join(work, 'secrets'));
  for (const receiver of ['foyer-pages', 'foyer-tickets']) {
    writeFileSync(join(work, 'secrets', `${receiver}-webhook`), `http://127.0.0.1:${PORTS.slack}/${receiver}\n`);
  }
  writeFileSync(
    join(work, 'prometheus.yml'),
    `${[
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: ['${join(root, 'ops/prometheus/alerts.yml')}']`,
      `alerting: { alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:${PORTS.alertmanager}'] }] }] }`,
      'scrape_configs:',
      '  - job_name: foyer',
      '    metrics_path: /api/v1/metrics',
      '    params: { format: [prometheus] }',
      `    static_configs: [{ targets: ['127.0.0.1:${PORTS.foyer}'] }]`,
    ].join('\n')}\n`,
  );

  const foyer = await startFoyer();
  const deliveries = await startSlack();
  run('alertmanager', 'prometheus-alertmanager', [
    `--config.file=${join(work, 'alertmanager.yml')}`,
    `--storage.path=${join(work, 'alertmanager-data')}`,
    `--web.listen-address=127.0.0.1:${PORTS.alertmanager}`,
    '--cluster.listen-address=',
  ]);
  run('prometheus', 'prometheus', [
    `--config.file=${join(work, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(work, 'prometheus-data')}`,
    `--web.listen-address=127.0.0.1:${PORTS.prometheus}`,
  ]);

  const started = Date.now();
  while (Date.now() - started < DEADLINE_MS + 60_000) {
    await new Promise((ok) => setTimeout(ok, 1000));
    if (children.some((c) => c.exitCode !== null)) return 1;
    const first = foyer.firstScrapeAt();
    const page = deliveries.find((d) => d.channel === '/foyer-pages');
    if (page && first !== undefined) {
      const tookMs = page.at - first;
      const attachment = page.body.attachments?.[0];
      const ok =
        tookMs <= DEADLINE_MS &&
        page.body.channel === '#foyer-pages' &&
        /PAGE: FoyerBackupStale/.test(attachment?.title ?? '') &&
        /older than its bound/.test(attachment?.text ?? '') &&
        !deliveries.some((d) => d.channel !== '/foyer-pages');
      console.log(
        `${ok ? 'ok' : 'FAILED'}: FoyerBackupStale reached #foyer-pages ${(tookMs / 1000).toFixed(1)} s after the first scrape ` +
          `(deadline ${DEADLINE_MS / 1000} s; ${foyer.scrapes()} scrapes; title "${attachment?.title}"; ` +
          `${deliveries.length} deliveries: ${deliveries.map((d) => d.channel).join(', ')})`,
      );
      return ok ? 0 : 1;
    }
    if (first !== undefined && Date.now() - first > DEADLINE_MS) break;
  }
  console.log(
    `FAILED: no page within ${DEADLINE_MS / 1000} s of the first scrape (${foyer.scrapes()} scrapes, ${deliveries.length} deliveries); logs in ${work} with --keep`,
  );
  return 1;
}

const code = await main().catch((err: unknown) => {
  console.error(err);
  return 1;
});
await stop();
process.exit(code);
