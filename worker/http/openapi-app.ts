import { OpenAPIHono, z } from '@hono/zod-openapi';
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

/**
 * RFC 9457 problem document, as every error answers (worker/http/problem.ts). Typed here so the
 * `hc` client sees each route's error answers too; extension members (`errors` on 400,
 * `violated-policies` on 429) pass through.
 */
export const problemSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().openapi({ description: 'The request id, also in X-Request-Id.' }),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: '400 only: each invalid field, its path starting with the part of the request (json., param., query.).' }),
  })
  .openapi('Problem');

const PROBLEM_DESCRIPTIONS = {
  400: 'Invalid input; `errors` lists each field',
  401: 'Missing or invalid token',
  403: 'Not allowed for this principal',
  404: 'Unknown resource',
  409: 'Already exists; nothing was written',
  413: 'Body too large',
  415: 'Body is not application/json',
  426: 'Not a WebSocket upgrade',
  429: 'Rate limited; see Retry-After',
  500: 'Unexpected failure; a write that fails changes nothing. `instance` finds the request in the logs',
  503: 'A dependency is down and there is nothing to serve; a write whose database is unavailable changed nothing (retry after `Retry-After`)',
} as const;

export type ProblemStatus = keyof typeof PROBLEM_DESCRIPTIONS;

type ProblemResponses<S extends ProblemStatus> = {
  [K in S]: { description: string; content: { 'application/problem+json': { schema: typeof problemSchema } } };
};

/** The error responses a route can give, for the OpenAPI document and the typed client alike. */
export function problems<const S extends ProblemStatus[]>(...statuses: S): ProblemResponses<S[number]> {
  return Object.fromEntries(
    statuses.map((s) => [s, { description: PROBLEM_DESCRIPTIONS[s], content: { 'application/problem+json': { schema: problemSchema } } }]),
  ) as ProblemResponses<S[number]>;
}

/** An OpenAPI JSON body (request or response) with the given schema. */
export const jsonContent = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });

/** Either credential works: a bearer token (programs) or the session cookie (the browser page). */
export const authenticated: Record<string, string[]>[] = [{ bearerAuth: [] }, { sessionCookie: [] }];

/** No credential needed or read: an empty list says so explicitly (OpenAPI 3.1 §4.8.10, Security Requirement). */
export const publicAccess: Record<string, string[]>[] = [];

/**
 * Anyone may call; a credential, when sent, adds what its holder may see. The empty requirement
 * `{}` is OpenAPI's way to make the others optional, so the explorer still sends a token it has.
 */
export const optionallyAuthenticated: Record<string, string[]>[] = [{}, ...authenticated];
