/**
 * What an environment needs on the account, read from its `[env.<name>]` block of wrangler.toml:
 * the D1 databases, KV namespaces, R2 buckets (with the backup bucket's lifecycle rules) and
 * every queue a producer, consumer or dead-letter setting names. Durable Objects and Analytics
 * Engine datasets are not listed: the first deploy creates the classes from `migrations`, and a
 * dataset exists once the worker writes to it.
 */
import { parse } from 'smol-toml';
import { R2_EXPIRY_DAYS } from '../backup/retention';

/** A config value still to be filled in by provisioning (or by hand). */
export const PLACEHOLDER = /^REPLACE_WITH_[A-Z0-9_]+$/;

/** The binding of the backup bucket; its rules expire each tier's prefix (docs/disaster-recovery.md). */
const BACKUP_BINDING = 'BACKUPS';

export interface LifecycleRule {
  name: string;
  prefix: string;
  expireDays: number;
}

export const BACKUP_LIFECYCLE: LifecycleRule[] = (Object.keys(R2_EXPIRY_DAYS) as (keyof typeof R2_EXPIRY_DAYS)[]).map((tier) => ({
  name: `expire-${tier}`,
  prefix: `d1/${tier}/`,
  expireDays: R2_EXPIRY_DAYS[tier],
}));

export interface Needs {
  env: string;
  worker: string;
  /** `id` is what wrangler.toml says now: a placeholder until provisioning writes the real one. */
  d1: { binding: string; name: string; id: string }[];
  kv: { binding: string; title: string; id: string }[];
  r2: { binding: string; name: string; lifecycle: LifecycleRule[] }[];
  queues: string[];
}

interface EnvBlock {
  name?: string;
  d1_databases?: { binding: string; database_name: string; database_id: string }[];
  kv_namespaces?: { binding: string; id: string }[];
  r2_buckets?: { binding: string; bucket_name: string }[];
  queues?: { producers?: { queue: string }[]; consumers?: { queue: string; dead_letter_queue?: string }[] };
}

/**
 * The environment's resources. A KV namespace has no name in the config, only its id, so its
 * title is the one wrangler itself gives a provisioned namespace: `<worker>-<binding>`
 * (`foyer-staging-cache`).
 */
export function needsOf(toml: string, env: string): Needs {
  const config = parse(toml) as { env?: Record<string, EnvBlock> };
  const block = config.env?.[env];
  if (!block?.name) {
    throw new Error(`wrangler.toml has no [env.${env}] with a name; environments: ${Object.keys(config.env ?? {}).join(', ')}`);
  }
  const queues = [
    ...(block.queues?.producers ?? []).map((p) => p.queue),
    ...(block.queues?.consumers ?? []).flatMap((c) => [c.queue, ...(c.dead_letter_queue ? [c.dead_letter_queue] : [])]),
  ];
  return {
    env,
    worker: block.name,
    d1: (block.d1_databases ?? []).map((d) => ({ binding: d.binding, name: d.database_name, id: d.database_id })),
    kv: (block.kv_namespaces ?? []).map((k) => ({
      binding: k.binding,
      title: `${block.name}-${k.binding.toLowerCase().replaceAll('_', '-')}`,
      id: k.id,
    })),
    r2: (block.r2_buckets ?? []).map((b) => ({
      binding: b.binding,
      name: b.bucket_name,
      lifecycle: b.binding === BACKUP_BINDING ? BACKUP_LIFECYCLE : [],
    })),
    queues: [...new Set(queues)],
  };
}

/**
 * Puts each id in place of its placeholder, as text: comments and layout stay as they are. Each
 * placeholder must occur exactly once, as a quoted value, or nothing is replaced.
 */
export function fillPlaceholders(toml: string, ids: Map<string, string>): string {
  let out = toml;
  for (const [placeholder, id] of ids) {
    const quoted = `"${placeholder}"`;
    const count = out.split(quoted).length - 1;
    if (count !== 1) throw new Error(`wrangler.toml holds ${quoted} ${count} times, expected once: fill it in by hand`);
    out = out.replace(quoted, JSON.stringify(id));
  }
  return out;
}
