/**
 * One backup: export → archive (gzip + SHA-256) → prove it loads and measure it → signed
 * manifest → optionally R2 → retention. The manifest is computed from the archived bytes (loaded
 * into an in-memory database), so it describes exactly what a restore will get, and a dump that
 * would not load fails the backup instead of the restore. The signature (signing.ts) is what
 * makes a restore trust those figures.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { type BackupRecord, LAST_GOOD_BACKUP_KEY } from '../../worker/observability/backup-status';
import { ROOT } from '../local-config';
import { localDatabaseFile } from '../migrate/database';
import type { Plan } from '../migrate/plan';
import { currentCommit } from '../migrate/releases';
import { wranglerInteractive, wranglerJson } from '../migrate/wrangler';
import { writeArchive } from './archive';
import { bookmarkCommand, exportCommand, type R2Target, r2Key, r2PutCommand } from './commands';
import { dumpDatabase, healthProblems, measureDump, type Progress } from './load';
import { MANIFEST_FORMAT, type Manifest } from './manifest';
import { backupsToKeep, r2Tiers } from './retention';
import { LOCAL_KEY_FILE, type SigningKey, sign, signingKeys } from './signing';

export interface BackupOptions {
  plan: Plan;
  outDir: string;
  r2?: R2Target;
  now?: Date;
  progress: Progress;
}

export interface BackupResult {
  manifest: Manifest;
  manifestFile: string;
  archiveFile: string;
  seconds: { export: number; verify: number; total: number };
  pruned: string[];
  uploaded: string[];
}

const stampOf = (d: Date) => d.toISOString().replace(/[:.]/g, '-');
const timeOfStamp = (s: string) => Date.parse(s.replace(/T(\d\d)-(\d\d)-(\d\d)-(\d+)Z$/, 'T$1:$2:$3.$4Z'));

function exportLocal(plan: Plan): string {
  const file = localDatabaseFile(plan);
  if (!existsSync(file)) {
    throw new Error(`No local database at ${file}. Start the app once (npm start) or run npm run migrate -- --env local, then back up.`);
  }
  return dumpDatabase(file);
}

function exportRemote(plan: Plan & { env: 'staging' | 'production' }, progress: Progress): { sql: string; bookmark: string } {
  // The bookmark first: restoring it with Time Travel gives the state at or just before the export.
  const { bookmark } = wranglerJson<{ bookmark?: string }>(bookmarkCommand(plan.env));
  if (!bookmark) throw new Error('wrangler d1 time-travel info returned no bookmark.');
  progress(`Time Travel bookmark ${bookmark}`);
  const dir = mkdtempSync(join(tmpdir(), 'foyer-export-'));
  try {
    const output = join(dir, 'export.sql');
    // wrangler shows its own progress (it polls D1's export job) on the terminal.
    const status = wranglerInteractive(exportCommand(plan.env, output));
    if (status !== 0) throw new Error(`wrangler d1 export exited with ${status}; see its output above.`);
    return { sql: readFileSync(output, 'utf8'), bookmark };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function backup(options: BackupOptions): Promise<BackupResult> {
  const { plan, progress } = options;
  const now = options.now ?? new Date();
  const started = performance.now();
  const outDir = resolve(ROOT, options.outDir);
  mkdirSync(outDir, { recursive: true });
  const name = `foyer-${plan.env}-${stampOf(now)}`;
  const key = signingKeyFor(plan);

  progress(`exporting ${plan.databaseName} (${plan.env})`);
  const exported =
    plan.env === 'local'
      ? { sql: exportLocal(plan), bookmark: null }
      : exportRemote(plan as Plan & { env: 'staging' | 'production' }, progress);
  const exportSeconds = (performance.now() - started) / 1000;
  const archiveFile = join(outDir, `${name}.sql.gz`);
  const archive = writeArchive(archiveFile, exported.sql);
  progress(
    `exported ${(archive.sqlBytes / 1e6).toFixed(1)} MB of SQL → ${basename(archiveFile)} (${(archive.bytes / 1e6).toFixed(1)} MB gzip) in ${exportSeconds.toFixed(1)} s`,
  );

  const verifyStarted = performance.now();
  progress('loading the export into an in-memory database to prove it restores and to measure it');
  const measured = measureDump(exported.sql, progress);
  const problems = healthProblems(measured.health);
  if (problems.length) {
    rmSync(archiveFile, { force: true });
    throw new Error(`The export does not load cleanly, so it is not a backup: ${problems.join('; ')}`);
  }
  const verifySeconds = (performance.now() - verifyStarted) / 1000;

  const manifest: Manifest = sign(
    {
      format: MANIFEST_FORMAT,
      environment: plan.env,
      database: plan.databaseName,
      createdAt: now.toISOString(),
      bookmark: exported.bookmark,
      migrations: measured.migrations,
      tables: measured.tables,
      archive: { file: basename(archiveFile), ...archive },
      commit: currentCommit(),
    } satisfies Manifest,
    key,
  );
  progress(`manifest signed with key ${key.id}`);
  const manifestFile = join(outDir, `${name}.manifest.json`);
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);

  const uploaded: string[] = [];
  if (options.r2) uploaded.push(...upload(plan, options.r2, manifest, archiveFile, manifestFile, now));
  const pruned = pruneLocal(outDir, plan.env, now.getTime());
  return {
    manifest,
    manifestFile,
    archiveFile,
    seconds: { export: exportSeconds, verify: verifySeconds, total: (performance.now() - started) / 1000 },
    pruned,
    uploaded,
  };
}

function signingKeyFor(plan: Plan): SigningKey {
  const { current } = signingKeys(plan.env, { create: true });
  if (!current) {
    throw new Error(
      `BACKUP_SIGNING_KEY is not set: ${plan.env} backups are signed with the environment's key (docs/disaster-recovery.md, "Signing key"). Locally it defaults to ${LOCAL_KEY_FILE}.`,
    );
  }
  return current;
}

function upload(plan: Plan, r2: R2Target, manifest: Manifest, archiveFile: string, manifestFile: string, now: Date): string[] {
  const persistTo = plan.env === 'local' ? plan.persistTo : undefined;
  const keys: string[] = [];
  const put = (key: string, file: string, type: string) => {
    const status = wranglerInteractive(r2PutCommand(plan.env, r2.bucket, key, file, type, persistTo));
    if (status !== 0) throw new Error(`Uploading ${r2.bucket}/${key} failed (wrangler exited with ${status}); the local copy is ${file}.`);
    keys.push(`${r2.bucket}/${key}`);
  };
  for (const tier of r2Tiers(now.getTime())) {
    put(r2Key(r2, tier, basename(archiveFile)), archiveFile, 'application/gzip');
    put(r2Key(r2, tier, basename(manifestFile)), manifestFile, 'application/json');
  }
  // Written last, so it names a backup whose files are all uploaded.
  const statusFile = `${manifestFile}.status`;
  const hourly = r2Key(r2, 'hourly', basename(manifestFile));
  writeFileSync(
    statusFile,
    JSON.stringify({
      at: manifest.createdAt,
      environment: manifest.environment,
      manifest: `${r2.bucket}/${hourly}`,
      sha256: manifest.archive.sha256,
    } satisfies BackupRecord),
  );
  try {
    put(LAST_GOOD_BACKUP_KEY, statusFile, 'application/json');
  } finally {
    rmSync(statusFile, { force: true });
  }
  return keys;
}

/** Applies the retention rule to this environment's backups in a directory; returns what it removed. */
export function pruneLocal(dir: string, env: string, now: number): string[] {
  const prefix = `foyer-${env}-`;
  const stamps = readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.manifest.json'))
    .map((f) => f.slice(prefix.length, -'.manifest.json'.length));
  const keep = backupsToKeep(stamps.map(timeOfStamp), now);
  const removed: string[] = [];
  for (const stamp of stamps) {
    if (keep.has(timeOfStamp(stamp))) continue;
    for (const f of [`${prefix}${stamp}.manifest.json`, `${prefix}${stamp}.sql.gz`]) {
      rmSync(join(dir, f), { force: true });
      removed.push(f);
    }
  }
  return removed;
}
