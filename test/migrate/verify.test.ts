import { describe, expect, it } from 'vitest';
import type { SchemaModel } from '../../scripts/migrate/schema-model';
import { type DbSnapshot, formatRowCounts, verifyMigration } from '../../scripts/migrate/verify';

const expected: SchemaModel = {
  users: { columns: { id: { type: 'text', notNull: true } }, indexes: ['users_email_unique'] },
  tasks: { columns: { id: { type: 'text', notNull: true }, kind: { type: 'text', notNull: false } }, indexes: [] },
};

function snapshot(rows: Record<string, number>, extra: Partial<DbSnapshot> = {}): DbSnapshot {
  const tables: DbSnapshot['tables'] = {
    users: {
      rowCount: rows.users ?? 0,
      columns: { id: { type: 'TEXT', notNull: true, hasDefault: false } },
      indexes: ['users_email_unique'],
      foreignKeys: [],
    },
    tasks: {
      rowCount: rows.tasks ?? 0,
      columns: { id: { type: 'text', notNull: true, hasDefault: false }, kind: { type: 'text', notNull: false, hasDefault: false } },
      indexes: [],
      foreignKeys: [],
    },
  };
  return {
    tables,
    applied: ['0000_init.sql', '0001_kind.sql'],
    integrity: { check: 'quick_check', result: ['ok'] },
    foreignKeyViolations: [],
    ...extra,
  };
}

const base = { expected, migrations: ['0000_init.sql', '0001_kind.sql'], allowed: [], allowedDeletes: [], rowTolerance: () => 0 };

describe('verifyMigration', () => {
  it('passes a sound database with every expected column and the same rows', () => {
    const v = verifyMigration({ ...base, before: snapshot({ users: 3, tasks: 9 }), after: snapshot({ users: 3, tasks: 9 }) });
    expect(v).toMatchObject({ ok: true, problems: [] });
    expect(v.rowCounts).toEqual([
      { table: 'tasks', before: 9, after: 9 },
      { table: 'users', before: 3, after: 3 },
    ]);
  });

  it('fails on lost rows, a bad integrity check, FK violations and unapplied migrations', () => {
    const after = snapshot(
      { users: 3, tasks: 2 },
      {
        integrity: { check: 'quick_check', result: ['row 7 missing from index x'] },
        foreignKeyViolations: [{ table: 'tasks', rowid: 4 }],
        applied: ['0000_init.sql'],
      },
    );
    const v = verifyMigration({ ...base, before: snapshot({ users: 3, tasks: 9 }), after });
    expect(v.ok).toBe(false);
    expect(v.problems.join('\n')).toMatch(/quick_check reports: row 7 missing/);
    expect(v.problems.join('\n')).toMatch(/foreign_key_check finds 1 row/);
    expect(v.problems.join('\n')).toMatch(/Still not applied: 0001_kind.sql/);
    expect(v.problems.join('\n')).toMatch(/Table tasks lost 7 rows \(9 → 2\)/);
  });

  it('accepts a decrease a marker allowed, or within the live-traffic tolerance', () => {
    const before = snapshot({ users: 3, tasks: 9 });
    const after = snapshot({ users: 3, tasks: 7 });
    expect(verifyMigration({ ...base, before, after, allowedDeletes: ['tasks'] }).ok).toBe(true);
    expect(verifyMigration({ ...base, before, after, rowTolerance: () => 2 }).ok).toBe(true);
    expect(verifyMigration({ ...base, before, after, rowTolerance: () => 1 }).ok).toBe(false);
  });

  it('fails when drizzle/schema.ts expects what the database lacks', () => {
    const after = snapshot({});
    delete after.tables.tasks!.columns.kind;
    after.tables.users!.indexes = [];
    const v = verifyMigration({ ...base, before: snapshot({}), after });
    expect(v.problems).toEqual([
      'Index users_email_unique on users is declared in drizzle/schema.ts but missing.',
      'Column tasks.kind is declared in drizzle/schema.ts but missing from the database.',
    ]);
  });

  it('fails when a table vanished without an allowed drop', () => {
    const after = snapshot({ users: 3 });
    delete after.tables.tasks;
    const v = verifyMigration({ ...base, expected: { users: expected.users! }, before: snapshot({ users: 3, tasks: 1 }), after });
    expect(v.problems).toEqual(['Table tasks (1 rows before) is gone, and no marker allowed dropping it.']);
    const allowed = verifyMigration({
      ...base,
      expected: { users: expected.users! },
      before: snapshot({ users: 3, tasks: 1 }),
      after,
      allowed: [{ kind: 'drop-table', table: 'tasks' }],
    });
    expect(allowed.ok).toBe(true);
    expect(formatRowCounts(allowed.rowCounts)).toContain('tasks         1 → —        *');
  });
});
