import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import initSql from '../../drizzle/migrations/0000_init.sql?raw';
import { blocking, type DatabaseFacts, formatFinding, lintMigrations } from '../../scripts/migrate/lint';
import { splitStatements } from '../../scripts/migrate/sql';

/** The shape of the foundation schema, populated the way staging is. */
const facts: DatabaseFacts = {
  users: {
    rowCount: 3,
    columns: {
      id: { type: 'text', notNull: true, hasDefault: false },
      name: { type: 'text', notNull: true, hasDefault: false },
      time_zone: { type: 'text', notNull: true, hasDefault: true },
    },
    foreignKeys: [],
  },
  tasks: {
    rowCount: 10,
    columns: {
      id: { type: 'text', notNull: true, hasDefault: false },
      owner_id: { type: 'text', notNull: true, hasDefault: false },
      title: { type: 'text', notNull: true, hasDefault: false },
      due_at: { type: 'integer', notNull: false, hasDefault: false },
      snoozed_until: { type: 'integer', notNull: false, hasDefault: false },
    },
    foreignKeys: [{ table: 'users', onDelete: 'cascade' }],
  },
  announcements: { rowCount: 0, columns: { id: { type: 'text', notNull: true, hasDefault: false } }, foreignKeys: [] },
};

const lint = (sql: string, name = '0001_change.sql') => lintMigrations([{ name, sql }], facts);

describe('migration lint', () => {
  it('passes the foundation migration on an empty database', () => {
    const result = lintMigrations([{ name: '0000_init.sql', sql: initSql }], {});
    expect(result.findings).toEqual([]);
    expect(blocking(result).problems).toEqual([]);
  });

  it('refuses DROP COLUMN and says how to do it in expand/contract steps', () => {
    const result = lint('ALTER TABLE `tasks` DROP COLUMN `snoozed_until`;');
    const [finding] = blocking(result).findings;
    expect(finding).toMatchObject({ rule: 'drop-column', target: 'tasks.snoozed_until', line: 1 });
    const text = formatFinding(finding!);
    expect(text).toContain('expand/contract');
    expect(text).toContain('release N: remove tasks.snoozed_until from drizzle/schema.ts');
    expect(text).toContain('-- foyer:allow-destructive drop-column:tasks.snoozed_until reason="');
    expect(result.changes).toEqual([{ kind: 'drop-column', table: 'tasks', column: 'snoozed_until', migration: '0001_change.sql' }]);
  });

  it('lets a reasoned marker allow exactly the change it names', () => {
    const sql = [
      '-- foyer:allow-destructive drop-column:tasks.snoozed_until reason="contract step: release 7 stopped reading it"',
      'ALTER TABLE tasks DROP COLUMN snoozed_until;',
      'ALTER TABLE tasks DROP COLUMN due_at;',
    ].join('\n');
    const result = lint(sql);
    expect(result.findings.find((f) => f.target === 'tasks.snoozed_until')?.allowed).toEqual({
      reason: 'contract step: release 7 stopped reading it',
      line: 1,
    });
    expect(blocking(result).findings.map((f) => f.target)).toEqual(['tasks.due_at']);
  });

  it('refuses markers without a real reason, of unknown rules, or malformed', () => {
    const result = lint(
      [
        '-- foyer:allow-destructive drop-column:tasks.snoozed_until reason="ok"',
        '-- foyer:allow-destructive drop-everything reason="because I can, really"',
        '-- foyer:allow-destructive drop-column',
        'ALTER TABLE tasks DROP COLUMN snoozed_until;',
      ].join('\n'),
    );
    expect(blocking(result).problems.map((p) => p.line)).toEqual([1, 2, 3]);
    expect(blocking(result).findings).toHaveLength(1);
  });

  it('notes a marker that matches nothing', () => {
    const result = lint('-- foyer:allow-destructive drop-table:users reason="no longer needed at all"\nCREATE INDEX x ON tasks (title);');
    expect(result.notes[0]).toContain('matches nothing');
  });

  it('flags NOT NULL without DEFAULT only where the table has rows', () => {
    expect(blocking(lint('ALTER TABLE tasks ADD COLUMN kind text NOT NULL;')).findings[0]).toMatchObject({
      rule: 'not-null-without-default',
      target: 'tasks.kind',
    });
    expect(lint("ALTER TABLE tasks ADD COLUMN kind text DEFAULT 'todo' NOT NULL;").findings).toEqual([]);
    expect(lint('ALTER TABLE tasks ADD COLUMN kind text;').findings).toEqual([]);
    expect(lint('ALTER TABLE announcements ADD COLUMN kind text NOT NULL;').findings).toEqual([]);
  });

  it('matches what D1 does: NOT NULL without DEFAULT fails on a populated table only', async () => {
    await env.DB.batch([
      env.DB.prepare('CREATE TABLE lint_empty (id integer)'),
      env.DB.prepare('CREATE TABLE lint_full (id integer)'),
      env.DB.prepare('INSERT INTO lint_full VALUES (1)'),
    ]);
    await env.DB.prepare('ALTER TABLE lint_empty ADD COLUMN kind text NOT NULL').run();
    await expect(env.DB.prepare('ALTER TABLE lint_full ADD COLUMN kind text NOT NULL').run()).rejects.toThrow(/NOT NULL/);
    await env.DB.batch([env.DB.prepare('DROP TABLE lint_empty'), env.DB.prepare('DROP TABLE lint_full')]);
  });

  it('flags renames of tables and columns', () => {
    const result = lint('ALTER TABLE tasks RENAME COLUMN title TO name;\nALTER TABLE announcements RENAME TO notices;');
    expect(blocking(result).findings.map((f) => [f.rule, f.target])).toEqual([
      ['rename', 'tasks.title'],
      ['rename', 'announcements'],
    ]);
    expect(formatFinding(result.findings[0]!)).toContain('write both, backfill');
  });

  it('flags DROP TABLE and the rows ON DELETE CASCADE takes with it', () => {
    const result = lint('DROP TABLE `users`;');
    expect(blocking(result).findings.map((f) => [f.rule, f.target])).toEqual([
      ['drop-table', 'users'],
      ['cascade-delete', 'users'],
    ]);
    expect(result.findings[1]).toMatchObject({ affects: ['tasks'] });
  });

  it('reads a drizzle-kit table rebuild: type change, lost column, lock, cascade', () => {
    const rebuild = [
      'PRAGMA foreign_keys=OFF;--> statement-breakpoint',
      'CREATE TABLE `__new_users` (\n\t`id` text PRIMARY KEY NOT NULL,\n\t`name` text NOT NULL,\n\t`time_zone` integer DEFAULT 0 NOT NULL\n);',
      '--> statement-breakpoint',
      'INSERT INTO `__new_users`("id", "name", "time_zone") SELECT "id", "name", "time_zone" FROM `users`;--> statement-breakpoint',
      'DROP TABLE `users`;--> statement-breakpoint',
      'ALTER TABLE `__new_users` RENAME TO `users`;--> statement-breakpoint',
      'PRAGMA foreign_keys=ON;',
    ].join('\n');
    const result = lint(rebuild);
    expect(result.findings.map((f) => [f.rule, f.target])).toEqual([
      ['table-rebuild', 'users'],
      ['cascade-delete', 'users'],
      ['type-change', 'users.time_zone'],
    ]);
    expect(result.findings.some((f) => f.rule === 'rename')).toBe(false);
    expect(result.notes[0]).toContain('PRAGMA foreign_keys=OFF has no effect on D1');
  });

  it('treats a column left out of a rebuild as dropped', () => {
    const sql = [
      'CREATE TABLE `__new_tasks` (`id` text PRIMARY KEY NOT NULL, `owner_id` text NOT NULL REFERENCES users(id) ON DELETE cascade, `title` text NOT NULL, `due_at` integer);',
      'INSERT INTO `__new_tasks` SELECT id, owner_id, title, due_at FROM tasks;',
      'DROP TABLE tasks;',
      'ALTER TABLE `__new_tasks` RENAME TO `tasks`;',
    ].join('\n');
    const result = lint(sql);
    expect(result.findings.map((f) => [f.rule, f.target])).toEqual([
      ['table-rebuild', 'tasks'],
      ['drop-column', 'tasks.snoozed_until'],
    ]);
    expect(result.changes).toEqual([{ kind: 'drop-column', table: 'tasks', column: 'snoozed_until', migration: '0001_change.sql' }]);
  });

  it('ignores what a pending migration created itself', () => {
    const result = lintMigrations(
      [
        { name: '0001_a.sql', sql: 'CREATE TABLE scratch (id integer NOT NULL, note text);' },
        { name: '0002_b.sql', sql: 'ALTER TABLE scratch DROP COLUMN note;\nALTER TABLE scratch RENAME TO scratch2;\nDROP TABLE scratch2;' },
      ],
      facts,
    );
    expect(result.findings).toEqual([]);
    expect(result.changes).toEqual([]);
  });

  it('notes an index build over a large table without blocking it', () => {
    const big = { ...facts, tasks: { ...facts.tasks!, rowCount: 250_000 } };
    const result = lintMigrations([{ name: '0002_idx.sql', sql: 'CREATE INDEX `tasks_title_idx` ON `tasks` (`title`);' }], big);
    expect(result.notes).toEqual([expect.stringContaining('builds index tasks_title_idx over 250000 rows of tasks')]);
    expect(blocking(result).findings).toEqual([]);
    expect(lint('CREATE INDEX `tasks_title_idx` ON `tasks` (`title`);').notes).toEqual([]);
  });

  it('flags deleting every row', () => {
    expect(blocking(lint('DELETE FROM tasks;')).findings[0]?.rule).toBe('delete-without-where');
    expect(lint("DELETE FROM tasks WHERE title = 'x';").findings).toEqual([]);
  });
});

describe('splitStatements', () => {
  it('splits on top-level semicolons only and keeps line numbers', () => {
    const statements = splitStatements(
      '-- header; not a statement\nINSERT INTO t VALUES (\'a;b\', "c;d");\n/* block;\ncomment */ CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET x = 1;\nEND;\nDROP TABLE t',
    );
    expect(statements.map((s) => [s.line, s.sql])).toEqual([
      [2, `INSERT INTO t VALUES ('a;b', "c;d")`],
      [4, 'CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET x = 1; END'],
      [7, 'DROP TABLE t'],
    ]);
  });
});
