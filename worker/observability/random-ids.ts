/**
 * Random ids for every request (the request id, the trace and span ids), from a pool of random
 * bytes drawn in one call to the runtime's random source per 2 KiB: one call per id
 * (`crypto.randomUUID`, `getRandomValues`) cost more than the id itself, together ~3 % of a warm
 * page's CPU in a profile. The bytes are the same CSPRNG's, and each is used once.
 */
const pool = new Uint8Array(2048);
let next = pool.length;

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Where the next `count` unused bytes of the pool start (it is refilled when they run out). */
function take(count: number): number {
  if (next + count > pool.length) {
    crypto.getRandomValues(pool);
    next = 0;
  }
  const at = next;
  next += count;
  return at;
}

function hex(from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) out += HEX[pool[i] as number];
  return out;
}

/** `count` random bytes as lowercase hex (2 × count characters). */
export function randomHex(count: number): string {
  const at = take(count);
  return hex(at, at + count);
}

/** A random (version 4) UUID, as `crypto.randomUUID()` makes it (RFC 9562 §5.4). */
export function randomUuid(): string {
  const at = take(16);
  pool[at + 6] = ((pool[at + 6] as number) & 0x0f) | 0x40;
  pool[at + 8] = ((pool[at + 8] as number) & 0x3f) | 0x80;
  return `${hex(at, at + 4)}-${hex(at + 4, at + 6)}-${hex(at + 6, at + 8)}-${hex(at + 8, at + 10)}-${hex(at + 10, at + 16)}`;
}
