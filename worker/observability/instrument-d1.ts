import { metrics } from './metrics';

const TIMED = new Set(['all', 'run', 'first', 'raw']);
/** Wrapped statement → the real one: `D1Database.batch` accepts only statements it made. */
const originals = new WeakMap<object, D1PreparedStatement>();
const instrumented = new WeakSet<object>();

async function timed<T>(kind: 'query' | 'batch', run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  let failed = false;
  try {
    return await run();
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    metrics.d1Query(kind, (performance.now() - started) / 1000, failed);
  }
}

function wrapStatement(stmt: D1PreparedStatement): D1PreparedStatement {
  const wrapped = new Proxy(stmt, {
    get(target, prop) {
      // Native methods must run with the real statement as `this`.
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'bind') return (...args: unknown[]) => wrapStatement(target.bind(...args));
      if (typeof prop === 'string' && TIMED.has(prop)) {
        return (...args: unknown[]) => timed('query', () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  originals.set(wrapped, stmt);
  return wrapped;
}

/**
 * A D1 binding that feeds foyer_d1_query_duration_seconds and foyer_d1_query_errors_total:
 * every statement run and every batch is one timed round trip. Behaviour is otherwise the
 * binding's own; `createDb` wraps with it so every drizzle query is counted. A D1 session
 * (worker/db/sessions.ts) is wrapped the same way; its `getBookmark` passes straight through.
 */
export function instrumentD1<T extends D1Database | D1DatabaseSession>(db: T): T {
  if (instrumented.has(db)) return db;
  const wrapped = new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'prepare') return (query: string) => wrapStatement(target.prepare(query));
      if (prop === 'batch') {
        return (statements: D1PreparedStatement[]) => timed('batch', () => target.batch(statements.map((s) => originals.get(s) ?? s)));
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  instrumented.add(wrapped);
  return wrapped;
}
