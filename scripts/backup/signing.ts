/**
 * Who made a backup: the manifest is signed with HMAC-SHA-256 under a key that is never stored
 * with the backups (docs/disaster-recovery.md, "Signing key"). The signature covers every field
 * of the manifest, so also the row counts, checksums and the archive's SHA-256: whoever can
 * write to the backup store but does not hold the key cannot make a restore accept other data.
 *
 * Keys: BACKUP_SIGNING_KEY (the current one; backups are signed with it) and
 * BACKUP_SIGNING_KEY_PREVIOUS (still accepted by restore during a rotation). Locally, without
 * BACKUP_SIGNING_KEY, a random key is generated once into .wrangler/backup-signing-key.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { ROOT } from '../local-config';
import type { Environment } from '../migrate/plan';

export const SIGNATURE_ALGORITHM = 'HMAC-SHA-256';

/** Shorter keys are refused: an HMAC key is only as strong as its entropy. */
const MIN_KEY_CHARS = 32;

export const LOCAL_KEY_FILE = resolve(ROOT, '.wrangler/backup-signing-key');

export interface SigningKey {
  id: string;
  secret: string;
}

export interface Signature {
  alg: typeof SIGNATURE_ALGORITHM;
  keyId: string;
  value: string;
}

export class SignatureError extends Error {}

/** A key's public name: a digest of it, so a manifest can say which key signed it without revealing it. */
export function keyIdOf(secret: string): string {
  return `k-${createHash('sha256').update(`foyer-backup-signing-key\n${secret}`).digest('hex').slice(0, 16)}`;
}

function keyFrom(secret: string, variable: string): SigningKey {
  const trimmed = secret.trim();
  if (trimmed.length < MIN_KEY_CHARS) {
    throw new SignatureError(`${variable} is ${trimmed.length} characters; use at least ${MIN_KEY_CHARS} (e.g. openssl rand -base64 48).`);
  }
  return { id: keyIdOf(trimmed), secret: trimmed };
}

/**
 * The keys of an environment. Remote environments need BACKUP_SIGNING_KEY; locally it defaults
 * to a per-machine key file, created on first use when `create` is set (by backup, not restore).
 */
export function signingKeys(
  env: Environment,
  options: { create?: boolean; vars?: NodeJS.ProcessEnv; keyFile?: string } = {},
): { current?: SigningKey; previous?: SigningKey } {
  const vars = options.vars ?? process.env;
  const keyFile = options.keyFile ?? LOCAL_KEY_FILE;
  let current: SigningKey | undefined;
  if (vars.BACKUP_SIGNING_KEY) current = keyFrom(vars.BACKUP_SIGNING_KEY, 'BACKUP_SIGNING_KEY');
  else if (env === 'local') {
    if (!existsSync(keyFile) && options.create) {
      mkdirSync(dirname(keyFile), { recursive: true });
      writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      chmodSync(keyFile, 0o600);
    }
    if (existsSync(keyFile)) current = keyFrom(readFileSync(keyFile, 'utf8'), relative(ROOT, keyFile));
  }
  const previous = vars.BACKUP_SIGNING_KEY_PREVIOUS ? keyFrom(vars.BACKUP_SIGNING_KEY_PREVIOUS, 'BACKUP_SIGNING_KEY_PREVIOUS') : undefined;
  return { ...(current ? { current } : {}), ...(previous ? { previous } : {}) };
}

/** JSON with object keys sorted at every level: the bytes the signature covers do not depend on field order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function mac(key: SigningKey, body: Record<string, unknown>): string {
  return createHmac('sha256', key.secret).update(canonicalJson(body)).digest('hex');
}

/** The manifest with its signature over every other field. */
export function sign<T extends Record<string, unknown>>(body: T, key: SigningKey): T & { signature: Signature } {
  const { signature: _ignored, ...unsigned } = body as T & { signature?: unknown };
  return { ...(unsigned as T), signature: { alg: SIGNATURE_ALGORITHM, keyId: key.id, value: mac(key, unsigned) } };
}

/**
 * Throws SignatureError, with what to do, unless the manifest was signed by one of `keys`.
 * Returns the id of the key that verified it.
 */
export function verify(manifest: Record<string, unknown>, keys: { current?: SigningKey; previous?: SigningKey }, where: string): string {
  const { signature, ...unsigned } = manifest as { signature?: Partial<Signature> };
  const known = [keys.current, keys.previous].filter((k): k is SigningKey => k !== undefined);
  if (!signature || typeof signature.value !== 'string' || typeof signature.keyId !== 'string') {
    throw new SignatureError(
      `${where} is not signed. Anyone who can write to the backup store can write an unsigned manifest, so it proves nothing about who made the backup. Nothing was restored. Restore a signed backup (every backup since manifest format 2 is signed).`,
    );
  }
  if (signature.alg !== SIGNATURE_ALGORITHM) {
    throw new SignatureError(
      `${where} is signed with ${String(signature.alg)}; this checkout verifies ${SIGNATURE_ALGORITHM} only. Nothing was restored.`,
    );
  }
  if (!known.length) {
    throw new SignatureError(
      `No signing key to verify ${where}: set BACKUP_SIGNING_KEY (and BACKUP_SIGNING_KEY_PREVIOUS during a rotation) to the environment's key. Nothing was restored.`,
    );
  }
  const key = known.find((k) => k.id === signature.keyId);
  if (!key) {
    throw new SignatureError(
      `${where} is signed with key ${signature.keyId}, which is not a key this restore knows (current ${keys.current?.id ?? 'none'}, previous ${keys.previous?.id ?? 'none'}). Nothing was restored. If it was signed before a rotation, set BACKUP_SIGNING_KEY_PREVIOUS to the key it was signed with; if no one here holds that key, do not trust the backup.`,
    );
  }
  const expected = Buffer.from(mac(key, unsigned), 'hex');
  const given = Buffer.from(/^[0-9a-f]{64}$/.test(signature.value) ? signature.value : '', 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SignatureError(
      `${where} does not match its signature (key ${key.id}): the manifest (its row counts, checksums or archive SHA-256) was changed after it was signed. Nothing was restored. Do not use this backup; restore the previous one and find out who could write to the backup store.`,
    );
  }
  return key.id;
}
