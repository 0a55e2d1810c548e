import { defineConfig } from 'drizzle-kit';

// drizzle-kit only generates SQL here; `wrangler d1 migrations apply` applies it, so the
// migration history lives in D1's own d1_migrations table, the same in every environment.
export default defineConfig({
  dialect: 'sqlite',
  schema: './drizzle/schema.ts',
  out: './drizzle/migrations',
});
