import { generateSeed, type SeedData } from '../../drizzle/seed/demo-data';
import { seedStatements } from '../../drizzle/seed/statements';

/** Seeds the demo users (and `seedUsers` generated ones) through the real D1 binding. */
export async function seed(db: D1Database, options: { now?: number; seedUsers?: number } = {}): Promise<SeedData> {
  const data = generateSeed({ now: options.now ?? Date.now(), seedUsers: options.seedUsers ?? 3 });
  const statements = seedStatements(data);
  for (let i = 0; i < statements.length; i += 50) {
    await db.batch(statements.slice(i, i + 50).map((s) => db.prepare(s.sql).bind(...s.params)));
  }
  return data;
}
