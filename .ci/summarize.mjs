// Sums vitest JSON reports into the one plain line CI reads: "N passed, N failed".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.ci/results';
let passed = 0;
let failed = 0;
let skipped = 0;
let reports = 0;
for (const file of existsSync(dir) ? readdirSync(dir) : []) {
  if (!file.endsWith('.json')) continue;
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  reports++;
  passed += report.numPassedTests ?? 0;
  const failedHere = (report.numFailedTests ?? 0) + (report.numRuntimeErrorTests ?? 0);
  failed += failedHere;
  // Vitest marks a run unsuccessful for errors outside any test (an unhandled rejection, a
  // teardown error); count one so the line never says "0 failed" for a red run.
  if (report.success === false && failedHere === 0) failed++;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A suite that failed to load counts its file as one failure, so it cannot vanish silently.
  for (const suite of report.testResults ?? []) {
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) failed++;
  }
}
if (reports === 0) failed++;
// A runner that crashed before writing its report is a failure, not an absence.
for (const expected of process.argv.slice(3)) {
  if (!existsSync(join(dir, expected))) {
    console.error(`missing report ${expected}`);
    failed++;
  }
}
// A command that failed with every test green failed on something else (a coverage threshold,
// a teardown): `<report>.exit` holds its exit code, and it counts once so the line is not green.
for (const file of existsSync(dir) ? readdirSync(dir) : []) {
  if (!file.endsWith('.exit')) continue;
  const code = Number(readFileSync(join(dir, file), 'utf8').trim());
  if (code !== 0 && failed === 0) {
    console.error(`${file.replace(/\.exit$/, '')}: the command exited ${code} with no failing test (a coverage threshold?); see its log`);
    failed++;
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
