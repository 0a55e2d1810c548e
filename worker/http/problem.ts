import type { Context } from 'hono';
import { accepts } from 'hono/accepts';
import { getCookie } from 'hono/cookie';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv } from '../app-env';
import { classifyD1Failure, D1_RETRY_AFTER_SECONDS } from '../db/d1-failure';
import { DependencyUnavailableError, ForbiddenError, ProblemError } from '../errors';
import { loadAssetManifest } from '../html/assets';
import { parseTheme, renderErrorDocument, THEME_COOKIE } from '../html/document';
import { log } from '../observability/log';
import { summarizeError } from '../observability/request-log';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  [extension: string]: unknown;
}

/** Renders an RFC 9457 problem document; `instance` is the request id so logs and clients meet. */
export function problemResponse(c: Context<AppEnv>, error: ProblemError): Response {
  const body: ProblemDocument = {
    ...error.extensions,
    type: error.type,
    title: error.title,
    status: error.status,
    detail: error.message,
    instance: c.get('requestId') ?? 'unknown',
  };
  // A fresh Response (not c.json) because onError's answer replaces c.res, headers and all.
  return new Response(JSON.stringify(body), {
    status: error.status,
    headers: {
      ...error.headers,
      'Content-Type': PROBLEM_CONTENT_TYPE,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'X-Request-Id': body.instance,
    },
  });
}

/**
 * Whether this error goes to a person's browser as a page: a 404 or 5xx outside /api/ whose
 * request prefers HTML (a navigation's `Accept: text/html,…`). Anything else, a bare wildcard
 * included, gets problem+json, so API clients and scripts see the contract's answer.
 */
export function wantsErrorPage(c: Context<AppEnv>, status: number): boolean {
  if (status !== 404 && status < 500) return false;
  if (c.req.path.startsWith('/api/')) return false;
  return (
    accepts(c, { header: 'Accept', supports: [PROBLEM_CONTENT_TYPE, 'application/json', 'text/html'], default: PROBLEM_CONTENT_TYPE }) ===
    'text/html'
  );
}

// The error page runs no script and loads only our stylesheet.
const ERROR_PAGE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * The answer to an error: an HTML page in the site's design for a browser (`wantsErrorPage`),
 * else the problem document. `pageDetail` replaces the detail on the page when the problem's is
 * written for programs. Both carry the request id, in the body and in X-Request-Id.
 */
export async function errorResponse(c: Context<AppEnv>, error: ProblemError, pageDetail?: string): Promise<Response> {
  if (!wantsErrorPage(c, error.status)) {
    const res = problemResponse(c, error);
    // The same URL answers HTML to a browser: caches must tell the two apart.
    if (error.status === 404 || error.status >= 500) res.headers.set('Vary', 'Accept');
    return res;
  }
  const requestId = c.get('requestId') ?? 'unknown';
  const html = renderErrorDocument(
    { status: error.status, title: error.title, detail: pageDetail ?? error.message, requestId },
    { assets: await loadAssetManifest(c.env), themeHint: parseTheme(getCookie(c, THEME_COOKIE)), title: `${error.title} · Foyer` },
  );
  return new Response(html, {
    status: error.status,
    headers: {
      ...error.headers,
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Security-Policy': ERROR_PAGE_CSP,
      'Referrer-Policy': 'strict-origin-when-cross-origin',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'X-Request-Id': requestId,
      Vary: 'Accept',
    },
  });
}

/**
 * The one place errors become responses. Anything that is not a ProblemError is an
 * internal failure: logged with its cause, answered as a bare 500 with no stack, SQL or secret.
 */
export function onError(err: Error, c: Context<AppEnv>): Promise<Response> {
  if (err instanceof ProblemError) return errorResponse(c, err);
  if (err instanceof HTTPException && err.status < 500) {
    return errorResponse(c, new HttpProblem(err.status, err.message || 'The request could not be processed.'));
  }
  const d1 = classifyD1Failure(err);
  if (d1 === 'unknown-owner') {
    // The token is valid but names a user D1 does not know; the batch was refused whole.
    const userId = c.get('principal')?.userId ?? 'unknown';
    return errorResponse(
      c,
      new ForbiddenError(
        `Your token names user "${userId}", who is not registered here; nothing was written. Ask an operator to create the account.`,
      ),
    );
  }
  // Messages can quote what failed (a statement, a header); summarizeError redacts credentials.
  const summary = summarizeError(err);
  if (d1 === 'unavailable') {
    // A dependency outage, not a bug: still level error (operators act on it), answered 503.
    log.error('database unavailable', { requestId: c.get('requestId'), route: c.req.routePath, ...summary });
    return errorResponse(c, new DependencyUnavailableError('database', D1_RETRY_AFTER_SECONDS));
  }
  log.error('unhandled error', { requestId: c.get('requestId'), route: c.req.routePath, ...summary });
  return errorResponse(c, new InternalError());
}

class InternalError extends ProblemError {
  readonly status = 500;
  readonly title = 'Internal error';
  constructor() {
    super('Something went wrong on our side. Retry later; if it persists, report the request id.');
  }
}

/** A client error raised by Hono itself (e.g. malformed JSON), carried over as a problem. */
class HttpProblem extends ProblemError {
  readonly title: string;
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(detail);
    this.title = STATUS_TITLES[status] ?? 'Bad request';
  }
}

/** RFC 9110 reason phrases, so a problem's title always matches its status. */
const STATUS_TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  408: 'Request timeout',
  409: 'Conflict',
  411: 'Length required',
  413: 'Payload too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  431: 'Request header fields too large',
};
