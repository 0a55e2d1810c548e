/**
 * Domain errors. Code below the HTTP edge throws these; `problemResponse` in
 * worker/http/problem.ts turns them into RFC 9457 problem+json in one place.
 */
export interface FieldError {
  /** Dotted path of the offending field, e.g. `body.title` or `param.userId`. */
  path: string;
  message: string;
}

export abstract class ProblemError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
  /** Extra members placed on the problem document (RFC 9457 §3.2). */
  extensions: Record<string, unknown> = {};
  headers: Record<string, string> = {};
  constructor(detail: string, options?: ErrorOptions) {
    super(detail, options);
    // The bundler suffixes a class name that clashes with a library's (esbuild renamed a
    // ConflictError to ConflictError2 beside zod-to-openapi's); logs show the source name.
    this.name = new.target.name.replace(/\d+$/, '');
  }
  /** The problem type URI; a stable, documented slug under /problems. */
  get type(): string {
    return `https://foyer.dev/problems/${this.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  }
}

export class ValidationError extends ProblemError {
  readonly status = 400;
  readonly title = 'Invalid request';
  constructor(
    readonly errors: FieldError[],
    detail = 'The request has invalid fields; see `errors` for each one and fix them before retrying.',
  ) {
    super(detail);
    this.extensions = { errors };
  }
}

export class UnauthorizedError extends ProblemError {
  readonly status = 401;
  readonly title = 'Unauthorized';
  override headers = { 'WWW-Authenticate': 'Bearer realm="foyer"' };
}

export class ForbiddenError extends ProblemError {
  readonly status = 403;
  readonly title = 'Forbidden';
}

export class NotFoundError extends ProblemError {
  readonly status = 404;
  readonly title = 'Not found';
}

/** The resource already exists (a user id or email taken); nothing was written. */
export class ConflictError extends ProblemError {
  readonly status = 409;
  readonly title = 'Conflict';
}

/** A per-user limit would be passed (the open-task cap); `limit` names it, and nothing was written. */
export class LimitReachedError extends ConflictError {
  constructor(detail: string, limit: number) {
    super(detail);
    this.extensions = { limit };
  }
}

export class MethodNotAllowedError extends ProblemError {
  readonly status = 405;
  readonly title = 'Method not allowed';
  constructor(allowed: string[]) {
    super(`This route accepts ${allowed.join(', ')}.`);
    this.headers = { Allow: allowed.join(', ') };
  }
}

export class PayloadTooLargeError extends ProblemError {
  readonly status = 413;
  readonly title = 'Payload too large';
}

export class UnsupportedMediaTypeError extends ProblemError {
  readonly status = 415;
  readonly title = 'Unsupported media type';
}

/** A plain request to a WebSocket-only route (RFC 9110 §15.5.22). */
export class UpgradeRequiredError extends ProblemError {
  readonly status = 426;
  readonly title = 'Upgrade required';
  override headers = { Upgrade: 'websocket', Connection: 'Upgrade' };
}

export class RateLimitedError extends ProblemError {
  readonly status = 429;
  readonly title = 'Too many requests';
  constructor(retryAfterSeconds: number, detail?: string) {
    super(detail ?? `Rate limit reached; retry after ${retryAfterSeconds} s.`);
    this.headers = { 'Retry-After': String(retryAfterSeconds) };
    this.extensions = { retryAfter: retryAfterSeconds };
  }
}

export class ServiceUnavailableError extends ProblemError {
  readonly status = 503;
  readonly title = 'Service unavailable';
}

/** A dependency the request needs could not answer; nothing was changed, so retrying is safe. */
export class DependencyUnavailableError extends ServiceUnavailableError {
  constructor(dependency: string, retryAfterSeconds: number, options?: ErrorOptions) {
    super(
      `The ${dependency} is unavailable and nothing was changed. Retry after ${retryAfterSeconds} s; if it persists, check /api/v1/health.`,
      options,
    );
    this.headers = { 'Retry-After': String(retryAfterSeconds) };
    this.extensions = { retryAfter: retryAfterSeconds };
  }
}
