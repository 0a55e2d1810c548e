import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { LAST_GOOD_BACKUP_KEY, readBackupStatus } from '../../worker/observability/backup-status';
import { forgetHealthReport } from '../../worker/services/health-cache';
import { authHeaders } from '../helpers/auth';
import { call } from '../helpers/http';
import { parsePrometheus } from '../helpers/prometheus';

type Health = { status: string; backup: { lastGoodAt: string | null; ageSeconds: number | null; manifest: string | null; error?: string } };

afterEach(async () => {
  await env.BACKUPS.delete(LAST_GOOD_BACKUP_KEY);
  // Each isolate reuses its health report for a few seconds; every test reads a fresh one.
  forgetHealthReport();
});

/** The backup block, like the checks, is for operators: only an admin sees it. */
const asAdmin = async () => call('/api/v1/health', { headers: await authHeaders('ops', 'admin') });

describe('the age of the last good backup in GET /api/v1/health', () => {
  it('is null when no backup was ever recorded, and the status does not depend on it', async () => {
    const body = await (await asAdmin()).json<Health>();
    expect(body.backup).toEqual({ lastGoodAt: null, ageSeconds: null, manifest: null });
    expect(body.status).not.toBe('down');
  });

  it('reports the record npm run backup writes to R2, with its age', async () => {
    const at = new Date(Date.now() - 90 * 60_000).toISOString();
    await env.BACKUPS.put(
      LAST_GOOD_BACKUP_KEY,
      JSON.stringify({ at, environment: 'local', manifest: 'foyer-backups-local/d1/hourly/x.manifest.json', sha256: 'ab' }),
    );
    const body = await (await asAdmin()).json<Health>();
    expect(body.backup.lastGoodAt).toBe(at);
    expect(body.backup.ageSeconds).toBeGreaterThanOrEqual(90 * 60);
    expect(body.backup.ageSeconds).toBeLessThan(92 * 60);
    expect(body.backup.manifest).toBe('foyer-backups-local/d1/hourly/x.manifest.json');
  });

  it('says the record is unreadable instead of failing the health report', async () => {
    await env.BACKUPS.put(LAST_GOOD_BACKUP_KEY, 'not json');
    const res = await asAdmin();
    expect(res.status).toBe(200);
    const body = await res.json<Health>();
    expect(body.backup.lastGoodAt).toBeNull();
    expect(body.backup.error).toMatch(/could not be read/);
  });

  it('is null without a bucket binding (an environment that has none)', async () => {
    expect(await readBackupStatus(undefined, Date.now())).toEqual({ lastGoodAt: null, ageSeconds: null, manifest: null });
  });
});

describe('the backup age in the Prometheus scrape (what FoyerBackupStale reads)', () => {
  const scrapedAge = async () => {
    const res = await call('/api/v1/metrics?format=prometheus', { headers: await authHeaders('ops', 'admin') });
    expect(res.status).toBe(200);
    const family = parsePrometheus(await res.text()).get('foyer_backup_age_seconds');
    expect(family?.type).toBe('gauge');
    expect(family?.samples).toHaveLength(1);
    return family?.samples[0];
  };

  it('is the age of the recorded backup, labelled with the environment', async () => {
    const at = new Date(Date.now() - 2 * 3600_000).toISOString();
    await env.BACKUPS.put(LAST_GOOD_BACKUP_KEY, JSON.stringify({ at, environment: 'local', manifest: 'm', sha256: 'ab' }));
    const sample = await scrapedAge();
    expect(sample?.labels).toEqual({ environment: env.ENVIRONMENT });
    expect(sample?.value).toBeGreaterThanOrEqual(2 * 3600);
    expect(sample?.value).toBeLessThan(2 * 3600 + 120);
  });

  it('is +Inf when no backup was ever recorded, so the alert fires instead of staying silent', async () => {
    expect((await scrapedAge())?.value).toBe(Number.POSITIVE_INFINITY);
  });
});
