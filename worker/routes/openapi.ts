import { Hono } from 'hono';
import type { AppEnv } from '../app-env';

/** Where the build puts the document among the static assets (dist/), the path it is served at. */
export const OPENAPI_ASSET_PATH = '/api/v1/openapi.json';
const ASSET_URL = `https://assets.local${OPENAPI_ASSET_PATH}`;

/**
 * `GET /api/v1/openapi.json`: the OpenAPI 3.1 document, generated from the routes at build time
 * (scripts/build-openapi.ts, run by every build of dist/) and read here through the ASSETS
 * binding, so no isolate spends CPU generating one unchanging document. `/api/*` runs the worker first (`run_worker_first` in
 * wrangler.toml), so the asset is reachable only through this route, with the API's headers
 * and rate limit like any other. test/api/openapi.test.ts fails when the file and the routes
 * disagree.
 */
export const openApiDocumentApp = new Hono<AppEnv>().get('/', async (c) => {
  const asset = await c.env.ASSETS.fetch(ASSET_URL);
  if (!asset.ok) {
    throw new Error(`${OPENAPI_ASSET_PATH} is missing from the static assets (status ${asset.status}); the build writes it: npm run build`);
  }
  // The answer the generator's own route gave (c.json of the document): the same bytes and type.
  return c.body(await asset.arrayBuffer(), 200, { 'Content-Type': 'application/json' });
});
