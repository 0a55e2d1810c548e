import { z } from '@hono/zod-openapi';
import { userIdSchema } from '../auth/principal';

/** A flag key: lowercase, starts with a letter, 2–64 characters (the contract's pattern). */
export const FLAG_KEY_PATTERN = /^[a-z][a-z0-9-]{1,63}$/;
export const flagKeySchema = z
  .string()
  .regex(FLAG_KEY_PATTERN, 'a flag key is 2-64 characters: a lowercase letter, then lowercase letters, digits or "-"')
  .openapi({ example: 'focus-card' });

/** Lists of named users; 1000 ids keep one flag well under KV's 25 MiB value limit and the request body limit. */
const userListSchema = z.array(userIdSchema).max(1000);

/** What an operator sends to create or change a flag (`PUT /admin/flags/{key}`). */
export const flagInputSchema = z
  .object({
    description: z.string().max(500).default(''),
    enabled: z.boolean(),
    rollout: z
      .number()
      .int()
      .min(0)
      .max(100)
      .openapi({ description: 'Percentage of users on (0–100), by a stable hash of key and user id.' }),
    allow: userListSchema.default([]).openapi({ description: 'Users always on while the flag is enabled (unless denied).' }),
    deny: userListSchema.default([]).openapi({ description: 'Users always off; beats the allow list.' }),
  })
  .strict()
  .openapi('FeatureFlagInput');

/** The rule an isolate evaluates: everything but the bookkeeping. */
export const flagRuleSchema = z.object({
  key: flagKeySchema,
  enabled: z.boolean(),
  rollout: z.number().int().min(0).max(100),
  allow: z.array(z.string()),
  deny: z.array(z.string()),
});

export const flagSchema = flagRuleSchema
  .extend({
    description: z.string(),
    updatedAt: z.iso.datetime(),
    updatedBy: z.string(),
  })
  .openapi('FeatureFlag');

/** What KV holds under one key and every isolate keeps a copy of. */
export const flagSnapshotSchema = z.object({
  /** Raised in D1 with every change: a higher version is always the newer flag set. */
  version: z.number().int().min(0),
  flags: z.array(flagRuleSchema),
});

export type FlagInput = z.infer<typeof flagInputSchema>;
export type FlagRule = z.infer<typeof flagRuleSchema>;
export type Flag = z.infer<typeof flagSchema>;
export type FlagSnapshot = z.infer<typeof flagSnapshotSchema>;
/** A user's answers, by flag key: what the intro page carries as `flags`. */
export type FlagValues = Record<string, boolean>;

/** No flags at all: what an isolate evaluates from when neither KV nor D1 could be read. */
export const EMPTY_SNAPSHOT: FlagSnapshot = Object.freeze({ version: 0, flags: [] });
