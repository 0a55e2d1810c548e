import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { app } from '../../worker/app';
import { type D1Trace, guardD1 } from './d1-guard';

const BASE = 'http://foyer.test';

export interface CallOptions {
  /** Bindings to replace for this call (e.g. a failing DB). */
  env?: Partial<Env>;
  /** Wait for waitUntil work (after-write hooks, background refreshes) before returning. */
  settle?: boolean;
}

/** The D1 trace of the most recent `call`: round trips and the widest bind. */
export let lastD1Trace: D1Trace | undefined;

/**
 * Calls the worker's fetch handler with the real bindings, through every middleware, with no
 * server. D1 is wrapped so a statement binding over D1's 100-parameter limit fails here as in
 * production. Every error response in the suite is checked against the contract on the way:
 * RFC 9457 problem+json whose `status` equals the HTTP status, and no stack trace.
 */
export async function call(path: string, init: RequestInit = {}, options: CallOptions = {}): Promise<Response> {
  const guarded = guardD1(options.env?.DB ?? env.DB);
  lastD1Trace = guarded.trace;
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${BASE}${path}`, init), { ...env, ...options.env, DB: guarded.db } as Env, ctx);
  if (options.settle !== false) await waitOnExecutionContext(ctx);
  if (res.status >= 400) await expectProblem(res);
  return res;
}

export async function expectProblem(res: Response): Promise<void> {
  expect(res.headers.get('Content-Type'), `${res.status} must be problem+json`).toMatch(/^application\/problem\+json/);
  expect(res.headers.get('X-Request-Id')).toBeTruthy();
  const text = await res.clone().text();
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body).toMatchObject({ status: res.status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  expect(body.instance).toBe(res.headers.get('X-Request-Id'));
  expect(text).not.toMatch(/\bat .+\(.+:\d+:\d+\)|\.ts:\d+|SQLITE|D1_ERROR|select .+ from/i);
}

export function json(body: unknown, headers: Record<string, string> = {}, method = 'POST'): RequestInit {
  return { method, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
