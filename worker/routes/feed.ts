import { createRoute, z } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import { decodeJwt } from 'jose';
import type { AppEnv } from '../app-env';
import { userIdSchema } from '../auth/principal';
import { digestOf } from '../auth/revocation';
import { sessionCookieToken } from '../auth/session-cookie';
import { ForbiddenError, ServiceUnavailableError, UpgradeRequiredError, ValidationError } from '../errors';
import { feedConnectRequest, feedOf } from '../feed/protocol';
import { authenticated, createApi, problems } from '../http/openapi-app';
import { authenticate, tokenFrom } from '../middleware/authenticate';

export const feedQuerySchema = z.object({
  after: z.coerce
    .number()
    .int()
    .nonnegative()
    .optional()
    .openapi({ description: 'Resume after this event id: every later event is sent once, in order, before live ones.' }),
  userId: userIdSchema.optional().openapi({ description: 'Optional; when given it must be the caller: a feed is only ever its owner’s.' }),
});

/** Upgrades only: a plain GET learns how to connect instead of getting an opaque error. */
const requireUpgrade = createMiddleware<AppEnv>(async function requireUpgrade(c, next) {
  if (c.req.header('Upgrade')?.toLowerCase() !== 'websocket') {
    throw new UpgradeRequiredError('This is the live feed: open it as a WebSocket (Upgrade: websocket), e.g. new WebSocket(feedUrl).');
  }
  await next();
});

/**
 * Browsers send cookies with WebSocket handshakes from any site and the same-origin policy
 * does not apply to them, so the Origin header is the only defence against cross-site
 * WebSocket hijacking. Programs send no Origin and are unaffected.
 * https://owasp.org/www-community/attacks/Cross-Site_WebSocket_Hijacking
 */
const sameOriginOnly = createMiddleware<AppEnv>(async function sameOriginOnly(c, next) {
  const origin = c.req.header('Origin');
  if (origin !== undefined && origin !== new URL(c.req.url).origin) {
    throw new ForbiddenError(
      `Feed connections from another origin (${origin.slice(0, 100)}) are refused; open the feed from the Foyer page.`,
    );
  }
  await next();
});

const api = createApi();
api.use('*', requireUpgrade, sameOriginOnly, authenticate);

/** Chained, so the app's type carries every route for the `hc` client (AppType in worker/app.ts). */
export const feedApi = api.openapi(
  createRoute({
    method: 'get',
    path: '/',
    operationId: 'openFeed',
    tags: ['Feed'],
    summary: "The caller's live activity feed (WebSocket)",
    description:
      'Upgrade to a WebSocket. The server sends `{"type":"ready","lastEventId":n}`, then `{"type":"event","event":{…}}` for every event after `after` and every new one, each once and in id order. Send `{"type":"ping"}` to keep alive, `{"type":"sync"}` to recheck.',
    security: authenticated,
    request: { query: feedQuerySchema },
    responses: {
      101: { description: 'Switching Protocols: the feed socket' },
      ...problems(400, 401, 403, 426, 429, 503),
    },
  }),
  async (c) => {
    const { after, userId } = c.req.valid('query');
    const principal = c.get('principal');
    if (userId !== undefined && userId !== principal.userId) {
      throw new ForbiddenError('A feed can be opened only by its owner; connect without userId to open your own.');
    }
    const token = tokenFrom(c.req.header('Authorization'), sessionCookieToken(c))!;
    const expiresAt = (decodeJwt(token).exp ?? 0) * 1000;
    const tokenDigest = await digestOf(token);
    let res: Response;
    try {
      res = await feedOf(c.env, principal.userId).fetch(feedConnectRequest({ userId: principal.userId, after, expiresAt, tokenDigest }));
    } catch (err) {
      throw new ServiceUnavailableError('The live feed is unavailable right now; reconnect with ?after=<last event id> in a few seconds.', {
        cause: err,
      });
    }
    if (res.status === 101) return res;
    if (res.status === 400) {
      const { detail } = await res.json<{ detail: string }>().catch(() => ({ detail: 'after is not a valid event id' }));
      throw new ValidationError([{ path: 'query.after', message: detail }]);
    }
    throw new ServiceUnavailableError('The live feed is unavailable right now; reconnect with ?after=<last event id> in a few seconds.');
  },
);
