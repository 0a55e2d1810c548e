import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import previousRelease from './fixtures/previous-release.json';
import { type ReleaseQueries, recordReleaseQueries, replay, unknownIdentifiers } from './release-queries';

const snapshot = previousRelease as ReleaseQueries;

// Only the rows the recorded statements need (their user and a task), written with columns
// every release has: the demo seed follows the current schema and would fail first on a broken one.
beforeAll(async () => {
  await env.DB.batch([
    env.DB.prepare("INSERT OR IGNORE INTO users (id, name, email) VALUES ('alice', 'Alice', 'alice@compat.test')"),
    env.DB.prepare("INSERT OR IGNORE INTO tasks (id, owner_id, title) VALUES ('compat-task', 'alice', 'Existing task')"),
  ]);
});

describe('N−1 compatibility: the previous release against the current migrations', () => {
  it('has a snapshot of the previous release that covers every section and write path', () => {
    const names = snapshot.queries.map((q) => q.name);
    expect(names).toEqual(expect.arrayContaining(['section:actionableItems', 'tasks:create', 'tasks:update', 'preferences:update']));
    for (const q of snapshot.queries) expect(q.statements.length, q.name).toBeGreaterThan(0);
  });

  it('runs every query of the previous release (the code serving while migrations apply)', async () => {
    expect(await replay(env.DB, snapshot.queries)).toEqual([]);
  });

  it("runs every query of this release's code too", async () => {
    expect(await replay(env.DB, await recordReleaseQueries())).toEqual([]);
  });

  it('fails when a migration breaks the previous release (negative case: a column it reads is dropped)', async () => {
    await env.DB.prepare('ALTER TABLE tasks DROP COLUMN snoozed_until').run();
    try {
      // Running the SQL alone would not notice: SQLite reads the unknown "snoozed_until" as a string.
      expect(await env.DB.prepare('SELECT "snoozed_until" AS v FROM tasks LIMIT 1').first('v')).toBe('snoozed_until');
      const failures = await replay(env.DB, snapshot.queries);
      expect(failures.map((f) => f.name)).toEqual(
        expect.arrayContaining(['section:actionableItems', 'tasks:list', 'tasks:create', 'tasks:update']),
      );
      expect(failures.find((f) => f.name === 'section:actionableItems')?.error).toMatch(/no such (table or )?column: .*snoozed_until/);
    } finally {
      await env.DB.prepare('ALTER TABLE tasks ADD COLUMN snoozed_until integer').run();
    }
    expect(await replay(env.DB, snapshot.queries)).toEqual([]);
  });
});

describe('unknownIdentifiers', () => {
  it('finds names the schema lacks, ignoring aliases and string literals', () => {
    const known = new Set(['tasks', 'id', 'status']);
    expect(unknownIdentifiers(`select "id", "snoozed_until", 'x"y"' as "label" from "tasks" where "status" = 'open'`, known)).toEqual([
      'snoozed_until',
    ]);
  });
});
