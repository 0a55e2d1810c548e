/**
 * A stand-in for the release serving before this one: its page references these two files. The
 * suite's config carries them into dist/ through the same code `npm run release` uses
 * (scripts/build-web.ts carryAssets), so the workerd tests can show this version serving them.
 */
export const PREVIOUS_RELEASE = {
  script: '/assets/app-PREVIOUS0.js',
  style: '/assets/styles-PREVIOUS0.css',
} as const;

export const PREVIOUS_RELEASE_BODIES: Record<string, string> = {
  [PREVIOUS_RELEASE.script]: 'export {}; // the previous release of web/client/main.tsx\n',
  [PREVIOUS_RELEASE.style]: '/* the previous release of web/styles.css */\n',
};

/** What the previous release's route answers: its manifest and its two files. */
export async function previousReleaseFetch(input: RequestInfo | URL): Promise<Response> {
  const path = new URL(input instanceof Request ? input.url : input).pathname;
  if (path === '/asset-manifest.json') return Response.json(PREVIOUS_RELEASE);
  const body = PREVIOUS_RELEASE_BODIES[path];
  return body === undefined ? new Response('not found', { status: 404 }) : new Response(body);
}
