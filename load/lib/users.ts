/**
 * The simulated users: seeded ids with real tokens, signed exactly as `npm run token` does
 * (HS256 with JWT_SECRET, issuer and audience from the worker's own variables).
 */
import { signToken } from '../../worker/auth/sign-token';

export interface LoadUser {
  id: string;
  token: string;
  /** `Authorization` header value. */
  auth: string;
}

export const generatedUserId = (index: number): string => `user-${String(index).padStart(5, '0')}`;

export async function signUsers(ids: string[], vars: Record<string, string>, ttlSeconds = 4 * 3600): Promise<LoadUser[]> {
  if (!vars.JWT_SECRET) {
    throw new Error('JWT_SECRET is not set: copy .dev.vars.example to .dev.vars (npm start does this), or pass --var JWT_SECRET=...');
  }
  const options = { secret: vars.JWT_SECRET, issuer: vars.JWT_ISSUER ?? 'foyer-local', audience: vars.JWT_AUDIENCE ?? 'foyer', ttlSeconds };
  return Promise.all(
    ids.map(async (id) => {
      const token = await signToken({ userId: id, role: id === 'ops' ? 'admin' : 'user' }, options);
      return { id, token, auth: `Bearer ${token}` };
    }),
  );
}

/** The first `count` generated users (they exist whenever SEED_USERS ≥ count). */
export const generatedUserIds = (count: number): string[] => Array.from({ length: count }, (_, i) => generatedUserId(i + 1));

/** A cheap deterministic PRNG so request mixes repeat between runs: the seed's own. */
export { rng as prng } from '../../drizzle/seed/demo-data';
