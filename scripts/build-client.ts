/**
 * Builds client/ for other TypeScript projects: client/dist/index.js (ESM; `hono` stays an
 * import, so the consumer's copy is used) and declarations under client/dist/types/ that carry
 * AppType, i.e. every /api/v1 route's request and answer types.
 *   npm run build:client
 * A consumer needs `hono` and `zod` installed (the declarations refer to their types) and
 * `skipLibCheck` (the worker's declarations mention Cloudflare's runtime types).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = resolve(ROOT, 'client/dist');

await build({
  entryPoints: [resolve(ROOT, 'client/index.ts')],
  outfile: resolve(OUT, 'index.js'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  external: ['hono', 'hono/*'],
  logLevel: 'warning',
});
execFileSync('npx', ['tsc', '-p', resolve(ROOT, 'client/tsconfig.json')], { stdio: 'inherit', cwd: ROOT });
// The entry's declarations sit at types/client/index.d.ts (rootDir is the repository); point at them.
writeFileSync(resolve(OUT, 'index.d.ts'), "export * from './types/client/index';\n");
console.log('built client/dist/index.js and client/dist/index.d.ts');
