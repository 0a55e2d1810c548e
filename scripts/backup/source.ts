/**
 * Where a restore reads a backup from: a manifest or archive path on disk, or an R2 key
 * (`<bucket>/<key>`, either file of the pair), fetched with `wrangler r2 object get`.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { ROOT } from '../local-config';
import type { Environment } from '../migrate/plan';
import { wranglerInteractive } from '../migrate/wrangler';
import { parseR2Target, r2GetCommand } from './commands';
import { type Manifest, manifestSchema } from './manifest';

export class BadManifestError extends Error {}

export interface BackupFiles {
  manifestFile: string;
  archiveFile: string;
}

/** @example pairOf('x/foyer-local-2026.sql.gz') // { manifest: 'x/foyer-local-2026.manifest.json', archive: 'x/foyer-local-2026.sql.gz' } */
export function pairOf(path: string): { manifest: string; archive: string } {
  const stem = path.replace(/\.manifest\.json$|\.sql\.gz$/, '');
  return { manifest: `${stem}.manifest.json`, archive: `${stem}.sql.gz` };
}

export function locateBackup(from: string, env: Environment, persistTo?: string): BackupFiles {
  const local = pairOf(resolve(ROOT, from));
  if (existsSync(local.manifest)) return { manifestFile: local.manifest, archiveFile: local.archive };
  if (existsSync(resolve(ROOT, from))) {
    throw new BadManifestError(
      `${from} has no manifest beside it (${basename(local.manifest)}); a backup without its manifest cannot be verified.`,
    );
  }
  // Not a file: an R2 key.
  const target = parseR2Target(from);
  const remote = pairOf(target.prefix);
  const dir = mkdtempSync(join(tmpdir(), 'foyer-restore-'));
  const files = { manifestFile: join(dir, basename(remote.manifest)), archiveFile: join(dir, basename(remote.archive)) };
  for (const [key, file] of [
    [remote.manifest, files.manifestFile],
    [remote.archive, files.archiveFile],
  ] as const) {
    const status = wranglerInteractive(r2GetCommand(env, target.bucket, key, file, persistTo));
    if (status !== 0 || !existsSync(file)) {
      throw new Error(`${from} is neither a file here nor an object in R2 (${target.bucket}/${key}): wrangler exited with ${status}.`);
    }
  }
  return files;
}

export function readManifest(file: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new BadManifestError(`${file} is not JSON (${(err as Error).message}); it is not a Foyer backup manifest.`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new BadManifestError(
      `${file} is not a valid Foyer backup manifest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/**
 * Local point-in-time: the newest backup in a directory taken at or before a moment.
 *
 * @example newestBefore(['foyer-local-2026-11-30T10-00-00-000Z.manifest.json'], 'local', Date.parse('2026-11-30T11:00:00Z'))
 */
export function newestBefore(files: string[], env: Environment, at: number): string | undefined {
  const prefix = `foyer-${env}-`;
  return files
    .filter((f) => f.startsWith(prefix) && f.endsWith('.manifest.json'))
    .map((f) => ({
      f,
      t: Date.parse(f.slice(prefix.length, -'.manifest.json'.length).replace(/T(\d\d)-(\d\d)-(\d\d)-(\d+)Z$/, 'T$1:$2:$3.$4Z')),
    }))
    .filter((x) => x.t <= at)
    .sort((a, b) => b.t - a.t)[0]?.f;
}

export function backupsIn(dir: string): string[] {
  const full = resolve(ROOT, dir);
  return existsSync(full) ? readdirSync(full) : [];
}

export { dirname };
