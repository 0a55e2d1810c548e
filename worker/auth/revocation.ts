import { heldLru, LRU_ENTRY_BYTES, NUMBER_BYTES, stringBytes } from '../isolate';
import { errorMessage, log } from '../observability/log';

/**
 * Logged-out tokens. `POST /logout` puts the token's digest on a deny-list in KV, with a TTL
 * equal to the token's remaining life (it cannot be replayed after `exp` anyway), and in this
 * isolate's memory. Verification checks the list whenever it verifies a token afresh, which
 * every isolate does at least every few minutes (verify-token.ts); the isolate that handled
 * the logout refuses the token at once. Other isolates refuse it from their next fresh
 * verification: within VERIFIED_MAX_AGE_MS, bounded in docs/architecture.md.
 */

/** KV refuses expirationTtl under 60 s (https://developers.cloudflare.com/kv/api/write-key-value-pairs/). */
const KV_MIN_TTL_SECONDS = 60;
const KEY_PREFIX = 'revoked:';

/** Digest → when the token expires (ms); past that it needs no entry. */
const revokedHere = heldLru<string, number>('revocations', (digest) => LRU_ENTRY_BYTES + stringBytes(digest) + NUMBER_BYTES);

/** Names a token without holding it: the deny-list key, and the feed sockets' tag (worker/feed/protocol.ts). */
export async function digestOf(token: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));
  let hex = '';
  for (const b of bytes.subarray(0, 16)) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Refuses `token` from now on (until `expSeconds`, the token's `exp`). */
export async function revokeToken(kv: KVNamespace, token: string, expSeconds: number, now = Date.now()): Promise<void> {
  const digest = await digestOf(token);
  revokedHere.get().set(digest, expSeconds * 1000);
  const ttl = Math.max(KV_MIN_TTL_SECONDS, Math.ceil(expSeconds - now / 1000) + 60);
  await kv.put(`${KEY_PREFIX}${digest}`, '1', { expirationTtl: ttl });
}

/** Whether this isolate has seen `token` logged out (no I/O). */
export async function revokedInIsolate(token: string): Promise<boolean> {
  const seen = revokedHere.get();
  if (seen.size === 0) return false;
  return seen.peek(await digestOf(token)) !== undefined;
}

/**
 * Whether `token` is on the deny-list. A KV failure answers false: a logout must not turn a KV
 * outage into a sign-in outage for everyone (the failure is logged, and the cookie is gone anyway).
 */
export async function isRevoked(kv: KVNamespace | undefined, token: string): Promise<boolean> {
  const digest = await digestOf(token);
  if (revokedHere.get().peek(digest) !== undefined) return true;
  if (!kv) return false;
  try {
    return (await kv.get(`${KEY_PREFIX}${digest}`)) !== null;
  } catch (err) {
    log.warn('revocation check failed; accepting the token', { error: errorMessage(err) });
    return false;
  }
}

/** Forgets this isolate's memory of logouts (tests playing another isolate). */
export function forgetRevocationsInIsolate(): void {
  revokedHere.get().clear();
}
