/**
 * Seeds the local D1 database (idempotent): `npm run seed`, also run by `npm start`.
 * SEED_USERS (env or .dev.vars) sets the number of generated users; default 1000.
 * The demo users are re-anchored to today on every run; the generated users are written only
 * when the database does not hold exactly that many yet, so a restart costs a second or two.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_SEED_USERS, generateSeed } from '../drizzle/seed/demo-data';
import { seedStatements, toSqlScript } from '../drizzle/seed/statements';
import { localVars, ROOT } from './local-config';

const vars = localVars();
const seedUsers = Number(process.env.SEED_USERS ?? vars.SEED_USERS ?? DEFAULT_SEED_USERS);
if (!Number.isInteger(seedUsers) || seedUsers < 0) throw new Error(`SEED_USERS must be a whole number, got ${seedUsers}`);
const extraArgs = process.argv.slice(2); // e.g. --persist-to <dir> for the load suite

function d1(args: string[], capture = false): string {
  return execFileSync('npx', ['wrangler', 'd1', 'execute', 'DB', '--local', ...extraArgs, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', capture ? 'pipe' : 'ignore', 'inherit'],
  });
}

function generatedUsersPresent(): number {
  try {
    const out = d1(['--json', '--command', "select count(*) as n from users where id like 'user-%'"], true);
    return (JSON.parse(out) as { results: { n: number }[] }[])[0]?.results[0]?.n ?? 0;
  } catch {
    console.error('The local database has no users table: apply the migrations first (npm start does, or npm run migrate -- --env local).');
    process.exit(1);
  }
}

const started = performance.now();
const present = generatedUsersPresent();
const withGenerated = present !== seedUsers;
const data = generateSeed({ now: Date.now(), seedUsers: withGenerated ? seedUsers : 0 });
// Literal SQL for the CLI: nothing is bound, so a statement may carry more rows, up to D1's 100 KB statement size.
const script = toSqlScript(seedStatements(data, 1000));
const dir = resolve(ROOT, '.wrangler/seed');
mkdirSync(dir, { recursive: true });
const file = resolve(dir, 'seed.sql');
writeFileSync(file, script);
d1(['--file', file]);
console.log(
  `seeded ${data.users.length} users, ${data.tasks.length} tasks, ${data.events.length} events in ${((performance.now() - started) / 1000).toFixed(1)} s` +
    (withGenerated ? '' : ` (the ${seedUsers} generated users were already there)`),
);
