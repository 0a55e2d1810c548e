import { renderToString } from 'preact-render-to-string';
import { ErrorPage, type ErrorPageProps } from '../../web/components/error-page';
import { IntroPage, LoadingShell } from '../../web/components/intro-page';
import { type DemoUser, LoginPage } from '../../web/components/login-page';
import { SiteHeader } from '../../web/components/site-header';
import { PAGE_DATA_ID, type PageData, THEME_CHOICES, type Theme } from '../../web/page-data';
import type { Principal } from '../auth/principal';
import { heldLru, LRU_ENTRY_BYTES, objectBytes, stringBytes } from '../isolate';
import type { AssetManifest } from './assets';

export interface DocumentOptions {
  nonce: string;
  assets: AssetManifest | null;
  /** The theme to paint before the data arrives (from the `foyer_theme` cookie), else the system's. */
  themeHint?: Theme;
  title: string;
  /** `<meta name="description">`: what search results and link previews show for a public page. */
  description?: string;
}

/** The description of Foyer's public pages (`/`, `/login`). */
export const SITE_DESCRIPTION = 'Foyer: your tasks, your recent activity and your settings on one page.';

/** The cookie the page sets when the theme changes: a hint so the streamed shell is painted right. */
export const THEME_COOKIE = 'foyer_theme';

export function parseTheme(value: string | undefined): Theme | undefined {
  return THEME_CHOICES.find((t) => t === value);
}

const ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/**
 * JSON that is safe inside `<script type="application/json">`: no `<` can close the element or
 * open a comment, whatever strings (task titles…) the data holds. JSON.parse restores them.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => ESCAPES[ch]!);
}

function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** `preload`: the page runs the app script (the error page does not, so it does not fetch it). */
function head({ nonce, assets, themeHint, title, description }: DocumentOptions, preload = true): string {
  return (
    `<!doctype html><html lang="en" data-theme="${themeHint ?? 'system'}"><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<meta name="color-scheme" content="light dark">' +
    // An empty icon: browsers otherwise request /favicon.ico, which the worker would answer 404.
    '<link rel="icon" href="data:,">' +
    `<title>${attr(title)}</title>` +
    (description ? `<meta name="description" content="${attr(description)}">` : '') +
    (assets ? `<link rel="stylesheet" href="${attr(assets.style)}">` : '') +
    (assets && preload ? `<link rel="modulepreload" href="${attr(assets.script)}" nonce="${attr(nonce)}">` : '') +
    '</head><body><a class="skip-link" href="#main">Skip to main content</a>'
  );
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// The skeletons are the same for everyone: rendered once per isolate.
let loadingShell: string | undefined;
/** Each viewer's header, rendered once (bounded by bytes; re-rendering is cheap). */
const headers = heldLru<string, string>('renderedHeaders', (key, html) => LRU_ENTRY_BYTES + stringBytes(key) + stringBytes(html));

/** Head and site header: what every page of the viewer starts with. */
export function renderPageHead(viewer: Principal, options: DocumentOptions): string {
  const key = `${viewer.userId}|${viewer.role}`;
  // peek: the hot path pays no recency bookkeeping; the oldest rendered header goes first.
  const rendered = headers.get();
  let header = rendered.peek(key);
  if (header === undefined) {
    header = renderToString(<SiteHeader viewer={viewer} />);
    rendered.set(key, header);
  }
  return head(options) + header;
}

/** The first chunk of `/`: head, header and section skeletons; sent before any data is read. */
export function renderPageShell(viewer: Principal, options: DocumentOptions): string {
  loadingShell ??= renderToString(<LoadingShell />);
  return renderPageHead(viewer, options) + loadingShell;
}

/**
 * The sections and the embedded data, per viewer, with the page object they were rendered from.
 * Assembly hands out the same page object while a user's fragments stay the same
 * (services/intro-page.ts), so a warm page is rendered once, not on every request: rendering was
 * most of GET /'s CPU. Only the nonce differs per request, and it is added after. Kept as UTF-8
 * bytes only (about 20 KB a page): encoding the string into a response body on every request
 * would repeat the same work per request, and holding the string as well doubles the memory.
 * Bounded by bytes (worker/isolate/budget.ts); the page object it holds is normally the one the page
 * cache holds, so only the markup is counted here.
 */
const renderedMain = heldLru<string, { page: PageData['page']; bytes: Uint8Array<ArrayBuffer> }>(
  'renderedPages',
  (viewer, main) => LRU_ENTRY_BYTES + stringBytes(viewer) + objectBytes(2) + main.bytes.byteLength,
);

function mainOf(data: PageData): Uint8Array<ArrayBuffer> {
  const viewer = `${data.viewer.userId}|${data.viewer.role}`;
  // peek: the hot path pays no recency bookkeeping; the oldest rendering goes first.
  const mains = renderedMain.get();
  const known = mains.peek(viewer);
  if (known?.page === data.page) return known.bytes;
  const html =
    renderToString(<IntroPage data={data} />) + `<script type="application/json" id="${PAGE_DATA_ID}">${jsonForScript(data)}</script>`;
  const bytes = encoder.encode(html);
  mains.set(viewer, { page: data.page, bytes });
  return bytes;
}

function pageEnd({ nonce, assets }: Pick<DocumentOptions, 'nonce' | 'assets'>): string {
  return (assets ? `<script type="module" src="${attr(assets.script)}" nonce="${attr(nonce)}"></script>` : '') + '</body></html>';
}

/** The second chunk: the sections, the embedded data, the hydration script. */
export function renderPageMain(data: PageData, options: Pick<DocumentOptions, 'nonce' | 'assets'>): string {
  // The streamed path (data arrived after the head went out): decoding here is cheaper than keeping a second copy.
  return decoder.decode(mainOf(data)) + pageEnd(options);
}

/** A whole page (head, header, sections, data, script) as bytes, for a page whose data is at hand. */
export function renderWholePage(viewer: Principal, data: PageData, options: DocumentOptions): Uint8Array<ArrayBuffer> {
  const main = mainOf(data);
  const head = encoder.encode(renderPageHead(viewer, options));
  const end = encoder.encode(pageEnd(options));
  const out = new Uint8Array(head.length + main.length + end.length);
  out.set(head, 0);
  out.set(main, head.length);
  out.set(end, head.length + main.length);
  return out;
}

/** The second chunk when the page could not be assembled at all. */
export function renderPageFailure(message: string): string {
  return `${renderToString(
    <main id="main" class="page" tabIndex={-1}>
      <div class="page-head">
        <h1>Your page is unavailable</h1>
      </div>
      <p class="notice notice-error" role="alert">
        {message}
      </p>
      <p>
        <a href="/">Try again</a>
      </p>
    </main>,
  )}</body></html>`;
}

export function renderLoginDocument(users: readonly DemoUser[], options: DocumentOptions & { message?: string }): string {
  return `${head(options) + renderToString(<LoginPage users={users} message={options.message} />)}</body></html>`;
}

/** A whole error page (404, 5xx) for a browser; no script, so it needs no nonce. */
export function renderErrorDocument(error: ErrorPageProps, options: Omit<DocumentOptions, 'nonce'>): string {
  return `${head({ ...options, nonce: '' }, false) + renderToString(<ErrorPage {...error} />)}</body></html>`;
}
