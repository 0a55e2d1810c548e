import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { app } from '../../worker/app';

const BASE = 'http://foyer.test';

export type Vars = Partial<Pick<Env, 'RATE_LIMIT_REQUESTS' | 'RATE_LIMIT_WINDOW_SECONDS'>> &
  Partial<Pick<Env, 'RATE_LIMITER' | 'ANON_FLOOD'>>;

/**
 * Calls the real app (every middleware, real D1/KV/Durable Objects) with some variables
 * overridden, the way `.dev.vars` overrides wrangler.toml. Waits for background work
 * (`waitUntil`) so one call's lease prefetch has landed before the next call.
 */
export async function callWith(vars: Vars, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${BASE}${path}`, init), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** Parses `"read";r=19;t=3` into its parts. */
export function parseLimit(field: string | null): { policy: string; params: Record<string, number> } | undefined {
  if (!field) return undefined;
  const [name, ...params] = field.split(';');
  return {
    policy: JSON.parse(name ?? '""'),
    params: Object.fromEntries(params.map((p) => p.split('=')).map(([k, v]) => [k ?? '', Number(v)])),
  };
}
