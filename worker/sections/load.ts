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
 * The named sections' D1 statements, and how to build the sections from their results: the
 * two halves of `loadSectionsFromD1`, apart so that another batch can carry the statements
 * (a write's own, worker/cache/write-through.ts). `timeZone` must be given when
 * `personalization` (where the zone lives) is not among them.
 */
export interface SectionReads {
  /** The named sections that exist, in the bundle's order. */
  sections: SectionName[];
  statements: BatchItem<'sqlite'>[];
  /**
   * The sections from the statements' results, in order. Throws NotFoundError when
   * personalization is read and the user does not exist.
   */
  build(rows: readonly unknown[]): Pick<LoadedSections, 'data' | 'errors' | 'newestEventId'>;
}

export function sectionReads(
  db: Database,
  names: readonly SectionName[],
  input: SectionInput & { timeZone?: string },
  options: LoadOptions = {},
): SectionReads {
  const wanted = SECTION_NAMES.filter((n) => names.includes(n));
  const plan = wanted.map((name) => ({ name, statements: SECTIONS[name].statements(db, input) as readonly BatchItem<'sqlite'>[] }));
  const statements = plan.flatMap((p) => p.statements);
  if (options.newestEventId) statements.push(newestEventIdOf(db, input.userId) as unknown as BatchItem<'sqlite'>);
  const build = (rows: readonly unknown[]) => {
    const result: Pick<LoadedSections, 'data' | 'errors' | 'newestEventId'> = { data: {}, errors: {} };
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
  };
  return { sections: wanted, statements, build };
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
  const reads = sectionReads(db, names, input, options);
  const result: LoadedSections = { data: {}, errors: {}, d1Ms: 0, statements: 0 };
  if (reads.sections.length === 0) return result;
  result.statements = reads.statements.length;
  const started = performance.now();
  let rows: unknown[];
  try {
    rows = await db.batch(reads.statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  } catch (err) {
    const failure = err instanceof Error ? err : new Error(String(err));
    for (const name of reads.sections) result.errors[name] = failure;
    return result;
  } finally {
    result.d1Ms = performance.now() - started;
  }
  return { ...result, ...reads.build(rows) };
}

function newestEventIdOf(db: Database, userId: string) {
  return db
    .select({ id: sql<number | null>`max(${activityEvents.id})` })
    .from(activityEvents)
    .where(eq(activityEvents.userId, userId));
}
