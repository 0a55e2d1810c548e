import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { SECTION_NAMES } from '../../drizzle/schema';
import { createDb } from '../../worker/db/client';
import { SECTIONS } from '../../worker/sections';
import { seed } from '../helpers/seed';

interface PlanRow {
  id: number;
  parent: number;
  detail: string;
}

async function plan(query: { toSQL(): { sql: string; params: unknown[] } }): Promise<string[]> {
  const { sql, params } = query.toSQL();
  const { results } = await env.DB.prepare(`explain query plan ${sql}`)
    .bind(...params)
    .all<PlanRow>();
  return results.map((r) => r.detail);
}

/**
 * A full scan reads every row of a table; SQLite says "SCAN <table>" with no index for it.
 * Counting all users walks the smallest index instead ("SCAN users USING COVERING INDEX"),
 * the cheapest count SQLite has; it feeds the shared system-overview fragment.
 */
function fullScans(details: string[]): string[] {
  return details.filter((d) => /^SCAN \w+$/.test(d.trim()) || /^SCAN \w+ USING (?!COVERING INDEX)/.test(d.trim()));
}

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 20 });
});

describe('EXPLAIN QUERY PLAN: no page query scans a whole table', () => {
  const db = createDb(env.DB);
  for (const name of SECTION_NAMES) {
    it(name, async () => {
      const statements = SECTIONS[name].statements(db, { userId: 'alice', now: Date.now() }) as unknown as {
        toSQL(): { sql: string; params: unknown[] };
      }[];
      for (const statement of statements) {
        const details = await plan(statement);
        expect(fullScans(details), `${statement.toSQL().sql}\n${details.join('\n')}`).toEqual([]);
        // Every table touched is reached through an index (SEARCH … USING …) or a covering index.
        for (const d of details.filter((x) => /^(SCAN|SEARCH) /.test(x)))
          expect(d).toMatch(/USING (COVERING )?(INDEX|PRIMARY KEY|INTEGER PRIMARY KEY)/);
      }
    });
  }
});
