import { NONCE, secureHeaders } from 'hono/secure-headers';

/**
 * Security headers for server-rendered HTML: a strict CSP whose only script and style are
 * the inline ones carrying this request's nonce (`c.get('secureHeadersNonce')`), no
 * framing, no plugins, fetches to our own origin only.
 * https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Content-Security-Policy
 */
export const htmlSecurityHeaders = () =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: [NONCE],
      styleSrc: [NONCE],
      connectSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    referrerPolicy: 'same-origin',
  });
