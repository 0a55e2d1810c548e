import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv } from '../app-env';
import { ProblemError } from '../errors';
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
    headers: { ...error.headers, 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store', 'X-Request-Id': body.instance },
  });
}

/**
 * The one place errors become responses. Anything that is not a ProblemError is an
 * internal failure: logged with its cause, answered as a bare 500 with no stack, SQL or secret.
 */
export function onError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof ProblemError) return problemResponse(c, err);
  if (err instanceof HTTPException && err.status < 500) {
    return problemResponse(c, new HttpProblem(err.status, err.message || 'The request could not be processed.'));
  }
  // Messages can quote what failed (a statement, a header); summarizeError redacts credentials.
  log.error('unhandled error', { requestId: c.get('requestId'), route: c.req.routePath, ...summarizeError(err) });
  return problemResponse(c, new InternalError());
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
    this.title = status === 413 ? 'Payload too large' : 'Bad request';
  }
}
