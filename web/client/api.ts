import { type ClientResponse, hc } from 'hono/client';
import type { SuccessStatusCode } from 'hono/utils/http-status';
import type { AppType } from '../../worker/app';
import type { Personalization } from '../page-data';

/** A failed call, with the problem document's `detail` (RFC 9457) as the message when there is one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The body of a route's 2xx answers, as the route's zod schemas declare it. */
type SuccessBody<R> =
  R extends ClientResponse<infer Body, infer Status, 'json'> ? (Status extends SuccessStatusCode ? Body : never) : never;

/** Same-origin calls with the session cookie (fetch's default), typed by the worker's routes. */
let client: ReturnType<typeof hc<AppType>> | undefined;
function v1() {
  client ??= hc<AppType>(location.origin, { headers: { Accept: 'application/json' } });
  return client.api.v1;
}

async function send<R extends ClientResponse<unknown, number, string>>(request: () => Promise<R>): Promise<SuccessBody<R>> {
  let res: R;
  try {
    res = await request();
  } catch {
    throw new ApiError(0, 'You seem to be offline. Check your connection and try again.');
  }
  if (!res.ok) {
    let detail = `The server answered ${res.status}.`;
    try {
      const problem = (await res.json()) as { detail?: string; errors?: { message: string }[] };
      // A 400's detail points at `errors`; a person needs the field messages themselves.
      if (problem.errors?.length) detail = problem.errors.map((e) => e.message).join('; ');
      else if (problem.detail) detail = problem.detail;
    } catch {}
    throw new ApiError(res.status, detail);
  }
  return (await res.json()) as SuccessBody<R>;
}

export const api = {
  createTask: (task: { title: string; priority: 'low' | 'normal' | 'high'; dueAt: string | null }) =>
    send(() => v1().tasks.$post({ json: task })),
  patchTask: (id: string, patch: { status: 'done' | 'open' } | { snoozedUntil: string | null }) =>
    send(() => v1().tasks[':id'].$patch({ param: { id }, json: patch })),
  patchPreferences: (userId: string, patch: Partial<Personalization>) =>
    send(() => v1().users[':userId'].preferences.$patch({ param: { userId }, json: patch })),
  /**
   * `minVersion`: the newest event id the page has seen. A user's version is their newest event
   * id, so this asks the fragment cache for data at least that fresh (read-your-writes), also
   * for changes made elsewhere that reached this page only through the feed.
   */
  introPage: (userId: string, minVersion = 0) =>
    send(() =>
      v1()['intro-page'][':userId'].$get({
        param: { userId },
        header: minVersion > 0 ? { 'foyer-version': String(minVersion) } : {},
      }),
    ),
};
