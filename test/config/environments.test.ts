import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import workerdPackage from 'workerd/package.json';
import * as worker from '../../worker/index';
import wranglerToml from '../../wrangler.toml?raw';

/**
 * Bindings and vars are NOT inherited by [env.*] blocks
 * (https://developers.cloudflare.com/workers/wrangler/environments/#non-inheritable-keys):
 * one forgotten in staging or production deploys fine and fails at the first request.
 */
type Table = Record<string, unknown>;
const config = parse(wranglerToml) as Table & { env?: Record<string, Table> };

/** Every non-inheritable key wrangler knows, and how to name each binding under it. */
const NON_INHERITABLE = [
  'vars',
  'd1_databases',
  'kv_namespaces',
  'durable_objects',
  'r2_buckets',
  'queues',
  'services',
  'analytics_engine_datasets',
  'hyperdrive',
  'vectorize',
  'ai',
  'browser',
  'images',
  'send_email',
  'workflows',
  'dispatch_namespaces',
  'mtls_certificates',
  'secrets_store_secrets',
  'ratelimits',
  'version_metadata',
  'tail_consumers',
  'pipelines',
  'unsafe',
];

function bindingNames(key: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (key === 'vars') return Object.keys(value as Table);
  if (key === 'durable_objects') return bindingNames('', (value as { bindings?: unknown[] }).bindings ?? []);
  if (key === 'queues') return bindingNames('', (value as { producers?: unknown[] }).producers ?? []);
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => {
    const b = item as Table;
    return String(b.binding ?? b.name ?? b.service ?? JSON.stringify(b));
  });
}

/**
 * Keys wrangler inherits into every [env.*] (its config validation marks them `inheritable`):
 * set once at the top level, so a change to one cannot miss an environment.
 */
const INHERITED_ONCE = [
  'compatibility_date',
  'keep_names',
  'upload_source_maps',
  'observability',
  'build',
  'assets',
  'workers_dev',
  'preview_urls',
];

const environments = ['staging', 'production'] as const;

describe('wrangler.toml environments', () => {
  it('has the staging and production blocks the pipeline deploys to', () => {
    expect(Object.keys(config.env ?? {})).toEqual(expect.arrayContaining([...environments]));
  });

  describe.each(environments)('[env.%s]', (name) => {
    const env = config.env?.[name] ?? {};

    it.each(NON_INHERITABLE.filter((key) => config[key] !== undefined))('repeats every %s binding of the local default', (key) => {
      const local = bindingNames(key, config[key]);
      expect(local.length, `top-level ${key}`).toBeGreaterThan(0);
      const present = bindingNames(key, env[key]);
      const missing = local.filter((b) => !present.includes(b));
      expect(missing, `[env.${name}] lacks these ${key} of the top level; copy them (they are not inherited)`).toEqual([]);
    });

    it('points D1 at its own database with the same migrations_dir', () => {
      const local = config.d1_databases as Table[];
      const remote = (env.d1_databases ?? []) as Table[];
      for (const db of local) {
        const twin = remote.find((d) => d.binding === db.binding);
        expect(twin?.migrations_dir, `${name} ${String(db.binding)}.migrations_dir`).toBe(db.migrations_dir);
        expect(twin?.database_name).toMatch(new RegExp(`${name}$`));
        expect(twin?.database_id).toBeTruthy();
        expect(twin?.database_id).not.toBe(db.database_id);
      }
    });

    it('gives KV its own namespace', () => {
      for (const kv of config.kv_namespaces as Table[]) {
        const twin = ((env.kv_namespaces ?? []) as Table[]).find((k) => k.binding === kv.binding);
        expect(twin?.id).toBeTruthy();
        expect(twin?.id).not.toBe(kv.id);
      }
    });

    it('binds each Durable Object to the same class', () => {
      const pairs = (v: unknown) => ((v as { bindings?: Table[] } | undefined)?.bindings ?? []).map((b) => `${b.name}→${b.class_name}`);
      expect(pairs(env.durable_objects)).toEqual(expect.arrayContaining(pairs(config.durable_objects)));
    });

    it('names its environment in ENVIRONMENT and has its own worker name', () => {
      expect((env.vars as Table | undefined)?.ENVIRONMENT).toBe(name);
      expect(env.name).toBe(`${config.name}-${name}`);
    });

    it('serves assets the same way (inherited unless overridden)', () => {
      const local = config.assets as Table | undefined;
      const effective = (env.assets ?? local) as Table | undefined;
      expect(effective?.binding).toBe(local?.binding);
    });

    it('repeats none of the inherited production settings (one place to change them)', () => {
      const repeated = INHERITED_ONCE.filter((key) => env[key] !== undefined);
      expect(repeated, `[env.${name}] repeats keys wrangler inherits from the top level`).toEqual([]);
    });

    it('is served on its own route, not on workers.dev', () => {
      const effective = (key: string) => env[key] ?? config[key];
      expect(effective('workers_dev')).toBe(false);
      expect(effective('preview_urls')).toBe(false);
      const routes = (env.routes ?? []) as Table[];
      expect(routes.length, `[env.${name}] needs routes: with workers_dev = false it would have no address`).toBeGreaterThan(0);
      for (const route of routes) expect(route.custom_domain ?? route.zone_name ?? route.zone_id, JSON.stringify(route)).toBeTruthy();
    });

    it('requires JWT_SECRET wherever tokens are HS256 (no JWKS URL)', () => {
      const vars = (env.vars ?? {}) as Table;
      const required = ((env.secrets as { required?: string[] } | undefined)?.required ?? []) as string[];
      if (!vars.JWT_JWKS_URL) expect(required).toContain('JWT_SECRET');
    });
  });

  it('builds the assets before every deploy and uploads source maps', () => {
    expect((config.build as Table | undefined)?.command).toMatch(/scripts\/build-web\.ts --if-stale/);
    expect(config.upload_source_maps).toBe(true);
  });

  it('sends logs (unsampled) and sampled traces to Workers Observability', () => {
    const observability = config.observability as { enabled?: boolean; logs?: Table; traces?: Table };
    expect(observability.enabled).toBe(true);
    expect(observability.logs?.enabled).toBe(true);
    expect(observability.logs?.head_sampling_rate).toBe(1);
    expect(observability.traces?.enabled).toBe(true);
    expect(Number(observability.traces?.head_sampling_rate)).toBeGreaterThan(0);
    expect(Number(observability.traces?.head_sampling_rate)).toBeLessThanOrEqual(1);
  });

  it('exports every Durable Object class the bindings name', () => {
    const classes = bindingNames(
      '',
      ((config.durable_objects as { bindings?: Table[] }).bindings ?? []).map((b) => ({ name: b.class_name })),
    );
    for (const cls of classes) expect(typeof (worker as Record<string, unknown>)[cls], cls).toBe('function');
  });

  it('keeps compatibility_date at, or within a month before, the installed runtime (npm ls workerd)', () => {
    // workerd versions read 1.YYYYMMDD.N: the date is the newest compatibility date it supports.
    const stamp = workerdPackage.version.split('.')[1] ?? '';
    const runtimeDate = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}`;
    const date = String(config.compatibility_date);
    expect(date <= runtimeDate, `${date} is newer than workerd ${runtimeDate}`).toBe(true);
    const monthBefore = new Date(Date.parse(runtimeDate) - 31 * 86_400_000).toISOString().slice(0, 10);
    expect(date >= monthBefore, `${date} lags workerd ${runtimeDate} by more than a month`).toBe(true);
  });
});
