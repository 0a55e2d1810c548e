/**
 * The steps that move an environment onto a restored database, printed by restore and listed
 * in docs/disaster-recovery.md. D1 is the only authoritative state; KV fragments and the feed
 * objects' logs are rebuilt from it, so every switch ends with a purge and a warm.
 */
import { dirname, relative } from 'node:path';
import { ROOT } from '../local-config';
import type { Plan } from '../migrate/plan';

const admin = (base: string, path: string, body: string) =>
  `curl -fsS -X POST ${base}/api/v1/admin/cache/${path} -H "authorization: Bearer $ADMIN_TOKEN" -H 'content-type: application/json' -d '${body}'`;

/** After the database is back: drop every cached fragment (they may show rows the restore removed), then warm the busiest pages. */
export function rebuildSteps(base: string, tokenHint: string): string[] {
  return [
    `Get an admin token: ${tokenHint}`,
    `Purge the KV cache (fragments may hold rows the restore removed): ${admin(base, 'purge', '{"scope":"all"}')}`,
    `Warm the busiest pages: ${admin(base, 'warm', '{"top":100}')}`,
    `Check: curl -fsS ${base}/health -H "authorization: Bearer $ADMIN_TOKEN" (the feed objects reconcile from D1 on their next read; nothing to run)`,
  ];
}

export function localSwitchOver(plan: Plan, into: string | null, restoredFile: string, liveFile: string): string[] {
  const rebuild = rebuildSteps('http://127.0.0.1:8787', 'export ADMIN_TOKEN=$(npm run -s token -- --sub admin --role admin)');
  if (into === null) {
    return ['Start the app: npm start', ...rebuild];
  }
  const live = relative(ROOT, liveFile);
  return [
    'Stop the local server (npm start / wrangler dev) so nothing holds the database file.',
    `Either run on the restored state as it is: npx wrangler dev --persist-to ${into}`,
    `or copy it over the live database: mkdir -p ${dirname(live)} && cp ${relative(ROOT, restoredFile)} ${live} && rm -f ${live}-wal ${live}-shm`,
    `  (or the same in one command, with a fresh backup first: npm run restore -- --env local --from <manifest> --force${plan.persistTo !== '.wrangler/state' ? ` --persist-to ${plan.persistTo}` : ''})`,
    'Start the app: npm start',
    ...rebuild,
  ];
}

export function remoteSwitchOver(plan: Plan, newName: string | null, newId: string | null): string[] {
  const base = `https://<${plan.env} host>`;
  const rebuild = rebuildSteps(base, 'an admin JWT from the identity provider');
  if (newName === null) {
    return [`The live database ${plan.databaseName} was restored in place; the worker already uses it.`, ...rebuild];
  }
  return [
    `In wrangler.toml, [[env.${plan.env}.d1_databases]] binding "DB": set database_name = "${newName}" and database_id = "${newId}".`,
    `Deploy the same code onto it: npx wrangler deploy --env ${plan.env} (or merge the wrangler.toml change and let the deploy workflow do it).`,
    ...rebuild,
    `Take a first backup of the new database: npm run backup -- --env ${plan.env} --to-r2 foyer-backups-${plan.env}/d1`,
    `Keep the old database ${plan.databaseName} until the new one has served for a day, then: npx wrangler d1 delete ${plan.databaseName}`,
  ];
}
