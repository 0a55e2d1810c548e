/**
 * What `import … from 'zod'` resolves to in the deployed bundle (the `alias` in wrangler.toml),
 * laid out as zod's own entry module is: the namespace's exports, and the namespace as `z` and
 * as the default. What the namespace leaves out, and why, is in zod-namespace.ts.
 */
import * as z from './zod-namespace';

export * from './zod-namespace';
export { z, z as default };
