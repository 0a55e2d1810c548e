import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppEnv } from '../app-env';
import { endSession, readSession } from '../auth/session';
import { sessionCookieToken } from '../auth/session-cookie';
import { ProblemError } from '../errors';
import { loadAssetManifest } from '../html/assets';
import {
  parseTheme,
  renderPageFailure,
  renderPageMain,
  renderPageShell,
  renderWholePage,
  SITE_DESCRIPTION,
  THEME_COOKIE,
} from '../html/document';
import { htmlSecurityHeaders, type NonceVariables } from '../middleware/security-headers';
import { errorMessage, log } from '../observability/log';
import { assembleFromIsolate, assembleIntroPage, introPageInput } from '../services/intro-page';

export type PageEnv = { Bindings: Env; Variables: AppEnv['Variables'] & NonceVariables };

/**
 * `GET /`: the signed-in user's intro page, server-rendered with Preact and streamed in two
 * chunks. The shell (head with the stylesheet and module preload, header, skeletons) leaves
 * before any section is read, so the browser fetches assets and paints while the worker waits
 * on KV/D1; the sections follow in the second chunk with the data the islands hydrate from.
 */
export const pageApp = new Hono<PageEnv>();

pageApp.get('/', htmlSecurityHeaders(), async (c) => {
  const viewer = await readSession(c);
  if (!viewer) {
    if (sessionCookieToken(c)) endSession(c);
    return c.redirect('/login', 302);
  }
  const assets = await loadAssetManifest(c.env);
  const nonce = c.get('secureHeadersNonce') ?? '';
  const headers = {
    'Content-Type': 'text/html; charset=utf-8',
    // Personal data: never stored by shared caches nor reused from the browser's back/forward cache key.
    'Cache-Control': 'private, no-store',
    Vary: 'Cookie',
  };
  const documentOptions = {
    nonce,
    assets,
    themeHint: parseTheme(getCookie(c, THEME_COOKIE)),
    title: 'Foyer',
    description: SITE_DESCRIPTION,
  };
  const input = introPageInput(c, viewer.userId);

  // Everything in this isolate's memory: no section is slow, so the page goes whole, without skeletons.
  const warm = assembleFromIsolate(input);
  if (warm) {
    // The saved theme is known already: paint with it rather than the cookie's hint.
    const themeHint = warm.page.sections.personalization?.theme ?? documentOptions.themeHint;
    return c.body(renderWholePage(viewer, { page: warm.page, viewer }, { ...documentOptions, themeHint }), 200, headers);
  }

  const encoder = new TextEncoder();
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const shell = renderPageShell(viewer, documentOptions);

  // Read the sections while the shell is on its way, not after.
  const main = assembleIntroPage(input).then(
    ({ page }) => renderPageMain({ page, viewer }, { nonce, assets }),
    (err: unknown) => {
      log.error('intro page failed', { requestId: c.get('requestId'), userId: viewer.userId, error: errorMessage(err) });
      return renderPageFailure(
        err instanceof ProblemError && err.status === 404
          ? 'Your account no longer exists. Sign out and sign in again.'
          : 'Something went wrong on our side. Try again in a moment.',
      );
    },
  );
  // No waitUntil: the runtime keeps the request alive while its response body is being
  // written; a waitUntil would only hold the isolate for a reader who already left.
  void (async () => {
    try {
      await writer.write(encoder.encode(shell));
      await writer.write(encoder.encode(await main));
      await writer.close();
    } catch (err) {
      // The browser went away mid-stream; nothing is left to tell it.
      await writer.abort(err).catch(() => {});
    }
  })();

  return c.body(readable, 200, headers);
});
