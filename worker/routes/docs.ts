import { Hono } from 'hono';
import { htmlSecurityHeaders } from '../middleware/security-headers';
import type { PageEnv } from './page';

const VENDOR = '/vendor/swagger-ui-dist';

/**
 * Swagger UI plugins for what its markup leaves out (axe, WCAG 2.1 AA): landmarks around the
 * title block and the server and authorize controls (only the operations sit in its <main>), a
 * heading between the title (h1) and the tags (h3), and a name for the servers <select>, whose
 * <label> is empty. Its `wrapComponents` hook keeps the vendor's code as shipped. What it renders
 * only when an operation or the Authorize dialog opens has no hook, so an observer names it as it
 * appears: the body editor, the example blocks (scrollable, so focusable), each responses region,
 * the dialog's close button, heading levels and submit button.
 */
const START = `window.onload = () => {
  const wrap = (tag, attributes, extra) => (Original, system) => (props) => {
    const h = system.React.createElement;
    return h(tag, attributes, extra ? h(extra.tag, extra.attributes, extra.text) : null, h(Original, props));
  };
  const accessible = () => ({
    wrapComponents: {
      InfoContainer: wrap('div', { role: 'banner' }),
      ServersContainer: wrap('div', {
        role: 'region',
        'aria-label': 'Server',
        ref: (el) => el?.querySelector('select')?.setAttribute('aria-label', 'Server'),
      }),
      AuthorizeBtnContainer: wrap('div', { role: 'region', 'aria-label': 'Authorization' }),
      operations: wrap('div', null, { tag: 'h2', attributes: { className: 'foyer-sr-only' }, text: 'Operations' }),
    },
  });
  const name = (selector, label) => {
    for (const el of document.querySelectorAll(selector)) if (!el.hasAttribute('aria-label')) el.setAttribute('aria-label', label(el));
  };
  const repair = () => {
    name('textarea.body-param__text', () => 'Request body');
    name('.close-modal', () => 'Close');
    name('.responses-table[role="region"]', (el) => 'Responses of ' + (el.closest('.opblock')?.querySelector('.opblock-summary-method')?.textContent ?? '') + ' ' + (el.closest('.opblock')?.querySelector('.opblock-summary-path')?.textContent ?? ''));
    for (const el of document.querySelectorAll('.highlight-code > pre:not([tabindex])')) el.tabIndex = 0;
    // The dialog sits before the operations' h2, so its h3 and h4 follow the h1: one level up each.
    for (const el of document.querySelectorAll('.modal-ux :is(h3, h4, h5, h6):not([aria-level])')) el.setAttribute('aria-level', String(Number(el.tagName[1]) - 1));
    // "Apply credentials" hides the visible "Authorize" from speech input (WCAG 2.5.3).
    for (const el of document.querySelectorAll('.auth-btn-wrapper .authorize[aria-label]')) el.removeAttribute('aria-label');
  };
  new MutationObserver(repair).observe(document.getElementById('swagger-ui'), { childList: true, subtree: true });
  window.ui = SwaggerUIBundle({ dom_id: '#swagger-ui', url: '/api/v1/openapi.json', plugins: [accessible] });
};`;

/**
 * The API explorer over /api/v1/openapi.json: Swagger UI's own page markup (as @hono/swagger-ui
 * writes it, without the package's option renderer, which the bundle paid 2 KiB for to print one
 * option), with our colour overrides after its stylesheet and the plugins above.
 * swagger-ui-dist is served from our own static assets under /vendor (scripts/build-web.ts copies
 * it), so /docs works offline; its one inline start-up script carries the request's CSP nonce.
 */
export const docsApp = new Hono<PageEnv>();

docsApp.get('/', htmlSecurityHeaders({ allowInlineStyles: true }), (c) => {
  const nonce = c.get('secureHeadersNonce') ?? '';
  return c.html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Foyer API</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${VENDOR}/swagger-ui.css" /><link rel="stylesheet" href="/vendor/docs-explorer.css" /></head><body><div id="swagger-ui"></div><script src="${VENDOR}/swagger-ui-bundle.js" crossorigin="anonymous" nonce="${nonce}"></script><script nonce="${nonce}">${START}</script></body></html>`,
  );
});
