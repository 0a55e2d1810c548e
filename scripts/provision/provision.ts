/**
 * Creates what an environment needs on the account and records the new ids in wrangler.toml.
 * Every kind is listed first and only what is missing is created, so a second run creates
 * nothing and leaves the file as it is. Every command goes through the release's `Runner`
 * (scripts/release/wrangler.ts), so tests play the account with a fake wrangler.
 */
import { stripVTControlCharacters } from 'node:util';
import type { CommandResult, Runner } from '../release/wrangler';
import { fillPlaceholders, type Needs, needsOf, PLACEHOLDER } from './resources';

export interface ProvisionDeps {
  run: Runner;
  log: (line: string) => void;
  readConfig: () => string;
  writeConfig: (text: string) => void;
}

export interface ProvisionResult {
  /** One line per resource created, e.g. `D1 database foyer-staging`. */
  created: string[];
  /** Placeholder → id, as written into wrangler.toml. */
  written: Map<string, string>;
}

/** A step that failed: the message says what failed and what to do next. */
export class ProvisionError extends Error {}

const wrangler = (...args: string[]) => ['npx', 'wrangler', ...args];
/** `queues list` shows one page at a time; an account with more queues than this many pages is not expected. */
const MAX_QUEUE_PAGES = 20;

export async function provision(env: string, deps: ProvisionDeps): Promise<ProvisionResult> {
  const needs = needsOf(deps.readConfig(), env);
  const created: string[] = [];
  const ids = new Map<string, string>();
  try {
    await provisionAll(needs, deps, created, ids);
  } finally {
    // Whatever was created before a failure keeps its id: the next run finds it by name anyway,
    // and the file says what exists.
    if (ids.size > 0) deps.writeConfig(fillPlaceholders(deps.readConfig(), ids));
  }
  if (ids.size === 0) deps.log('wrangler.toml unchanged: every id in it is already real.');
  for (const [placeholder, id] of ids) deps.log(`wrangler.toml: ${placeholder} → ${id}`);
  deps.log(
    created.length === 0 ? `${env}: nothing to create, everything exists.` : `${env}: created ${created.length}: ${created.join(', ')}.`,
  );
  return { created, written: ids };
}

async function provisionAll(needs: Needs, deps: ProvisionDeps, created: string[], ids: Map<string, string>): Promise<void> {
  const create = async (what: string, argv: string[]) => {
    await must(deps, argv, `create the ${what}`);
    created.push(what);
    deps.log(`+ created ${what}`);
  };
  const exists = (what: string, id?: string) => deps.log(`= ${what} exists${id ? ` (${id})` : ''}`);

  // Everything is listed before anything is created: a wrong id in wrangler.toml stops the run
  // while the account is still untouched.
  let databases = await listDatabases(deps);
  let namespaces = await listNamespaces(deps);
  const buckets = await listBuckets(deps);
  const queues = await listQueues(deps);
  for (const db of needs.d1) checkId(`D1 database ${db.name}`, db.id, databases.get(db.name), 'database_id');
  for (const kv of needs.kv) checkId(`KV namespace ${kv.title}`, kv.id, namespaces.get(kv.title), 'id');

  for (const db of needs.d1) {
    const what = `D1 database ${db.name}`;
    if (databases.has(db.name)) exists(what, databases.get(db.name));
    else {
      await create(what, wrangler('d1', 'create', db.name));
      databases = await listDatabases(deps);
    }
    record(ids, what, db.id, databases.get(db.name));
  }
  for (const kv of needs.kv) {
    const what = `KV namespace ${kv.title}`;
    if (namespaces.has(kv.title)) exists(what, namespaces.get(kv.title));
    // No --env: wrangler would put the environment's name in front of the title.
    else {
      await create(what, wrangler('kv', 'namespace', 'create', kv.title));
      namespaces = await listNamespaces(deps);
    }
    record(ids, what, kv.id, namespaces.get(kv.title));
  }
  for (const bucket of needs.r2) {
    const what = `R2 bucket ${bucket.name}`;
    if (buckets.has(bucket.name)) exists(what);
    else await create(what, wrangler('r2', 'bucket', 'create', bucket.name));
    if (bucket.lifecycle.length === 0) continue;
    const rules = labelledNames(
      (await must(deps, wrangler('r2', 'bucket', 'lifecycle', 'list', bucket.name), `list the lifecycle rules of ${what}`)).stdout,
    );
    for (const rule of bucket.lifecycle) {
      const ruleWhat = `lifecycle rule ${rule.name} of ${bucket.name}`;
      if (rules.has(rule.name)) exists(ruleWhat);
      else {
        await create(
          ruleWhat,
          wrangler(
            'r2',
            'bucket',
            'lifecycle',
            'add',
            bucket.name,
            rule.name,
            rule.prefix,
            '--expire-days',
            String(rule.expireDays),
            '--force',
          ),
        );
      }
    }
  }
  for (const queue of needs.queues) {
    const what = `queue ${queue}`;
    if (queues.has(queue)) exists(what);
    else await create(what, wrangler('queues', 'create', queue));
  }
}

/** A config id that is real must be the account's; one that is a placeholder gets filled in. */
function checkId(what: string, configured: string, actual: string | undefined, key: string): void {
  if (PLACEHOLDER.test(configured) || configured === actual) return;
  throw new ProvisionError(
    actual === undefined
      ? `wrangler.toml gives ${what} the ${key} ${configured}, but the account has no ${what}. Put the placeholder back (or fix the ${key}) and run npm run provision again; nothing was created.`
      : `wrangler.toml gives ${what} the ${key} ${configured}, but the account's ${what} is ${actual}. Fix the ${key} in wrangler.toml (or point it at the right account); nothing was created.`,
  );
}

function record(ids: Map<string, string>, what: string, configured: string, actual: string | undefined): void {
  if (!actual)
    throw new ProvisionError(`${what} is not in the account's list even after creating it: run npm run provision again in a minute.`);
  if (PLACEHOLDER.test(configured)) ids.set(configured, actual);
}

async function must(deps: ProvisionDeps, argv: string[], doing: string): Promise<CommandResult> {
  const result = await deps.run(argv);
  if (result.code === 0) return result;
  const output = stripVTControlCharacters(`${result.stderr}\n${result.stdout}`).trim().split('\n').slice(-8).join('\n');
  throw new ProvisionError(
    `could not ${doing}: \`${argv.join(' ')}\` exited ${result.code}.\n${output}\n` +
      'Likely causes: 1. not logged in (npx wrangler login, or CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID); ' +
      '2. the token lacks the permission (D1, Workers KV Storage, Workers R2 Storage, Queues: Edit); 3. an account limit. ' +
      'Fix it and run npm run provision again: what exists is kept and only the rest is created.',
  );
}

/** The JSON document wrangler prints, after any warning lines before it (`▲ [WARNING] …` has a bracket too). */
function jsonOf<T>(stdout: string, doing: string): T {
  const start = stdout.search(/^[[{]/m);
  try {
    return JSON.parse(stdout.slice(start)) as T;
  } catch {
    throw new ProvisionError(`could not ${doing}: wrangler printed no JSON:\n${stdout.slice(0, 500)}`);
  }
}

/** `wrangler d1 list --json`: name → uuid. */
async function listDatabases(deps: ProvisionDeps): Promise<Map<string, string>> {
  const doing = 'list the D1 databases';
  const rows = jsonOf<{ uuid: string; name: string }[]>((await must(deps, wrangler('d1', 'list', '--json'), doing)).stdout, doing);
  return new Map(rows.map((r) => [r.name, r.uuid]));
}

/** `wrangler kv namespace list` (always JSON): title → id. */
async function listNamespaces(deps: ProvisionDeps): Promise<Map<string, string>> {
  const doing = 'list the KV namespaces';
  const rows = jsonOf<{ id: string; title: string }[]>((await must(deps, wrangler('kv', 'namespace', 'list'), doing)).stdout, doing);
  return new Map(rows.map((r) => [r.title, r.id]));
}

/** `wrangler r2 bucket list` prints `name: …` blocks (no JSON option). */
async function listBuckets(deps: ProvisionDeps): Promise<Set<string>> {
  return labelledNames((await must(deps, wrangler('r2', 'bucket', 'list'), 'list the R2 buckets')).stdout);
}

/** The values of `name:` lines, as wrangler's labelled output (buckets, lifecycle rules) prints them. */
export function labelledNames(stdout: string): Set<string> {
  return new Set([...stripVTControlCharacters(stdout).matchAll(/^\s*name:\s+(\S+)\s*$/gm)].map((m) => m[1] as string));
}

/** `wrangler queues list` prints a table one page at a time (no JSON option): every cell of every page. */
async function listQueues(deps: ProvisionDeps): Promise<Set<string>> {
  const names = new Set<string>();
  for (let page = 1; page <= MAX_QUEUE_PAGES; page++) {
    const stdout = (await must(deps, wrangler('queues', 'list', '--page', String(page)), 'list the queues')).stdout;
    const cells = tableCells(stdout);
    const before = names.size;
    for (const cell of cells) names.add(cell);
    if (cells.length === 0 || names.size === before) break;
  }
  return names;
}

/** The cells of the body rows of a cli-table3 table (`│ a │ b │`), header row left out. */
export function tableCells(stdout: string): string[] {
  const rows = stripVTControlCharacters(stdout)
    .split('\n')
    .filter((line) => line.trimStart().startsWith('│'))
    .map((line) =>
      line
        .split('│')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  return rows.slice(1).flat();
}
