/**
 * The namespace `import … from 'zod'` gives in the deployed bundle (worker/bundle/zod.ts, through
 * the `alias` in wrangler.toml; type checks and the workerd tests use zod itself, and
 * `npm run size` measures the result).
 *
 * @hono/zod-openapi hands the whole `z` namespace to `extendZodWithOpenApi`, so esbuild must keep
 * every export of it, and zod's namespace also carries what the worker never calls: `locales`
 * (every language's messages, 264 KB minified: the worker configures English only, as zod
 * does by default), `core` (a second namespace of everything), `fromJSONSchema` and the schema
 * compiler (`compile`, `withParser`). This module is zod's own namespace (the same module
 * instances, so the same classes and prototypes) with those members replaced by stand-ins that
 * say where they went: a module's own export of a name shadows the same name from `export *`. Without it the bundle is 1.4 MB raw and 278 KiB gzip, over the 150 KiB budget
 * (docs/performance.md#bundle-size).
 *
 * Relative paths into node_modules on purpose: an alias applies to the bare name `zod`, so this
 * file importing `zod` would import itself.
 */
export * from '../../node_modules/zod/v4/classic/external.js';

const leftOut = (name: string) => () => {
  throw new Error(`zod.${name} is left out of the worker bundle (worker/bundle/zod.ts); take it off the list there if code needs it`);
};

export const locales = {};
export const core = {};
export const fromJSONSchema = leftOut('fromJSONSchema');
export const compile = leftOut('compile');
export const withParser = leftOut('withParser');
export const INVALID = Symbol.for('zod.compile.invalid');
export class ZodCompileAsyncError extends Error {}
export class ZodCompileUnsupportedError extends Error {}
