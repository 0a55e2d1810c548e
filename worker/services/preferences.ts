import { eq, sql } from 'drizzle-orm';
import { type ActivityEventRow, preferences, users } from '../../drizzle/schema';
import type { WriteThrough } from '../cache';
import type { Database } from '../db/client';
import { NotFoundError } from '../errors';
import { outboxStatement } from '../events/outbox';
import type { UpdatePreferences } from '../schemas/preferences';
import { completeSectionOrder, type Personalization, personalizationFrom, selectPersonalization } from '../sections/personalization';
import { appendEvent, eventFromRow } from './activity';
import type { Change } from './tasks';

/** Upserts the changed preferences and records the event (and its outbox row) in one atomic batch. */
export async function updatePreferences(
  db: Database,
  userId: string,
  patch: UpdatePreferences,
  actorId: string,
  now = Date.now(),
  reads: WriteThrough['statements'] = [],
): Promise<Change<Personalization>> {
  const set = {
    ...patch,
    ...(patch.sectionOrder ? { sectionOrder: completeSectionOrder(patch.sectionOrder) } : {}),
    updatedAt: new Date(now),
  };
  // The insert's SELECT yields no row for an unknown user, so nothing (event included) is written.
  const results = await db.batch([
    db
      .insert(preferences)
      .select(
        db
          .select({
            userId: users.id,
            theme: sqlValue(set.theme ?? 'system').as('theme'),
            hiddenSections: sqlValue(JSON.stringify(set.hiddenSections ?? [])).as('hiddenSections'),
            sectionOrder: sqlValue(JSON.stringify(set.sectionOrder ?? [])).as('sectionOrder'),
            locale: sqlValue(set.locale ?? 'en-US').as('locale'),
            timeZone: sqlValue(set.timeZone ?? null).as('timeZone'),
            updatedAt: sqlValue(now).as('updatedAt'),
          })
          .from(users)
          .where(eq(users.id, userId)),
      )
      .onConflictDoUpdate({ target: preferences.userId, set }),
    appendEvent(db, userId, 'preferences.updated', { fields: Object.keys(patch), by: actorId }, { whenPreviousChanged: true }),
    outboxStatement(db, userId),
    selectPersonalization(db, userId),
    ...reads,
  ]);
  const [event] = results[1] as ActivityEventRow[];
  const [row] = results[3] as NonNullable<Parameters<typeof personalizationFrom>[0]>[];
  if (!row || !event) throw new NotFoundError(`No user with id "${userId}".`);
  return { value: personalizationFrom(row), event: eventFromRow(event), readResults: results.slice(4) };
}

function sqlValue(value: string | number | null) {
  return sql`${value}`;
}
