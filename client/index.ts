/**
 * Foyer's typed API client: Hono's `hc` over the worker's own route types, so every /api/v1
 * call is checked against the zod schemas that validate it (bodies, params, query, headers)
 * and every answer is typed by status, problem documents included. Build with
 * `npm run build:client` (client/dist: ESM + declarations), or import this file from a
 * TypeScript project that can see the repository.
 *
 * @example
 * ```ts
 * import { createFoyerClient } from 'foyer/client';
 * const foyer = createFoyerClient('https://foyer.example.com', { token });
 * const res = await foyer.tasks.$post({ json: { title: 'Water the plants', priority: 'high' } });
 * if (res.status === 201) console.log((await res.json()).task.id);
 * else console.error((await res.json()).detail); // 400, 401, 413, 415, 429: problem+json
 * ```
 */
import { hc } from 'hono/client';
import type { AppType } from '../worker/app';

export type { InferRequestType, InferResponseType } from 'hono/client';
export type { AppType };

export interface FoyerClientOptions {
  /** A bearer JWT (`npm run token -- --sub alice` locally). Omit it in a browser that has the session cookie. */
  token?: string;
  /** Extra headers on every request (e.g. `traceparent`). */
  headers?: Record<string, string>;
  /** The fetch to use: a test's `app.request`, a service binding's `fetch`, or a wrapped one. */
  fetch?: typeof fetch;
}

/** The /api/v1 routes of a Foyer deployment at `baseUrl` (no trailing `/api/v1`). */
export function createFoyerClient(baseUrl: string, options: FoyerClientOptions = {}) {
  const headers = {
    Accept: 'application/json',
    ...options.headers,
    ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
  };
  return hc<AppType>(baseUrl, { headers, ...(options.fetch ? { fetch: options.fetch } : {}) }).api.v1;
}

export type FoyerClient = ReturnType<typeof createFoyerClient>;
