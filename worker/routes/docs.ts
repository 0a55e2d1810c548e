import { SwaggerUI } from '@hono/swagger-ui';
import { Hono } from 'hono';
import { htmlSecurityHeaders } from '../middleware/security-headers';
import type { PageEnv } from './page';

/**
 * The API explorer over /api/v1/openapi.json. swagger-ui-dist is served from our own static
 * assets under /vendor (scripts/build-web.ts copies it), so /docs works offline; its one inline
 * start-up script carries the request's CSP nonce.
 */
export const docsApp = new Hono<PageEnv>();

docsApp.get('/', htmlSecurityHeaders({ allowInlineStyles: true }), (c) => {
  const nonce = c.get('secureHeadersNonce') ?? '';
  const explorer = SwaggerUI({ url: '/api/v1/openapi.json', baseUrl: '/vendor' }).replaceAll('<script', `<script nonce="${nonce}"`);
  return c.html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Foyer API</title></head><body>${explorer}</body></html>`,
  );
});
