import { z } from '@hono/zod-openapi';
import { eq, sql } from 'drizzle-orm';
import { preferences, SECTION_NAMES, THEMES, users } from '../../drizzle/schema';
import { isValidTimeZone } from '../../shared/calendar';
import type { Database } from '../db/client';
import { defineSection } from './section';

export const sectionNameSchema = z.enum(SECTION_NAMES);

export const personalizationSchema = z
  .object({
    /** The name the person registered with; the page greets them by it. */
    displayName: z.string().openapi({ example: 'Alice Archer' }),
    theme: z.enum(THEMES),
    hiddenSections: z.array(sectionNameSchema),
    /** Every section exactly once, in display order. */
    sectionOrder: z.array(sectionNameSchema),
    locale: z.string(),
    timeZone: z.string(),
  })
  .openapi('Personalization');

export type Personalization = z.infer<typeof personalizationSchema>;

/** Saved orders may predate a section; append what is missing, drop what is unknown. */
export function completeSectionOrder(saved: readonly string[]): Personalization['sectionOrder'] {
  const known = saved.filter((s): s is (typeof SECTION_NAMES)[number] => (SECTION_NAMES as readonly string[]).includes(s));
  const unique = [...new Set(known)];
  return [...unique, ...SECTION_NAMES.filter((s) => !unique.includes(s))];
}

/**
 * The user's saved preferences with their account zone beside them (one row; none for an
 * unknown user). The page reads it, and a preference write reads it back in its own batch.
 * `users.time_zone` is aliased: drizzle's D1 batch maps rows by column name, and the two
 * `time_zone` columns would collide.
 */
export function selectPersonalization(db: Database, userId: string) {
  return db
    .select({
      userTimeZone: sql<string>`${users.timeZone}`.as('user_time_zone'),
      displayName: users.name,
      theme: preferences.theme,
      hiddenSections: preferences.hiddenSections,
      sectionOrder: preferences.sectionOrder,
      locale: preferences.locale,
      timeZone: preferences.timeZone,
    })
    .from(users)
    .leftJoin(preferences, eq(preferences.userId, users.id))
    .where(eq(users.id, userId));
}

export const personalizationSection = defineSection({
  name: 'personalization',
  scope: 'user',
  schema: personalizationSchema,
  statements: (db, { userId }) => [selectPersonalization(db, userId)] as const,
  build: ([[row]]) => personalizationFrom(row),
});

export function personalizationFrom(
  row:
    | {
        userTimeZone: string;
        displayName: string;
        theme: Personalization['theme'] | null;
        hiddenSections: string[] | null;
        sectionOrder: string[] | null;
        locale: string | null;
        timeZone: string | null;
      }
    | undefined,
): Personalization {
  const zone = row?.timeZone ?? row?.userTimeZone ?? 'UTC';
  return {
    displayName: row?.displayName ?? '',
    theme: row?.theme ?? 'system',
    hiddenSections: completeSectionOrder(row?.hiddenSections ?? []).filter((s) => row?.hiddenSections?.includes(s)),
    sectionOrder: completeSectionOrder(row?.sectionOrder ?? []),
    locale: row?.locale ?? 'en-US',
    timeZone: isValidTimeZone(zone) ? zone : 'UTC',
  };
}
