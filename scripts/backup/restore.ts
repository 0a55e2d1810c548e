/**
 * Restores a backup into a NEW database (the default) and proves it against the manifest
 * before anyone switches to it; overwrites the live database only when asked (--force) and only
 * after a fresh backup of it. Refuses, before touching any database, a backup whose bytes or
 * manifest do not match, or whose schema is newer than this checkout's migrations.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { ROOT } from '../local-config';
import { localDatabaseFile } from '../migrate/database';
import { type Plan, planFor, type WranglerConfig } from '../migrate/plan';
import { wranglerInteractive, wranglerJson } from '../migrate/wrangler';
import { readArchive, sha256 } from './archive';
import { backup } from './backup';
import {
  createDatabaseCommand,
  databaseIdFrom,
  exportByNameCommand,
  importCommand,
  queryCommand,
  timeTravelRestoreCommand,
} from './commands';
import { checkHealth, loadDump, measureDump, type Progress } from './load';
import { openLocalD1 } from './local-d1';
import { compare, MANIFEST_FORMAT, type Manifest, measure, newerThanCode } from './manifest';
import { type BackupFiles, readManifest } from './source';
import { localSwitchOver, remoteSwitchOver } from './switch-over';

export class RestoreRefusedError extends Error {}

export interface RestoreResult {
  manifest: Manifest;
  /** Local: the new state directory; remote: the new database's name. */
  target: string;
  steps: string[];
  checks: string[];
}

/**
 * A backup older than the code restores fine (expand/contract keeps old schemas readable), but
 * the code's newer migrations must be applied before it serves: the first step then says so.
 */
function withPendingMigrations(plan: Plan, manifest: Manifest, migrateArgs: string, steps: string[], at = 0): string[] {
  const pending = codeMigrations(plan).filter((m) => !manifest.migrations.includes(m));
  if (!pending.length) return steps;
  const step = `The backup predates ${pending.length} migration(s) of this checkout (${pending.join(', ')}); apply them before the code serves it: npm run migrate -- ${migrateArgs}`;
  return [...steps.slice(0, at), step, ...steps.slice(at)];
}

function codeMigrations(plan: Plan): string[] {
  return readdirSync(resolve(ROOT, plan.migrationsDir))
    .filter((f) => f.endsWith('.sql'))
    .sort();
}

/** Everything checked before any database is created: format, schema level, archive bytes. */
export function openBackup(plan: Plan, files: BackupFiles): { manifest: Manifest; sql: string } {
  const manifest = readManifest(files.manifestFile);
  if (manifest.format > MANIFEST_FORMAT) {
    throw new RestoreRefusedError(
      `This backup uses manifest format ${manifest.format}; this checkout reads format ${MANIFEST_FORMAT}. Restore it with the release that wrote it (commit ${manifest.commit}).`,
    );
  }
  const unknown = newerThanCode(manifest.migrations, codeMigrations(plan));
  if (unknown.length) {
    throw new RestoreRefusedError(
      `This backup's schema is newer than this checkout: it has migration(s) ${unknown.join(', ')} that drizzle/migrations/ does not. The code here would misread it. Nothing was restored. Next: check out the release that took it (commit ${manifest.commit}, or a later one that has ${unknown.at(-1)}), then run the same restore command from there.`,
    );
  }
  const archiveFile = files.archiveFile;
  if (!existsSync(archiveFile))
    throw new RestoreRefusedError(`The archive ${archiveFile} named by the manifest is missing. Nothing was restored.`);
  try {
    return { manifest, sql: readArchive(archiveFile, manifest.archive.sha256) };
  } catch (err) {
    throw new RestoreRefusedError((err as Error).message);
  }
}

function refuseIfDifferent(problems: string[], where: string): void {
  if (problems.length) {
    throw new RestoreRefusedError(
      `${where} does not match the backup's manifest:\n  - ${problems.join('\n  - ')}\nThe manifest or the archive was changed after the backup, or the load failed part way. Do not switch to it. Next: restore the previous backup, or check the archive with sha256sum against the manifest.`,
    );
  }
}

const hasSqlite3 = () => spawnSync('sqlite3', ['-version'], { encoding: 'utf8' }).status === 0;

export interface LocalRestoreOptions {
  plan: Plan;
  config: WranglerConfig;
  files: BackupFiles;
  /** A new --persist-to directory for the restored state. */
  into?: string;
  force: boolean;
  backupDir: string;
  progress: Progress;
}

export async function restoreLocal(options: LocalRestoreOptions): Promise<RestoreResult> {
  const { plan, progress } = options;
  const { manifest, sql } = openBackup(plan, options.files);
  progress(`backup of ${manifest.environment} taken ${manifest.createdAt}, schema ${manifest.migrations.at(-1) ?? 'none'}, sha256 ok`);
  const into = options.into ?? `.wrangler/restored/foyer-local-${manifest.createdAt.replace(/[:.]/g, '-')}`;
  const target = planFor('local', options.config, { persistTo: into });
  const file = localDatabaseFile(target);
  if (existsSync(file)) {
    throw new RestoreRefusedError(
      `${relative(ROOT, file)} already exists: a restore goes into a new database. Pick another --into, or remove ${into}.`,
    );
  }
  const checks: string[] = [];
  const local = await openLocalD1(into, target.databaseId);
  let problems: string[];
  try {
    progress(`loading into a new database under ${into}`);
    await loadDump(local.db, sql, progress);
    const measured = await measure(local.db, sha256);
    const health = await checkHealth(local.db);
    problems = compare(manifest, measured);
    if (health.quickCheck.join() !== 'ok') problems.push(`quick_check: ${health.quickCheck.join('; ')}`);
    if (health.foreignKeyViolations) problems.push(`foreign_key_check: ${health.foreignKeyViolations} violation(s)`);
    const rows = Object.values(measured.tables).reduce((n, t) => n + t.rows, 0);
    checks.push(`row counts and checksums of ${Object.keys(measured.tables).length} tables (${rows} rows) equal the manifest`);
    checks.push(`migration level ${measured.migrations.at(-1) ?? 'none'} (${measured.migrations.length} applied) equals the manifest`);
    checks.push(`quick_check: ${health.quickCheck.join(', ')} · foreign_key_check: ${health.foreignKeyViolations} violation(s)`);
  } finally {
    await local.dispose();
  }
  if (!problems.length && hasSqlite3()) {
    // Locally the file is at hand: the full integrity_check, which D1's API refuses.
    const run = spawnSync('sqlite3', ['-readonly', file, 'PRAGMA integrity_check'], { encoding: 'utf8' });
    if (run.status === 0) {
      const result = run.stdout.trim();
      if (result !== 'ok') problems.push(`integrity_check: ${result}`);
      else checks.push('integrity_check: ok');
    }
  }
  if (problems.length) rmSync(resolve(ROOT, into), { recursive: true, force: true });
  refuseIfDifferent(problems, `The restored database under ${into}`);

  const live = localDatabaseFile(plan);
  if (!options.force) {
    return {
      manifest,
      target: into,
      checks,
      steps: withPendingMigrations(plan, manifest, `--env local --persist-to ${into}`, localSwitchOver(plan, into, file, live)),
    };
  }

  if (existsSync(live)) {
    progress('--force: backing up the live database before overwriting it');
    const fresh = await backup({ plan, outDir: options.backupDir, progress });
    checks.push(`fresh backup of the overwritten database: ${relative(ROOT, fresh.manifestFile)}`);
  }
  // A stale -wal/-shm beside the copied file would replay the old database's pages over it.
  for (const suffix of ['-wal', '-shm']) rmSync(`${live}${suffix}`, { force: true });
  copyFileSync(file, live);
  rmSync(resolve(ROOT, into), { recursive: true, force: true });
  return {
    manifest,
    target: plan.persistTo,
    checks,
    steps: withPendingMigrations(plan, manifest, `--env local --persist-to ${plan.persistTo}`, localSwitchOver(plan, null, file, live)),
  };
}

export interface RemoteRestoreOptions {
  plan: Plan & { env: 'staging' | 'production' };
  files: BackupFiles;
  into?: string;
  progress: Progress;
}

export async function restoreRemote(options: RemoteRestoreOptions): Promise<RestoreResult> {
  const { plan, progress } = options;
  const { manifest, sql } = openBackup(plan, options.files);
  progress(`backup of ${manifest.environment} taken ${manifest.createdAt}, schema ${manifest.migrations.at(-1) ?? 'none'}, sha256 ok`);
  progress('loading it into a scratch database first: nothing remote is created for a backup that does not verify');
  const scratch = await measureDump(sql, progress);
  refuseIfDifferent(compare(manifest, scratch), 'The backup, loaded into a scratch database,');

  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '');
  const name = options.into ?? `foyer-${plan.env}-restore-${stamp}`;
  const dir = mkdtempSync(join(tmpdir(), 'foyer-restore-'));
  try {
    const created = spawnSync(resolve(ROOT, 'node_modules/.bin/wrangler'), createDatabaseCommand(name), { cwd: ROOT, encoding: 'utf8' });
    process.stdout.write(created.stdout ?? '');
    const id = databaseIdFrom(created.stdout ?? '');
    if (created.status !== 0 || !id)
      throw new Error(`wrangler d1 create ${name} failed: ${(created.stderr || created.stdout || '').trim()}`);
    const dump = join(dir, 'restore.sql');
    writeFileSync(dump, sql);
    progress(`importing into ${name} (${id})`);
    const imported = wranglerInteractive(importCommand(name, dump, plan.env));
    if (imported !== 0)
      throw new Error(
        `Importing into ${name} failed (wrangler exited with ${imported}). The live database is untouched; delete ${name} with: npx wrangler d1 delete ${name}`,
      );

    progress(`exporting ${name} back to measure what landed`);
    const back = join(dir, 'verify.sql');
    if (wranglerInteractive(exportByNameCommand(name, plan.env, back)) !== 0) throw new Error(`Exporting ${name} for verification failed.`);
    const measured = await measureDump(readFileSync(back, 'utf8'), progress);
    const [quick = [], fk = []] = wranglerJson<{ results: Record<string, unknown>[] }[]>(
      queryCommand(name, 'PRAGMA quick_check; PRAGMA foreign_key_check', plan.env),
    ).map((r) => r.results);
    const problems = compare(manifest, measured);
    const quickResult = quick.map((r) => String(Object.values(r)[0]));
    if (quickResult.join() !== 'ok') problems.push(`quick_check: ${quickResult.join('; ')}`);
    if (fk.length) problems.push(`foreign_key_check: ${fk.length} violation(s)`);
    refuseIfDifferent(problems, `The restored database ${name}`);
    return {
      manifest,
      target: name,
      checks: [
        `row counts and checksums of ${Object.keys(measured.tables).length} tables equal the manifest`,
        `migration level ${measured.migrations.at(-1) ?? 'none'} equals the manifest`,
        `quick_check: ok · foreign_key_check: 0 violation(s)`,
      ],
      // `npm run migrate` acts on the binding in wrangler.toml: after it points at the new database, before the deploy.
      steps: withPendingMigrations(plan, manifest, `--env ${plan.env}`, remoteSwitchOver(plan, name, id), 1),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TimeTravelOptions {
  plan: Plan & { env: 'staging' | 'production' };
  target: { bookmark: string } | { timestamp: string };
  force: boolean;
  backupDir: string;
  progress: Progress;
}

/** Time Travel restores in place (https://developers.cloudflare.com/d1/reference/time-travel/), so it needs --force and a fresh backup first. */
export async function restoreTimeTravel(options: TimeTravelOptions): Promise<RestoreResult & { undoBookmark?: string }> {
  const { plan, progress } = options;
  if (!options.force) {
    throw new RestoreRefusedError(
      `Time Travel restores ${plan.databaseName} in place: every write after that moment is lost. Re-run with --force to do it (a fresh backup is taken first), or restore a backup file into a new database with --from.`,
    );
  }
  progress('--force: taking a fresh backup of the live database first');
  const fresh = await backup({ plan, outDir: options.backupDir, progress });
  const out = wranglerJson<{ bookmark?: string; previous_bookmark?: string }>(timeTravelRestoreCommand(plan.env, options.target));
  return {
    manifest: fresh.manifest,
    target: plan.databaseName,
    checks: [`fresh backup before the restore: ${relative(ROOT, fresh.manifestFile)}`],
    ...(out.previous_bookmark ? { undoBookmark: out.previous_bookmark } : {}),
    steps: remoteSwitchOver(plan, null, null),
  };
}
