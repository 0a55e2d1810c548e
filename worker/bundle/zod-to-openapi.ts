/**
 * What `@asteasolutions/zod-to-openapi` resolves to in the deployed bundle (the `alias` in
 * wrangler.toml). Type checks, the workerd tests and the build-time generator
 * (scripts/build-openapi.ts) use the package itself; `npm run size` measures the result.
 *
 * The package has two jobs: recording OpenAPI metadata while the app is defined (the
 * `.openapi()` method `extendZodWithOpenApi` adds to every zod schema, and the
 * `OpenAPIRegistry` each `app.openapi(route, …)` records its route in), and turning that record
 * into a document (the generators). The deployed worker needs neither: `GET /api/v1/openapi.json`
 * serves the document the build generated from the package itself (worker/routes/openapi.ts).
 * esbuild cannot drop them on its own: @hono/zod-openapi calls `extendZodWithOpenApi` when it
 * loads, every `OpenAPIHono` makes a registry, and its document methods name the generators.
 * So these stand-ins keep the calls and drop the work:
 * - `.openapi(…)` returns the schema itself. The package's version returns a copy carrying the
 *   metadata; both validate exactly alike, since the metadata lives in the package's own
 *   registry, which neither zod's parsing nor `z.toJSONSchema` reads. Every schema declared
 *   with `.openapi()` is thus no longer copied, nor its modifiers wrapped, at every cold start.
 * - The registry records nothing; the route itself is still added, with its zod validators, by
 *   `app.openapi()`.
 * - The generators throw, saying where the document comes from.
 * Without this the package is 29 KiB of the minified bundle, about 7.5 KiB of its gzip
 * (docs/performance.md#bundle-size).
 */

/** The stand-in for `.openapi(refId?, metadata?)`: the schema itself, unchanged. */
export function keepSchema<T>(this: T): T {
  return this;
}

export function extendZodWithOpenApi(zod: { ZodType: { prototype: Record<string, unknown> } }): void {
  zod.ZodType.prototype.openapi ??= keepSchema;
}

export function getOpenApiMetadata(): Record<string, never> {
  return {};
}

export class OpenAPIRegistry {
  readonly definitions: never[] = [];
  register<T>(_refId: string, schema: T): T {
    return schema;
  }
  registerParameter<T>(_refId: string, schema: T): T {
    return schema;
  }
  registerPath(): void {}
  registerWebhook(): void {}
  registerComponent(type: string, name: string) {
    return { name, ref: { $ref: `#/components/${type}/${name}` } };
  }
}

class LeftOutGenerator {
  constructor() {
    throw new Error(
      'The OpenAPI document generator is left out of the worker bundle (worker/bundle/zod-to-openapi.ts): the build writes the document (scripts/build-openapi.ts) and GET /api/v1/openapi.json serves it.',
    );
  }
}

export const OpenApiGeneratorV3 = LeftOutGenerator;
export const OpenApiGeneratorV31 = LeftOutGenerator;
export const OpenApiGeneratorV32 = LeftOutGenerator;
