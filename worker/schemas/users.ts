import { z } from '@hono/zod-openapi';
import { userIdSchema } from '../auth/principal';
import { localeSchema, timeZoneSchema } from './preferences';

/** `POST /api/v1/users`: an admin registers a user. */
export const registerUserSchema = z
  .object({
    id: userIdSchema,
    displayName: z.string().trim().min(1, 'a display name of 1-100 characters').max(100),
    email: z.email().max(254).optional(),
    timeZone: timeZoneSchema.optional(),
    locale: localeSchema.optional(),
  })
  .strict()
  .openapi('RegisterUser');

export const registeredUserSchema = z
  .object({
    id: z.string(),
    displayName: z.string(),
    email: z.string().nullable(),
    role: z.literal('user'),
    timeZone: z.string(),
    locale: z.string(),
    createdAt: z.iso.datetime(),
  })
  .openapi('RegisteredUser');

export type RegisterUser = z.infer<typeof registerUserSchema>;
export type RegisteredUser = z.infer<typeof registeredUserSchema>;
