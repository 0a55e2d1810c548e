import type { Principal } from '../worker/auth/principal';
import type { IntroPage } from '../worker/sections';

/** Everything the browser needs to hydrate, embedded once in the HTML (see worker/html/document.ts). */
export interface PageData {
  page: IntroPage;
  viewer: Principal;
}

/** The id of the `<script type="application/json">` element that carries the PageData. */
export const PAGE_DATA_ID = 'foyer-data';

export type SectionName = keyof IntroPage['sections'];
export type Sections = { [K in SectionName]: NonNullable<IntroPage['sections'][K]> };
export type UserStatistics = Sections['userStatistics'];
export type SystemOverview = Sections['systemOverview'];
export type ActionableItem = Sections['actionableItems'][number];
export type ActivityFeed = Sections['activityFeed'];
export type ActivityEvent = ActivityFeed['events'][number];
export type Personalization = Sections['personalization'];
export type Theme = Personalization['theme'];

/** Display names; a Record over SectionName, so a new section fails the type check until named here. */
export const SECTION_TITLES: Record<SectionName, string> = {
  userStatistics: 'Your statistics',
  systemOverview: 'System overview',
  actionableItems: 'Needs your attention',
  activityFeed: 'Activity',
  personalization: 'Personalize',
};

export const THEME_CHOICES = ['system', 'light', 'dark'] as const satisfies readonly Theme[];
