import type { Principal } from '../auth/principal';

/**
 * The partition a request is counted in: the verified user, else the client address.
 *
 * The address comes from `CF-Connecting-IP` only. Cloudflare sets that header at the edge and
 * overwrites any value a client sends (https://developers.cloudflare.com/fundamentals/reference/http-headers/),
 * whereas `X-Forwarded-For` / `X-Real-IP` are whatever the client wrote, so trusting them would
 * let anyone pick a fresh budget per request.
 *
 * IPv6 clients are counted per /64: one subscriber or host usually owns a whole /64, so
 * per-address keys would hand an attacker 2^64 budgets.
 *
 * @example
 * partitionKey({ userId: 'alice', role: 'user' }, '203.0.113.7') // 'user:alice'
 * partitionKey(undefined, '2001:db8:1:2:3:4:5:6')                // 'ip6:2001:db8:1:2::/64'
 */
export function partitionKey(principal: Principal | undefined, connectingIp: string | undefined): string {
  if (principal) return `user:${principal.userId}`;
  return addressKey(connectingIp);
}

/** The address part alone (used by classes keyed by IP even for signed-in callers). */
export function addressKey(connectingIp: string | undefined): string {
  const ip = (connectingIp?.trim() ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return `ip:${ip}`;
  const prefix = ipv6Prefix64(ip);
  if (prefix) return `ip6:${prefix}::/64`;
  // No usable address (local tools and tests call without one): one shared budget.
  return 'ip:unknown';
}

/** The first four groups of an IPv6 address, normalised (lowercase, no leading zeros). */
function ipv6Prefix64(ip: string): string | undefined {
  if (!ip.includes(':') || !/^[0-9a-fA-F:.]+$/.test(ip) || ip.length > 45) return undefined;
  const halves = ip.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) fills two groups.
  const groupsIn = (parts: string[]) => parts.reduce((n, p) => n + (p.includes('.') ? 2 : 1), 0);
  const missing = 8 - groupsIn(head) - groupsIn(tail);
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  const first = groups.slice(0, 4);
  if (first.length < 4 || first.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return first.map((g) => Number.parseInt(g, 16).toString(16)).join(':');
}

/**
 * How many RateLimiter objects the principals are spread over. One object per principal would
 * be called about once per lease, so nearly every call would meet an object that had gone idle
 * and been evicted: a cold start (and, locally, opening its SQLite file) on the one request in
 * ten that waits for a lease. Spread over a fixed set, the objects stay warm, and none is a hot
 * spot: with leases of up to 10 tokens, 64 objects at a few hundred calls a second each cover
 * well over a hundred thousand requests a second. Changing the number moves principals to other
 * objects, which forget their counts (a fresh bucket is a full one): change it only with care.
 */
export const LIMITER_SHARDS = 64;

/** The object that holds the buckets of this partition key (FNV-1a over the key). */
export function limiterShard(key: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `rate-limit-shard:${hash % LIMITER_SHARDS}`;
}
