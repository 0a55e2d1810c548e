/**
 * npm run size [-- --env production] [--budget-kib 250] [--startup-budget-ms 400] [--runs 3] [--top 12]
 *
 * The worker's startup cost against its budgets, measured by `wrangler check startup`: it bundles
 * exactly as a deploy does, reports the bundle's gzip size, and profiles the bundle's startup
 * (parsing and running the global scope) in the local workerd. Prints both figures and the
 * largest inputs (esbuild's metafile); exits 1 over either budget. The CPU figure is this
 * machine's, not the edge's, and the least of `--runs` profiles: on a shared box other work
 * only ever adds to it (docs/deployment.md#startup-budget).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    env: { type: 'string', default: 'production' },
    'budget-kib': { type: 'string', default: '250' },
    'startup-budget-ms': { type: 'string', default: '400' },
    runs: { type: 'string', default: '3' },
    top: { type: 'string', default: '12' },
  },
});
const budgetKib = Number(values['budget-kib']);
const startupBudgetMs = Number(values['startup-budget-ms']);
for (const [flag, value] of [
  ['--budget-kib', budgetKib],
  ['--startup-budget-ms', startupBudgetMs],
] as const) {
  if (!(value > 0)) {
    console.error(`${flag} takes a positive number, got ${JSON.stringify(values[flag.slice(2) as 'budget-kib'])}`);
    process.exit(2);
  }
}

const outdir = mkdtempSync(join(tmpdir(), 'foyer-size-'));
try {
  const metafile = join(outdir, 'meta.json');
  let size: RegExpExecArray | null = null;
  let startupMs = Number.POSITIVE_INFINITY;
  for (let run = 0; run < Math.max(1, Number(values.runs) || 1); run++) {
    const output = checkStartup(join(outdir, 'worker-startup.cpuprofile'), metafile);
    size = /Bundle: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output);
    startupMs = Math.min(startupMs, Number(/Active: ([\d.]+) ms/.exec(output)?.[1]));
  }
  if (!size) throw new Error('unreachable: checkStartup exits without figures');
  const gzipKib = Number(size[2]);
  console.log(
    `worker (--env ${values.env}): ${size[1]} KiB raw, ${gzipKib.toFixed(2)} KiB gzip (budget ${budgetKib} KiB); ` +
      `startup CPU ${startupMs.toFixed(1)} ms on this machine (budget ${startupBudgetMs} ms)`,
  );
  printLargestInputs(metafile, Number(values.top));
  const over: string[] = [];
  if (gzipKib > budgetKib) over.push(`the bundle is ${(gzipKib - budgetKib).toFixed(2)} KiB over its gzip budget`);
  if (startupMs > startupBudgetMs) over.push(`startup takes ${(startupMs - startupBudgetMs).toFixed(1)} ms more CPU than its budget`);
  if (over.length > 0) {
    console.error(
      `${over.join('; ')}. Likely causes: a new dependency (see the list above), work at module scope, a large constant. ` +
        'Load the .cpuprofile of `npx wrangler check startup` into Chrome DevTools to see where startup goes.',
    );
    process.exit(1);
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}

/** One `wrangler check startup` run's output; exits 1 when it fails or prints no figures. */
function checkStartup(profile: string, metafile: string): string {
  const run = spawnSync(
    'npx',
    ['wrangler', 'check', 'startup', '--env', values.env, '--outfile', profile, `--args=--metafile=${metafile}`],
    {
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0' },
    },
  );
  const output = `${run.stdout}\n${run.stderr}`;
  if (run.status !== 0 || !/Bundle: .* gzip: /.test(output) || !/Active: [\d.]+ ms/.test(output)) {
    console.error(`${output}\nwrangler check startup failed or printed no figures: fix the build first (the output is above).`);
    process.exit(1);
  }
  return output;
}

interface Metafile {
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
}

/** Minified bytes per package (node_modules) or per folder (our code), largest first. */
function printLargestInputs(path: string, top: number): void {
  const meta = JSON.parse(readFileSync(path, 'utf8')) as Metafile;
  const byOwner = new Map<string, number>();
  for (const output of Object.values(meta.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
      const owner = pkg ?? input.split('/').slice(0, 2).join('/');
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + bytesInOutput);
    }
  }
  const rows = [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [owner, bytes] of rows) console.log(`  ${(bytes / 1024).toFixed(1).padStart(7)} KiB  ${owner}`);
}
