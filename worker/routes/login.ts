import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { csrf } from 'hono/csrf';
import { createMiddleware } from 'hono/factory';
import { users } from '../../drizzle/schema';
import { DEMO_USERS } from '../../drizzle/seed/demo-data';
import { USER_ID_PATTERN } from '../auth/principal';
import { loginEnabled, signOut, startSession } from '../auth/session';
import { replicaDb } from '../db/sessions';
import { NotFoundError, PayloadTooLargeError, ValidationError } from '../errors';
import { loadAssetManifest } from '../html/assets';
import { renderLoginDocument, SITE_DESCRIPTION } from '../html/document';
import { problemResponse } from '../http/problem';
import { htmlSecurityHeaders } from '../middleware/security-headers';
import type { PageEnv } from './page';

/**
 * `GET /login` lists the demo users, `POST /login` (form field `user`) signs one in by setting
 * the session cookie; local and dev environments with `DEMO_LOGIN = "on"` only. Elsewhere it
 * answers 404: people there arrive with a token from the identity provider (docs/web.md).
 * `POST /logout` clears the cookie and revokes its token everywhere (auth/revocation.ts).
 */
export const loginApp = new Hono<PageEnv>();

const DISABLED =
  'Sign-in through /login exists only in the local and dev environments with DEMO_LOGIN = "on"; elsewhere sign in with your identity provider.';

loginApp.get('/login', htmlSecurityHeaders(), async (c) => {
  if (!loginEnabled(c.env)) throw new NotFoundError(DISABLED);
  const assets = await loadAssetManifest(c.env);
  const message = c.req.query('error') === 'unknown-user' ? 'No such user here. Pick one of the demo users.' : undefined;
  return c.html(
    renderLoginDocument(DEMO_USERS, {
      nonce: c.get('secureHeadersNonce') ?? '',
      assets,
      title: 'Sign in · Foyer',
      description: SITE_DESCRIPTION,
      message,
    }),
    200,
    { 'Cache-Control': 'no-store' },
  );
});

/** The sign-in form is one short field; a bigger body is refused before it is read (or buffered). */
export const LOGIN_BODY_LIMIT_BYTES = 4 * 1024;

/** Where the demo sign-in is off, every request to it is the same 404, whatever its body. */
const demoLoginOnly = createMiddleware<PageEnv>(async function demoLoginOnly(c, next) {
  if (!loginEnabled(c.env)) throw new NotFoundError(DISABLED);
  await next();
});

// csrf(): a form POST from another origin is refused (403), so no site can sign you in or out.
loginApp.post(
  '/login',
  csrf(),
  demoLoginOnly,
  bodyLimit({
    maxSize: LOGIN_BODY_LIMIT_BYTES,
    onError: (c) =>
      problemResponse(
        c,
        new PayloadTooLargeError(`The sign-in form is limited to ${LOGIN_BODY_LIMIT_BYTES} bytes; send only the \`user\` field.`),
      ),
  }),
  async (c) => {
    // A malformed form (e.g. multipart without a boundary) makes the parser throw: a 400, not a 500.
    const body = await c.req.parseBody().catch(() => {
      throw new ValidationError(
        [{ path: 'body', message: 'not a valid form' }],
        'Send the form as application/x-www-form-urlencoded with a `user` field.',
      );
    });
    const userId = typeof body.user === 'string' ? body.user : '';
    const [user] = USER_ID_PATTERN.test(userId)
      ? await replicaDb(c.env).select({ id: users.id, role: users.role }).from(users).where(eq(users.id, userId)).limit(1)
      : [];
    if (!user) return c.redirect('/login?error=unknown-user', 303);
    await startSession(c, { userId: user.id, role: user.role });
    return c.redirect('/', 303);
  },
);

loginApp.post('/logout', csrf(), async (c) => {
  await signOut(c);
  return c.redirect(loginEnabled(c.env) ? '/login' : '/', 303);
});
