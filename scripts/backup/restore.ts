/**
 * Restores a backup into a NEW database (the default) and proves it against the manifest
 * before anyone switches to it; overwrites the live database only when asked (--force) and only
 * after a fresh backup of it. Refuses, before touching any database, a manifest that is not
 * signed by a key of the environment, a backup whose bytes or manifest do not match, or whose
 * schema is newer than this checkout's migrations.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { ROOT } from '../local-config';
import { localDatabaseFile } from '../migrate/database';
import { type Plan, planFor, type WranglerConfig } from '../migrate/plan';
import { wranglerInteractive, wranglerJson } from '../migrate/wrangler';
import { readArchive } from './archive';
import { backup } from './backup';
import {
  createDatabaseCommand,
  databaseIdFrom,
  exportByNameCommand,
  importCommand,
  queryCommand,
  timeTravelRestoreCommand,
} from './commands';
import { buildDatabase, healthProblems, measureDump, type Progress } from './load';
import { compare, MANIFEST_FORMAT, type Manifest, newerThanCode } from './manifest';
import { signingKeys, verify } from './signing';
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

type Keys = ReturnType<typeof signingKeys>;

/** Everything checked before any database is created: format, signature, schema level, archive bytes. */
export function openBackup(
  plan: Plan,
  files: BackupFiles,
  keys: Keys = signingKeys(plan.env),
): { manifest: Manifest; sql: string; keyId: string } {
  const manifest = readManifest(files.manifestFile);
  if (manifest.format > MANIFEST_FORMAT) {
    throw new RestoreRefusedError(
      `This backup uses manifest format ${manifest.format}; this checkout reads format ${MANIFEST_FORMAT}. Restore it with the release that wrote it (commit ${manifest.commit}).`,
    );
  }
  let keyId: string;
  try {
    // Before the archive is even read: an unsigned or forged manifest says nothing about it.
    keyId = verify(manifest, keys, `The manifest ${basename(files.manifestFile)}`);
  } catch (err) {
    throw new RestoreRefusedError((err as Error).message);
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
    return { manifest, sql: readArchive(archiveFile, manifest.archive.sha256), keyId };
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

export interface LocalRestoreOptions {
  plan: Plan;
  config: WranglerConfig;
  files: BackupFiles;
  /** A new --persist-to directory for the restored state. */
  into?: string;
  force: boolean;
  backupDir: string;
  progress: Progress;
  /** The keys that may have signed the manifest; default: signingKeys(plan.env). */
  keys?: Keys;
}

/**
 * Writes the dump into `file` (creating missing folders) and proves what is in the file against
 * the manifest. Nothing is left behind when it fails: `cleanUp` names the folder this attempt
 * created, removed with the file, so a retry starts from the same state as this attempt.
 */
function writeVerified(sql: string, file: string, manifest: Manifest, where: string, progress: Progress, cleanUp?: string): string[] {
  const created = mkdirSync(dirname(file), { recursive: true });
  const undo = () => {
    rmSync(file, { force: true });
    const dir = cleanUp ?? created;
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  let measured: ReturnType<typeof buildDatabase>;
  try {
    measured = buildDatabase(sql, file, progress);
  } catch (err) {
    undo();
    throw err;
  }
  const problems = [...compare(manifest, measured), ...healthProblems(measured.health)];
  if (problems.length) undo();
  refuseIfDifferent(problems, where);
  const rows = Object.values(measured.tables).reduce((n, t) => n + t.rows, 0);
  return [
    `row counts and checksums of ${Object.keys(measured.tables).length} tables (${rows} rows) equal the manifest`,
    `migration level ${measured.migrations.at(-1) ?? 'none'} (${measured.migrations.length} applied) equals the manifest`,
    `integrity_check: ${measured.health.integrity.join(', ')} · foreign_key_check: ${measured.health.foreignKeyViolations} violation(s)`,
  ];
}

export async function restoreLocal(options: LocalRestoreOptions): Promise<RestoreResult> {
  const { plan, progress } = options;
  const { manifest, sql, keyId } = openBackup(plan, options.files, options.keys);
  progress(
    `backup of ${manifest.environment} taken ${manifest.createdAt}, schema ${manifest.migrations.at(-1) ?? 'none'}, signature ok (key ${keyId}), sha256 ok`,
  );
  const live = localDatabaseFile(plan);

  if (!options.force) {
    const into = options.into ?? `.wrangler/restored/foyer-local-${manifest.createdAt.replace(/[:.]/g, '-')}`;
    const target = planFor('local', options.config, { persistTo: into });
    const file = localDatabaseFile(target);
    // Only a restore that succeeded leaves this file: a failed one removes what it made.
    if (existsSync(file)) {
      throw new RestoreRefusedError(
        `${relative(ROOT, file)} already exists: a restore goes into a new database. Pick another --into, or remove ${into}.`,
      );
    }
    const intoDir = resolve(ROOT, into);
    progress(`loading into a new database under ${into}`);
    const checks = writeVerified(
      sql,
      file,
      manifest,
      `The restored database under ${into}`,
      progress,
      existsSync(intoDir) ? undefined : intoDir,
    );
    return {
      manifest,
      target: into,
      checks,
      steps: withPendingMigrations(plan, manifest, `--env local --persist-to ${into}`, localSwitchOver(plan, into, file, live)),
    };
  }

  if (options.into !== undefined) {
    throw new RestoreRefusedError('--force restores over the live database and --into restores beside it: give one of them, not both.');
  }
  // A name per attempt beside the live file: the rename below is then atomic, and an attempt that
  // failed half way never blocks the next one.
  const staged = `${live}.restoring-${process.pid}-${Date.now()}`;
  try {
    progress(`loading into ${relative(ROOT, staged)}`);
    const checks = writeVerified(sql, staged, manifest, 'The restored database', progress);
    if (existsSync(live)) {
      progress('--force: backing up the live database before overwriting it');
      const fresh = await backup({ plan, outDir: options.backupDir, progress });
      checks.push(`fresh backup of the overwritten database: ${relative(ROOT, fresh.manifestFile)}`);
    }
    // A stale -wal/-shm beside the new file would replay the old database's pages over it.
    for (const suffix of ['-wal', '-shm']) rmSync(`${live}${suffix}`, { force: true });
    renameSync(staged, live);
    return {
      manifest,
      target: plan.persistTo,
      checks,
      steps: withPendingMigrations(plan, manifest, `--env local --persist-to ${plan.persistTo}`, localSwitchOver(plan, null, live, live)),
    };
  } finally {
    rmSync(staged, { force: true });
  }
}

export interface RemoteRestoreOptions {
  plan: Plan & { env: 'staging' | 'production' };
  files: BackupFiles;
  into?: string;
  progress: Progress;
  keys?: Keys;
}

export async function restoreRemote(options: RemoteRestoreOptions): Promise<RestoreResult> {
  const { plan, progress } = options;
  const { manifest, sql, keyId } = openBackup(plan, options.files, options.keys);
  progress(
    `backup of ${manifest.environment} taken ${manifest.createdAt}, schema ${manifest.migrations.at(-1) ?? 'none'}, signature ok (key ${keyId}), sha256 ok`,
  );
  progress('loading it into an in-memory database first: nothing remote is created for a backup that does not verify');
  const scratch = measureDump(sql, progress);
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
    const measured = measureDump(readFileSync(back, 'utf8'), progress);
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
