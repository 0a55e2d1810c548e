/**
 * Expand/contract: a table or column is removed only after a release that no longer reads it
 * is already running everywhere. So a drop or rename is refused when the PREVIOUS release's
 * drizzle/schema.ts (the code serving while the migration runs) or the code being deployed
 * still declares what goes away. A marker cannot override this: ship the release that stops
 * reading first.
 */
import { adviceFor } from './advice';
import type { SchemaChange } from './lint';
import { declares, type SchemaModel } from './schema-model';

export interface Release {
  /** A git ref or commit, for the message. */
  ref: string;
  schema: SchemaModel;
}

export interface Violation {
  migration: string;
  change: SchemaChange;
  message: string;
}

function describe(change: SchemaChange): { what: string; table: string; column?: string; target: string } {
  switch (change.kind) {
    case 'drop-table':
      return { what: `drops table ${change.table}`, table: change.table, target: change.table };
    case 'rename-table':
      return { what: `renames table ${change.table} to ${change.to}`, table: change.table, target: change.table };
    case 'drop-column':
      return {
        what: `drops column ${change.table}.${change.column}`,
        table: change.table,
        column: change.column,
        target: `${change.table}.${change.column}`,
      };
    case 'rename-column':
      return {
        what: `renames column ${change.table}.${change.column} to ${change.to}`,
        table: change.table,
        column: change.column,
        target: `${change.table}.${change.column}`,
      };
  }
}

/**
 * @example
 * checkExpandContract([{ migration: '0003.sql', kind: 'drop-column', table: 'tasks', column: 'snoozed_until' }],
 *   { previous: { ref: 'v1', schema: v1Model }, current: { ref: 'HEAD', schema: headModel } })
 * // → a violation when v1 (still running) or HEAD still declares tasks.snoozed_until
 */
export function checkExpandContract(
  changes: readonly (SchemaChange & { migration: string })[],
  releases: { previous?: Release; current: Release },
): Violation[] {
  const violations: Violation[] = [];
  for (const { migration, ...change } of changes) {
    const d = describe(change);
    const rule = change.kind.startsWith('rename') ? 'rename' : (change.kind as 'drop-table' | 'drop-column');
    const advice = adviceFor(rule, d.target);
    if (declares(releases.current.schema, d.table, d.column)) {
      violations.push({
        migration,
        change,
        message: `${migration} ${d.what}, but the code being deployed (${releases.current.ref}) still declares ${d.target} in drizzle/schema.ts: its queries would fail right after the deploy.\n${advice}`,
      });
    } else if (releases.previous && declares(releases.previous.schema, d.table, d.column)) {
      violations.push({
        migration,
        change,
        message: `${migration} ${d.what}, but the previous release (${releases.previous.ref}) still reads ${d.target}, and it keeps serving until the deploy finishes. Stopping to read it and dropping it cannot ship in the same release.\n${advice}`,
      });
    }
  }
  return violations;
}
