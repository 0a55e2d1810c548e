/**
 * What local tooling (token, seed, load, e2e, migrate, smoke) needs from wrangler.toml and
 * .dev.vars, read through wrangler's own config reader, so the local server and the tools always
 * agree (and a move to wrangler.jsonc changes nothing here).
 */
import { copyFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { experimental_readRawConfig, unstable_getVarsForDev, unstable_readConfig } from 'wrangler';

export const ROOT = resolve(import.meta.dirname, '..');

/** wrangler.toml; wrangler's reader also accepts wrangler.json(c) should the project move to it. */
export const WRANGLER_CONFIG = resolve(ROOT, 'wrangler.toml');

/** Creates .dev.vars from the committed example on a fresh clone. */
export function ensureDevVars(): void {
  const target = resolve(ROOT, '.dev.vars');
  if (!existsSync(target)) copyFileSync(resolve(ROOT, '.dev.vars.example'), target);
}

/** The configuration as written: top level and every `[env.*]` section, nothing inherited or defaulted. */
export function rawWranglerConfig(): Record<string, unknown> {
  return experimental_readRawConfig({ config: WRANGLER_CONFIG }).rawConfig as Record<string, unknown>;
}

/** The local environment's variables: wrangler.toml [vars] overridden by .dev.vars (else the example). */
export function localVars(): Record<string, string> {
  const config = unstable_readConfig({ config: WRANGLER_CONFIG }, { hideWarnings: true });
  const envFiles = existsSync(resolve(ROOT, '.dev.vars')) ? undefined : ['.dev.vars.example'];
  const bindings = unstable_getVarsForDev(config.configPath, envFiles, config.vars, undefined, true) as Record<
    string,
    string | { value: unknown }
  >;
  // Newer wrangler versions answer { type, value } per variable; older ones the plain value.
  return Object.fromEntries(Object.entries(bindings).map(([k, b]) => [k, String(typeof b === 'object' && b !== null ? b.value : b)]));
}
