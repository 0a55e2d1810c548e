/**
 * RFC 8725 §3.5: an HMAC key must have enough entropy to resist guessing. Outside `local`, the
 * worker refuses to serve with the committed example secret or one weaker than 32 random bytes
 * (256 bits); locally any 32 characters do, so a fresh clone runs with `.dev.vars.example`.
 */

/** The value committed in .dev.vars.example: public, so never a secret anywhere but a laptop. */
export const EXAMPLE_JWT_SECRET = 'foyer-local-development-secret-change-me-0123456789';

const REQUIRED_BITS = 256;

/** Bits per character of the narrowest alphabet the secret is written in (hex, base64, other). */
function bitsPerCharacter(secret: string): number {
  if (/^[0-9a-f]+$/i.test(secret)) return 4;
  if (/^[A-Za-z0-9+/_-]+=*$/.test(secret)) return 6;
  return 6.5;
}

/**
 * Why `secret` is not fit for a shared environment, or undefined when it is. An estimate from
 * its length and alphabet (`openssl rand -base64 32` passes; a word repeated does not).
 */
export function weakSecretReason(secret: string | undefined): string | undefined {
  if (!secret) return 'JWT_SECRET is not set';
  if (secret === EXAMPLE_JWT_SECRET || secret.includes('change-me')) return 'JWT_SECRET is the example value from .dev.vars.example';
  const distinct = new Set(secret).size;
  const bits = secret.length * bitsPerCharacter(secret);
  if (bits < REQUIRED_BITS || distinct < 12) {
    return `JWT_SECRET looks weaker than 32 random bytes (about ${Math.floor(bits)} bits from ${secret.length} characters, ${distinct} distinct)`;
  }
  return undefined;
}

/**
 * What is wrong with this environment's token configuration, or undefined. Local runs are
 * exempt; elsewhere an HMAC secret (used when no JWKS URL is set, and by /login) must be strong.
 */
export function unsafeTokenConfig(env: Pick<Env, 'ENVIRONMENT' | 'JWT_JWKS_URL'> & { JWT_SECRET?: string }): string | undefined {
  if (env.ENVIRONMENT === 'local') return undefined;
  if (env.JWT_JWKS_URL && !env.JWT_SECRET) return undefined;
  return weakSecretReason(env.JWT_SECRET);
}
