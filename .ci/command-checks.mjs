// Runs commands as checks and writes a report in vitest's JSON shape, so .ci/summarize.mjs
// counts each command as one test in the "N passed, N failed" line.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

/**
 * @param {string | undefined} report where to write the JSON report (none when undefined)
 * @param {string} suite
 * @param {{ title: string, command: string[], ok?: (output: string) => boolean }[]} checks
 * @returns {number} how many failed
 */
export function runChecks(report, suite, checks) {
  const assertionResults = [];
  for (const check of checks) {
    const started = Date.now();
    const run = spawnSync(check.command[0], check.command.slice(1), { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
    const output = `${run.stdout ?? ''}\n${run.stderr ?? ''}`;
    const ok = run.status === 0 && (check.ok ? check.ok(output) : true);
    const tail = output.trim().split('\n').slice(-20).join('\n');
    console.log(`${ok ? '✓' : '✗'} ${check.title} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    if (!ok) console.log(tail);
    assertionResults.push({
      title: check.title,
      fullName: `${suite} ${check.title}`,
      status: ok ? 'passed' : 'failed',
      failureMessages: ok ? [] : [tail],
    });
  }
  const failed = assertionResults.filter((a) => a.status === 'failed').length;
  if (report) {
    writeFileSync(
      report,
      JSON.stringify({
        numPassedTests: assertionResults.length - failed,
        numFailedTests: failed,
        testResults: [{ name: suite, status: failed ? 'failed' : 'passed', assertionResults }],
      }),
    );
  }
  return failed;
}
