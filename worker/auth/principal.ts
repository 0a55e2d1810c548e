import { z } from '@hono/zod-openapi';
import { ROLES } from '../../drizzle/schema';

export const USER_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** What a bad user id is told (the schema's message, also used where it is checked without zod). */
export const USER_ID_MESSAGE = 'a user id is 1-64 lowercase letters, digits, "-" or "_"';
export const userIdSchema = z.string().regex(USER_ID_PATTERN, USER_ID_MESSAGE);

/** The claims Foyer reads from a verified token; anything else in the token is ignored. */
export const claimsSchema = z.object({
  sub: userIdSchema,
  role: z.enum(ROLES).default('user'),
});

export type Principal = { userId: string; role: z.infer<typeof claimsSchema>['role'] };

export function canAccessUser(principal: Principal, userId: string): boolean {
  return principal.role === 'admin' || principal.userId === userId;
}
