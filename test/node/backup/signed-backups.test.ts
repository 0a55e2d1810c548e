/**
 * Backups prove who made them, and a local restore works into a destroyed state (issue #30,
 * findings 2 and 5). Real backup and restore code on real SQLite files under a temporary
 * --persist-to; only the database is small.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeArchive } from '../../../scripts/backup/archive';
import { backup } from '../../../scripts/backup/backup';
import { measureDump } from '../../../scripts/backup/load';
import { type Manifest, manifestSchema } from '../../../scripts/backup/manifest';
import { restoreLocal } from '../../../scripts/backup/restore';
import { keyIdOf, type SigningKey, sign } from '../../../scripts/backup/signing';
import { pairOf } from '../../../scripts/backup/source';
import { rawWranglerConfig } from '../../../scripts/local-config';
import { localDatabaseFile } from '../../../scripts/migrate/database';
import { planFor, type WranglerConfig } from '../../../scripts/migrate/plan';

const ROOT = resolve(import.meta.dirname, '../../..');
const config = rawWranglerConfig() as WranglerConfig;
const work = mkdtempSync(join(tmpdir(), 'foyer-signed-backup-'));
const live = join(work, 'live');
const plan = planFor('local', config, { persistTo: live });
const key = (secret: string): SigningKey => ({ id: keyIdOf(secret), secret });
const OLD = key('the-previous-backup-signing-key-0123456789abcdef');
const CURRENT = key('the-current-backup-signing-key-0123456789abcdefg');
const quiet = () => {};
let manifestFile: string;

/** A migrated local D1 file with two users, written as `npm run seed` writes it (node:sqlite). */
function createLiveDatabase(): void {
  const file = localDatabaseFile(plan);
  mkdirSync(dirname(file), { recursive: true });
  const db = new DatabaseSync(file);
  try {
    db.exec(
      'CREATE TABLE d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)',
    );
    const dir = join(ROOT, 'drizzle/migrations');
    for (const name of readdirSync(dir)
      .filter((f) => f.endsWith('.sql'))
      .sort()) {
      for (const s of readFileSync(join(dir, name), 'utf8').split('--> statement-breakpoint')) if (s.trim()) db.exec(s);
      db.prepare('INSERT INTO d1_migrations (name) VALUES (?)').run(name);
    }
    db.exec("INSERT INTO users (id, name, email) VALUES ('alice', 'Alice', 'alice@example.com'), ('bob', 'Bob', 'bob@example.com')");
  } finally {
    db.close();
  }
}

const restore = (from: string, options: { into?: string; force?: boolean; keys?: { current?: SigningKey; previous?: SigningKey } }) =>
  restoreLocal({
    plan,
    config,
    files: { manifestFile: from, archiveFile: pairOf(from).archive },
    ...(options.into ? { into: options.into } : {}),
    force: options.force ?? false,
    backupDir: join(work, 'before-force'),
    progress: quiet,
    keys: options.keys ?? { current: CURRENT },
  });

function usersIn(persistTo: string): string[] {
  const db = new DatabaseSync(localDatabaseFile(planFor('local', config, { persistTo })), { readOnly: true });
  try {
    return (db.prepare("SELECT id || ':' || role AS u FROM users ORDER BY id").all() as { u: string }[]).map((r) => r.u);
  } finally {
    db.close();
  }
}

/** A copy of the backup in its own folder, its manifest changed by `edit`. */
function copyBackup(name: string, edit: (m: Manifest, dir: string) => Manifest): string {
  const dir = join(work, name);
  mkdirSync(dir);
  const original = manifestSchema.parse(JSON.parse(readFileSync(manifestFile, 'utf8')));
  writeFileSync(join(dir, original.archive.file), readFileSync(pairOf(manifestFile).archive));
  const copy = join(dir, `${original.archive.file.replace(/\.sql\.gz$/, '')}.manifest.json`);
  writeFileSync(copy, JSON.stringify(edit(original, dir)));
  return copy;
}

beforeAll(async () => {
  createLiveDatabase();
  process.env.BACKUP_SIGNING_KEY = CURRENT.secret;
  manifestFile = (await backup({ plan, outDir: join(work, 'backups'), progress: quiet })).manifestFile;
});
afterAll(() => {
  delete process.env.BACKUP_SIGNING_KEY;
  rmSync(work, { recursive: true, force: true });
});

describe('signed backups', () => {
  it('signs the manifest with the current key, the archive SHA-256 included', () => {
    const manifest = manifestSchema.parse(JSON.parse(readFileSync(manifestFile, 'utf8')));
    expect(manifest.format).toBe(2);
    expect(manifest.signature).toMatchObject({ alg: 'HMAC-SHA-256', keyId: CURRENT.id });
    expect(manifest.signature?.value).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(manifest)).not.toContain(CURRENT.secret);
  });

  it('refuses the forgery of the finding: an admin appended, checksums and hash recomputed with the project code', async () => {
    const forged = copyBackup('forged', (m, dir) => {
      const sql = gunzipSync(readFileSync(join(dir, m.archive.file))).toString('utf8');
      const evil = `${sql}\nINSERT INTO "users" ("id","name","email","role","time_zone","created_at") VALUES('mallory','Mallory','m@evil.example','admin','UTC',0);`;
      const measured = measureDump(evil, quiet);
      const archive = writeArchive(join(dir, m.archive.file), evil);
      return { ...m, tables: measured.tables, archive: { ...m.archive, ...archive } };
    });
    const into = join(work, 'from-forged');
    await expect(restore(forged, { into })).rejects.toThrow(/does not match its signature \(key k-[0-9a-f]{16}\).*Nothing was restored/s);
    expect(existsSync(into)).toBe(false);
  });

  it('refuses an unsigned manifest and one signed with a key it does not know', async () => {
    const unsigned = copyBackup('unsigned', ({ signature: _s, ...m }) => m as Manifest);
    await expect(restore(unsigned, { into: join(work, 'from-unsigned') })).rejects.toThrow(/is not signed/);
    const stranger = copyBackup('stranger', (m) => sign(m, key('someone-elses-key-0123456789abcdefghijklmnop')));
    await expect(restore(stranger, { into: join(work, 'from-stranger') })).rejects.toThrow(/not a key this restore knows/);
    expect(existsSync(join(work, 'from-unsigned'))).toBe(false);
    expect(existsSync(join(work, 'from-stranger'))).toBe(false);
  });

  it('restores an honestly signed backup', async () => {
    const into = join(work, 'honest');
    const result = await restore(manifestFile, { into });
    expect(result.checks.join('\n')).toMatch(/equal the manifest/);
    expect(usersIn(into)).toEqual(['alice:user', 'bob:user']);
  });

  it('still verifies a backup signed with the previous key during a rotation, and only then', async () => {
    const old = copyBackup('old-key', (m) => sign(m, OLD));
    await expect(restore(old, { into: join(work, 'old-unknown') })).rejects.toThrow(/signed with key k-.*not a key this restore knows/s);
    await restore(old, { into: join(work, 'old-known'), keys: { current: CURRENT, previous: OLD } });
    expect(usersIn(join(work, 'old-known'))).toEqual(['alice:user', 'bob:user']);
  });
});

describe('local restore into a destroyed state', () => {
  it('creates the missing folders when .wrangler/state/v3/d1 is gone', async () => {
    rmSync(join(live, 'v3/d1'), { recursive: true, force: true });
    await restore(manifestFile, { force: true });
    expect(usersIn(live)).toEqual(['alice:user', 'bob:user']);
  });

  it('works on a retry after a failed attempt, leaving nothing half-made in between', async () => {
    rmSync(join(live, 'v3'), { recursive: true, force: true });
    // A file where the state folder should be: the first attempt cannot create its folders.
    writeFileSync(join(live, 'v3'), 'not a folder');
    await expect(restore(manifestFile, { force: true })).rejects.toThrow();
    rmSync(join(live, 'v3'));
    await restore(manifestFile, { force: true });
    expect(usersIn(live)).toEqual(['alice:user', 'bob:user']);
    expect(readdirSync(dirname(localDatabaseFile(plan))).filter((f) => f.includes('.restoring-'))).toEqual([]);
  });

  it('overwrites a live database only after a fresh backup of it', async () => {
    const db = new DatabaseSync(localDatabaseFile(plan));
    db.exec("DELETE FROM users WHERE id = 'bob'");
    db.close();
    const result = await restore(manifestFile, { force: true });
    expect(result.checks.join('\n')).toMatch(/fresh backup of the overwritten database/);
    expect(usersIn(live)).toEqual(['alice:user', 'bob:user']);
  });
});
