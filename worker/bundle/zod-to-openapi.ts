/**
 * What `@asteasolutions/zod-to-openapi` resolves to in the deployed bundle (the `alias` in
 * wrangler.toml; type checks, the workerd tests and the build-time generator use the package
 * itself, and `npm run size` measures the result).
 *
 * @hono/zod-openapi needs three of its parts at run time: `extendZodWithOpenApi` (the
 * `.openapi()` metadata every route schema is declared with), `OpenAPIRegistry` (where
 * `app.openapi()` records each route) and `getOpenApiMetadata`. Its `OpenAPIHono` class also
 * refers to the document generators from its `getOpenAPIDocument`/`getOpenAPI31Document`
 * methods, so esbuild keeps them (and every schema transformer behind them) whether they are
 * called or not. The worker never calls them: `GET /api/v1/openapi.json` serves the document
 * the build generated (scripts/build-openapi.ts, worker/routes/openapi.ts). This module is the
 * package's own registry and metadata (the same module instance, so the same metadata
 * registry) with the generators replaced by stand-ins that say where they went; without it they
 * are about 7 KiB of the bundle's gzip (docs/performance.md#bundle-size).
 *
 * Relative path into node_modules on purpose: an alias applies to the bare name, so importing
 * `@asteasolutions/zod-to-openapi` here would import this file.
 */
export {
  extendZodWithOpenApi,
  getOpenApiMetadata,
  OpenAPIRegistry,
} from '../../node_modules/@asteasolutions/zod-to-openapi/dist/index.mjs';

class LeftOutGenerator {
  constructor() {
    throw new Error(
      'The OpenAPI document generator is left out of the worker bundle (worker/bundle/zod-to-openapi.ts): the build writes the document (scripts/build-openapi.ts) and GET /api/v1/openapi.json serves it',
    );
  }
}

export const OpenApiGeneratorV3 = LeftOutGenerator;
export const OpenApiGeneratorV31 = LeftOutGenerator;
export const OpenApiGeneratorV32 = LeftOutGenerator;
