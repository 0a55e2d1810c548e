import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { rawWranglerConfig } from '../local-config';
import { isEnvironment } from '../migrate/database';
import { planFor, type WranglerConfig } from '../migrate/plan';
import { backup } from './backup';
import { parseR2Target } from './commands';

const USAGE =
  'usage: npm run backup -- --env <local|staging|production> [--out <dir>] [--to-r2 <bucket>/<prefix>] [--persist-to <dir> (local)]';

const { values } = parseArgs({
  options: {
    env: { type: 'string' },
    out: { type: 'string' },
    'to-r2': { type: 'string' },
    'persist-to': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!isEnvironment(values.env)) {
  console.error(USAGE);
  process.exit(2);
}
const env = values.env;
try {
  const config = rawWranglerConfig() as WranglerConfig;
  const plan = planFor(env, config, values['persist-to'] ? { persistTo: values['persist-to'] } : {});
  const result = await backup({
    plan,
    outDir: values.out ?? `.wrangler/backups/foyer`,
    ...(values['to-r2'] ? { r2: parseR2Target(values['to-r2']) } : {}),
    progress: (line) => console.log(`  ${line}`),
  });
  const m = result.manifest;
  const rows = Object.values(m.tables).reduce((n, t) => n + t.rows, 0);
  console.log(`\n✓ backup of ${env}: ${rows} rows in ${Object.keys(m.tables).length} tables, schema ${m.migrations.at(-1) ?? 'none'}`);
  console.log(`  archive   ${relative(process.cwd(), result.archiveFile)} (${m.archive.bytes} bytes, sha256 ${m.archive.sha256})`);
  console.log(`  manifest  ${relative(process.cwd(), result.manifestFile)}`);
  if (m.bookmark) console.log(`  bookmark  ${m.bookmark}`);
  for (const key of result.uploaded) console.log(`  uploaded  r2://${key}`);
  for (const f of result.pruned) console.log(`  pruned    ${f}`);
  console.log(
    `  took ${result.seconds.total.toFixed(1)} s (export ${result.seconds.export.toFixed(1)} s, verify ${result.seconds.verify.toFixed(1)} s)`,
  );
  console.log(`  restore with: npm run restore -- --env ${env} --from ${relative(process.cwd(), result.manifestFile)}`);
} catch (err) {
  console.error(`✗ backup of ${env} failed: ${(err as Error).message}`);
  process.exit(1);
}
