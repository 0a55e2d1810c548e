import { describe, expect, it } from 'vitest';
import { compare, newerThanCode, sumRowHashes } from '../../scripts/backup/manifest';
import { loadOrder, mergeInserts, parseDump, splitStatements } from '../../scripts/backup/sql-dump';

describe('reading a wrangler d1 export', () => {
  it('splits on top-level semicolons only', () => {
    const sql = `CREATE TABLE "a;b" (\n  x text DEFAULT ';'\n);\nINSERT INTO "a;b" VALUES('it''s; fine',replace('x\\ny','\\n',char(10)));\n-- a comment; still\nCREATE INDEX i ON "a;b" (x);`;
    expect(splitStatements(sql)).toEqual([
      `CREATE TABLE "a;b" (\n  x text DEFAULT ';'\n)`,
      `INSERT INTO "a;b" VALUES('it''s; fine',replace('x\\ny','\\n',char(10)))`,
      `-- a comment; still\nCREATE INDEX i ON "a;b" (x)`,
    ]);
  });

  it('groups rows by table and leaves out the framing a fresh database does not need', () => {
    const parts = parseDump(
      'PRAGMA defer_foreign_keys=TRUE;\nCREATE TABLE users (id);\nCREATE TABLE tasks (id, owner_id);\nINSERT INTO "tasks" VALUES(1,\'u\');\nINSERT INTO "users" VALUES(\'u\');\nDELETE FROM sqlite_sequence;\nCREATE INDEX t ON tasks (owner_id);',
    );
    expect(parts.tables).toEqual(['CREATE TABLE users (id)', 'CREATE TABLE tasks (id, owner_id)']);
    expect([...parts.rows.keys()]).toEqual(['tasks', 'users']);
    expect(parts.rest).toEqual(['CREATE INDEX t ON tasks (owner_id)']);
  });

  it('loads parents before children, whatever the dump order', () => {
    expect(loadOrder(['activity_events', 'tasks', 'users'], { activity_events: ['users'], tasks: ['users'], users: [] })).toEqual([
      'users',
      'activity_events',
      'tasks',
    ]);
    // A cycle cannot be ordered: the dump order is kept and each batch defers foreign keys.
    expect(loadOrder(['a', 'b'], { a: ['b'], b: ['a'] })).toEqual(['a', 'b']);
  });

  it('merges one-row INSERTs into statements under the size limit', () => {
    const rows = Array.from({ length: 5 }, (_, i) => `INSERT INTO "t" VALUES(${i},'xxxxxxxx')`);
    const merged = mergeInserts('t', rows, 60);
    expect(merged.every((s) => s.length <= 60)).toBe(true);
    expect(merged.join(';')).toContain(`VALUES(0,'xxxxxxxx'),(1,'xxxxxxxx')`);
    expect(merged.join(',').match(/\(\d,/g)).toHaveLength(5);
    expect(mergeInserts('t', ['INSERT INTO t(a) VALUES(1)'])).toEqual(['INSERT INTO t(a) VALUES(1)']);
  });
});

describe('the manifest checksum', () => {
  const hash = (s: string) => Array.from({ length: 64 }, (_, i) => ((s.charCodeAt(i % s.length) + i) % 16).toString(16)).join('');

  it('does not depend on row order, but sees a changed, missing or repeated row', () => {
    const rows = ["'a',1", "'b',2", "'c',3"];
    const sum = sumRowHashes(rows, hash);
    expect(sumRowHashes([...rows].reverse(), hash)).toBe(sum);
    expect(sumRowHashes(["'a',1", "'b',2", "'c',4"], hash)).not.toBe(sum);
    expect(sumRowHashes(rows.slice(1), hash)).not.toBe(sum);
    // XOR would cancel a pair of identical rows; a sum does not.
    expect(sumRowHashes([...rows, "'a',1", "'a',1"], hash)).not.toBe(sum);
  });

  it('lists every difference between a database and its manifest', () => {
    const manifest = {
      tables: { users: { rows: 2, checksum: 'a'.repeat(64) }, tasks: { rows: 1, checksum: 'b'.repeat(64) } },
      migrations: ['0000_init.sql'],
    };
    expect(compare(manifest, { tables: { ...manifest.tables }, migrations: ['0000_init.sql'] })).toEqual([]);
    expect(
      compare(manifest, {
        tables: {
          users: { rows: 1, checksum: 'a'.repeat(64) },
          tasks: { rows: 1, checksum: 'c'.repeat(64) },
          extra: { rows: 0, checksum: '0'.repeat(64) },
        },
        migrations: [],
      }),
    ).toEqual([
      'users: 1 rows, the manifest says 2',
      'tasks: checksum cccccccccccc… ≠ manifest bbbbbbbbbbbb…',
      'extra: not in the manifest',
      'migration level none, the manifest says 0000_init.sql',
    ]);
  });

  it('finds the migrations a backup has that the code does not', () => {
    expect(newerThanCode(['0000_init.sql', '0001_next.sql'], ['0000_init.sql'])).toEqual(['0001_next.sql']);
    expect(newerThanCode(['0000_init.sql'], ['0000_init.sql', '0001_next.sql'])).toEqual([]);
  });
});
