import { switchableD1 } from './d1-outage';

/**
 * Real bindings that can be switched to fail the way their dependency does: `down` rejects
 * every call, `slow` delays every call past the worker's time budgets (then lets it through,
 * so nothing is left hanging after the test). Switching back to `up` is the recovery.
 */
export type Mode = 'up' | 'down' | 'slow';
export const SLOW_MS = 2_500;

export interface Breakable<T> {
  binding: T;
  mode: Mode;
}

async function gate(state: { mode: Mode }, what: string): Promise<void> {
  if (state.mode === 'slow') await scheduler.wait(SLOW_MS);
  if (state.mode === 'down') throw new Error(`${what} is unavailable (fault injection)`);
}

export function breakableKv(real: KVNamespace): Breakable<KVNamespace> {
  const state: Breakable<KVNamespace> = { binding: real, mode: 'up' };
  state.binding = new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await gate(state, 'KV');
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return state;
}

/** A Durable Object namespace whose stubs' RPC calls and fetches fail or stall; ids pass through. */
export function breakableObjects<T extends DurableObjectNamespace>(real: T, name: string): Breakable<T> {
  const state: Breakable<T> = { binding: real, mode: 'up' };
  state.binding = new Proxy(real, {
    get(target, prop) {
      if (prop === 'get' || prop === 'getByName') {
        return (...args: unknown[]) => {
          const stub = Reflect.apply(Reflect.get(target, prop) as (...a: unknown[]) => object, target, args);
          return new Proxy(stub, {
            get(s, method) {
              const value = Reflect.get(s, method);
              if (typeof value !== 'function' || method === 'then') return value;
              return async (...callArgs: unknown[]) => {
                await gate(state, name);
                // Reflect.apply: an RPC method is a stub, and `.apply` on it would be sent to the object.
                return Reflect.apply(value as (...a: unknown[]) => unknown, s, callArgs);
              };
            },
          });
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as T;
  return state;
}

export function breakableD1(real: D1Database): Breakable<D1Database> & { roundTrips(): number } {
  const control = switchableD1(real);
  const state = {
    binding: control.db,
    get mode(): Mode {
      return control.failWith ? 'down' : control.slowMs ? 'slow' : 'up';
    },
    set mode(mode: Mode) {
      control.failWith = mode === 'down' ? 'D1_ERROR: Network connection lost.' : undefined;
      control.slowMs = mode === 'slow' ? SLOW_MS : 0;
    },
    roundTrips: () => control.roundTrips,
  };
  return state;
}

/** The events queue: `down` makes `send` and `sendBatch` reject as an unreachable queue does. */
export function breakableQueue(real: Queue): Breakable<Queue> {
  const state: Breakable<Queue> = { binding: real, mode: 'up' };
  state.binding = new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await gate(state, 'The events queue');
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return state;
}
