/**
 * The export on disk: gzip (node:zlib, level 9: dumps are repetitive text and compress about
 * tenfold) with the SHA-256 of the compressed bytes, which is what an operator can check with
 * `sha256sum` before anything is decompressed.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function writeArchive(file: string, sql: string): { bytes: number; sqlBytes: number; sha256: string } {
  const gz = gzipSync(sql, { level: 9 });
  writeFileSync(file, gz);
  return { bytes: gz.length, sqlBytes: Buffer.byteLength(sql), sha256: sha256(gz) };
}

export class TamperedBackupError extends Error {}

/** Reads an archive only if its bytes are the ones the manifest names. */
export function readArchive(file: string, expectedSha256: string): string {
  const gz = readFileSync(file);
  const actual = sha256(gz);
  if (actual !== expectedSha256) {
    throw new TamperedBackupError(
      `${file} has SHA-256 ${actual}, but its manifest says ${expectedSha256}. The file was changed or truncated after the backup (a partial download, disk damage, or tampering). Nothing was restored. Fetch the backup again (or take the previous one) and check it with: sha256sum ${file}`,
    );
  }
  return gunzipSync(gz).toString('utf8');
}
