/**
 * Seeds the local D1 database (idempotent): `npm run seed`, also run by `npm start`.
 * SEED_USERS (env or .dev.vars) sets the number of generated users; default 1000.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { localVars, ROOT } from '../../scripts/local-config';
import { DEFAULT_SEED_USERS, generateSeed } from './demo-data';
import { seedStatements, toSqlScript } from './statements';

const vars = localVars();
const seedUsers = Number(process.env.SEED_USERS ?? vars.SEED_USERS ?? DEFAULT_SEED_USERS);
if (!Number.isInteger(seedUsers) || seedUsers < 0) throw new Error(`SEED_USERS must be a whole number, got ${seedUsers}`);

const started = performance.now();
const data = generateSeed({ now: Date.now(), seedUsers });
// Literal SQL for the CLI: nothing is bound, so a statement may carry more rows, up to D1's 100 KB statement size.
const script = toSqlScript(seedStatements(data, 1000));
const dir = resolve(ROOT, '.wrangler/seed');
mkdirSync(dir, { recursive: true });
const file = resolve(dir, 'seed.sql');
writeFileSync(file, script);
execFileSync('npx', ['wrangler', 'd1', 'execute', 'DB', '--local', '--file', file], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
console.log(
  `seeded ${data.users.length} users, ${data.tasks.length} tasks, ${data.events.length} events in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
