import { eq, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { activityEvents, SECTION_NAMES, type SectionName } from '../../drizzle/schema';
import type { Database } from '../db/client';
import { NotFoundError } from '../errors';
import { SECTIONS, type SectionData } from './index';
import type { SectionInput } from './section';

export interface LoadedSections {
  data: Partial<SectionData>;
  /** Sections whose source failed, with the reason (never sent to clients). */
  errors: Partial<Record<SectionName, Error>>;
  /** Wall time of the single D1 round trip, ms; 0 when nothing was asked of D1. */
  d1Ms: number;
  statements: number;
  /** The user's newest activity event id as the same batch saw it, when asked for (0: none). */
  newestEventId?: number;
}

export interface LoadOptions {
  /**
   * Also read the user's newest event id in the same batch (one primary-key lookup): a caller
   * that reads only some sections can then tell which version of the user's data they show.
   */
  newestEventId?: boolean;
}

/**
 * Reads the named sections from D1 in one `db.batch`: one round trip whatever the count.
 * `timeZone` must be given when `personalization` (where the zone lives) is not among them.
 * Throws NotFoundError when personalization is read and the user does not exist.
 */
export async function loadSectionsFromD1(
  db: Database,
  names: readonly SectionName[],
  input: SectionInput & { timeZone?: string },
  options: LoadOptions = {},
): Promise<LoadedSections> {
  const wanted = SECTION_NAMES.filter((n) => names.includes(n));
  const result: LoadedSections = { data: {}, errors: {}, d1Ms: 0, statements: 0 };
  if (wanted.length === 0) return result;

  const plan = wanted.map((name) => ({ name, statements: SECTIONS[name].statements(db, input) as readonly BatchItem<'sqlite'>[] }));
  const all = plan.flatMap((p) => p.statements);
  if (options.newestEventId) all.push(newestEventIdOf(db, input.userId) as unknown as BatchItem<'sqlite'>);
  result.statements = all.length;
  const started = performance.now();
  let rows: unknown[];
  try {
    rows = await db.batch(all as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  } catch (err) {
    const failure = err instanceof Error ? err : new Error(String(err));
    for (const name of wanted) result.errors[name] = failure;
    return result;
  } finally {
    result.d1Ms = performance.now() - started;
  }

  const byName = new Map<SectionName, unknown[]>();
  let offset = 0;
  for (const p of plan) {
    byName.set(p.name, rows.slice(offset, offset + p.statements.length));
    offset += p.statements.length;
  }

  if (options.newestEventId) result.newestEventId = Number((rows[offset] as { id: number | null }[])[0]?.id ?? 0);

  let timeZone = input.timeZone ?? 'UTC';
  if (byName.has('personalization')) {
    const [userRows] = byName.get('personalization') as [unknown[]];
    if (userRows.length === 0) throw new NotFoundError(`No user with id "${input.userId}".`);
  }
  // Personalization first: the other sections need the zone it resolves.
  for (const name of ['personalization', ...wanted.filter((n) => n !== 'personalization')] as SectionName[]) {
    const sectionRows = byName.get(name);
    if (!sectionRows) continue;
    try {
      const section = SECTIONS[name] as { build(results: unknown, input: unknown): unknown };
      const value = section.build(sectionRows, { ...input, timeZone });
      (result.data as Record<string, unknown>)[name] = value;
      if (name === 'personalization') timeZone = (value as SectionData['personalization']).timeZone;
    } catch (err) {
      result.errors[name] = err instanceof Error ? err : new Error(String(err));
    }
  }
  return result;
}

function newestEventIdOf(db: Database, userId: string) {
  return db
    .select({ id: sql<number | null>`max(${activityEvents.id})` })
    .from(activityEvents)
    .where(eq(activityEvents.userId, userId));
}
