import { freshIsolate } from './isolate';

/**
 * Forgets what this isolate has learned across requests, as if the next request landed in a
 * fresh isolate: every cache lives in the one IsolateMemory (worker/isolate), and this swaps it
 * for an empty one. For tests. Metric points and cache counters not yet reported are left alone.
 */
export function resetIsolateState(): void {
  freshIsolate();
}
