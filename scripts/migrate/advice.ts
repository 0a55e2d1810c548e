/**
 * What to do instead: the expand/contract steps for each destructive or locking change.
 * Code and schema go out separately (`npm run migrate` runs before `wrangler deploy`, and the
 * previous release keeps serving until the deploy finishes), so every step must work with
 * both the release before it and the release after it.
 */
import { markerExample, type Rule } from './markers';

export function adviceFor(rule: Rule, target: string): string {
  const [table = target, column = '<column>'] = target.split('.');
  const marker = (r: Rule, t: string) => `\n     ${markerExample(r, t)}`;
  switch (rule) {
    case 'drop-column':
      return [
        `Do it in expand/contract steps:`,
        `  1. release N: remove ${table}.${column} from drizzle/schema.ts and every query (leave the column in the database); deploy it to every environment;`,
        `  2. release N+1 (once N runs everywhere and its query snapshot is in test/compat/): drop the column in its own migration with${marker('drop-column', `${table}.${column}`)}`,
      ].join('\n');
    case 'drop-table':
      return [
        `Do it in expand/contract steps:`,
        `  1. release N: stop reading and writing ${table} (remove it from drizzle/schema.ts); deploy it to every environment;`,
        `  2. release N+1: drop the table in its own migration with${marker('drop-table', table)}`,
      ].join('\n');
    case 'rename':
      return [
        `A rename breaks the release that is still running. Do it in expand/contract steps:`,
        `  1. expand (release N): add the new ${target.includes('.') ? 'column' : 'table'} next to the old one, write both, backfill the new one from the old one (UPDATE … SET new = old);`,
        `  2. migrate reads (release N+1): read only the new one, still write both;`,
        `  3. contract (release N+2): stop writing the old one, then drop it in a later migration with its own marker.`,
      ].join('\n');
    case 'not-null-without-default':
      return [
        `SQLite refuses a NOT NULL column without a default as soon as the table has rows, so this passes on an empty local database and fails on staging/production. Instead:`,
        `  1. expand: ADD COLUMN ${column} … DEFAULT <value> (or nullable), and have the code write it;`,
        `  2. backfill existing rows (UPDATE ${table} SET ${column} = … WHERE ${column} IS NULL) in batches;`,
        `  3. enforce it in the zod schemas; tighten the column later only if you must, with${marker('not-null-without-default', `${table}.${column}`)}`,
      ].join('\n');
    case 'type-change':
      return [
        `The running release reads the old type. Do it in expand/contract steps:`,
        `  1. expand: add a new column with the new type, write both, backfill it from the old one;`,
        `  2. switch reads to the new column in the next release;`,
        `  3. contract: drop the old column in a later release (see drop-column).`,
      ].join('\n');
    case 'table-rebuild':
      return [
        `Rebuilding ${table} (CREATE new, copy, DROP, RENAME) rewrites every row inside one D1 transaction: the database serves nothing else meanwhile, and a large table can exceed D1's statement limits.`,
        `Prefer ALTER TABLE … ADD COLUMN (expand) and a separate, later contract step. If a rebuild is really needed, run it in a quiet window with${marker('table-rebuild', table)}`,
      ].join('\n');
    case 'cascade-delete':
      return [
        `Dropping ${table} runs an implicit DELETE that fires ON DELETE CASCADE in the tables that reference it: their rows are deleted too.`,
        `D1 always enforces foreign keys (PRAGMA foreign_keys=OFF has no effect, PRAGMA defer_foreign_keys only defers checks, not cascades): https://developers.cloudflare.com/d1/sql-api/foreign-keys/`,
        `Add the new columns with ALTER TABLE instead of rebuilding ${table}, or rebuild the child tables first so nothing references ${table} with CASCADE.`,
      ].join('\n');
    case 'delete-without-where':
      return `Deleting every row of ${table} loses data the running release may still show. Delete in bounded batches with a WHERE clause, or mark it with${marker('delete-without-where', table)}`;
  }
}
