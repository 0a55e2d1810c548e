import { env } from 'cloudflare:workers';

/** Bindings that fail the way an outage does, for the health and logging tests. */
export const failing = {
  d1: (message = 'simulated D1 outage') =>
    ({
      prepare() {
        throw new Error(message);
      },
      batch() {
        return Promise.reject(new Error(message));
      },
      // A session of a database that is down is down too.
      withSession() {
        return this;
      },
    }) as unknown as D1Database,
  kv: (message = 'simulated KV outage') =>
    ({
      get: () => Promise.reject(new Error(message)),
      put: () => Promise.reject(new Error(message)),
      delete: () => Promise.reject(new Error(message)),
      list: () => Promise.reject(new Error(message)),
    }) as unknown as KVNamespace,
  /** A Durable Object namespace whose objects reject (or never answer, with `hang`). */
  objects: <T>(mode: 'reject' | 'hang' = 'reject') =>
    ({
      idFromName: (name: string) => ({ name }),
      get: () => ({
        ping: () => (mode === 'hang' ? new Promise(() => {}) : Promise.reject(new Error('simulated object outage'))),
        fetch: () => Promise.reject(new Error('simulated object outage')),
        ingest: () => Promise.reject(new Error('simulated object outage')),
      }),
    }) as unknown as T,
};

/** The real env with some bindings swapped. */
export function envWith(overrides: Partial<Env>): Env {
  return { ...env, ...overrides } as Env;
}
