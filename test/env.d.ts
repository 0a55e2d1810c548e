declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
    /** An empty D1 database (vitest.config.ts) for migrating step by step. */
    MIGRATION_DB: D1Database;
  }
}

/** Vite's `?raw` imports: a file's text (migrations, wrangler.toml, fixtures). */
declare module '*?raw' {
  const text: string;
  export default text;
}
