import type { IntroPage } from '../../worker/sections';
import type { ActivityEvent, Personalization } from '../page-data';

/** A failed call, with the problem document's `detail` (RFC 9457) as the message when there is one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...extraHeaders,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'You seem to be offline. Check your connection and try again.');
  }
  if (!res.ok) {
    let detail = `The server answered ${res.status}.`;
    try {
      const problem = (await res.json()) as { detail?: string };
      if (problem.detail) detail = problem.detail;
    } catch {}
    throw new ApiError(res.status, detail);
  }
  return (await res.json()) as T;
}

export interface TaskChange {
  task: { id: string; title: string; status: string };
  event: ActivityEvent;
}

export const api = {
  patchTask: (id: string, patch: { status: 'done' } | { snoozedUntil: string }) =>
    call<TaskChange>('PATCH', `/api/v1/tasks/${encodeURIComponent(id)}`, patch),
  patchPreferences: (userId: string, patch: Partial<Personalization>) =>
    call<{ personalization: Personalization; event: ActivityEvent }>(
      'PATCH',
      `/api/v1/users/${encodeURIComponent(userId)}/preferences`,
      patch,
    ),
  /**
   * `minVersion`: the newest event id the page has seen. A user's version is their newest event
   * id, so this asks the fragment cache for data at least that fresh (read-your-writes), also
   * for changes made elsewhere that reached this page only through the feed.
   */
  introPage: (userId: string, minVersion = 0) =>
    call<IntroPage>(
      'GET',
      `/api/v1/intro-page/${encodeURIComponent(userId)}`,
      undefined,
      minVersion > 0 ? { 'Foyer-Version': String(minVersion) } : {},
    ),
};
