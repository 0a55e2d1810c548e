import { afterAll } from 'vitest';
import { app } from '../../worker/app';
import { type AnswerCounts, answerKey } from '../helpers/api-matrix';

// Every helper (call, callWith, the page and health tests) reaches the worker through `app.fetch`,
// so wrapping it once here records every answer without touching them. Each test file runs with
// its own storage and module graph, so the answers travel to the Node side as the file's task
// meta, where test/reporters/api-matrix.ts adds them up. The buffer and the wrapped mark live on
// globalThis so that a setup file run twice in one isolate neither wraps twice nor loses answers.
const state = globalThis as typeof globalThis & { __foyerApiAnswers?: AnswerCounts };
state.__foyerApiAnswers ??= {};
const buffer = state.__foyerApiAnswers;
const WRAPPED = Symbol.for('foyer.recordApiAnswers');

if (!(WRAPPED in app)) {
  const fetch = app.fetch;
  app.fetch = async (...args: Parameters<typeof fetch>) => {
    const res = await fetch(...args);
    const [request] = args;
    const key = answerKey({ method: request.method, path: new URL(request.url).pathname, status: res.status });
    buffer[key] = (buffer[key] ?? 0) + 1;
    return res;
  };
  Object.defineProperty(app, WRAPPED, { value: true });
}

// biome-ignore lint/correctness/noEmptyPattern: vitest parses the first argument as a fixture pattern; the file is the second.
afterAll(({}, file) => {
  file.meta.apiAnswers = { ...buffer };
  for (const key of Object.keys(buffer)) delete buffer[key];
});
