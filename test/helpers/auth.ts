import { env } from 'cloudflare:workers';
import type { Principal } from '../../worker/auth/principal';
import { signToken } from '../../worker/auth/sign-token';

export function tokenFor(userId: string, role: Principal['role'] = 'user', ttlSeconds = 3600): Promise<string> {
  return signToken({ userId, role }, { secret: env.JWT_SECRET, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE, ttlSeconds });
}

export async function authHeaders(userId: string, role: Principal['role'] = 'user'): Promise<Record<string, string>> {
  return { Authorization: `Bearer ${await tokenFor(userId, role)}` };
}
