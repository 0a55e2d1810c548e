/**
 * npx tsx scripts/build-openapi.ts [<dist dir>]
 *
 * Writes the OpenAPI 3.1 document that `GET /api/v1/openapi.json` serves into
 * dist/api/v1/openapi.json, generated from the app's routes (worker/http/openapi-document.ts).
 * The worker reads it through the ASSETS binding (worker/routes/openapi.ts) instead of generating
 * it, so no isolate spends CPU generating one unchanging document.
 *
 * Every build of dist/ runs it when the worker's sources are newer than the file
 * (scripts/build-web.ts: `npm run build`, wrangler's [build] step before every deploy, dry run
 * and `wrangler dev`, `npm start`, the test configs and the load suite). A process of its own:
 * it imports the whole worker, which the callers of build-web.ts (vitest's config among them)
 * should not load.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createApp } from '../worker/app';
import { openApiDocument } from '../worker/http/openapi-document';
import { OPENAPI_ASSET_PATH } from '../worker/routes/openapi';

const dist = resolve(process.argv[2] ?? resolve(import.meta.dirname, '../dist'));
const file = join(dist, OPENAPI_ASSET_PATH);
mkdirSync(dirname(file), { recursive: true });
// JSON.stringify with no spacing: the bytes Hono's c.json gave when the worker generated it.
writeFileSync(file, JSON.stringify(openApiDocument(createApp())));
