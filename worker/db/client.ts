import { drizzle } from 'drizzle-orm/d1';
import * as schema from '../../drizzle/schema';
import { instrumentD1 } from '../observability/instrument-d1';

/**
 * A drizzle database over the D1 binding or over one of its sessions (worker/db/sessions.ts).
 * drizzle's D1 driver calls only `prepare` and `batch` (drizzle-orm/d1/session.js), which a
 * D1DatabaseSession has as well; its types name the binding alone, hence the one cast.
 */
export function createDb(d1: D1Database | D1DatabaseSession) {
  return drizzle(instrumentD1(d1) as D1Database, { schema });
}

export type Database = ReturnType<typeof createDb>;
