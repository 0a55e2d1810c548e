import { D1_MAX_BOUND_PARAMETERS } from '../../drizzle/seed/statements';

export interface D1Trace {
  /** Every SQL text prepared, in order. */
  statements: string[];
  /** Round trips to D1: each batch, run, all, first or raw call counts once. */
  roundTrips: number;
  maxBound: number;
}

/**
 * Wraps a real D1 binding: everything still runs against D1, but a statement that binds more
 * than D1's limit throws here as it would in production (local SQLite would accept it), and
 * each round trip is counted. `fail` makes every call reject, to simulate D1 being down.
 */
export function guardD1(db: D1Database, options: { fail?: () => boolean } = {}): { db: D1Database; trace: D1Trace } {
  const trace: D1Trace = { statements: [], roundTrips: 0, maxBound: 0 };
  const down = () => {
    if (options.fail?.()) throw new Error('D1_ERROR: simulated outage');
  };
  const wrapStatement = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop, receiver) {
        if (prop === 'bind') {
          return (...values: unknown[]) => {
            trace.maxBound = Math.max(trace.maxBound, values.length);
            if (values.length > D1_MAX_BOUND_PARAMETERS) {
              throw new Error(`statement binds ${values.length} parameters; D1 allows ${D1_MAX_BOUND_PARAMETERS}: ${sql.slice(0, 80)}`);
            }
            return wrapStatement(target.bind(...values), sql);
          };
        }
        if (prop === 'run' || prop === 'all' || prop === 'first' || prop === 'raw') {
          return async (...args: unknown[]) => {
            trace.roundTrips++;
            down();
            return (target[prop] as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    rawOf.set(proxy, stmt);
    return proxy;
  };
  // A D1 session (worker/db/sessions.ts) is guarded like the binding it came from.
  const guard = <T extends D1Database | D1DatabaseSession>(d1: T): T =>
    new Proxy(d1, {
      get(target, prop) {
        if (prop === 'withSession') return (constraint?: string) => guard((target as D1Database).withSession(constraint));
        if (prop === 'prepare') {
          return (sql: string) => {
            trace.statements.push(sql);
            return wrapStatement(target.prepare(sql), sql);
          };
        }
        if (prop === 'batch') {
          return async (statements: D1PreparedStatement[]) => {
            trace.roundTrips++;
            down();
            return target.batch(statements.map((s) => rawOf.get(s) ?? s));
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  return { db: guard(db), trace };
}

const rawOf = new WeakMap<object, D1PreparedStatement>();
