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

export const updatePreferencesSchema = z
  .object({
    theme: z.enum(THEMES).optional(),
    hiddenSections: z
      .array(sectionNameSchema)
      .max(5)
      .refine((a) => new Set(a).size === a.length, 'each section at most once')
      .optional(),
    sectionOrder: z
      .array(sectionNameSchema)
      .refine((a) => new Set(a).size === a.length, 'each section at most once')
      .optional(),
    locale: z.string().max(35).refine(isLocale, 'a BCP 47 language tag such as en-US or de-CH').optional(),
    timeZone: z.string().max(64).refine(isValidTimeZone, 'an IANA time zone such as Europe/Berlin').optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'send at least one preference to change' })
  .openapi('UpdatePreferences');

export type UpdatePreferences = z.infer<typeof updatePreferencesSchema>;
