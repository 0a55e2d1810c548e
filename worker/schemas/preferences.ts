import { z } from '@hono/zod-openapi';
import { THEMES } from '../../drizzle/schema';
import { isValidTimeZone } from '../../shared/calendar';
import { sectionNameSchema } from '../sections/personalization';

export function isLocale(value: string): boolean {
  try {
    return Intl.getCanonicalLocales(value).length === 1;
  } catch {
    return false;
  }
}

/**
 * The shape of a Unicode BCP 47 locale identifier, which is what `Intl.getCanonicalLocales`
 * accepts (case-insensitive): language, script, region, variants, extensions, private use. For
 * the document only, so clients and generated tests send plausible tags; `isLocale` still decides
 * (it also refuses repeated variants or extensions). test/api/openapi.test.ts holds the two together.
 */
export const LOCALE_PATTERN =
  /^(?:[A-Za-z]{2,3}|[A-Za-z]{5,8})(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*(?:-[A-WYZa-wyz0-9](?:-[A-Za-z0-9]{2,8})+)*(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?$/;

/**
 * The shape of an IANA time zone name (`Area/Location`, `Etc/GMT+5`, `UTC`; case-insensitive as
 * Intl reads it), or a UTC offset (`+01:00`), which workerd's Intl also takes. For the document
 * only: the zone must also exist, which `isValidTimeZone` checks.
 */
export const TIME_ZONE_PATTERN = /^(?:[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z][A-Za-z0-9_+-]*)*|[+-][0-9]{2}(?::?[0-9]{2})?)$/;

/** A locale as every route accepts it; the pattern and example are for the OpenAPI document. */
export const localeSchema = z
  .string()
  .max(35)
  .refine(isLocale, 'a BCP 47 language tag such as en-US or de-CH')
  .openapi({ pattern: LOCALE_PATTERN.source, example: 'de-CH', description: 'A BCP 47 language tag' });

/** A time zone as every route accepts it; the pattern and example are for the OpenAPI document. */
export const timeZoneSchema = z
  .string()
  .max(64)
  .refine(isValidTimeZone, 'an IANA time zone such as Europe/Berlin')
  .openapi({ pattern: TIME_ZONE_PATTERN.source, example: 'Europe/Berlin', description: 'An IANA time zone name' });

const eachOnce = (a: readonly string[]) => new Set(a).size === a.length;

export const updatePreferencesSchema = z
  .object({
    theme: z.enum(THEMES).optional(),
    // Both lists refuse a section named twice; `uniqueItems` says so in the document.
    hiddenSections: z
      .array(sectionNameSchema)
      .max(5)
      .refine(eachOnce, 'each section at most once')
      .openapi({ uniqueItems: true })
      .optional(),
    sectionOrder: z.array(sectionNameSchema).refine(eachOnce, 'each section at most once').openapi({ uniqueItems: true }).optional(),
    locale: localeSchema.optional(),
    timeZone: timeZoneSchema.optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'send at least one preference to change' })
  .openapi('UpdatePreferences');

export type UpdatePreferences = z.infer<typeof updatePreferencesSchema>;
