import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { DependencyUnavailableError, UnauthorizedError } from '../errors';
import { held, heldLru, LRU_ENTRY_BYTES, NUMBER_BYTES, objectBytes, stringBytes } from '../isolate';
import { claimsSchema, type Principal } from './principal';
import { isRevoked } from './revocation';

/** RFC 8725 §3.1: accept only the algorithms we issue; never let the token choose. */
export const HMAC_ALGORITHMS = ['HS256'];
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];
export const CLOCK_TOLERANCE_SECONDS = 30;
/** RFC 8725 §3.10: bound what is parsed at all. A Foyer token is about 300 bytes; a big IdP token under 2 KB. */
export const MAX_TOKEN_BYTES = 8 * 1024;
/**
 * The longest a token may live (from `iat`), and the furthest its `exp` may be: a /login session
 * lasts 8 h and load-test tokens 4 h, so a day leaves room and still refuses a token "valid for
 * 100 years" (a leaked one would otherwise never die).
 */
export const MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;
/** `typ` values a JWT access token may carry (RFC 7519 §5.1, RFC 9068 §2.1), compared without `application/`. */
const ACCEPTED_TYPES = new Set(['jwt', 'at+jwt']);

/** How long a JWKS fetch may take (`JWKS_TIMEOUT_MS` overrides it) before the key set counts as down. */
export const DEFAULT_JWKS_TIMEOUT_MS = 3_000;
/** A key-set outage answers 503 with this `Retry-After`: jose refetches at most every 30 s (its cooldown). */
export const JWKS_RETRY_AFTER_SECONDS = 30;

/**
 * `CACHE`, when given, is where logged-out tokens are listed (auth/revocation.ts).
 * `JWKS_TIMEOUT_MS` is optional (in `[vars]` or `.dev.vars`); unset means DEFAULT_JWKS_TIMEOUT_MS.
 */
type TokenConfig = Pick<Env, 'JWT_ISSUER' | 'JWT_AUDIENCE' | 'JWT_JWKS_URL'> & {
  JWT_SECRET?: string;
  CACHE?: KVNamespace;
  JWKS_TIMEOUT_MS?: string;
};

// One remote key set per URL (and timeout) and isolate: jose caches the fetched keys and rate-limits refetches.
const remoteKeySets = held('jwksKeySets', () => new Map<string, JWTVerifyGetKey>());

function jwksTimeoutMs(config: TokenConfig): number {
  const value = Number(config.JWKS_TIMEOUT_MS);
  return config.JWKS_TIMEOUT_MS && Number.isInteger(value) && value > 0 ? value : DEFAULT_JWKS_TIMEOUT_MS;
}

/**
 * The key set's own failures (the fetch failed or timed out, answered other than 200, or sent
 * no key set) are the identity provider's outage, not the caller's fault: 503, never 401. What
 * the token can be blamed for (no key with its `kid`, an algorithm the set lacks) stays a 401.
 */
function isKeySetOutage(err: unknown): boolean {
  if (!(err instanceof errors.JOSEError)) return true;
  return err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || err.code === errors.JOSEError.code;
}

function remoteKeySet(url: string, timeoutDuration: number): JWTVerifyGetKey {
  const keySet = createRemoteJWKSet(new URL(url), { cooldownDuration: 30_000, timeoutDuration });
  return async (header, token) => {
    try {
      return await keySet(header, token);
    } catch (err) {
      if (!isKeySetOutage(err)) throw err;
      throw new DependencyUnavailableError("identity provider's key set (JWKS)", JWKS_RETRY_AFTER_SECONDS, { cause: err });
    }
  };
}

function keyFor(config: TokenConfig): { key: Uint8Array | JWTVerifyGetKey; algorithms: string[] } {
  if (config.JWT_JWKS_URL) {
    const timeout = jwksTimeoutMs(config);
    const id = `${config.JWT_JWKS_URL}\n${timeout}`;
    let keySet = remoteKeySets.get().get(id);
    if (!keySet) {
      keySet = remoteKeySet(config.JWT_JWKS_URL, timeout);
      remoteKeySets.get().set(id, keySet);
    }
    return { key: keySet, algorithms: ASYMMETRIC_ALGORITHMS };
  }
  if (!config.JWT_SECRET || config.JWT_SECRET.length < 32) {
    throw new Error('JWT_SECRET is missing or shorter than 32 characters; set it in .dev.vars or as a secret.');
  }
  return { key: new TextEncoder().encode(config.JWT_SECRET), algorithms: HMAC_ALGORITHMS };
}

/**
 * A verified token is trusted from memory for at most this long (and never past its `exp`),
 * so a key removed from the JWKS stops being honoured within minutes without a refetch per request.
 */
const VERIFIED_MAX_AGE_MS = 5 * 60_000;

interface Verified {
  principal: Principal;
  /** Which configuration verified it: another secret, issuer or key set must verify again. */
  config: string;
  /** Past this (ms) the token is expired, tolerance included: verify again, and fail. */
  expiresAt: number;
  /** When this entry stops being trusted without a fresh verification. */
  recheckAt: number;
}

/** Tokens this isolate has verified (all callers together), within their byte budget; the least recently used go first. */
const verified = heldLru<string, Verified>(
  'verifiedTokens',
  (token, v) =>
    LRU_ENTRY_BYTES +
    stringBytes(token) +
    objectBytes(4) +
    3 * NUMBER_BYTES +
    stringBytes(v.config) +
    objectBytes(Object.keys(v.principal).length) +
    stringBytes(JSON.stringify(v.principal)),
);

const configId = (config: TokenConfig) => `${config.JWT_ISSUER}\n${config.JWT_AUDIENCE}\n${config.JWT_JWKS_URL}\n${config.JWT_SECRET}`;

/** Forgets the verified tokens and fetched key sets (tests that need only this part of a fresh isolate). */
export function resetTokenMemory(): void {
  verified.get().clear();
  remoteKeySets.get().clear();
}

/** Forgets one token (it was logged out here: the next use verifies afresh, and is refused). */
export function forgetVerifiedToken(token: string): void {
  verified.get().delete(token);
}

/**
 * Verifies a compact JWT and returns the principal it names, from memory when this isolate
 * has verified the very same token text before. A token's text includes its signature, so the
 * same text verified with the same configuration gives the same answer; only time changes it,
 * and `exp` is checked again on every use. A browser sends its session token with every
 * request, and each HMAC verification (key import, signature, claims) was a measurable part
 * of a warm page's CPU. Failures are never remembered: they verify again each time.
 */
export async function verifyToken(token: string, config: TokenConfig, now = Date.now()): Promise<Principal> {
  if (token.length > MAX_TOKEN_BYTES) throw new UnauthorizedError(`Tokens are limited to ${MAX_TOKEN_BYTES} bytes; this one is longer.`);
  const id = configId(config);
  // get, not peek + set: it makes the entry the most recently used (the busiest tokens stay)
  // without working out its size again, which a set does (a JSON.stringify per request).
  const tokens = verified.get();
  const known = tokens.get(token);
  if (known && known.config === id && now < known.expiresAt && now < known.recheckAt) return known.principal;
  const { principal, exp } = await verifySignedToken(token, config);
  if (await isRevoked(config.CACHE, token)) throw new UnauthorizedError('This session was signed out; sign in again.');
  tokens.delete(token);
  tokens.set(token, {
    principal,
    config: id,
    expiresAt: (exp + CLOCK_TOLERANCE_SECONDS) * 1000,
    recheckAt: now + VERIFIED_MAX_AGE_MS,
  });
  return principal;
}

/**
 * Verifies a compact JWT and returns the principal it names.
 * Keys come only from configuration: headers that point elsewhere (`jku`, `x5u`, embedded `jwk`)
 * are refused outright rather than ignored, so a forged token is visible as such in logs.
 */
async function verifySignedToken(token: string, config: TokenConfig): Promise<{ principal: Principal; exp: number }> {
  const { key, algorithms } = keyFor(config);
  try {
    const { payload, protectedHeader } = await jwtVerify(token, key as Uint8Array, {
      algorithms,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      requiredClaims: ['exp', 'sub'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      // Requires `iat`, refuses one in the future (beyond the tolerance) or older than this.
      maxTokenAge: MAX_TOKEN_LIFETIME_SECONDS,
    });
    if ('jku' in protectedHeader || 'x5u' in protectedHeader || 'jwk' in protectedHeader) {
      throw new UnauthorizedError('Tokens may not name their own key (jku, x5u or jwk header).');
    }
    // RFC 8725 §3.11: where the issuer sets `typ`, it must say this is a JWT access token.
    if (
      protectedHeader.typ !== undefined &&
      !ACCEPTED_TYPES.has(
        String(protectedHeader.typ)
          .toLowerCase()
          .replace(/^application\//, ''),
      )
    ) {
      throw new UnauthorizedError(`Tokens of type "${String(protectedHeader.typ).slice(0, 32)}" are not access tokens.`);
    }
    const exp = payload.exp as number;
    if (exp - (payload.iat as number) > MAX_TOKEN_LIFETIME_SECONDS) {
      throw new UnauthorizedError(`Tokens may live at most ${MAX_TOKEN_LIFETIME_SECONDS / 3600} h; request a new one.`);
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new UnauthorizedError('The token is missing a valid `sub` or `role` claim.');
    // requiredClaims made jose check that exp is present and a number.
    return { principal: { userId: claims.data.sub, role: claims.data.role }, exp };
  } catch (err) {
    if (err instanceof UnauthorizedError) throw err;
    if (err instanceof errors.JWTExpired) throw new UnauthorizedError('The token has expired; sign in again.');
    if (err instanceof errors.JOSEError) {
      throw new UnauthorizedError('The token is not valid for Foyer; sign in again or request a new token.', { cause: err });
    }
    throw err;
  }
}
