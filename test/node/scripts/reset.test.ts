import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { localD1File } from '../../../scripts/local-db';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../..');
const stateDir = mkdtempSync(join(tmpdir(), 'foyer-reset-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

describe('npm run reset', () => {
  it('wipes the state, applies every migration and seeds the demo and generated users', { timeout: 120_000 }, async () => {
    const leftover = join(stateDir, 'v3/kv/leftover');
    mkdirSync(join(stateDir, 'v3/kv'), { recursive: true });
    writeFileSync(leftover, 'from an earlier run');

    const { stdout } = await run('npx', ['tsx', 'scripts/reset.ts', '--persist-to', stateDir], {
      cwd: ROOT,
      env: { ...process.env, SEED_USERS: '5' },
    });
    expect(stdout).toMatch(/applied migrations 0000_init\.sql/);
    expect(stdout).toMatch(/seeded 8 users/);
    expect(existsSync(leftover)).toBe(false);

    const db = new DatabaseSync(localD1File(stateDir)!, { readOnly: true });
    try {
      const migrations = readdirSync(join(ROOT, 'drizzle/migrations')).filter((f) => f.endsWith('.sql'));
      const applied = db
        .prepare('select name from d1_migrations order by id')
        .all()
        .map((r) => r.name);
      expect(applied).toEqual(migrations.sort());
      expect(
        db
          .prepare("select id from users where id not like 'user-%' order by id")
          .all()
          .map((r) => r.id),
      ).toEqual(['alice', 'bob', 'ops']);
      expect(db.prepare("select count(*) as n from users where id like 'user-%'").get()?.n).toBe(5);
    } finally {
      db.close();
    }
  });
});
