/**
 * Which backups to keep: every backup of the last 24 hours (the hourly RPO), the newest of each
 * of the 7 most recent days that have one, and the newest of each of the 4 most recent ISO weeks
 * that have one (restic's --keep-daily/--keep-weekly rule: a gap in the schedule never deletes the
 * only backups left). Pure, so the rule is tested; R2 gets the same shape from prefixes and
 * lifecycle rules (r2Tiers).
 */

export interface RetentionPolicy {
  hours: number;
  days: number;
  weeks: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { hours: 24, days: 7, weeks: 4 };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Monday 00:00 UTC of the week that holds t. */
function weekStart(t: number): number {
  const day = Math.floor(t / DAY);
  // 1970-01-01 was a Thursday: (day + 3) % 7 is days since Monday.
  return (day - ((day + 3) % 7)) * DAY;
}

/**
 * @example backupsToKeep([now - 2 * DAY, now - 2 * DAY + HOUR], now) // the later of the two
 */
export function backupsToKeep(times: number[], now: number, policy: RetentionPolicy = DEFAULT_RETENTION): Set<number> {
  const keep = new Set<number>();
  const newestPer = (bucket: (t: number) => number, limit: number) => {
    const newest = new Map<number, number>();
    for (const t of times) {
      const b = bucket(t);
      if ((newest.get(b) ?? -Infinity) < t) newest.set(b, t);
    }
    const recent = [...newest.keys()].sort((a, b) => b - a).slice(0, limit);
    for (const b of recent) keep.add(newest.get(b) ?? 0);
  };
  for (const t of times) if (now - t < policy.hours * HOUR) keep.add(t);
  newestPer((t) => Math.floor(t / DAY), policy.days);
  newestPer((t) => weekStart(t) / (7 * DAY), policy.weeks);
  return keep;
}

/**
 * The R2 prefixes a backup taken at `at` goes under. R2 lifecycle rules expire each prefix
 * (hourly/ after 1 day, daily/ after 7, weekly/ after 28: docs/disaster-recovery.md), which
 * gives the same rule as backupsToKeep without listing the bucket.
 *
 * @example r2Tiers(Date.parse('2026-11-30T00:10:00Z')) // ['hourly', 'daily', 'weekly'] (a Monday)
 */
export function r2Tiers(at: number): ('hourly' | 'daily' | 'weekly')[] {
  const tiers: ('hourly' | 'daily' | 'weekly')[] = ['hourly'];
  if (at % DAY < HOUR) tiers.push('daily');
  if (at - weekStart(at) < HOUR) tiers.push('weekly');
  return tiers;
}

/** Days after which R2 deletes each prefix. */
export const R2_EXPIRY_DAYS = { hourly: 2, daily: 8, weekly: 29 } as const;
