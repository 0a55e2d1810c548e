/**
 * The age of the last good D1 backup, for operators: `npm run backup -- --to-r2 …` writes a small
 * record to the BACKUPS bucket after every upload that verified (scripts/backup/backup.ts), and
 * the health report reads it. It is information, not a check: a stale backup does not make the
 * site unhealthy, but it must page someone (docs/disaster-recovery.md, "Alerts").
 */
import { z } from 'zod';

/** Where the backup writes its record: one fixed key per environment's bucket. */
export const LAST_GOOD_BACKUP_KEY = 'status/last-good-backup.json';

export const backupRecordSchema = z.object({
  at: z.iso.datetime(),
  environment: z.string(),
  manifest: z.string(),
  sha256: z.string(),
});
export type BackupRecord = z.infer<typeof backupRecordSchema>;

export interface BackupStatus {
  /** When the last verified backup was taken; null when none was ever recorded here. */
  lastGoodAt: string | null;
  ageSeconds: number | null;
  /** R2 key of its manifest, for `npm run restore -- --from`. */
  manifest: string | null;
  /** Only when the record could not be read; the cause is logged. */
  error?: string;
}

/** R2 reads usually answer in tens of ms; past this the health report goes on without it. */
const READ_TIMEOUT_MS = 1000;

/**
 * @example await readBackupStatus(env.BACKUPS, Date.now()) // { lastGoodAt: '2026-11-30T20:00:00.000Z', ageSeconds: 1800, … }
 */
export async function readBackupStatus(bucket: R2Bucket | undefined, now: number, requestId?: string): Promise<BackupStatus> {
  const none: BackupStatus = { lastGoodAt: null, ageSeconds: null, manifest: null };
  if (!bucket) return none;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const object = await Promise.race([
      bucket.get(LAST_GOOD_BACKUP_KEY),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${READ_TIMEOUT_MS} ms`)), READ_TIMEOUT_MS);
      }),
    ]);
    if (!object) return none;
    const record = backupRecordSchema.parse(await object.json());
    return {
      lastGoodAt: record.at,
      ageSeconds: Math.max(0, Math.round((now - Date.parse(record.at)) / 1000)),
      manifest: record.manifest,
    };
  } catch (err) {
    console.error(
      JSON.stringify({
        level: 'error',
        msg: 'backup status unreadable',
        requestId,
        error: err instanceof Error ? err.message : String(err),
      }),
    );
    return { ...none, error: 'The backup record could not be read; the log line for this request id has the cause.' };
  } finally {
    clearTimeout(timer);
  }
}
