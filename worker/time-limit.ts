/**
 * Bounds on waiting. In Workers a promise belongs to the request that started its I/O; if that
 * request is cancelled the promise may never settle, and a dependency can simply be slow. Every
 * wait on another object, KV or shared work goes through one of these.
 */

/** `promise`, or a rejection with `timeoutError()` after `ms`, whichever comes first. */
export function withTimeout<T>(promise: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Waits for `promise` to settle, or `ms`, whichever is first; never throws. */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  await withTimeout(promise, ms, () => new Error('timed out')).catch(() => undefined);
}
