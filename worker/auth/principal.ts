import { z } from '@hono/zod-openapi';
import { ROLES } from '../../drizzle/schema';
import { USER_ID_MESSAGE, USER_ID_PATTERN } from './user-id';

export { USER_ID_MESSAGE, USER_ID_PATTERN };
export const userIdSchema = z.string().regex(USER_ID_PATTERN, USER_ID_MESSAGE).openapi({ example: 'alice' });

/** The claims Foyer reads from a verified token; anything else in the token is ignored. */
export const claimsSchema = z.object({
  sub: userIdSchema,
  role: z.enum(ROLES).default('user'),
});

export type Principal = { userId: string; role: z.infer<typeof claimsSchema>['role'] };

export function canAccessUser(principal: Principal, userId: string): boolean {
  return principal.role === 'admin' || principal.userId === userId;
}
