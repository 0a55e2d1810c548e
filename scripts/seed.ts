/**
 * Seeds the local D1 database (idempotent): `npm run seed [-- --persist-to <dir>]`, also run by
 * `npm start` and `npm run reset`. SEED_USERS (env or .dev.vars) sets the number of generated
 * users; default 1000. The demo users are re-anchored to today on every run; the generated users
 * are written only when the database does not hold exactly that many yet.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './local-config';
import { seedLocal } from './local-db';

const { values } = parseArgs({ options: { 'persist-to': { type: 'string' } } });
try {
  console.log(seedLocal({ stateDir: values['persist-to'] ? resolve(ROOT, values['persist-to']) : undefined }));
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
