import { applyD1Migrations, reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { freshIsolate } from '../../worker/isolate';

// Test files share a workerd and its module graph (isolate: false in vitest.config.ts), so each
// file starts as it would in a workerd of its own: no stored data (D1, KV, R2, Durable Objects),
// nothing the isolate learned, and the schema applied again.
await reset();
freshIsolate();
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
