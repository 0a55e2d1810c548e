import { drizzle } from 'drizzle-orm/d1';
import * as schema from '../../drizzle/schema';
import { instrumentD1 } from '../observability/instrument-d1';

export function createDb(d1: D1Database) {
  return drizzle(instrumentD1(d1), { schema });
}

export type Database = ReturnType<typeof createDb>;
