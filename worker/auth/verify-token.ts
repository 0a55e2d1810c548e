import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { Lru } from '../cache/lru';
import { UnauthorizedError } from '../errors';
import { claimsSchema, type Principal } from './principal';

/** RFC 8725 §3.1: accept only the algorithms we issue; never let the token choose. */
export const HMAC_ALGORITHMS = ['HS256'];
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];
export const CLOCK_TOLERANCE_SECONDS = 30;

type TokenConfig = Pick<Env, 'JWT_ISSUER' | 'JWT_AUDIENCE' | 'JWT_JWKS_URL'> & { JWT_SECRET?: string };

// One remote key set per URL and isolate: jose caches the fetched keys and rate-limits refetches.
const remoteKeySets = new Map<string, JWTVerifyGetKey>();

function keyFor(config: TokenConfig): { key: Uint8Array | JWTVerifyGetKey; algorithms: string[] } {
  if (config.JWT_JWKS_URL) {
    let keySet = remoteKeySets.get(config.JWT_JWKS_URL);
    if (!keySet) {
      keySet = createRemoteJWKSet(new URL(config.JWT_JWKS_URL), { cooldownDuration: 30_000 });
      remoteKeySets.set(config.JWT_JWKS_URL, keySet);
    }
    return { key: keySet, algorithms: ASYMMETRIC_ALGORITHMS };
  }
  if (!config.JWT_SECRET || config.JWT_SECRET.length < 32) {
    throw new Error('JWT_SECRET is missing or shorter than 32 characters; set it in .dev.vars or as a secret.');
  }
  return { key: new TextEncoder().encode(config.JWT_SECRET), algorithms: HMAC_ALGORITHMS };
}

/** Tokens this isolate has verified (all callers together); the least recently used go first. */
const VERIFIED_CAPACITY = 10_000;
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

const verified = new Lru<string, Verified>(VERIFIED_CAPACITY);

const configId = (config: TokenConfig) => `${config.JWT_ISSUER}\n${config.JWT_AUDIENCE}\n${config.JWT_JWKS_URL}\n${config.JWT_SECRET}`;

/** Forgets the verified tokens and fetched key sets (a fresh isolate; see worker/isolate-state.ts). */
export function resetTokenMemory(): void {
  verified.clear();
  remoteKeySets.clear();
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
  const id = configId(config);
  const known = verified.peek(token);
  if (known && known.config === id && now < known.expiresAt && now < known.recheckAt) {
    verified.set(token, known); // most recently used: the busiest tokens stay
    return known.principal;
  }
  const { principal, exp } = await verifySignedToken(token, config);
  verified.set(token, {
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
    });
    if ('jku' in protectedHeader || 'x5u' in protectedHeader || 'jwk' in protectedHeader) {
      throw new UnauthorizedError('Tokens may not name their own key (jku, x5u or jwk header).');
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new UnauthorizedError('The token is missing a valid `sub` or `role` claim.');
    // requiredClaims made jose check that exp is present and a number.
    return { principal: { userId: claims.data.sub, role: claims.data.role }, exp: payload.exp as number };
  } catch (err) {
    if (err instanceof UnauthorizedError) throw err;
    if (err instanceof errors.JWTExpired) throw new UnauthorizedError('The token has expired; sign in again.');
    if (err instanceof errors.JOSEError) {
      throw new UnauthorizedError('The token is not valid for Foyer; sign in again or request a new token.', { cause: err });
    }
    throw err;
  }
}
