import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Reporter, TestModule, Vitest } from 'vitest/node';
import { type AnswerCounts, buildMatrix, mergeCounts, type Operation, renderMatrix } from '../helpers/api-matrix';

/**
 * Runs in Node after the workerd suite: adds up the answers each test file recorded
 * (test/setup/record-api-answers.ts) against the operations test/api/operation-matrix.test.ts
 * read from /api/v1/openapi.json, writes the matrix as Markdown, and fails the run when a
 * documented triple was never produced or a produced status is not documented.
 *
 * A run of some files only (`npx vitest run test/api/tasks.test.ts`, `-t`) writes the matrix
 * marked as partial and fails nothing: most triples are legitimately unexercised then.
 *
 * It also writes `api-matrix.json` in the shape of vitest's JSON report, so .ci/summarize.mjs
 * counts each gap as a failure in its "N passed, N failed" line.
 */
export default class ApiMatrixReporter implements Reporter {
  #vitest: Vitest | undefined;
  readonly #outputDir: string;

  constructor(options: { outputDir?: string } = {}) {
    this.#outputDir = options.outputDir ?? '.ci/results';
  }

  onInit(vitest: Vitest): void {
    this.#vitest = vitest;
  }

  async onTestRunEnd(testModules: ReadonlyArray<TestModule>): Promise<void> {
    const vitest = this.#vitest;
    if (!vitest) return;
    let operations: Operation[] | undefined;
    const produced: AnswerCounts = {};
    for (const module of testModules) {
      mergeCounts(produced, module.meta().apiAnswers ?? {});
      for (const test of module.children.allTests()) operations ??= test.meta().apiOperations;
    }
    if (!operations) return; // the matrix test did not run: nothing to set the answers against

    const all = await vitest.globTestSpecifications();
    const ran = new Set(testModules.filter((m) => m.state() !== 'skipped').map((m) => m.moduleId));
    const whole = !vitest.config.testNamePattern && all.every((spec) => ran.has(spec.moduleId));
    const matrix = buildMatrix(operations, produced);
    const note = whole ? undefined : 'Partial run (some test files or tests only): gaps are expected and were not checked.';

    const dir = resolve(vitest.config.root, this.#outputDir);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'api-matrix.md'), renderMatrix(matrix, note));
    if (!whole) {
      rmSync(join(dir, 'api-matrix.json'), { force: true });
      return;
    }

    const gaps = [
      ...matrix.unexercised.map((row) => `documented, never produced: ${row.method} ${row.path} → ${row.status}`),
      ...matrix.undocumented.map((row) => `produced, not documented: ${row.method} ${row.path} → ${row.status} (${row.count}×)`),
    ];
    const documented = matrix.rows.filter((row) => row.documented);
    writeFileSync(
      join(dir, 'api-matrix.json'),
      JSON.stringify({
        success: gaps.length === 0,
        numPassedTests: 0,
        numFailedTests: gaps.length,
        triplesDocumented: documented.length,
        triplesExercised: documented.filter((row) => row.count > 0).length,
        gaps,
      }),
    );
    const summary = `API matrix: ${documented.length} documented triples, ${documented.length - matrix.unexercised.length} exercised, ${matrix.undocumented.length} undocumented`;
    if (gaps.length === 0) {
      vitest.logger.log(`${summary} (${join(this.#outputDir, 'api-matrix.md')})`);
      return;
    }
    vitest.logger.error(`${summary}; see ${join(this.#outputDir, 'api-matrix.md')}:\n${gaps.map((gap) => `  ${gap}`).join('\n')}`);
    // Vitest has already settled the exit code from the tests; a gap fails the run on its own.
    process.exitCode = 1;
  }
}
