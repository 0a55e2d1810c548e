/**
 * Which release is running while the migration is applied, and what its drizzle/schema.ts
 * declares. The database remembers it: every successful `npm run migrate` records the commit
 * it was about to deploy in migration_audit.detail, and a deploy always follows a migrate.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../local-config';
import { type SchemaModel, schemaModel } from './schema-model';

function git(args: string[]): string | undefined {
  const run = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

export const commitExists = (ref: string) => git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]) !== undefined;

/** The commit being deployed; `+dirty` when the work tree has uncommitted changes. */
export function currentCommit(): string {
  const head = git(['rev-parse', 'HEAD']) ?? 'unknown';
  const dirty = (git(['status', '--porcelain', '--untracked-files=no']) ?? '').length > 0;
  return dirty ? `${head}+dirty` : head;
}

export interface PreviousRelease {
  ref: string;
  /** How it was found, for the log. */
  source: string;
}

/**
 * In order: an explicit ref; the commit the last successful run recorded for this environment;
 * else the code just before the oldest pending migration was added (uncommitted: HEAD).
 */
export function previousRelease(options: {
  explicit?: string;
  recorded?: string;
  oldestPending?: string;
  migrationsDir: string;
}): PreviousRelease | undefined {
  if (options.explicit) {
    if (!commitExists(options.explicit))
      throw new Error(`--previous ${options.explicit} is not a commit in this clone (CI: checkout with fetch-depth: 0).`);
    return { ref: options.explicit, source: '--previous' };
  }
  const recorded = options.recorded?.replace(/\+dirty$/, '');
  if (recorded && commitExists(recorded)) return { ref: recorded, source: 'recorded by the last run in migration_audit' };
  if (!options.oldestPending) return undefined;
  const added = git(['log', '--diff-filter=A', '--format=%H', '--', `${options.migrationsDir}/${options.oldestPending}`])
    ?.split('\n')
    .filter(Boolean);
  const addedIn = added?.at(-1);
  if (!addedIn) {
    return commitExists('HEAD') ? { ref: 'HEAD', source: `${options.oldestPending} is not committed yet` } : undefined;
  }
  return commitExists(`${addedIn}^`) ? { ref: `${addedIn}^`, source: `the commit before ${options.oldestPending} was added` } : undefined;
}

/**
 * Loads drizzle/schema.ts as it was at `ref`: written next to the current one (so its imports
 * resolve the same way) and imported through tsx. Undefined when the file did not exist yet.
 */
export async function schemaAt(ref: string): Promise<SchemaModel | undefined> {
  const source = git(['show', `${ref}:drizzle/schema.ts`]);
  if (source === undefined) return undefined;
  const file = resolve(ROOT, 'drizzle', `.schema-at-${process.pid}.ts`);
  writeFileSync(file, source);
  try {
    return schemaModel((await import(pathToFileURL(file).href)) as Record<string, unknown>);
  } finally {
    rmSync(file, { force: true });
  }
}

/** Who runs the migration, for the audit row. */
export function actor(): string {
  if (process.env.FOYER_ACTOR) return process.env.FOYER_ACTOR;
  if (process.env.GITHUB_ACTOR) return `${process.env.GITHUB_ACTOR} (GitHub Actions run ${process.env.GITHUB_RUN_ID ?? '?'})`;
  return git(['config', 'user.email']) || process.env.USER || 'unknown';
}
