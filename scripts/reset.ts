/**
 * `npm run reset [-- --persist-to <dir>]`: wipes the local state (D1, KV, Durable Objects, R2,
 * queues under .wrangler/state), applies the migrations and seeds again. Stop `npm start` first.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureDevVars, ROOT } from './local-config';
import { DEFAULT_STATE_DIR, migrateLocal, seedLocal } from './local-db';

const { values } = parseArgs({ options: { 'persist-to': { type: 'string' } } });
const stateDir = values['persist-to'] ? resolve(ROOT, values['persist-to']) : DEFAULT_STATE_DIR;
try {
  ensureDevVars();
  rmSync(stateDir, { recursive: true, force: true });
  console.log(`wiped ${stateDir}`);
  console.log(await migrateLocal(stateDir));
  console.log(seedLocal({ stateDir }));
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
