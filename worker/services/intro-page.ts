import { SECTION_NAMES, type SectionName } from '../../drizzle/schema';
import type { Database } from '../db/client';
import { type IntroPage, introPageSchema, type SectionData } from '../sections';
import { loadSectionsFromD1 } from './load-sections';

export interface SectionTiming {
  name: SectionName | 'd1';
  ms: number;
  source: string;
}

export interface AssembledPage {
  page: IntroPage;
  timings: SectionTiming[];
}

/**
 * Assembles a user's intro page. A section whose source fails is `null` and listed in
 * `degraded`; the page itself is still whole and valid against the contract's schema.
 */
export async function assembleIntroPage(db: Database, userId: string, now = Date.now()): Promise<AssembledPage> {
  const loaded = await loadSectionsFromD1(db, SECTION_NAMES, { userId, now });
  const sections = {} as { [K in SectionName]: SectionData[K] | null };
  const degraded: SectionName[] = [];
  for (const name of SECTION_NAMES) {
    (sections as Record<string, unknown>)[name] = loaded.data[name] ?? null;
    if (loaded.errors[name] || loaded.data[name] === undefined) degraded.push(name);
  }
  for (const [name, err] of Object.entries(loaded.errors)) {
    console.error(JSON.stringify({ level: 'error', msg: 'section failed', section: name, userId, error: err.message }));
  }
  const page = introPageSchema.parse({ userId, generatedAt: new Date(now).toISOString(), sections, degraded });
  return {
    page,
    timings: [
      { name: 'd1', ms: loaded.d1Ms, source: `batch of ${loaded.statements}` },
      ...SECTION_NAMES.map((name) => ({ name, ms: loaded.d1Ms, source: loaded.errors[name] ? 'error' : 'd1' })),
    ],
  };
}
