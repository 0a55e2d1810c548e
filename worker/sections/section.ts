import type { BatchItem } from 'drizzle-orm/batch';
import type { z } from 'zod';
import type { SectionName } from '../../drizzle/schema';
import type { Database } from '../db/client';

/** What every section may know while its statements are built: nothing that needs D1. */
export interface SectionInput {
  userId: string;
  /** Epoch ms; one clock for the whole page so sections agree with each other. */
  now: number;
}

/** Known after the batch: the user's zone comes from the personalization section. */
export interface BuildInput extends SectionInput {
  timeZone: string;
}

export type Statements = readonly [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]];
export type ResultsOf<S extends Statements> = { -readonly [K in keyof S]: Awaited<S[K]> };

/**
 * One section of the intro page: its wire schema, the D1 statements that feed it (all
 * sections' statements run together in one `db.batch`, one round trip) and the pure step
 * that turns their rows into the section's data.
 */
export interface SectionSource<Name extends SectionName, Schema extends z.ZodType, S extends Statements> {
  name: Name;
  /** `shared` sections are the same for every user (cacheable once for everyone). */
  scope: 'user' | 'shared';
  schema: Schema;
  statements(db: Database, input: SectionInput): S;
  build(results: ResultsOf<S>, input: BuildInput): z.infer<Schema>;
}

export function defineSection<Name extends SectionName, Schema extends z.ZodType, S extends Statements>(
  section: SectionSource<Name, Schema, S>,
): SectionSource<Name, Schema, S> {
  return section;
}
