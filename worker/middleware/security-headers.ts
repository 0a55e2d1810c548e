import type { MiddlewareHandler } from 'hono';
import { NONCE, secureHeaders } from 'hono/secure-headers';

/**
 * Security headers for the HTML routes (/, /login, /docs): a Content-Security-Policy with a
 * fresh nonce per request (`c.get('secureHeadersNonce')`), so no inline script runs without
 * it; scripts otherwise come only from our own origin (Workers Static Assets).
 * https://developers.cloudflare.com/workers/examples/security-headers/
 */
export function htmlSecurityHeaders(options: { allowInlineStyles?: boolean; styleNonce?: boolean } = {}): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: [NONCE, "'self'"],
      // Swagger UI writes style attributes; our own page needs none.
      // The admin dashboard inlines its one stylesheet with the nonce (`styleNonce`).
      styleSrc: options.allowInlineStyles ? ["'self'", "'unsafe-inline'"] : options.styleNonce ? [NONCE, "'self'"] : ["'self'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      // 'self' covers ws:/wss: to the same host for the live feed (CSP Level 3).
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    referrerPolicy: 'strict-origin-when-cross-origin',
    xFrameOptions: 'DENY',
    permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [] },
  });
}

/** The Hono variables the middleware above sets. */
export type NonceVariables = { secureHeadersNonce?: string };
