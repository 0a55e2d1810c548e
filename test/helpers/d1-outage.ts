/**
 * The real D1 binding, made unavailable the way D1 reports an outage: `prepare` and `bind`
 * still work (they do no I/O), and every round trip (`run`, `all`, `first`, `raw`, `batch`,
 * `exec`) rejects with one of D1's own messages for a database it cannot serve
 * (https://developers.cloudflare.com/d1/observability/debug-d1/#error-list). `slowMs` instead
 * delays each round trip, then lets it through: D1 answering past the time budget.
 */
const UNWRAP = Symbol('unwrap');

export const D1_OUTAGE_MESSAGES = {
  locked: 'D1_ERROR: database is locked: SQLITE_BUSY',
  network: 'D1_ERROR: Network connection lost.',
  overloaded: 'D1 DB is overloaded. Requests queued for too long.',
  reset: 'D1_ERROR: Internal error while starting up D1 DB storage caused object to be reset.',
} as const;

export interface D1Switch {
  db: D1Database;
  /** undefined: healthy; a message: every round trip fails with it. */
  failWith?: string;
  /** Delay added to every round trip, ms. */
  slowMs?: number;
  /** Round trips attempted so far. */
  roundTrips: number;
}

export function switchableD1(real: D1Database): D1Switch {
  const control: D1Switch = { db: real, roundTrips: 0 };
  const gate = async () => {
    control.roundTrips++;
    if (control.slowMs) await scheduler.wait(control.slowMs);
    if (control.failWith) throw new Error(control.failWith);
  };
  const wrapStatement = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        if (prop === UNWRAP) return target;
        if (prop === 'bind') return (...values: unknown[]) => wrapStatement(target.bind(...values));
        if (prop === 'run' || prop === 'all' || prop === 'first' || prop === 'raw') {
          return async (...args: unknown[]) => {
            await gate();
            return (target[prop] as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  // A D1 session (worker/db/sessions.ts) fails and slows down with the binding it came from.
  const switchable = <T extends D1Database | D1DatabaseSession>(d1: T): T =>
    new Proxy(d1, {
      get(target, prop) {
        if (prop === 'withSession') return (constraint?: string) => switchable((target as D1Database).withSession(constraint));
        if (prop === 'prepare') {
          return (sql: string) => {
            return wrapStatement(target.prepare(sql));
          };
        }
        if (prop === 'batch') {
          return async (statements: D1PreparedStatement[]) => {
            await gate();
            // Bound statements were re-wrapped on bind; unwrap to what D1 accepts.
            return target.batch(statements.map((s) => unwrap(s)));
          };
        }
        if (prop === 'exec') {
          return async (sql: string) => {
            await gate();
            return (target as D1Database).exec(sql);
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  control.db = switchable(real);
  return control;
}

/** D1's batch reads internal slots of its statements, which a Proxy does not carry: hand it the target. */
function unwrap(stmt: D1PreparedStatement): D1PreparedStatement {
  return (stmt as unknown as Record<symbol, D1PreparedStatement | undefined>)[UNWRAP] ?? stmt;
}
