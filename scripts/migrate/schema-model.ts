/**
 * The schema a release's code expects, read from its drizzle/schema.ts module: the tables it
 * queries, their columns and the indexes it relies on. Used by the expand/contract check (what
 * the previous and the next release read) and by the post-migration verification.
 */
import { is } from 'drizzle-orm';
import { getTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';

export interface ExpectedColumn {
  type: string;
  notNull: boolean;
}

export interface ExpectedTable {
  columns: Record<string, ExpectedColumn>;
  indexes: string[];
}

/** Keyed by lower-case table name, columns by lower-case column name. */
export type SchemaModel = Record<string, ExpectedTable>;

/**
 * @example schemaModel(await import('../../drizzle/schema')).tasks.columns.title // { type: 'text', notNull: true }
 */
export function schemaModel(module: Record<string, unknown>): SchemaModel {
  const model: SchemaModel = {};
  for (const value of Object.values(module)) {
    if (!is(value, SQLiteTable)) continue;
    const config = getTableConfig(value);
    model[config.name.toLowerCase()] = {
      columns: Object.fromEntries(
        config.columns.map((c) => [c.name.toLowerCase(), { type: c.getSQLType(), notNull: c.notNull || c.primary }]),
      ),
      indexes: [
        ...config.indexes.map((i) => i.config.name),
        // `.unique()` on a column becomes an index named <table>_<column>_unique.
        ...config.columns.filter((c) => c.isUnique).map((c) => c.uniqueName ?? `${config.name}_${c.name}_unique`),
      ].map((n) => n.toLowerCase()),
    };
  }
  return model;
}

/** True when `model` declares the table, or the column of it. */
export function declares(model: SchemaModel, table: string, column?: string): boolean {
  const t = model[table.toLowerCase()];
  if (!t) return false;
  return column === undefined || column.toLowerCase() in t.columns;
}
