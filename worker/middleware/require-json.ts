import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env';
import { UnsupportedMediaTypeError } from '../errors';

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** Write routes take JSON only; anything else is a 415 before a byte of it is parsed. */
export const requireJson = createMiddleware<AppEnv>(async function requireJson(c, next) {
  if (WITH_BODY.has(c.req.method)) {
    const type = c.req.header('Content-Type')?.split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json' && !type?.endsWith('+json')) {
      throw new UnsupportedMediaTypeError('Send the body as JSON with `Content-Type: application/json`.');
    }
  }
  await next();
});
