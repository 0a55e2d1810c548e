import { OpenAPIHono } from '@hono/zod-openapi';
import type { z } from 'zod';
import type { AppEnv } from '../app-env';
import { type FieldError, ValidationError } from '../errors';

export function fieldErrors(error: z.ZodError, target: string): FieldError[] {
  return error.issues.map((issue) => ({
    path: [target, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

/**
 * Every resource sub-app is one of these: routes are declared with zod schemas that both
 * validate requests and feed /api/v1/openapi.json, and a failed validation becomes a 400
 * problem document listing each field.
 */
export function createApi() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw new ValidationError(fieldErrors(result.error as z.ZodError, result.target));
    },
  });
}

export const problemContent = {
  'application/problem+json': {
    schema: {
      type: 'object',
      required: ['type', 'title', 'status', 'detail', 'instance'],
      properties: {
        type: { type: 'string' },
        title: { type: 'string' },
        status: { type: 'integer' },
        detail: { type: 'string' },
        instance: { type: 'string' },
      },
    },
  },
} as const;

/** The error responses most routes share, for the OpenAPI document. */
export function problems(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: 'Invalid input; `errors` lists each field',
    401: 'Missing or invalid token',
    403: 'Not allowed for this principal',
    404: 'Unknown resource',
    413: 'Body too large',
    415: 'Body is not application/json',
    429: 'Rate limited; see Retry-After',
    500: 'Unexpected failure; a write that fails changes nothing. `instance` finds the request in the logs',
    503: 'A dependency is down and there is nothing to serve',
  };
  return Object.fromEntries(statuses.map((s) => [s, { description: descriptions[s] ?? 'Error', content: problemContent }]));
}

/** Either credential works: a bearer token (programs) or the session cookie (the browser page). */
export const authenticated: Record<string, string[]>[] = [{ bearerAuth: [] }, { sessionCookie: [] }];
