import { Hono } from 'hono';
import { htmlSecurityHeaders } from '../middleware/security-headers';
import type { PageEnv } from './page';

const VENDOR = '/vendor/swagger-ui-dist';

/**
 * The API explorer over /api/v1/openapi.json: Swagger UI's own page markup (as @hono/swagger-ui
 * writes it, without the package's option renderer, which the bundle paid 2 KiB for to print one
 * option). swagger-ui-dist is served from our own static assets under /vendor
 * (scripts/build-web.ts copies it), so /docs works offline; its one inline start-up script
 * carries the request's CSP nonce.
 */
export const docsApp = new Hono<PageEnv>();

docsApp.get('/', htmlSecurityHeaders({ allowInlineStyles: true }), (c) => {
  const nonce = c.get('secureHeadersNonce') ?? '';
  return c.html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Foyer API</title></head><body><div><div id="swagger-ui"></div><link rel="stylesheet" href="${VENDOR}/swagger-ui.css" /><script src="${VENDOR}/swagger-ui-bundle.js" crossorigin="anonymous" nonce="${nonce}"></script><script nonce="${nonce}">window.onload = () => { window.ui = SwaggerUIBundle({ dom_id: '#swagger-ui', url: '/api/v1/openapi.json' }) }</script></div></body></html>`,
  );
});
