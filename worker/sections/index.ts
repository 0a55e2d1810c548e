import { z } from '@hono/zod-openapi';
import { SECTION_NAMES, type SectionName } from '../../drizzle/schema';
import { userIdSchema } from '../auth/principal';
import { actionableItemsSection } from './actionable-items';
import { activityFeedSection } from './activity-feed';
import { personalizationSection, sectionNameSchema } from './personalization';
import { systemOverviewSection } from './system-overview';
import { userStatisticsSection } from './user-statistics';

/** The page's sections by name; the page, the cache and the HTML renderer all iterate this. */
export const SECTIONS = {
  userStatistics: userStatisticsSection,
  systemOverview: systemOverviewSection,
  actionableItems: actionableItemsSection,
  activityFeed: activityFeedSection,
  personalization: personalizationSection,
} as const satisfies Record<SectionName, unknown>;

export type SectionData = { [K in SectionName]: z.infer<(typeof SECTIONS)[K]['schema']> };

export const introPageSchema = z
  .object({
    userId: userIdSchema,
    generatedAt: z.iso.datetime(),
    sections: z.object({
      userStatistics: SECTIONS.userStatistics.schema.nullable(),
      systemOverview: SECTIONS.systemOverview.schema.nullable(),
      actionableItems: SECTIONS.actionableItems.schema.nullable(),
      activityFeed: SECTIONS.activityFeed.schema.nullable(),
      personalization: SECTIONS.personalization.schema.nullable(),
    }),
    /** Every defined feature flag, evaluated for this user (worker/flags/); part of the ETag. */
    flags: z.record(z.string(), z.boolean()).openapi({ example: { 'focus-card': true } }),
    /** Sections served from a stale copy or as null because their source failed. */
    degraded: z.array(sectionNameSchema),
  })
  .openapi('IntroPage');

export type IntroPage = z.infer<typeof introPageSchema>;
export { SECTION_NAMES, type SectionName };
