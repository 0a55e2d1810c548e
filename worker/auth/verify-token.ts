import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
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

/**
 * Verifies a compact JWT and returns the principal it names.
 * Keys come only from configuration: headers that point elsewhere (`jku`, `x5u`, embedded `jwk`)
 * are refused outright rather than ignored, so a forged token is visible as such in logs.
 */
export async function verifyToken(token: string, config: TokenConfig): Promise<Principal> {
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
    return { userId: claims.data.sub, role: claims.data.role };
  } catch (err) {
    if (err instanceof UnauthorizedError) throw err;
    if (err instanceof errors.JWTExpired) throw new UnauthorizedError('The token has expired; sign in again.');
    if (err instanceof errors.JOSEError) {
      throw new UnauthorizedError('The token is not valid for Foyer; sign in again or request a new token.', { cause: err });
    }
    throw err;
  }
}
