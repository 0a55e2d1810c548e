import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { rawWranglerConfig } from '../local-config';
import { isEnvironment } from '../migrate/database';
import { type Plan, planFor, type WranglerConfig } from '../migrate/plan';
import { type RestoreResult, restoreLocal, restoreRemote, restoreTimeTravel } from './restore';
import { backupsIn, locateBackup, newestBefore } from './source';

const USAGE = `usage: npm run restore -- --env <local|staging|production> --from <file|r2 key> [--into <database>] [--force]
       npm run restore -- --env <staging|production> --bookmark <id> --force
       npm run restore -- --env <env> --timestamp <ISO 8601> [--force]
  local only: --persist-to <dir> (the live state), --backups <dir> (where --timestamp looks; default .wrangler/backups/foyer)`;

const { values } = parseArgs({
  options: {
    env: { type: 'string' },
    from: { type: 'string' },
    into: { type: 'string' },
    bookmark: { type: 'string' },
    timestamp: { type: 'string' },
    force: { type: 'boolean', default: false },
    'persist-to': { type: 'string' },
    backups: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const sources = [values.from, values.bookmark, values.timestamp].filter((v) => v !== undefined);
if (!isEnvironment(values.env) || sources.length !== 1) {
  console.error(`${USAGE}\n\nGive --env and exactly one of --from, --bookmark, --timestamp.`);
  process.exit(2);
}
if (values.timestamp !== undefined && Number.isNaN(Date.parse(values.timestamp))) {
  console.error(`--timestamp must be an ISO 8601 time such as 2026-11-30T14:00:00Z, got "${values.timestamp}".`);
  process.exit(2);
}
const env = values.env;
const progress = (line: string) => console.log(`  ${line}`);
const backupDir = values.backups ?? '.wrangler/backups/foyer';

function print(result: RestoreResult & { undoBookmark?: string }): void {
  console.log(`\n✓ restored the backup of ${result.manifest.environment} taken ${result.manifest.createdAt} into ${result.target}`);
  for (const c of result.checks) console.log(`  ✓ ${c}`);
  if (result.undoBookmark) console.log(`  undo with: npm run restore -- --env ${env} --bookmark ${result.undoBookmark} --force`);
  console.log('\nSwitch-over steps:');
  result.steps.forEach((s, i) => {
    console.log(`  ${i + 1}. ${s}`);
  });
}

try {
  const config = rawWranglerConfig() as WranglerConfig;
  const plan = planFor(env, config, values['persist-to'] ? { persistTo: values['persist-to'] } : {});
  const remote = plan as Plan & { env: 'staging' | 'production' };
  let from = values.from;
  if (env === 'local' && values.bookmark !== undefined) {
    throw new Error('Local D1 has no Time Travel: restore a backup file with --from, or pick one by time with --timestamp.');
  }
  if (env === 'local' && values.timestamp !== undefined) {
    const found = newestBefore(backupsIn(backupDir), env, Date.parse(values.timestamp));
    if (!found) throw new Error(`No local backup in ${backupDir} was taken at or before ${values.timestamp}.`);
    from = join(backupDir, found);
    progress(`--timestamp ${values.timestamp}: the newest backup before it is ${found}`);
  }
  if (from !== undefined) {
    const files = locateBackup(from, env, env === 'local' ? plan.persistTo : undefined);
    progress(`backup ${relative(process.cwd(), files.manifestFile)}`);
    if (env === 'local') {
      print(
        await restoreLocal({
          plan,
          config,
          files,
          ...(values.into ? { into: values.into } : {}),
          force: values.force,
          backupDir,
          progress,
        }),
      );
    } else {
      if (values.force) {
        throw new Error(
          'A remote restore from a file never overwrites the live database: it goes into a new one and you switch (the steps are printed). To go back in place, use --bookmark <id> --force or --timestamp <ISO> --force (Time Travel).',
        );
      }
      print(await restoreRemote({ plan: remote, files, ...(values.into ? { into: values.into } : {}), progress }));
    }
  } else {
    const target = values.bookmark !== undefined ? { bookmark: values.bookmark } : { timestamp: values.timestamp ?? '' };
    print(await restoreTimeTravel({ plan: remote, target, force: values.force, backupDir, progress }));
  }
} catch (err) {
  console.error(`\n✗ restore refused: ${(err as Error).message}`);
  process.exit(1);
}
