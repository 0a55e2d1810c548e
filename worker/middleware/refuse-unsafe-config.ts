import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env';
import { unsafeTokenConfig } from '../auth/secret-policy';
import { ServiceUnavailableError } from '../errors';

/** Environments already judged (the runtime hands an isolate the same env object each request). */
const judged = new WeakMap<object, string | undefined>();

class MisconfiguredError extends ServiceUnavailableError {}

/**
 * A Worker has no start-up hook that can refuse to start, so the first thing every request
 * does is this check (once per env object): with an unsafe token configuration the worker
 * answers 503 to everything, and logs what to fix, rather than accept forgeable tokens.
 *
 * @example
 * app.use(refuseUnsafeConfig);
 */
// Not `async`: it hands back next()'s promise instead of awaiting it in a frame of its own (an
// async wrapper per request for a check that is decided once per env object).
export const refuseUnsafeConfig = createMiddleware<AppEnv>(function refuseUnsafeConfig(c, next) {
  let problem = judged.get(c.env);
  if (!judged.has(c.env)) {
    problem = unsafeTokenConfig(c.env);
    judged.set(c.env, problem);
  }
  if (problem) {
    console.error(
      JSON.stringify({
        level: 'error',
        msg: 'refusing to serve: unsafe token configuration',
        environment: c.env.ENVIRONMENT,
        problem,
        fix: 'Set a new secret: `openssl rand -base64 32 | npx wrangler secret put JWT_SECRET --env <env>` (docs/deployment.md).',
      }),
    );
    throw new MisconfiguredError('The server is misconfigured and refuses to serve until an operator fixes it.');
  }
  return next();
});
