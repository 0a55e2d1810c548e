import { describe, expect, it } from 'vitest';
import * as schema from '../../drizzle/schema';
import { checkExpandContract } from '../../scripts/migrate/expand-contract';
import { type SchemaModel, schemaModel } from '../../scripts/migrate/schema-model';

const released = schemaModel(schema as Record<string, unknown>);

/** The model without one column: a release whose code stopped reading it. */
function without(model: SchemaModel, table: string, column?: string): SchemaModel {
  const copy = structuredClone(model);
  if (column) delete copy[table]!.columns[column];
  else delete copy[table];
  return copy;
}

const drop = { migration: '0003_drop_snooze.sql', kind: 'drop-column', table: 'tasks', column: 'snoozed_until' } as const;

describe('schemaModel', () => {
  it('reads tables, columns and indexes from drizzle/schema.ts', () => {
    expect(released.tasks?.columns.snoozed_until).toEqual({ type: 'integer', notNull: false });
    expect(released.tasks?.columns.id).toEqual({ type: 'text', notNull: true });
    expect(released.tasks?.indexes).toContain('tasks_owner_status_due_idx');
    expect(released.users?.indexes).toContain('users_email_unique');
    expect(Object.keys(released)).toContain('migration_audit');
  });
});

describe('expand/contract', () => {
  it('refuses to drop a column the code being deployed still declares', () => {
    const [v] = checkExpandContract([drop], { current: { ref: 'HEAD', schema: released } });
    expect(v?.message).toContain('the code being deployed (HEAD) still declares tasks.snoozed_until');
    expect(v?.message).toContain('expand/contract steps');
  });

  it('refuses to drop it in the same release that stops reading it', () => {
    const [v] = checkExpandContract([drop], {
      previous: { ref: 'v1', schema: released },
      current: { ref: 'HEAD', schema: without(released, 'tasks', 'snoozed_until') },
    });
    expect(v?.message).toContain('the previous release (v1) still reads tasks.snoozed_until');
    expect(v?.message).toContain('release N: remove tasks.snoozed_until from drizzle/schema.ts');
  });

  it('allows the contract step once the previous release stopped reading it', () => {
    const next = without(released, 'tasks', 'snoozed_until');
    expect(checkExpandContract([drop], { previous: { ref: 'v2', schema: next }, current: { ref: 'HEAD', schema: next } })).toEqual([]);
  });

  it('checks dropped tables and the old name of renames', () => {
    const current = without(without(released, 'announcements'), 'audit_log');
    const violations = checkExpandContract(
      [
        { migration: '0004.sql', kind: 'drop-table', table: 'announcements' },
        { migration: '0004.sql', kind: 'rename-table', table: 'audit_log', to: 'operator_log' },
        { migration: '0004.sql', kind: 'rename-column', table: 'tasks', column: 'title', to: 'name' },
      ],
      { previous: { ref: 'v1', schema: released }, current: { ref: 'HEAD', schema: current } },
    );
    expect(violations.map((v) => v.message.split(',')[0])).toEqual([
      '0004.sql drops table announcements',
      '0004.sql renames table audit_log to operator_log',
      '0004.sql renames column tasks.title to name',
    ]);
  });
});
