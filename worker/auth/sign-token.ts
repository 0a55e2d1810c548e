import { SignJWT } from 'jose';
import type { Principal } from './principal';

export interface SignOptions {
  secret: string;
  issuer: string;
  audience: string;
  ttlSeconds?: number;
}

/** Issues the HS256 tokens the local runtime accepts (`npm run token`, `/login`, tests). */
export async function signToken(principal: Principal, options: SignOptions): Promise<string> {
  return new SignJWT({ role: principal.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(principal.userId)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds ?? 3600}s`)
    .sign(new TextEncoder().encode(options.secret));
}
