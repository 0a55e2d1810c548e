/**
 * npm run migrate -- --env <local|staging|production> [--dry-run] [--previous <git ref>] [--persist-to <dir>]
 *
 * Lint → bookmark → apply → verify → record. `wrangler deploy` never applies migrations and
 * `wrangler rollback` never undoes them, so this is the only way schema reaches an environment,
 * and it always leaves a way back (https://developers.cloudflare.com/d1/reference/time-travel/).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as schema from '../../drizzle/schema';
import { ROOT, rawWranglerConfig } from '../local-config';
import { backupLocal, isEnvironment, readState, type TargetState } from './database';
import { checkExpandContract } from './expand-contract';
import { blocking, formatFinding, lintMigrations, type MigrationFile } from './lint';
import {
  type AuditRow,
  auditInsertSql,
  type Bookmark,
  bookmarkLabel,
  type Plan,
  planFor,
  restoreCommand,
  rollbackSteps,
  type WranglerConfig,
} from './plan';
import { actor, currentCommit, previousRelease, schemaAt } from './releases';
import { schemaModel } from './schema-model';
import { formatRowCounts, verifyMigration } from './verify';
import { execute, timeTravelBookmark, wranglerInteractive } from './wrangler';

const USAGE = 'usage: npm run migrate -- --env <local|staging|production> [--dry-run] [--previous <git ref>] [--persist-to <dir> (local)]';

const { values } = parseArgs({
  options: {
    env: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    previous: { type: 'string' },
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
const dryRun = values['dry-run'];
const step = (n: number, name: string, text: string) => console.log(`\n[${n}/5] ${name.padEnd(8)} ${text}`);
const detail = (text: string) => console.log(`         ${text.replaceAll('\n', '\n         ')}`);

function fail(message: string, plan: Plan, bookmark: Bookmark | undefined): never {
  console.error(`\n✗ ${message}\n\nRollback steps:`);
  rollbackSteps(plan, bookmark).forEach((s, i) => {
    console.error(`  ${i + 1}. ${s}`);
  });
  process.exit(1);
}

let plan: Plan;
try {
  const config = rawWranglerConfig() as WranglerConfig;
  plan = planFor(values.env, config, values['persist-to'] ? { persistTo: values['persist-to'] } : {});
} catch (err) {
  console.error(`✗ ${(err as Error).message}`);
  process.exit(1);
}
const commit = currentCommit();
const shortCommit = (c: string) => c.replace(/^([0-9a-f]{12})[0-9a-f]*/, '$1');
const who = actor();
console.log(
  `foyer migrate · env ${plan.env} · database ${plan.databaseName} (${plan.target.join(' ')}) · commit ${shortCommit(commit)}${dryRun ? ' · DRY RUN' : ''}`,
);

const files = readdirSync(resolve(ROOT, plan.migrationsDir))
  .filter((f) => f.endsWith('.sql'))
  .sort();
let before: TargetState;
try {
  before = readState(plan);
} catch (err) {
  console.error(`✗ Could not read the ${plan.env} database: ${(err as Error).message}`);
  if (plan.remote)
    console.error('  Likely causes: 1. CLOUDFLARE_API_TOKEN / CLOUDFLARE_ACCOUNT_ID not set; 2. a placeholder id in wrangler.toml.');
  process.exit(1);
}
const pending = files.filter((f) => !before.applied.includes(f));
const unknown = before.applied.filter((f) => !files.includes(f));
if (unknown.length) {
  console.error(
    `✗ The database has migrations this checkout does not: ${unknown.join(', ')}. Deploying older code over newer schema? Pull first.`,
  );
  process.exit(1);
}
const expected = schemaModel(schema as Record<string, unknown>);

// ---------------------------------------------------------------- 1. lint
step(1, 'lint', pending.length ? `${pending.length} pending: ${pending.join(', ')}` : 'nothing pending');
const migrations: MigrationFile[] = pending.map((name) => ({ name, sql: readFileSync(resolve(ROOT, plan.migrationsDir, name), 'utf8') }));
const lint = lintMigrations(migrations, before.tables);
for (const f of lint.findings) detail(formatFinding(f));
for (const p of lint.problems) detail(`${p.migration}:${p.line} ${p.message}`);
for (const n of lint.notes) detail(`note: ${n}`);
const stop = blocking(lint);
if (stop.findings.length || stop.problems.length) {
  console.error(
    `\n✗ Refused: ${stop.findings.length + stop.problems.length} destructive or locking change(s) without a reasoned marker. Nothing was applied.`,
  );
  process.exit(1);
}
if (pending.length)
  detail(lint.findings.length ? '✓ every destructive change carries a reasoned marker' : '✓ no destructive or locking change');

const previous = pending.length
  ? previousRelease({
      explicit: values.previous,
      recorded: before.lastRecordedCommit,
      oldestPending: pending[0],
      migrationsDir: plan.migrationsDir,
    })
  : undefined;
if (lint.changes.length) {
  let previousSchema: Awaited<ReturnType<typeof schemaAt>>;
  try {
    previousSchema = previous ? await schemaAt(previous.ref) : undefined;
  } catch (err) {
    // Fail closed: without the previous schema nothing proves the running release survives.
    console.error(
      `✗ Could not load drizzle/schema.ts of ${previous?.ref}: ${(err as Error).message}\n  Pass --previous <git ref> of the release that is live. Nothing was applied.`,
    );
    process.exit(1);
  }
  detail(`expand/contract against the previous release: ${previous ? `${previous.ref} (${previous.source})` : 'none (first release)'}`);
  const violations = checkExpandContract(lint.changes, {
    current: { ref: shortCommit(commit), schema: expected },
    ...(previous && previousSchema ? { previous: { ref: previous.ref, schema: previousSchema } } : {}),
  });
  for (const v of violations) detail(v.message);
  if (violations.length) {
    console.error(`\n✗ Refused: ${violations.length} expand/contract violation(s). Nothing was applied.`);
    process.exit(1);
  }
  detail('✓ expand/contract: nothing dropped or renamed is still read by the previous or the next release');
}

if (dryRun) {
  console.log('\nDry run: nothing was changed. A real run would:');
  console.log(
    `  - ${plan.remote ? `take a Time Travel bookmark: npx wrangler d1 time-travel info DB --env ${plan.env}` : 'back up the local database under .wrangler/backups/d1/'}`,
  );
  if (pending.length) console.log(`  - apply: npx ${plan.applyCommand.join(' ')}`);
  console.log('  - verify integrity, foreign keys, row counts and drizzle/schema.ts, then record a migration_audit row');
  process.exit(0);
}

// ---------------------------------------------------------------- 2. bookmark
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
let bookmark: Bookmark;
try {
  bookmark = plan.remote ? { kind: 'time-travel', bookmark: timeTravelBookmark(plan) } : backupLocal(plan, stamp);
} catch (err) {
  fail(`Could not take a bookmark, so nothing was applied: ${(err as Error).message}`, plan, undefined);
}
step(2, 'bookmark', plan.remote ? `Time Travel bookmark ${bookmarkLabel(bookmark)}` : `local backup ${bookmarkLabel(bookmark)}`);
detail(`restore with: ${restoreCommand(plan, bookmark)}`);

// ---------------------------------------------------------------- 3. apply
step(3, 'apply', pending.length ? `npx ${plan.applyCommand.join(' ')}` : 'nothing to apply');
const applyStatus = pending.length ? wranglerInteractive(plan.applyCommand.slice(1)) : 0;

// ---------------------------------------------------------------- 4. verify
step(4, 'verify', 'integrity, foreign keys, row counts, schema');
let after: TargetState | undefined;
let problems: string[] = [];
try {
  after = readState(plan);
  const allowed = lint.findings.filter((f) => f.allowed);
  const verification = verifyMigration({
    before,
    after,
    expected,
    migrations: files,
    allowed: lint.changes.filter((c) =>
      allowed.some(
        (f) =>
          f.migration === c.migration &&
          f.rule === (c.kind.startsWith('rename') ? 'rename' : c.kind) &&
          f.target === ('column' in c ? `${c.table}.${c.column}` : c.table),
      ),
    ),
    allowedDeletes: allowed.flatMap((f) => (f.rule === 'delete-without-where' ? [f.target] : (f.affects ?? []))),
    rowTolerance: plan.remote ? (n) => Math.max(5, Math.ceil(n * 0.001)) : () => 0,
  });
  problems = verification.problems;
  if (applyStatus !== 0) problems.unshift(`wrangler d1 migrations apply exited with ${applyStatus}.`);
  detail(
    `${after.integrity.check}: ${after.integrity.result.join(', ')} · foreign_key_check: ${after.foreignKeyViolations.length} violation(s) · applied ${after.applied.length}/${files.length} migration(s)`,
  );
  detail(`row counts (before → after):\n${formatRowCounts(verification.rowCounts)}`);
  for (const p of problems) detail(`✗ ${p}`);
  if (!problems.length) detail(`✓ every table, column and index of drizzle/schema.ts is present`);
} catch (err) {
  problems = [`Could not verify: ${(err as Error).message}`];
}

// ---------------------------------------------------------------- 5. record
const ok = problems.length === 0;
const runDetail = {
  commit,
  previousRelease: previous?.ref ?? null,
  runAt: new Date().toISOString(),
  ...(process.env.GITHUB_RUN_ID
    ? { githubRun: `${process.env.GITHUB_SERVER_URL}/${process.env.GITHUB_REPOSITORY}/actions/runs/${process.env.GITHUB_RUN_ID}` }
    : {}),
  allowed: lint.findings
    .filter((f) => f.allowed)
    .map((f) => ({ migration: f.migration, rule: f.rule, target: f.target, reason: f.allowed?.reason })),
  ...(ok ? {} : { problems }),
};
const rows: AuditRow[] = (pending.length ? pending : ['-']).map((migration) => ({
  migration,
  environment: plan.env,
  actor: who,
  bookmark: bookmarkLabel(bookmark),
  result: !pending.length ? 'noop' : ok && after?.applied.includes(migration) ? 'applied' : 'failed',
  detail: runDetail,
}));
step(5, 'record', `migration_audit: ${rows.map((r) => `${r.migration} ${r.result}`).join(', ')}`);
try {
  execute(plan, [auditInsertSql(rows)]);
} catch (err) {
  detail(`✗ could not write the audit row: ${(err as Error).message}`);
  if (ok) process.exitCode = 1;
}

if (!ok) fail('Verification failed. Do not deploy this release.', plan, bookmark);
console.log(`\n✓ ${plan.env} is migrated and verified. If this release misbehaves, the way back is:\n  ${restoreCommand(plan, bookmark)}`);
