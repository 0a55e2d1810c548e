// `npm run migrate -- --env local` end to end on a throwaway database (never the developer's
// .wrangler/state): the first run lints, backs up, applies, verifies and records; the second
// finds nothing pending, verifies again and records a no-op.
//   node .ci/migrate-local.mjs [report.json]
import { mkdtempSync, rmSync } from 'node:fs';
import { relative } from 'node:path';
import { runChecks } from './command-checks.mjs';

const state = mkdtempSync('.ci/migrate-state-');
const migrate = ['npm', 'run', '-s', 'migrate', '--', '--env', 'local', '--persist-to', `${relative(process.cwd(), state)}/state`];
const failed = runChecks(process.argv[2], 'npm run migrate', [
  {
    title: 'npm run migrate -- --env local on a fresh database',
    command: migrate,
    ok: (out) =>
      ['[1/5] lint', 'restore with: cp ', '[3/5] apply', 'integrity_check: ok', ' applied', '✓ local is migrated and verified'].every((s) =>
        out.includes(s),
      ),
  },
  {
    title: 'npm run migrate -- --env local with nothing pending',
    command: migrate,
    ok: (out) => out.includes('nothing pending') && out.includes(' noop') && out.includes('✓ local is migrated and verified'),
  },
]);
rmSync(state, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
