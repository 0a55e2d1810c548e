/**
 * What local tooling (token, seed, load, e2e) needs from wrangler.toml and .dev.vars,
 * read the way wrangler reads them so the local server and the tools always agree.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';

export const ROOT = resolve(import.meta.dirname, '..');

/** Creates .dev.vars from the committed example on a fresh clone. */
export function ensureDevVars(): void {
  const target = resolve(ROOT, '.dev.vars');
  if (!existsSync(target)) copyFileSync(resolve(ROOT, '.dev.vars.example'), target);
}

function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  }
  return out;
}

/** The local environment's variables: wrangler.toml [vars] overridden by .dev.vars. */
export function localVars(): Record<string, string> {
  const toml = parseToml(readFileSync(resolve(ROOT, 'wrangler.toml'), 'utf8')) as { vars?: Record<string, string> };
  const devVarsPath = existsSync(resolve(ROOT, '.dev.vars')) ? '.dev.vars' : '.dev.vars.example';
  return { ...toml.vars, ...parseDotenv(readFileSync(resolve(ROOT, devVarsPath), 'utf8')) };
}
