/**
 * The wire contract between the worker and a user's ActivityFeed object
 * (durable-objects/activity-feed.ts). Both sides import it from here: the worker builds the
 * connect request after it has authenticated the caller, the object reads it back.
 */

/** The user's feed object: one per user, addressed by name so every worker reaches the same one. */
export function feedOf(env: Env, userId: string) {
  return env.ACTIVITY_FEED.get(env.ACTIVITY_FEED.idFromName(userId));
}

/** The identity the worker vouches for; the object is reachable only through the worker's authenticated route. */
export interface FeedConnection {
  userId: string;
  /** Resume after this event id; absent means "only what happens from now on". */
  after?: number;
  /** When the token that opened the socket expires (epoch ms); the socket is closed after that. */
  expiresAt: number;
  /** The digest of that token (auth/revocation.ts `digestOf`): a logout closes exactly its sockets. */
  tokenDigest: string;
}

const CONNECT_HEADERS = {
  user: 'X-Feed-User',
  after: 'X-Feed-After',
  expiresAt: 'X-Feed-Expires-At',
  tokenDigest: 'X-Feed-Token-Digest',
} as const;

/** Builds the request the worker forwards to a user's feed once it has authenticated the caller. */
export function feedConnectRequest(connection: FeedConnection): Request {
  const headers = new Headers({ Upgrade: 'websocket', [CONNECT_HEADERS.user]: connection.userId });
  headers.set(CONNECT_HEADERS.expiresAt, String(connection.expiresAt));
  headers.set(CONNECT_HEADERS.tokenDigest, connection.tokenDigest);
  if (connection.after !== undefined) headers.set(CONNECT_HEADERS.after, String(connection.after));
  return new Request('https://activity-feed.internal/connect', { headers });
}

/** The object's side: the identity the worker forwarded, or undefined for anything else. */
export function readConnection(request: Request): FeedConnection | undefined {
  const userId = request.headers.get(CONNECT_HEADERS.user);
  const expiresAt = Number(request.headers.get(CONNECT_HEADERS.expiresAt));
  const afterHeader = request.headers.get(CONNECT_HEADERS.after);
  const after = afterHeader === null ? undefined : Number(afterHeader);
  const tokenDigest = request.headers.get(CONNECT_HEADERS.tokenDigest);
  if (!userId || !tokenDigest || !Number.isFinite(expiresAt) || (after !== undefined && !Number.isSafeInteger(after))) return undefined;
  return { userId, expiresAt, after, tokenDigest };
}
