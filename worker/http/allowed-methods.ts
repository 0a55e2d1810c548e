import { TrieRouter } from 'hono/router/trie-router';

/** What an app registers: Hono's `app.routes` entries, of which only the method and path matter here. */
export interface RegisteredRoute {
  method: string;
  path: string;
}

/**
 * The methods a path answers, for a 405's `Allow` header (RFC 9110 §15.5.6). The same rules as
 * hono/method-not-allowed (middleware, registered for ALL, is no method; GET implies HEAD; the
 * same router, so the same order), but asked only by the not-found handler: as a middleware it
 * would wrap every request to serve the few that end in a 404. The table is built on the first
 * call, when every route is in.
 *
 * @example
 * const allowed = allowedMethods(() => app.routes);
 * allowed('/api/v1/tasks'); // ['GET', 'HEAD', 'POST']
 */
export function allowedMethods(routes: () => readonly RegisteredRoute[]): (path: string) => string[] {
  let router: TrieRouter<string[]> | undefined;
  return (path) => {
    router ??= methodRouter(routes());
    const allowed = new Set<string>();
    for (const [methods] of router.match('ALL', path)[0]) for (const method of methods) allowed.add(method);
    return [...allowed];
  };
}

function methodRouter(routes: readonly RegisteredRoute[]): TrieRouter<string[]> {
  const methodsByPath = new Map<string, Set<string>>();
  for (const route of routes) {
    if (route.method === 'ALL' || route.method === 'HEAD') continue;
    const methods = methodsByPath.get(route.path) ?? new Set<string>();
    methods.add(route.method);
    if (route.method === 'GET') methods.add('HEAD');
    methodsByPath.set(route.path, methods);
  }
  const router = new TrieRouter<string[]>();
  for (const [path, methods] of methodsByPath) router.add('ALL', path, [...methods]);
  return router;
}
