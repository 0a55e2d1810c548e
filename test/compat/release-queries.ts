/**
 * Every SQL statement a release sends to D1, captured by running its real code paths (the
 * intro-page sections and the task and preference services) over a D1 stand-in that records
 * instead of executing. `npm run compat:snapshot` stores the running release's statements in
 * fixtures/previous-release.json; the compatibility test replays them against the current
 * migrations, so a migration that breaks the release still serving is caught before it ships.
 */
import { createDb } from '../../worker/db/client';
import { SECTIONS } from '../../worker/sections';
import { updatePreferences } from '../../worker/services/preferences';
import { createTask, deleteTask, listTasks, updateTask } from '../../worker/services/tasks';

export interface RecordedStatement {
  sql: string;
  params: unknown[];
}

export interface RecordedQuery {
  name: string;
  statements: RecordedStatement[];
}

export interface ReleaseQueries {
  /** The commit the snapshot was taken from. */
  release: string;
  queries: RecordedQuery[];
}

/** A fixed clock and id so a snapshot only changes when the SQL does. */
export const RECORDED_AT = Date.UTC(2026, 0, 15, 12, 0, 0);
export const RECORDED_TASK_ID = '00000000-0000-4000-8000-00000000c0de';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

function normalise(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(UUID, RECORDED_TASK_ID) : value;
}

const EMPTY = { results: [], success: true, meta: {} };

/** A D1Database that records each statement when it would run and answers with no rows. */
function recordingD1(sink: RecordedStatement[]): D1Database {
  const statement = (sql: string, params: unknown[] = []) => {
    const answer =
      <T>(value: T) =>
      async (): Promise<T> => {
        sink.push({ sql, params: params.map(normalise) });
        return value;
      };
    return {
      sql,
      params,
      bind: (...values: unknown[]) => statement(sql, values),
      all: answer(EMPTY),
      run: answer(EMPTY),
      raw: answer([]),
      first: answer(null),
    };
  };
  return {
    prepare: (sql: string) => statement(sql),
    batch: async (statements: { sql: string; params: unknown[] }[]) => {
      for (const s of statements) sink.push({ sql: s.sql, params: s.params.map(normalise) });
      return statements.map(() => EMPTY);
    },
  } as unknown as D1Database;
}

type Scenario = [name: string, run: (db: ReturnType<typeof createDb>) => Promise<unknown>];

const scenarios = (userId: string, now: number): Scenario[] => [
  ...Object.values(SECTIONS).map(
    (section): Scenario => [`section:${section.name}`, (db) => db.batch(section.statements(db, { userId, now }) as never)],
  ),
  ['tasks:list', (db) => listTasks(db, userId, { limit: 50 })],
  ['tasks:list-open', (db) => listTasks(db, userId, { status: 'open', limit: 50 })],
  [
    'tasks:create',
    (db) => createTask(db, userId, { title: 'Compatibility check', priority: 'high', dueAt: new Date(now).toISOString() }, now),
  ],
  ['tasks:update', (db) => updateTask(db, userId, RECORDED_TASK_ID, { status: 'done', snoozedUntil: null, title: 'Checked' }, now)],
  ['tasks:delete', (db) => deleteTask(db, userId, RECORDED_TASK_ID)],
  [
    'preferences:update',
    (db) =>
      updatePreferences(
        db,
        userId,
        { theme: 'dark', sectionOrder: ['activityFeed'], locale: 'de-CH', timeZone: 'Europe/Zurich' },
        userId,
        now,
      ),
  ],
];

/**
 * Runs the release's code paths for `userId` and returns what each one sent to D1.
 *
 * @example const { queries } = { queries: await recordReleaseQueries() };
 */
export async function recordReleaseQueries(userId = 'alice', now = RECORDED_AT): Promise<RecordedQuery[]> {
  const realNow = Date.now;
  Date.now = () => now;
  try {
    const out: RecordedQuery[] = [];
    for (const [name, run] of scenarios(userId, now)) {
      const statements: RecordedStatement[] = [];
      // The stand-in answers with no rows, so services that expect one throw NotFound; the SQL is recorded by then.
      await run(createDb(recordingD1(statements))).catch(() => undefined);
      out.push({ name, statements });
    }
    return out;
  } finally {
    Date.now = realNow;
  }
}

export interface Incompatibility {
  name: string;
  sql: string;
  error: string;
}

/**
 * The identifiers a statement names that the database does not have. SQLite reads an unknown
 * double-quoted identifier as a string literal (https://www.sqlite.org/quirks.html#dblquote),
 * and drizzle double-quotes every name, so a SELECT of a dropped column does not fail: it
 * returns the column's name as text. Running the statement is therefore not enough.
 */
export function unknownIdentifiers(sql: string, known: ReadonlySet<string>): string[] {
  const code = sql.replace(/'(?:[^']|'')*'/g, "''");
  const aliases = new Set([...code.matchAll(/\bas\s+"((?:[^"]|"")+)"/gi)].map((m) => m[1]!.toLowerCase()));
  const names = [...code.matchAll(/"((?:[^"]|"")+)"/g)].map((m) => m[1]!.replaceAll('""', '"').toLowerCase());
  return [...new Set(names.filter((n) => !known.has(n) && !aliases.has(n)))];
}

async function knownIdentifiers(db: D1Database): Promise<Set<string>> {
  const { results: tables } = await db
    .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND substr(name, 1, 4) <> '_cf_'")
    .all<{ name: string }>();
  const infos = tables.length
    ? await db.batch<{ name: string }>(tables.map((t) => db.prepare(`PRAGMA table_info("${t.name.replaceAll('"', '""')}")`)))
    : [];
  return new Set([...tables.map((t) => t.name), ...infos.flatMap((i) => i.results.map((c) => c.name))].map((n) => n.toLowerCase()));
}

/** Runs recorded statements, in order, against a real database; one failure per query at most. */
export async function replay(db: D1Database, queries: readonly RecordedQuery[]): Promise<Incompatibility[]> {
  const known = await knownIdentifiers(db);
  const failures: Incompatibility[] = [];
  for (const query of queries) {
    for (const s of query.statements) {
      const unknown = unknownIdentifiers(s.sql, known);
      if (unknown.length) {
        failures.push({ name: query.name, sql: s.sql, error: `no such table or column: ${unknown.join(', ')}` });
        break;
      }
      try {
        await db
          .prepare(s.sql)
          .bind(...s.params)
          .all();
      } catch (err) {
        failures.push({ name: query.name, sql: s.sql, error: err instanceof Error ? err.message : String(err) });
        break;
      }
    }
  }
  return failures;
}
